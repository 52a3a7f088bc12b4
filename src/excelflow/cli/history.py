"""``excelflow history transitions|deal ID|funnel``: what the recorded checks tell over time.

Reads the history database ``validate --record`` (and the ribbon's Validate on a server with a
history database) fill. Exit codes: 0 shown (also when nothing is recorded yet); 2 the database
cannot be opened or read, or the output cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_history_option,
    add_lang,
    as_of_arg,
    load_ruleset_option,
)


def add_parser(sub: Any) -> None:
    """Register ``history`` with the subcommands ``sub``."""
    hist = sub.add_parser(
        "history",
        help="stage transitions, a deal's timeline and the funnel from recorded checks",
        description="Report on the deal snapshots recorded by `excelflow validate --record`.",
    )
    hsub = hist.add_subparsers(dest="history_command", required=True, metavar="REPORT")
    trans = hsub.add_parser(
        "transitions", help="every change of stage or status between two recorded checks"
    )
    deal = hsub.add_parser("deal", help="one deal's recorded snapshots, oldest first")
    deal.add_argument("deal_id", metavar="ID", help="the deal ID, as in the workbook")
    funnel = hsub.add_parser(
        "funnel", help="per stage: deals reached, conversion to the next, average days there"
    )
    funnel.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set JSON/YAML file naming the stages (default: standard)",
    )
    for parser in (trans, deal, funnel):
        add_history_option(parser)
        add_lang(parser, "language of the text table (default: en)", default="en")
        parser.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="text table, or JSON with full file paths (default: text)",
        )
        parser.add_argument(
            "--output", "-o", metavar="F", help="write the report here (default: stdout)"
        )
    for parser in (trans, funnel):
        parser.add_argument(
            "--since",
            type=as_of_arg,
            metavar="DATE",
            help="only checks on or after DATE (YYYY-MM-DD)",
        )


def run(args: argparse.Namespace) -> int:
    """Run ``history transitions``, ``history deal`` or ``history funnel``.

    Raises:
        RuleSetError: the --ruleset file is invalid.
    """
    from excelflow.cli.common import output_problem
    from excelflow.history import HistoryError, open_store
    from excelflow.history import report as hr
    from excelflow.pipeline.ruleset import load_ruleset

    problem = output_problem(args.output)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    since = getattr(args, "since", None)
    try:
        store = open_store(args.history)
        kind = args.history_command
        if kind == "transitions":
            rows = hr.transitions(hr.load(store), since)
        elif kind == "deal":
            rows = hr.timeline(hr.load(store, deal_id=args.deal_id))
        else:
            ruleset = load_ruleset_option(args.ruleset) or load_ruleset()
            rows = hr.funnel(hr.load(store), ruleset, since)
    except HistoryError as exc:
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    meta: dict[str, Any] = {"history": store.name}
    if kind == "deal":
        meta["deal_id"] = args.deal_id
    if since is not None:
        meta["since"] = since.isoformat()
    if args.format == "json":
        text = hr.to_json(kind, rows, **meta)
    else:
        text = hr.to_text(kind, rows, args.lang)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    from pathlib import Path

    from excelflow.workbook.safe_write import WriteRefused, atomic_write_text

    try:
        atomic_write_text(Path(args.output), text)
    except (WriteRefused, OSError) as exc:
        print(f"excelflow: {args.output}: cannot write ({exc})", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
