"""``excelflow validate FILE...``: check pipelines and report the findings (text or JSON).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 a file could not be
read, or a usage / configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    add_lang,
    as_of_arg,
    load_mapping_option,
    load_ruleset_option,
    output_problem,
    visible,
)


def add_parser(sub: Any) -> None:
    """Register ``validate`` with the subcommands ``sub``."""
    val = sub.add_parser(
        "validate",
        help="check pipeline workbooks or CSV files",
        description="Check every deal row of each FILE (a folder means every "
        "spreadsheet and CSV in it) and report findings.",
    )
    val.add_argument("files", nargs="+", metavar="FILE")
    val.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set JSON/YAML file (default: the workbook's Rules sheet, else standard)",
    )
    val.add_argument("--mapping", metavar="F", help="column/value mapping for foreign exports")
    add_lang(val, "report language (default: from headers)")
    val.add_argument("--format", choices=("text", "json"), default="text")
    val.add_argument("--output", "-o", metavar="F", help="write the report here (default: stdout)")
    val.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    val.add_argument(
        "--as-of",
        type=as_of_arg,
        metavar="DATE",
        help="treat DATE (YYYY-MM-DD) as today, for reproducible results",
    )
    val.add_argument(
        "--strict",
        action="store_true",
        help="a file in a folder without a pipeline table is an error (default: skipped)",
    )
    val.add_argument(
        "--select",
        type=codes_arg,
        default=(),
        metavar="CODES",
        help="report only these codes; prefixes allowed (--select SG,DQ0)",
    )
    val.add_argument(
        "--ignore",
        type=codes_arg,
        default=(),
        metavar="CODES",
        help="do not report these codes; prefixes allowed (--ignore GR,DQ05)",
    )
    val.add_argument(
        "--statistics",
        action="store_true",
        help="print only the number of findings per code (text, or JSON with --format json)",
    )
    val.add_argument(
        "--limit",
        type=int,
        default=200,
        metavar="N",
        help="text format: show at most N findings per file (0 = all; default 200)",
    )


_CODE_PREFIX = re.compile(r"[A-Z]{1,2}[0-9]{0,2}")


def codes_arg(text: str) -> tuple[str, ...]:
    """``--select``/``--ignore``: comma-separated codes or prefixes (``SG,DQ0``), each naming at
    least one registered rule code."""
    from excelflow.rules import load_all

    codes = load_all()
    out = []
    for item in (part.strip().upper() for part in text.split(",")):
        if not item:
            continue
        if not _CODE_PREFIX.fullmatch(item) or not any(c.startswith(item) for c in codes):
            raise argparse.ArgumentTypeError(
                f"no rule code starts with {item!r} (see excelflow rules list)"
            )
        out.append(item)
    return tuple(out)


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from excelflow.workbook.safe_write import atomic_write_text

    atomic_write_text(Path(output), visible(text))  # a report file is read in a terminal too


def run(args: argparse.Namespace) -> int:
    """Run ``validate``.

    Raises:
        RuleSetError: the --ruleset or --mapping file is invalid.
    """
    from excelflow import api
    from excelflow.engine import report
    from excelflow.pipeline.ruleset import load_ruleset
    from excelflow.workbook.safe_write import WriteRefused

    problem = output_problem(args.output)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    explicit = load_ruleset_option(args.ruleset)
    ruleset = explicit or load_ruleset()
    mapping = load_mapping_option(args.mapping, ruleset)
    as_of = args.as_of or dt.date.today()
    reports = api.validate_paths(
        args.files, explicit, mapping=mapping, lang=args.lang, as_of=as_of, strict=args.strict
    )
    if not reports:
        print("excelflow: error: no spreadsheet or CSV files found", file=sys.stderr)
        return EXIT_ERROR
    reports = report.select_codes(reports, args.select, args.ignore)
    if args.statistics:
        rows = report.statistics(reports)
        text = (
            json.dumps(rows, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
            if args.format == "json"
            else report.statistics_text(rows)
        )
    elif args.format == "json":
        text = report.to_json(reports, ruleset, as_of=as_of, lang=args.lang)
    else:
        text = report.to_text(reports, lang=args.lang, limit=args.limit)
    try:
        _write(text, args.output)
    except WriteRefused as exc:
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        print(f"excelflow: {args.output}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_ERROR
    for rep in reports:
        if rep.error is not None and (args.output or args.format == "json" or args.statistics):
            skipped = "skipped (not a pipeline): " if rep.skipped else ""
            print(f"excelflow: {skipped}{rep.error}", file=sys.stderr)
    if any(not rep.ok and not rep.skipped for rep in reports):
        return EXIT_ERROR
    threshold = {"error": 2, "warning": 1, "never": 99}[args.fail_on]
    return EXIT_FINDINGS if report.max_severity(reports) >= threshold else EXIT_OK
