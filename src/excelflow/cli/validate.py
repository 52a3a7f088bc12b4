"""``excelflow validate FILE...``: check pipelines and report the findings (text, JSON, SARIF,
GitHub annotations, CSV, JUnit XML or a Markdown summary).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 a file could not be
read, or a usage / configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable
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
    output_problem,
    progress,
    ruleset_options,
    visible,
)
from excelflow.cli.formats import FORMATS
from excelflow.pipeline.bounds import LIMITS_HELP

if TYPE_CHECKING:
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


def run(args: argparse.Namespace) -> int:
    """Run ``validate``.

    Raises:
        RuleSetError: the --ruleset or --mapping file is invalid.
    """
    from excelflow import api
    from excelflow.engine import report
    from excelflow.workbook.safe_write import WriteRefused

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
    with progress("excelflow validate", total=0, quiet=args.quiet) as bar:
        reports = api.validate_paths(
            args.files,
            explicit,
            mapping=mapping,
            lang=args.lang,
            as_of=as_of,
            strict=args.strict,
            progress=bar.step,
            history=history,
        )
    if not reports:
        print("excelflow: error: no spreadsheet or CSV files found", file=sys.stderr)
        return EXIT_ERROR
    reports = report.select_codes(reports, args.select, args.ignore)
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
        text = report.to_json(reports, ruleset, as_of=as_of, lang=args.lang, compact=args.compact)
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
