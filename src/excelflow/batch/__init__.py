"""``excelflow batch``: validate many workbooks at once, in parallel, into one report.

:mod:`.work` checks one file where it runs (a worker) and returns a small
:class:`~.work.FileOutcome`; :mod:`.executors` decides where files run (serially, a process pool,
or Dask distributed) and nothing else; :mod:`.collect` adds the outcomes up as they arrive and
writes the consolidated JSON and xlsx reports; :mod:`.layout` lays the xlsx out as plain data;
:mod:`.run` ties them together for the CLI.
"""
