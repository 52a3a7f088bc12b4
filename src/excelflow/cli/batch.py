"""``excelflow batch PATH...``: validate every workbook below the paths, in parallel, into one
consolidated report (xlsx and/or JSON).

The per-file check is ``validate``'s (:func:`excelflow.api.validate_file`); where files run is
:mod:`excelflow.batch.executors`'s decision. Exit codes as ``validate``: 0 nothing at or above
``--fail-on``; 1 findings at or above it; 2 a file could not be read, or a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    add_code_options,
    add_gate_options,
    add_lang,
    add_record_options,
    output_problem,
    ruleset_options,
    visible,
)


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"not a number of workers (1 or more): {text!r}")
    return n


def add_parser(sub: Any) -> None:
    """Register ``batch`` with the subcommands ``sub``."""
    p = sub.add_parser(
        "batch",
        help="check every workbook in folders, in parallel, into one report",
        description="Check every spreadsheet and CSV file below each PATH (Excel lock files "
        "~$*, ExcelFlow's own outputs and the reports themselves are skipped) in parallel, "
        "and write one consolidated report.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders (or files) to check")
    p.add_argument(
        "--glob",
        default="**/*",
        metavar="PATTERN",
        help="which files in a folder, as a glob below it (default: '**/*', every spreadsheet "
        "and CSV file in all subfolders; e.g. '**/*.xlsx')",
    )
    p.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="worker processes (default: one per core; 1 = serial, in this process); with "
        "--dask local, the LocalCluster's workers",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on Dask distributed: 'local' starts a LocalCluster here, tcp://host:8786 uses "
        "a running scheduler whose workers can read the same paths (needs the 'dask' extra)",
    )
    p.add_argument("--report", metavar="F", help="write the consolidated xlsx report here")
    p.add_argument(
        "--json", metavar="F", help="write the JSON report here (the schema of validate's)"
    )
    p.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set JSON/YAML file (default: each workbook's Rules sheet, else standard)",
    )
    p.add_argument("--mapping", metavar="F", help="column/value mapping for foreign exports")
    add_lang(p, "language of the report and messages (default: from the headers)")
    add_gate_options(p)
    add_code_options(
        p,
        "print the number of findings per code after the run (as validate --statistics), "
        "instead of the closing summary line",
    )
    add_record_options(p)
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar and no closing summary line (failures are still listed)",
    )


def _user() -> str | None:
    from excelflow.history import current_user

    return current_user()


def run(args: argparse.Namespace) -> int:
    """Run ``batch``.

    Raises:
        RuleSetError: the --ruleset or --mapping file is invalid.
    """
    from excelflow.batch import run as batch
    from excelflow.batch.collect import Collector
    from excelflow.batch.executors import ExecutorError, choose
    from excelflow.batch.work import Job
    from excelflow.workbook.safe_write import WriteRefused

    for option, target in (("--report", args.report), ("--json", args.json)):
        problem = output_problem(target)
        if problem is not None:
            print(problem, file=sys.stderr)
            return EXIT_ERROR
        if option == "--report" and target and Path(target).suffix.lower() != ".xlsx":
            print(f"excelflow: {target}: --report writes an .xlsx file", file=sys.stderr)
            return EXIT_ERROR
    try:
        executor = choose(args.workers, args.dask)
    except ExecutorError as exc:
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    explicit, ruleset, mapping = ruleset_options(args)
    as_of = args.as_of or dt.date.today()
    outputs = [Path(p) for p in (args.report, args.json) if p]
    files = batch.find(args.paths, args.glob, exclude=outputs)
    if not files:
        print("excelflow: error: no spreadsheet or CSV files found", file=sys.stderr)
        return EXIT_ERROR
    history = None
    if args.record or args.history is not None:
        from excelflow.history import HistoryError, open_store, store_url

        history = store_url(args.history)
        try:
            open_store(history)  # created and migrated once, here, before the workers start
        except HistoryError as exc:
            print(f"excelflow: {exc}", file=sys.stderr)
            return EXIT_ERROR
    job = Job(
        explicit,
        mapping,
        args.lang,
        as_of,
        args.strict,
        history=history,
        record=bool(args.record),
        user=_user() if history is not None else None,
        select=args.select,
        ignore=args.ignore,
    )
    history_errors: list[str] = []
    collector = Collector(len(files))
    start = time.perf_counter()
    try:
        with _progress(len(files), quiet=args.quiet) as bar:
            for index, outcome in batch.results(files, job, executor):
                collector.add(index, outcome)
                if outcome.history_error is not None:
                    history_errors.append(outcome.history_error)
                if outcome.status != "ok":
                    skipped = "skipped (not a pipeline): " if outcome.status == "skipped" else ""
                    _say(bar, f"excelflow: {skipped}{outcome.error}")
                if bar is not None:
                    bar.advance(collector.done, collector.failed)
        seconds = time.perf_counter() - start
        lang = args.lang or collector.lang()
        try:
            if args.json:
                collector.write_json(Path(args.json), ruleset, as_of)
            if args.report:
                collector.write_xlsx(Path(args.report), ruleset, as_of, lang)
        except WriteRefused as exc:
            print(f"excelflow: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except OSError as exc:
            print(f"excelflow: cannot write the report ({exc.strerror or exc})", file=sys.stderr)
            return EXIT_ERROR
        total = collector.summary()
        statistics = collector.statistics() if args.statistics else None
    except ExecutorError as exc:
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        collector.close()
    if statistics is not None:
        from excelflow.engine.report import statistics_text

        sys.stdout.write(statistics_text(statistics))
    elif not args.quiet:
        rate = len(files) / seconds if seconds > 0 else 0.0
        checked = total["files"] - total["files_failed"] - total["files_skipped"]
        print(
            f"{total['files']} files ({checked} checked, {total['files_failed']} could not be "
            f"read, {total['files_skipped']} skipped), {total['deals']} deals, "
            f"{total['errors']} errors, {total['warnings']} warnings, {total['infos']} info · "
            f"{seconds:.1f} s, {rate:.1f} files/s "
            f"({executor.describe()})"
        )
        for option, target in (("report", args.report), ("JSON", args.json)):
            if target:
                print(f"{option}: {target}")
    if history_errors:
        print(
            f"excelflow: {len(history_errors)} files without history (not compared or not "
            f"recorded); the first: {history_errors[0]}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if total["files_failed"]:
        return EXIT_ERROR
    threshold = {"error": "errors", "warning": "warnings", "never": None}[args.fail_on]
    if threshold is None:
        return EXIT_OK
    found = total["errors"] if threshold == "errors" else total["errors"] + total["warnings"]
    return EXIT_FINDINGS if found else EXIT_OK


class _Bar:
    """The rich progress bar: files done of all, files/s, failures; on stderr's terminal."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        stream = getattr(sys.stderr, "inner", sys.stderr)  # the terminal, past terminal_safe
        self.console = Console(file=stream)
        self.progress = Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.1f} files/s"),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.task = self.progress.add_task("checking", total=total, rate=0.0, failed=0)
        self.start = time.perf_counter()

    def advance(self, done: int, failed: int) -> None:
        elapsed = time.perf_counter() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=done, rate=rate, failed=failed)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _progress(total: int, *, quiet: bool) -> AbstractContextManager[_Bar | None]:
    """The progress bar on a terminal; nothing when stderr is piped or with --quiet."""
    if quiet or not sys.stderr.isatty():
        return nullcontext()
    return _Bar(total)


def _say(bar: _Bar | None, line: str) -> None:
    """A line on stderr: above the bar while it is shown (escaped, as terminal_safe would)."""
    if bar is None:
        print(line, file=sys.stderr)
    else:
        bar.console.print(visible(line), markup=False, highlight=False, soft_wrap=True)
