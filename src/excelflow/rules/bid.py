"""Bid (BD): the stage-4 bid of a deal, from its Bid sheet (投标分析), priced and sanity-checked.

The Bid sheets are read before the engine runs (``excelflow.bid.sheet.book.workbook_bids``) and
arrive as ``ctx.inputs.bids`` (deal ID -> entry with the model, its analysis, the BD01–BD04
conditions from :func:`excelflow.bid.analysis.bid_issues`, reading problems and cell addresses) and
``ctx.inputs.bid_sheets`` (every sheet). A finding sits on the Bid sheet's cell and belongs to
the deal's row, so the deal's ``ExcelFlow Ignore`` cell silences it.

Scope: BD01–BD04 check open deals at the bidding stage or later (stage >= 4 in the standard
rule set): before the bid is prepared a half-filled cost sheet is work in progress, not a fault.
BD03 (withdraw) stops at the bidding stage itself: once the bid is in, the advice is moot.
A deal without a Bid sheet whose pipeline row says the purchasing criteria are against us
(milestone 3 marked 否/No) gets the same BD03 hint, on that cell. BD05 reports every Bid sheet
that cannot be read or matched, whatever the deal's stage. BD06: the Bid sheet and the
pipeline row disagree on whether the purchasing criteria favour us.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from excelflow.pipeline.coerce import parse_tick
from excelflow.pipeline.fields import CRITERIA_MILESTONE, milestone_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import Text
from excelflow.rules import Context, hits, no_hits, rule

if TYPE_CHECKING:
    from excelflow.bid.entry import BidEntry
    from excelflow.bid.result import BidIssue

# The bid modules (model, result) are imported where a Bid sheet's finding is written: a
# workbook without Bid sheets never loads them (the cold start of `excelflow validate`).

_CELL_LABELS: Mapping[str, Text] = {
    "quoted_price": Text("报价", "Quoted price"),
    "target_price": Text("目标毛利率价格", "Price at target margin"),
    "withdraw": Text("投标建议", "Bid or withdraw"),
    "criteria_favourable": Text("采购标准对我方有利", "Criteria favour us"),
    "quantity": Text("数量", "Quantity"),
    "unit_cost": Text("单价", "Unit cost"),
    "cost_lines": Text("成本明细", "Cost lines"),
}


def _bidding_stage(ctx: Context) -> int:
    return next((s.number for s in ctx.ruleset.stages if s.key == "bidding"), 4)


def _entries(ctx: Context, *, last_stage: int | None = None) -> Iterator[tuple[int, BidEntry]]:
    """(deal position, entry) for each deal with a Bid sheet that is open at the bidding stage
    or later (and at most ``last_stage``)."""
    bids = ctx.inputs.bids
    if not bids:
        return
    where = _first_positions(ctx, bids)
    stage = ctx.frame["stage"].astype("Float64").fillna(0).to_numpy(dtype=float)
    open_ = ctx.is_open.to_numpy(dtype=bool)
    low = _bidding_stage(ctx)
    high = float("inf") if last_stage is None else last_stage
    for deal, pos in where.items():
        if open_[pos] and low <= stage[pos] <= high:
            yield pos, bids[deal]


def _first_positions(ctx: Context, wanted: Iterable[str]) -> dict[str, int]:
    """Deal ID -> position of its first row, for the wanted IDs present (vectorized)."""
    ids = ctx.frame["deal_id"]
    mask = ids.isin(list(wanted)) & ~ids.duplicated(keep="first")
    pos = np.flatnonzero(mask.to_numpy(dtype=bool))
    return dict(zip(ids.iloc[pos].tolist(), pos.tolist(), strict=True))


def _issues(
    ctx: Context, code: str, last_stage: int | None = None
) -> Iterator[tuple[int, BidEntry, BidIssue]]:
    """(deal position, entry, issue) for every ``code`` issue of an in-scope deal."""
    for pos, entry in _entries(ctx, last_stage=last_stage):
        for issue in entry.issues:
            if issue.code == code:
                yield pos, entry, issue


def _hit(
    pos: int, entry: BidEntry, field: str, cell: str | None, value: Any, **params: Any
) -> dict[str, Any]:
    row = None if cell is None else int(cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    column = _CELL_LABELS.get(field)
    return {
        "pos": pos,
        "field": f"bid:{field}",
        "at_sheet": entry.sheet,
        "at_row": row,
        "at_cell": cell,
        "at_value": value,
        "column": column,
        **params,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Hits as a frame; object columns keep row numbers ints and blanks None (not NaN)."""
    if not rows:
        return no_hits()
    keys = list(dict.fromkeys(k for r in rows for k in r))
    data = {k: pd.Series([r.get(k) for r in rows], dtype=object) for k in keys}
    data["pos"] = pd.Series([r["pos"] for r in rows], dtype=int)
    return pd.DataFrame(data)


@rule(
    "BD01",
    "bid.below_floor",
    Severity.ERROR,
    Text(
        zh="报价 {quoted_price:,.0f} {currency} 低于底价 {floor_price:,.0f}（最低毛利率 "
        "{min_margin:.1%}），该报价毛利率仅 {margin:.1%}",
        en="Quoted price {quoted_price:,.0f} {currency} is below the floor price "
        "{floor_price:,.0f} (minimum margin {min_margin:.1%}); its margin is only {margin:.1%}",
    ),
)
def below_floor(ctx: Context) -> pd.DataFrame:
    """The quoted price on the deal's Bid sheet is below the floor price (the minimum margin).

    An error: selling below the floor breaks the margin policy and needs approval. Bad row: a
    stage-4 deal whose Bid sheet has total cost 633,880, minimum margin 8 % (floor price
    689,000) and quoted price 650,000. Fix: raise the quote to the floor or above, cut cost, or
    lower the minimum margin on the sheet once the exception is approved.
    """
    return _frame(
        [
            _hit(
                pos,
                e,
                "quoted_price",
                e.cells.get("quoted_price"),
                i.params["quoted_price"],
                currency=_currency(e),
                **i.params,
            )
            for pos, e, i in _issues(ctx, "BD01")
        ]
    )


@rule(
    "BD02",
    "bid.over_budget",
    Severity.WARNING,
    Text(
        zh="{basis} {price:,.0f} {currency} 超出客户预算 {budget:,.0f}，高出 {excess:,.0f}",
        en="{basis} {price:,.0f} {currency} is above the customer budget {budget:,.0f} "
        "by {excess:,.0f}",
    ),
)
def over_budget(ctx: Context) -> pd.DataFrame:
    """The proposed price (the quote, else the price at target margin) exceeds the budget.

    A warning: budgets move and prices are negotiated, but a bid above the customer's budget
    often loses outright. Bad row: budget 780,000, quoted price 800,000. Fix: rework the scope
    or the cost so the price fits, or confirm the budget with the customer (and record it).
    """
    rows = []
    for pos, entry, issue in _issues(ctx, "BD02"):
        p = issue.params
        quoted = p["basis"] == "quoted"
        field = "quoted_price" if quoted else "target_price"
        basis = (
            Text("报价", "The quoted price")
            if quoted
            else Text("目标毛利率价格", "The price at target margin")
        )
        cell, cur = entry.cells.get(field), _currency(entry)
        rows.append(
            _hit(
                pos,
                entry,
                field,
                cell,
                p["price"],
                currency=cur,
                price=p["price"],
                budget=p["budget"],
                excess=p["excess"],
                basis=basis,
            )
        )
    return _frame(rows)


@rule(
    "BD03",
    "bid.withdraw_advised",
    Severity.WARNING,
    Text(zh="建议放弃投标：{reasons}", en="Withdrawing is recommended: {reasons}"),
)
def withdraw_advised(ctx: Context) -> pd.DataFrame:
    """The bid analysis advises withdrawing (criteria against us, or poor expected profit).

    "If the criteria are really against us, withdrawing and waiting for the next chance is a
    legitimate choice." Checked at the bidding stage only (after the bid is submitted the advice
    is moot). A deal without a Bid sheet gets the hint from its pipeline row when the purchasing
    criteria milestone is marked no (否/No), on that cell. Bad row: stage 4, Bid sheet says the
    purchasing criteria do not favour us and the best expected profit 8,000 is below the
    withdraw threshold 10,000 (or no Bid sheet, and Purchasing criteria 否). Fix: decide —
    withdraw (set the deal's status) or record why we bid anyway and silence BD03 on the row.
    """
    sheets = _frame(
        [
            _hit(
                pos,
                e,
                "withdraw",
                e.cells.get("withdraw"),
                None,
                reasons=_reasons(i.params, _currency(e)),
            )
            for pos, e, i in _issues(ctx, "BD03", last_stage=_bidding_stage(ctx))
        ]
    )
    row = _pipeline_withdraw(ctx)
    if not len(row):
        return sheets
    return row if not len(sheets) else pd.concat([sheets, row], ignore_index=True)


_FROM_ROW = Text(
    "采购标准对我方不利（商机表中该关键节点为「否」，尚无投标分析表）",
    "purchasing criteria are against us (the pipeline marks this milestone no, and there is "
    "no Bid sheet yet)",
)


def _criteria_key(ctx: Context) -> str | None:
    """The field key of the purchasing-criteria milestone, None when the rule set has none."""
    if not any(ms.key == CRITERIA_MILESTONE for ms in ctx.ruleset.milestones):
        return None
    return milestone_key(CRITERIA_MILESTONE)


def pipeline_criteria(ctx: Context) -> np.ndarray:
    """Per deal, what the pipeline row says of the purchasing criteria: True (the milestone is
    reached: they favour us), False (marked no: 否, No, ✗), None (blank, planned or unknown)."""
    out = np.full(len(ctx.frame), None, dtype=object)
    key = _criteria_key(ctx)
    raw = None if key is None else ctx.pipeline.raw.get(key)
    if key is None:
        return out
    out[ctx.reached(CRITERIA_MILESTONE)] = True
    if raw is not None:
        codes, uniques = pd.factorize(pd.Series(raw, dtype=object), use_na_sentinel=True)
        said_no = np.array(
            [(t := parse_tick(u)) is not None and t[0] is False for u in uniques] + [False]
        )
        out[said_no[codes]] = False
    return out


def _pipeline_withdraw(ctx: Context) -> pd.DataFrame:
    """BD03 from the pipeline row: open, at the bidding stage or later (the article: criteria
    against us at stage 4 or later), no Bid sheet, criteria marked no."""
    key = _criteria_key(ctx)
    if key is None or key not in ctx.pipeline.columns:
        return no_hits()
    with_sheet = {e.deal_id for e in ctx.inputs.bid_sheets if e.deal_id is not None}
    with_sheet |= set(ctx.inputs.bids)
    stage = ctx.frame["stage"].astype("Float64").fillna(0).to_numpy(dtype=float)
    low = _bidding_stage(ctx)
    against = pipeline_criteria(ctx) == False  # noqa: E712 - an object array of True/False/None
    mask = (
        ctx.is_open.to_numpy(dtype=bool)
        & (stage >= low)
        & against
        & ~ctx.frame["deal_id"].isin(list(with_sheet)).to_numpy(dtype=bool)
    )
    header = ctx.pipeline.columns[key].header
    return hits(mask, key, reasons=_FROM_ROW, column=header)


_SAYS = {
    True: Text("对我方有利", "favour us"),
    False: Text("对我方不利", "are against us"),
}


@rule(
    "BD06",
    "bid.criteria_disagree",
    Severity.WARNING,
    Text(
        zh="投标分析表称采购标准{bid_says}，商机表的「{pipe_column}」却称{pipe_says}："
        "请核对并更正其中一处",
        en="The Bid sheet says the purchasing criteria {bid_says}, but the pipeline's "
        "'{pipe_column}' says they {pipe_says}: check and correct one of them",
    ),
)
def criteria_disagree(ctx: Context) -> pd.DataFrame:
    """The Bid sheet and the pipeline row disagree on whether the purchasing criteria favour us.

    The withdraw advice follows the Bid sheet, the stage gate the pipeline row: when they
    disagree, one of them is wrong and the advice contradicts itself. Open deals with a Bid
    sheet, at any stage; a blank on either side is no disagreement. Bad row: Bid sheet
    "Criteria favour us: No", pipeline Purchasing criteria ✓. Fix: correct whichever is wrong.
    """
    key = _criteria_key(ctx)
    if key is None or key not in ctx.pipeline.columns or not ctx.inputs.bids:
        return no_hits()
    said = pipeline_criteria(ctx)
    open_ = ctx.is_open.to_numpy(dtype=bool)
    header = ctx.pipeline.columns[key].header
    rows = []
    for deal, pos in _first_positions(ctx, ctx.inputs.bids).items():
        entry = ctx.inputs.bids[deal]
        sheet = None if entry.model is None else entry.model.criteria_favourable
        row = said[pos]
        if not open_[pos] or sheet is None or row is None or sheet == row:
            continue
        cell = entry.cells.get("criteria_favourable")
        rows.append(
            _hit(
                pos,
                entry,
                "criteria_favourable",
                cell,
                entry.values.get("criteria_favourable"),
                bid_says=_SAYS[sheet],
                pipe_says=_SAYS[row],
                pipe_column=header,
            )
        )
    return _frame(rows)


def _reasons(params: Mapping[str, Any], currency: str) -> Text:
    from excelflow.bid.result import WITHDRAW_REASONS

    zh, en = [], []
    for code in str(params["reasons"]).split(","):
        if code == "low_expected_profit" and "best_expected_profit" in params:
            best, limit = params["best_expected_profit"], params["threshold"]
            zh.append(f"最佳期望利润 {best:,.0f} {currency} 不高于放弃阈值 {limit:,.0f}")
            en.append(
                f"the best expected profit {best:,.0f} {currency} is at or below the "
                f"withdraw threshold {limit:,.0f}"
            )
        elif code in WITHDRAW_REASONS:
            zh.append(WITHDRAW_REASONS[code].zh)
            en.append(WITHDRAW_REASONS[code].en[0].lower() + WITHDRAW_REASONS[code].en[1:])
    return Text("；".join(zh), "; ".join(en))


@rule(
    "BD04",
    "bid.cost_lines_incomplete",
    Severity.ERROR,
    Text(zh="成本明细不完整：{what}", en="Cost lines incomplete: {what}"),
)
def cost_lines_incomplete(ctx: Context) -> pd.DataFrame:
    """A cost line of the Bid sheet has quantity 0 or no unit cost, or there are no lines.

    An error from the bidding stage on: an unpriced line makes the total cost, and with it
    every price and margin on the sheet, too low. Bad row: a stage-4 deal whose Bid sheet has
    "Services / 3-year maintenance" with quantity 3 and a blank unit cost. Fix: enter the unit
    cost (or the quantity), or delete the line if it is not part of the bid.
    """
    rows = []
    for pos, entry, issue in _issues(ctx, "BD04"):
        i, p = issue.line_index, issue.params
        if i is None or i >= len(entry.lines):
            what = Text("没有任何成本项", "there are no cost lines")
            cell = entry.cells.get("table.costs")
            rows.append(_hit(pos, entry, "cost_lines", cell, None, what=what))
            continue
        from excelflow.bid.model import CATEGORY_LABELS, CostCategory  # a Bid sheet was read

        cat = CATEGORY_LABELS[CostCategory(str(p["category"]))]
        desc = str(p.get("description") or "")
        zh, en = (f"{cat.zh}：{desc}", f"{cat.en}: {desc}") if desc else (cat.zh, cat.en)
        missing = p["problem"] == "missing_unit_cost"
        what = Text(
            f"第{i + 1}项（{zh}）" + ("缺少单价" if missing else "数量为 0"),
            f"line {i + 1} ({en}) " + ("has no unit cost" if missing else "has quantity 0"),
        )
        where = entry.lines[i]
        if missing:
            rows.append(_hit(pos, entry, "unit_cost", where.unit_cost, None, what=what))
        else:
            rows.append(_hit(pos, entry, "quantity", where.quantity, 0, what=what))
    return _frame(rows)


@rule(
    "BD05",
    "bid.sheet_problem",
    Severity.ERROR,
    Text(zh="投标分析表有问题：{problem}", en="Bid sheet problem: {problem}"),
)
def sheet_problem(ctx: Context) -> pd.DataFrame:
    """A Bid sheet input cannot be read or used, or the sheet matches no single deal.

    Reported for every Bid sheet, whatever the deal's stage: an unreadable input silently
    switches the other BD checks off. Bad row: a Bid sheet whose Target margin cell says
    "about 20" (or whose Deal ID is not in the pipeline). Fix: enter a number (20 % or 0.2), or
    correct the Deal ID.
    """
    sheets = ctx.inputs.bid_sheets
    if not sheets:
        return no_hits()
    first = _first_positions(ctx, {e.deal_id for e in sheets if e.deal_id is not None})
    rows = []
    for entry in sheets:
        pos = first.get(entry.deal_id, -1) if entry.deal_id is not None else -1
        for prob in entry.problems:
            hit = _hit(pos, entry, "sheet", prob.cell, prob.value, problem=prob.message)
            hit["at_deal"] = entry.deal_id
            hit["column"] = None
            rows.append(hit)
    return _frame(rows)


def _currency(entry: BidEntry) -> str:
    return entry.model.currency if entry.model is not None else ""
