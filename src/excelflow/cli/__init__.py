"""The ``excelflow`` command. Thin: parses arguments and calls the same functions as every door.

Exit codes (``validate``): 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 a
file could not be read, or a usage / configuration error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from excelflow import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="excelflow",
        description="Check B2B sales pipelines against the six-stage stage-gate process.",
    )
    parser.add_argument("--version", action="version", version=f"excelflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    val = sub.add_parser(
        "validate",
        help="check pipeline workbooks or CSV files",
        description="Check every deal row of each FILE (a folder means every "
        "spreadsheet and CSV in it) and report findings.",
    )
    val.add_argument("files", nargs="+", metavar="FILE")
    val.add_argument("--ruleset", metavar="F", help="rule set JSON/YAML file (default: standard)")
    val.add_argument("--mapping", metavar="F", help="column/value mapping for foreign exports")
    val.add_argument("--lang", choices=("zh", "en"), help="report language (default: from headers)")
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
        type=_date,
        metavar="DATE",
        help="treat DATE (YYYY-MM-DD) as today, for reproducible results",
    )
    val.add_argument(
        "--limit",
        type=int,
        default=200,
        metavar="N",
        help="text format: show at most N findings per file (0 = all; default 200)",
    )

    tpl = sub.add_parser(
        "template",
        help="write the pipeline workbook template (Deals, Dashboard, Findings, Bid, Rules)",
        description="Write the ExcelFlow pipeline template: a Deals table with every column the "
        "rule set knows, drop-downs and input messages, example deals, and the rule set as an "
        "editable Rules sheet. An existing file is never overwritten without --force.",
    )
    tpl.add_argument(
        "--lang",
        choices=("zh", "en"),
        default="zh",
        help="sheet names, headers and labels (default zh)",
    )
    tpl.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="default: pipeline.xlsx (zh) or pipeline_en.xlsx (en) here",
    )
    tpl.add_argument("--ruleset", metavar="F", help="rule set to lay out (default: standard)")
    tpl.add_argument("--force", action="store_true", help="overwrite an existing file")

    ann = sub.add_parser(
        "annotate",
        help="write a checked copy: result columns, coloured rows, notes, Findings and Dashboard",
        description="Check IN and write the results into a copy (default IN.checked.xlsx): result "
        "columns for every deal, rows coloured by severity, a note on each offending cell, a "
        "Findings sheet and a Dashboard with native charts. The input is never modified unless "
        "--in-place is given (then atomically, with a timestamped backup).",
    )
    ann.add_argument("input", metavar="IN")
    where = ann.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT", help="the annotated copy's path")
    where.add_argument(
        "--in-place",
        action="store_true",
        help="update IN itself (refused while Excel has it open, or when the copy "
        "would lose something openpyxl cannot keep)",
    )
    ann.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set file (default: the workbook's Rules sheet, else standard)",
    )
    ann.add_argument("--mapping", metavar="F", help="column/value mapping for foreign exports")
    ann.add_argument("--lang", choices=("zh", "en"), help="language of what is written")
    ann.add_argument("--as-of", type=_date, metavar="DATE", help="treat DATE as today")

    bid = sub.add_parser(
        "bid",
        help="write or refresh a deal's Bid sheet (cost build-up, margin, P(win), price)",
        description="Write a 'Bid – <deal>' sheet that finance can keep working in: cost lines "
        "with live formulas, margin and markup, competitors, P(win) and expected profit by "
        "markup with a chart, the recommended price, floor and budget. Seeded from the deal's row "
        "the first time; re-running refreshes it from the sheet's own (edited) inputs. Writes "
        "WORKBOOK.bid.xlsx unless --in-place or -o is given.",
    )
    bid.add_argument(
        "workbook",
        metavar="WORKBOOK",
        nargs="?",
        type=Path,
        help="the pipeline workbook (optional with --json: a new workbook)",
    )
    bid.add_argument("--deal", metavar="ID", help="the deal's ID in the Deals sheet")
    bid.add_argument(
        "--json",
        metavar="F",
        type=Path,
        dest="json_path",
        help="a standalone bid model (schemas/bid.schema.json) to write as a sheet",
    )
    bid_where = bid.add_mutually_exclusive_group()
    bid_where.add_argument("-o", "--output", metavar="OUT", type=Path)
    bid_where.add_argument(
        "--in-place",
        action="store_true",
        help="update WORKBOOK itself (atomically, with a timestamped backup)",
    )
    bid.add_argument("--ruleset", metavar="F", help="rule set file (default: standard)")
    bid.add_argument("--lang", choices=("zh", "en"), help="language of the sheet")
    bid.add_argument("--as-of", type=_date, metavar="DATE", help="treat DATE as today")

    rules = sub.add_parser("rules", help="list rule codes, or show a rule set")
    rsub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    rlist = rsub.add_parser("list", help="every rule code with its severity and description")
    rlist.add_argument("--format", choices=("text", "json"), default="text")
    rlist.add_argument("--verbose", "-v", action="store_true", help="print each rule's full doc")
    show = rsub.add_parser("show", help="print (and validate) a rule set")
    show.add_argument("--ruleset", metavar="F", help="rule set file (default: standard)")
    show.add_argument("--lang", choices=("zh", "en"), default="en")
    show.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    from excelflow.pipeline.ruleset import RuleSetError

    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "template":
            from excelflow.workbook.template import template_command

            return template_command(args.lang, args.output, args.ruleset, force=args.force)
        if args.command == "bid":
            from excelflow.cli.bid import bid_command

            return bid_command(
                args.workbook,
                args.deal,
                args.json_path,
                args.output,
                args.lang,
                args.as_of,
                in_place=args.in_place,
                ruleset_path=args.ruleset,
            )
        if args.command == "annotate":
            from excelflow.workbook.annotate import annotate_command

            return annotate_command(
                args.input,
                args.output,
                in_place=args.in_place,
                ruleset_path=args.ruleset,
                mapping_path=args.mapping,
                lang=args.lang,
                as_of=args.as_of,
            )
    except RuleSetError as exc:
        print(f"excelflow: error: {exc.source}: invalid", file=sys.stderr)
        for line in exc.errors:
            print(f"  {line}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("excelflow: interrupted", file=sys.stderr)
        return 130
    return EXIT_ERROR


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from excelflow.workbook.safe_write import atomic_write_text

    atomic_write_text(Path(output), text)


def _validate(args: argparse.Namespace) -> int:
    from excelflow import api
    from excelflow.engine import report
    from excelflow.pipeline.mapping import EMPTY_MAPPING, load_mapping
    from excelflow.pipeline.ruleset import load_ruleset

    explicit = load_ruleset(args.ruleset) if args.ruleset else None
    ruleset = explicit or load_ruleset()
    mapping = load_mapping(args.mapping, ruleset) if args.mapping else EMPTY_MAPPING
    as_of = args.as_of or dt.date.today()
    reports = api.validate_paths(args.files, explicit, mapping=mapping, lang=args.lang, as_of=as_of)
    if not reports:
        print("excelflow: error: no spreadsheet or CSV files found", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        _write(report.to_json(reports, ruleset, as_of=as_of, lang=args.lang), args.output)
    else:
        _write(report.to_text(reports, lang=args.lang, limit=args.limit), args.output)
    for rep in reports:
        if rep.error is not None and (args.output or args.format == "json"):
            print(f"excelflow: {rep.error}", file=sys.stderr)
    if any(not rep.ok for rep in reports):
        return EXIT_ERROR
    threshold = {"error": 2, "warning": 1, "never": 99}[args.fail_on]
    return EXIT_FINDINGS if report.max_severity(reports) >= threshold else EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from excelflow.pipeline.ruleset import describe, load_ruleset
    from excelflow.rules import load_all

    if args.rules_command == "list":
        registry = load_all()
        if args.format == "json":
            doc = [
                {
                    "code": r.code,
                    "rule": r.name,
                    "severity": r.severity.value,
                    "description": r.description,
                    "doc": r.doc,
                }
                for r in registry.values()
            ]
            print(json.dumps(sorted(doc, key=lambda d: d["code"]), ensure_ascii=False, indent=2))
            return EXIT_OK
        for code, rule in sorted(registry.items()):
            print(f"{code}  {rule.severity.value:<7}  {rule.name:<36}  {rule.description}")
            if args.verbose:
                print("\n".join("      " + line for line in rule.doc.splitlines()[1:] if line))
        return EXIT_OK
    ruleset = load_ruleset(args.ruleset)
    if args.format == "json":
        print(json.dumps(ruleset.document, ensure_ascii=False, indent=2))
    else:
        print(describe(ruleset, args.lang))
    return EXIT_OK
