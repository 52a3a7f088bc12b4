"""``excelflow template [--lang zh|en] [-o FILE] [--ruleset F] [--force]``: write the pipeline
workbook template (:mod:`excelflow.workbook.template`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_lang,
    load_ruleset_option,
    output_problem,
    report_invalid,
)

if TYPE_CHECKING:
    from excelflow.pipeline.ruleset import Lang


def add_parser(sub: Any) -> None:
    """Register ``template`` with the subcommands ``sub``."""
    tpl = sub.add_parser(
        "template",
        help="write the pipeline workbook template (Deals, Dashboard, Findings, Bid, Rules)",
        description="Write the ExcelFlow pipeline template: a Deals table with every column the "
        "rule set knows, drop-downs and input messages, example deals, and the rule set as an "
        "editable Rules sheet. An existing file is never overwritten without --force.",
    )
    add_lang(tpl, "sheet names, headers and labels (default zh)", default="zh")
    tpl.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="default: pipeline.xlsx (zh) or pipeline_en.xlsx (en) here",
    )
    tpl.add_argument("--ruleset", metavar="F", help="rule set to lay out (default: standard)")
    tpl.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(args: argparse.Namespace) -> int:
    """Run ``template``."""
    return template_command(args.lang, args.output, args.ruleset, force=args.force)


def template_command(
    lang: Lang, output: Path | None, ruleset_path: str | None, *, force: bool = False
) -> int:
    """Write the template to ``output`` (default: ``pipeline.xlsx`` for zh, ``pipeline_en.xlsx``
    for en, in the current folder).

    An existing file is never overwritten unless ``force`` is set: it may be a pipeline someone
    has filled in. Messages go to stderr, the written path to stdout.

    Returns:
        0 on success; 2 when the file exists (without ``force``) or is open in Excel, the rule
        set is invalid, or the file cannot be written.
    """
    from excelflow.pipeline.ruleset import RuleSetError
    from excelflow.workbook.safe_write import WriteRefused, check_not_open_in_excel
    from excelflow.workbook.template import DEFAULT_OUTPUT, build_template

    target = Path(output) if output is not None else Path(DEFAULT_OUTPUT[lang])
    if target.suffix.lower() != ".xlsx":
        print(f"{target}: the template is an .xlsx workbook; use a .xlsx name", file=sys.stderr)
        return EXIT_ERROR
    problem = output_problem(target)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    if target.exists() and not force:
        print(f"{target}: refused: the file exists (use --force to overwrite it)", file=sys.stderr)
        return EXIT_ERROR
    try:
        check_not_open_in_excel(target)
    except WriteRefused as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    try:
        ruleset = load_ruleset_option(ruleset_path)
    except RuleSetError as exc:
        return report_invalid(exc)
    try:
        build_template(target, lang=lang, ruleset=ruleset)
    except WriteRefused as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"{target}: cannot write the template ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_ERROR
    print(target)
    return EXIT_OK
