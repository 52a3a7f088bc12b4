"""``excelflow bid WORKBOOK --deal ID [-o OUT] [--json bid.json] [--in-place]``: write a Bid sheet.

The work is :func:`excelflow.api.write_bid` (which bid: :mod:`excelflow.bid.seed`; the file:
:mod:`excelflow.workbook.bid`); this module parses the arguments and prints what was written, the
bid's key figures and the BD codes the engine raises on the sheet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_lang,
    as_of_arg,
    load_mapping_option,
    load_ruleset_option,
    output_problem,
    report_invalid,
)

if TYPE_CHECKING:
    from excelflow.api import BidOutcome
    from excelflow.pipeline.ruleset import Lang


def add_parser(sub: Any) -> None:
    """Register ``bid`` with the subcommands ``sub``."""
    bid = sub.add_parser(
        "bid",
        help="write or refresh a deal's Bid sheet (cost build-up, margin, P(win), price)",
        description="Write a 'Bid – <deal>' sheet that finance can keep working in: cost lines "
        "with live formulas, margin and markup, competitors, P(win) and expected profit by "
        "markup with a chart, the recommended price, floor and budget. Seeded from the deal's row "
        "the first time; re-running refreshes it from the sheet's own (edited) inputs. Writes "
        "WORKBOOK.bid.xlsx unless --in-place or -o is given; an existing file is never "
        "overwritten without --force (add a second deal's bid to WORKBOOK.bid.xlsx with "
        "--in-place).",
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
    bid_where.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        type=Path,
        help="where the workbook with the Bid sheet goes (default: WORKBOOK.bid.xlsx)",
    )
    bid_where.add_argument(
        "--in-place",
        action="store_true",
        help="update WORKBOOK itself (atomically, with a timestamped backup)",
    )
    bid.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set file (default: the workbook's Rules sheet, else standard)",
    )
    bid.add_argument("--mapping", metavar="F", help="column/value mapping for foreign exports")
    add_lang(bid, "language of the sheet")
    bid.add_argument("--as-of", type=as_of_arg, metavar="DATE", help="treat DATE as today")
    bid.add_argument("--force", action="store_true", help="overwrite an existing output file")


def run(args: argparse.Namespace) -> int:
    """Run ``bid``."""
    return bid_command(
        args.workbook,
        args.deal,
        args.json_path,
        args.output,
        args.lang,
        args.as_of,
        in_place=args.in_place,
        ruleset_path=args.ruleset,
        mapping_path=args.mapping,
        force=args.force,
    )


def _summary(outcome: BidOutcome, lang: Lang) -> list[str]:
    from excelflow.bid.analysis import analyze_bid
    from excelflow.bid.checks import BidError

    m = outcome.model
    zh = lang == "zh"
    verb = {
        "seeded": ("新建", "seeded"),
        "refreshed": ("刷新", "refreshed"),
        "imported": ("导入", "imported"),
    }[outcome.action]
    lines = [
        f"excelflow: {verb[0]}投标分析表「{outcome.sheet}」→ {outcome.path}"
        if zh
        else f"excelflow: {verb[1]} the sheet '{outcome.sheet}' in {outcome.path}"
    ]
    try:
        r = analyze_bid(m)
    except BidError as exc:
        r = None
        # the engine's findings below say why in the sheet's language; the model's own reason
        # is English, so a Chinese run shows it only when there is nothing else to go on
        reason = "原因见下" if zh and outcome.findings else str(exc)
        lines.append(f"excelflow: {'无法分析' if zh else 'not analysed'}: {reason}")
    if r is not None:
        c = m.currency
        fig: list[tuple[str, str, Any]] = [
            ("总成本", "total cost", r.total_cost),
            ("目标毛利率价格", "price at target margin", r.target.price),
            ("底价", "floor price", r.floor.price),
            ("推荐报价", "recommended price", r.recommended_price),
        ]
        lines.append(
            "excelflow: "
            + "; ".join(f"{z if zh else e} {v:,.0f} {c}" for z, e, v in fig)
            + (f"; {'建议放弃' if zh else 'withdraw advised'}" if r.withdraw.recommended else "")
        )
    if outcome.codes:
        lines.append(f"excelflow: {'待处理' if zh else 'to look at'}: {', '.join(outcome.codes)}")
        lines.extend(f"  {line}" for line in outcome.findings)
    if outcome.backup is not None:
        lines.append(
            f"excelflow: {'原文件备份' if zh else 'backup of the original'}: {outcome.backup}"
        )
    if outcome.lost:
        lines.append(f"excelflow: note: the copy lacks {', '.join(outcome.lost)}")
    return lines


def bid_command(
    workbook: Path | None,
    deal: str | None,
    json_path: Path | None = None,
    output: Path | None = None,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    *,
    in_place: bool = False,
    ruleset_path: str | None = None,
    mapping_path: str | None = None,
    force: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The ``excelflow bid`` subcommand: 0 written; 2 bad arguments, unreadable or refused.

    Prints what was written and the bid's key figures (total cost, target, floor and
    recommended price, withdraw advice, the BD codes the engine raises on the sheet); errors go
    to stderr.
    """
    from excelflow import api
    from excelflow.pipeline.read import ReadError
    from excelflow.pipeline.ruleset import RuleSetError
    from excelflow.workbook.safe_write import WriteRefused

    out = out or sys.stdout
    err = err or sys.stderr
    problem = output_problem(output)
    if problem is not None:
        print(problem, file=err)
        return EXIT_ERROR
    try:
        ruleset = load_ruleset_option(ruleset_path)
        outcome = api.write_bid(
            workbook,
            deal,
            json_path,
            output,
            lang=lang,
            as_of=as_of,
            in_place=in_place,
            ruleset=ruleset,
            mapping=load_mapping_option(mapping_path, ruleset),
            overwrite=force,
        )
    except RuleSetError as exc:
        return report_invalid(exc, err)
    except (api.BidInputError, ReadError, WriteRefused) as exc:
        print(f"excelflow: error: {exc}", file=err)
        return EXIT_ERROR
    for line in _summary(outcome, outcome.lang):
        print(line, file=out)
    return EXIT_OK
