"""``excelflow mapping suggest FILE [-o mapping.yaml]``: a starting mapping for a foreign sheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_lang,
    load_ruleset_option,
    output_problem,
)


def add_parser(sub: Any) -> None:
    """Register ``mapping`` with the subcommands ``sub``."""
    mapping = sub.add_parser("mapping", help="suggest a mapping for a foreign export")
    msub = mapping.add_subparsers(dest="mapping_command", required=True, metavar="ACTION")
    suggest = msub.add_parser(
        "suggest",
        help="write a starting mapping from the file's headers and stage/status values",
        description="Guess which column is which ExcelFlow field (the closest known header, in "
        "Chinese or English) and what the stage and status values mean; every guess is marked "
        "'# check' for you to confirm.",
    )
    suggest.add_argument("file", metavar="FILE", help="the workbook or CSV export to map")
    suggest.add_argument(
        "--ruleset", metavar="F", help="rule set JSON/YAML file (default: standard)"
    )
    suggest.add_argument(
        "--output", "-o", metavar="F", help="write here (.yaml/.yml, or .json; default: stdout)"
    )
    add_lang(suggest, "language of the comments in the mapping (default en)", default="en")


def run(args: argparse.Namespace) -> int:
    """Run ``mapping suggest``.

    Raises:
        RuleSetError: the --ruleset file is invalid.
    """
    from excelflow.pipeline.read import ReadError
    from excelflow.pipeline.ruleset import load_ruleset
    from excelflow.pipeline.suggest import suggest_mapping

    problem = output_problem(args.output)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    ruleset = load_ruleset_option(args.ruleset) or load_ruleset()
    try:
        suggestion = suggest_mapping(args.file, ruleset, args.lang)
    except ReadError as exc:
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    as_json = args.output is not None and Path(args.output).suffix.lower() == ".json"
    text = suggestion.to_json() if as_json else suggestion.to_yaml()
    if args.output is None:
        sys.stdout.write(text)
    else:
        from excelflow.workbook.safe_write import WriteRefused, atomic_write_text

        try:
            atomic_write_text(Path(args.output), text)
        except (WriteRefused, OSError) as exc:
            reason = exc if isinstance(exc, WriteRefused) else exc.strerror or exc
            print(f"excelflow: {args.output}: cannot write ({reason})", file=sys.stderr)
            return EXIT_ERROR
        print(f"excelflow: wrote {args.output}", file=sys.stderr)
    return EXIT_OK
