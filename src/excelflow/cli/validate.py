"""``excelflow validate FILE...``: check pipelines and report the findings (text, JSON, SARIF,
GitHub annotations, CSV, JUnit XML or a Markdown summary).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 a file could not be
read, or a usage / configuration error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import importlib
import json
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    add_code_options,
    add_gate_options,
    add_lang,
    add_record_options,
    file_history,
    keep_until_exit,
    output_problem,
    progress,
    ruleset_options,
    visible,
)
from excelflow.cli.formats import FORMATS
from excelflow.pipeline.bounds import LIMITS_HELP
from excelflow.pipeline.collector import collector_paused

if TYPE_CHECKING:
    from excelflow.pipeline.mapping import ColumnMapping
    from excelflow.pipeline.read import Source
    from excelflow.pipeline.ruleset import Lang


def add_parser(sub: Any) -> None:
    """Register ``validate`` with the subcommands ``sub``."""
    val = sub.add_parser(
        "validate",
        help="check pipeline workbooks or CSV files",
        description="Check every deal row of each FILE (a folder means every "
        "spreadsheet and CSV in it) and report findings.",
        epilog=LIMITS_HELP,
    )
    val.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="workbooks (.xlsx/.xlsm/.xls/.xlsb/.ods), CSV files or folders of them",
    )
    val.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set JSON/YAML file (default: the workbook's Rules sheet, else standard)",
    )
    val.add_argument(
        "--mapping",
        metavar="F",
        help="column/value mapping for foreign exports (a file, or a shipped name: salesforce…)",
    )
    add_lang(val, "report language (default: from headers)")
    val.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="report format: text (default), json (schemas/report.schema.json), sarif (SARIF "
        "2.1.0), github (workflow annotations), csv (one row per finding), junit (one test case "
        "per deal), markdown (summary)",
    )
    val.add_argument(
        "--compact",
        action="store_true",
        help="json format: message templates + arguments (each distinct message once, findings "
        "refer to it by number) and findings/deals as column arrays, not one object each",
    )
    val.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="text format: one line per finding and nothing else (no headers, hints, totals, "
        "progress bar or notices)",
    )
    val.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="text format: show each finding's row context (the deal's stage, the cell value)",
    )
    val.add_argument("--output", "-o", metavar="F", help="write the report here (default: stdout)")
    add_gate_options(
        val, "a file in a folder without a pipeline table is an error (default: skipped)"
    )
    add_code_options(val)
    val.add_argument(
        "--limit",
        type=int,
        default=200,
        metavar="N",
        help="text format: show at most N findings per file (0 = all; default 200)",
    )
    add_record_options(val)


def _write(text: str | Iterable[str], output: str | None) -> None:
    """Write the report (a string, or pieces: the JSON report is never one giant string) to
    stdout or, atomically, to ``output``."""
    pieces = [text] if isinstance(text, str) else text
    if output is None:
        for piece in pieces:
            sys.stdout.write(piece)
        return
    from excelflow.workbook.safe_write import atomic_write

    def write(tmp: Path) -> None:
        # a report file is read in a terminal too (cat, less): control characters from cells
        # are escaped as on the terminal (JSON stays valid: the escapes are JSON's own)
        with tmp.open("w", encoding="utf-8", newline="") as out:
            for piece in pieces:
                out.write(visible(piece))

    atomic_write(Path(output), write)


def _import_engine() -> None:
    """Import what a check needs beyond reading the file (pandas, the engine, the rules, the
    report writer). Run in a thread; an error is left for the main thread's own import of the
    same modules to raise, as it would without this thread."""
    with contextlib.suppress(BaseException):
        for name in ("excelflow.api", "excelflow.engine.report", "excelflow.rules"):
            importlib.import_module(name)
        from excelflow.rules import load_all

        load_all()


AHEAD_MIN_BYTES = 256 * 1024
"""A smaller workbook parses in less time than a thread costs: it is opened as before."""


def _open_ahead(files: Sequence[str], mapping: ColumnMapping) -> Callable[[Path], Source]:
    """One spreadsheet file of some size: open it (the bounds check first, as always), then
    parse the sheet it is checked on while a thread imports pandas and the engine:
    python-calamine's parse releases the GIL, so on a big file the imports cost no time.
    Returns what hands that opened file (or the :class:`ReadError` opening it raised) to
    :func:`excelflow.api.validate_paths`; for anything else :class:`Source` itself (a folder
    forks a child per file; a CSV has no parse to overlap).

    The thread starts after the bounds check: zlib releases the GIL at every chunk it inflates,
    and a thread importing beside it would take the GIL each time (the check ran twice as long
    in a test). The modules reading the sheet are loaded before it starts, so the two threads
    never wait on each other's import."""
    from excelflow.pipeline.read import SPREADSHEET_SUFFIXES, ReadError, Source

    path = Path(files[0])
    if len(files) != 1 or path.suffix.lower() not in SPREADSHEET_SUFFIXES:
        return Source
    try:
        if not path.is_file() or path.stat().st_size < AHEAD_MIN_BYTES:
            return Source
        import python_calamine  # noqa: F401 - Source imports it; a missing one fails there
    except (OSError, ImportError):
        return Source
    opened: Source | ReadError | None
    try:
        opened = source = Source(path)
    except ReadError as exc:
        opened = exc
    else:
        loader = threading.Thread(target=_import_engine, name="excelflow-import", daemon=True)
        loader.start()
        try:
            source.read_ahead(mapping)
        finally:
            loader.join()

    def open_source(p: Path) -> Source:
        nonlocal opened
        got, opened = (opened, None) if p == path else (None, opened)
        if isinstance(got, ReadError):
            raise got
        return Source(p) if got is None else got

    return open_source


def run(args: argparse.Namespace) -> int:
    """Run ``validate``.

    Raises:
        RuleSetError: the --ruleset or --mapping file is invalid.
    """
    problem = output_problem(args.output)
    if args.compact and args.format != "json":
        problem = "excelflow: error: --compact applies to --format json only"
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    explicit, ruleset, mapping = ruleset_options(args)
    as_of = args.as_of or dt.date.today()
    history = file_history(args, as_of)
    if history is not None and history.error is not None:
        print(f"excelflow: {history.error}", file=sys.stderr)
        return EXIT_ERROR
    # One workbook: read and checked under one pause of the cyclic collector (see
    # collector_paused; ~0.2 s of collections at 100,000 messy deals, half of it one full
    # collection during the read). A folder keeps the collector: its garbage is per file.
    one_file = len(args.files) == 1 and Path(args.files[0]).is_file()
    with (
        progress("excelflow validate", total=0, quiet=args.quiet) as bar,
        collector_paused() if one_file else contextlib.nullcontext(),
    ):
        # a big workbook is parsed here (under the progress spinner) while the engine imports
        open_source = _open_ahead(args.files, mapping)
        from excelflow import api

        # What the imports built (pandas, the engine; a big file's parsed sheet) lives to the
        # end or is freed by reference counting: out of the cyclic collector's scans, the check
        # and the interpreter's exit skip it (a 1-deal check: 1.29x -> 1.11x the import floor's
        # CPU, medians of interleaved runs). Once per process: a caller running main() many
        # times (the tests) does not freeze its later garbage.
        if gc.get_freeze_count() == 0:
            gc.freeze()
        reports = api.validate_paths(
            args.files,
            explicit,
            mapping=mapping,
            lang=args.lang,
            as_of=as_of,
            strict=args.strict,
            progress=bar.step,
            history=history,
            open_source=open_source,
        )
    from excelflow.engine import report
    from excelflow.workbook.safe_write import WriteRefused

    if not reports:
        print("excelflow: error: no spreadsheet or CSV files found", file=sys.stderr)
        return EXIT_ERROR
    checked, reports = reports, report.select_codes(reports, args.select, args.ignore)
    keep_until_exit((checked, reports))  # the console entry point ends without freeing them
    terminal_table = (
        args.format == "text"
        and not args.statistics
        and not args.quiet
        and args.output is None
        and len(reports) > 1
        and sys.stdout.isatty()
    )
    text: str | Iterable[str]
    if args.statistics:
        rows = report.statistics(reports)
        text = (
            json.dumps(rows, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
            if args.format == "json"
            else report.statistics_text(rows)
        )
    elif args.format == "json":
        text = report.iter_json(reports, ruleset, as_of=as_of, lang=args.lang, compact=args.compact)
    elif args.format == "text":
        text = report.to_text(
            reports,
            lang=args.lang,
            limit=args.limit,
            quiet=args.quiet,
            verbose=args.verbose,
            table=not terminal_table,
        )
    else:
        from excelflow.cli import formats

        text = formats.render(args.format, reports, lang=args.lang)
    try:
        _write(text, args.output)
        if terminal_table:
            from excelflow.cli.common import print_file_table

            lg: Lang = "zh" if args.lang == "zh" else "en"
            print_file_table(report.file_rows(reports, lg), sys.stdout)
            print()
            print(report.total_line(report.summary(reports), lg))
    except WriteRefused as exc:
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        print(f"excelflow: {args.output}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_ERROR
    notices = args.output or args.format != "text" or args.statistics
    for rep in reports:
        if rep.error is not None and notices and not (args.quiet and rep.skipped):
            skipped = "skipped (not a pipeline): " if rep.skipped else ""
            print(f"excelflow: {skipped}{rep.error}", file=sys.stderr)
    if history is not None and history.error is not None:
        print(f"excelflow: {history.error}", file=sys.stderr)
        return EXIT_ERROR
    if any(not rep.ok and not rep.skipped for rep in reports):
        return EXIT_ERROR
    threshold = {"error": 2, "warning": 1, "never": 99}[args.fail_on]
    return EXIT_FINDINGS if report.max_severity(reports) >= threshold else EXIT_OK
