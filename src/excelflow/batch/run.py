"""A batch run: the files found, checked where :mod:`excelflow.batch.executors` decides, their
outcomes as an iterator.

:func:`results` is the seam for whatever else wants each file as it finishes (the CLI's
progress bar and reports today; recording history later): it yields ``(index, outcome)`` as
files finish, and :attr:`excelflow.batch.work.Job.hook` runs in the worker on each file's full
report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from excelflow import api
from excelflow.batch import executors
from excelflow.batch.executors import Executor
from excelflow.batch.work import FileOutcome, Job, check_file, crashed_file


def find(
    paths: Iterable[str | Path], pattern: str = "**/*", exclude: Iterable[Path] = ()
) -> list[tuple[str, bool]]:
    """The files to check (see :func:`excelflow.api.find_files`), as (path, found in a
    folder)."""
    return [(str(p), found) for p, found in api.find_files(paths, pattern, exclude)]


def results(
    files: list[tuple[str, bool]], job: Job, executor: Executor
) -> Iterator[tuple[int, FileOutcome]]:
    """Check every file; ``(index into files, outcome)`` in the order they finish.

    A file under which a worker process dies (a reader's abort) is reported as unreadable and
    the run goes on (:func:`excelflow.batch.executors.run`).

    Raises:
        ExecutorError: the executor cannot start (no Dask, no scheduler).
    """

    def crashed(item: tuple[str, bool], why: str) -> FileOutcome:
        return crashed_file(item[0], why, job)

    yield from executors.run(executor, _check, files, job, crashed=crashed)


def _check(item: tuple[str, bool], job: Job) -> FileOutcome:
    return check_file(item[0], item[1], job)
