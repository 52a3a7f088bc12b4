"""Bid cost, margin and price analysis for stage 4 (投标阶段): the pure model, no Excel.

Words used exactly (the domain asks to say which is which):

* total cost ``C`` = direct cost (Σ quantity × unit cost) + overhead (direct × ``overhead_pct``);
* gross **margin** of a price ``P`` = (P − C) / P; **markup** = (P − C) / C; they convert as
  ``margin = markup / (1 + markup)`` and ``markup = margin / (1 − margin)``;
* price at target margin = C / (1 − target_margin); **floor price** = C / (1 − min_margin);
* expected profit at a price = (P − C) × P(win).

P(win) comes from :mod:`excelflow.bid.win` (Friedman, Gates, or a normal model of the lowest
competing markup). Inputs are validated when the dataclasses are built; every problem raises
:class:`BidError` naming the field, and every float in a :class:`BidResult` is finite.
:func:`load_bid` reads the ``bid.schema.json`` document (``--json bid.json``) and
:func:`bid_issues` lists the BD01–BD04 conditions for the rule registry.

This module is the public façade: inputs live in :mod:`excelflow.bid.model`, results in
:mod:`excelflow.bid.result`, JSON in :mod:`excelflow.bid.doc`, P(win) in :mod:`excelflow.bid.win`
and :mod:`excelflow.bid.competitors`; every public name is importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from excelflow.bid.checks import BidError, check_positive
from excelflow.bid.competitors import Competitor, WinModel, WinSetup
from excelflow.bid.doc import SCHEMA_NAME, bid_to_dict, load_bid, model_to_dict
from excelflow.bid.model import (
    CATEGORY_LABELS,
    DEFAULT_MARKUPS,
    BidModel,
    CostCategory,
    CostLine,
    margin_of,
    margin_to_markup,
    markup_of,
    markup_to_margin,
    parse_category,
    price_for_margin,
    price_for_markup,
)
from excelflow.bid.result import (
    ISSUE_TITLES,
    WITHDRAW_REASONS,
    BidIssue,
    BidOptimum,
    BidResult,
    BudgetFit,
    CategorySubtotal,
    PricePoint,
    PricePosition,
    WithdrawAdvice,
)
from excelflow.bid.win import MarkupOptimum

__all__ = [
    "CATEGORY_LABELS",
    "DEFAULT_MARKUPS",
    "ISSUE_TITLES",
    "SCHEMA_NAME",
    "WITHDRAW_REASONS",
    "BidError",
    "BidIssue",
    "BidModel",
    "BidOptimum",
    "BidResult",
    "BudgetFit",
    "CategorySubtotal",
    "Competitor",
    "CostCategory",
    "CostLine",
    "PricePoint",
    "PricePosition",
    "WinModel",
    "WinRow",
    "WinTable",
    "WithdrawAdvice",
    "analyze_bid",
    "bid_issues",
    "bid_to_dict",
    "load_bid",
    "margin_of",
    "margin_to_markup",
    "markup_of",
    "markup_to_margin",
    "model_to_dict",
    "parse_category",
    "price_for_margin",
    "price_for_markup",
    "price_point",
    "win_table",
]

_TOL = 1e-12


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class _Ctx:
    cost: float
    floor_markup: float
    win: WinSetup
    selected: WinModel | None

    def point(self, markup: float, price: float | None = None) -> PricePoint:
        price = self.cost * (1.0 + markup) if price is None else price
        ps = self.win.p_wins(markup)
        p = None if self.selected is None else ps[self.selected]
        amount = price - self.cost
        return PricePoint(
            price=price,
            markup=markup,
            margin=amount / price,
            margin_amount=amount,
            p_win_friedman=ps.get("friedman"),
            p_win_gates=ps.get("gates"),
            p_win_normal=ps.get("normal"),
            p_win=p,
            expected_profit=None if p is None else amount * p,
            below_floor=markup < self.floor_markup - _TOL,
            extrapolated=self.win.extrapolated(markup),
        )


def _context(model: BidModel) -> tuple[_Ctx, tuple[float, ...]]:
    amounts = tuple(line.amount for line in model.cost_lines)
    cost = math.fsum(amounts) * (1.0 + model.overhead_pct)
    if not cost > 0.0:
        raise BidError("cost_lines", "total cost is 0: add quantities and unit costs")
    win = WinSetup(model.competitors, model.lowest_bid_mean, model.lowest_bid_sd, model.win_model)
    return _Ctx(cost, margin_to_markup(model.min_margin), win, win.selected), amounts


def _positions(model: BidModel, cost: float, ours: float) -> tuple[PricePosition, ...]:
    out: list[PricePosition] = []
    for c in model.competitors:
        implied = c.implied_price(cost)
        if implied is not None:
            theirs, basis = implied
            d = ours - theirs
            where = "equal" if abs(d) <= 1e-9 * theirs else ("below" if d < 0 else "above")
            out.append(PricePosition(c.name, c.rank, theirs, basis, d, d / theirs, where))
    return tuple(out)


def _withdraw(model: BidModel, optimum: BidOptimum | None) -> WithdrawAdvice:
    best = None if optimum is None else optimum.point.expected_profit
    against = model.criteria_favourable is False
    low = best is not None and best <= model.withdraw_threshold
    held = tuple(r for r, ok in zip(WITHDRAW_REASONS, (against, low), strict=True) if ok)
    recommended = (against and low) if model.withdraw_requires_both else bool(held)
    crit = {None: "not assessed", True: "in our favour", False: "against us"}
    cur, limit = model.currency, model.withdraw_threshold
    profit = (
        "no win-probability model, so expected profit is unknown"
        if best is None
        else f"best expected profit {best:,.2f} {cur} is "
        f"{'at or below' if low else 'above'} the threshold {limit:,.2f} {cur}"
    )
    detail = (
        f"{'Withdraw' if recommended else 'Bid'}: purchasing criteria "
        f"{crit[model.criteria_favourable]}; {profit}"
    )
    return WithdrawAdvice(recommended, held if recommended else (), detail, best, limit)


def analyze_bid(model: BidModel) -> BidResult:
    """Compute costs, prices, margins, P(win), the optimum, withdraw advice and sensitivity.

    The sensitivity grid is ``model.markups`` plus every competitor history markup plus the
    floor markup, sorted; the floor markup is thus always a candidate for the grid optimum.

    Raises:
        BidError: the total cost is not positive, or ``win_model`` names an unavailable model.
    """
    ctx, amounts = _context(model)
    cost, direct = ctx.cost, math.fsum(amounts)
    by_cat = {
        cat: math.fsum(
            a for a, ln in zip(amounts, model.cost_lines, strict=True) if ln.category is cat
        )
        for cat in CostCategory
    }
    target = ctx.point(margin_to_markup(model.target_margin))
    floor = ctx.point(ctx.floor_markup)
    quote = None
    if model.quoted_price is not None:
        quote = ctx.point(markup_of(model.quoted_price, cost), model.quoted_price)
    proposed = quote or target
    basis: Literal["quoted", "target"] = "target" if quote is None else "quoted"
    fit = None
    if (b := model.budget) is not None:
        p = proposed.price
        fit = BudgetFit(
            b, p, basis, b - p, p <= b, margin_of(b, cost), target.price <= b, floor.price <= b
        )
    grid = _grid(model, ctx.win, ctx.floor_markup)
    best = ctx.win.optimum(grid, ctx.floor_markup)
    optimum = None
    if best is not None and (sel := ctx.selected) is not None:
        optimum = BidOptimum(
            sel, ctx.point(best.markup), best.exact, best.floor_binding, best.extrapolated
        )
    recommended = target.price if optimum is None else optimum.point.price
    # the price we would bid: the quote when there is one, else the recommended price (not the
    # price at target margin, which the optimum may undercut)
    positions = _positions(model, cost, recommended if quote is None else quote.price)
    notes = [
        f"competitors[{i}]: no p_beat or ratio_mean/ratio_sd, so Friedman and Gates are skipped"
        for i in ctx.win.lacking
    ]
    if model.criteria_favourable is None:
        notes.append("criteria_favourable: not given, so it cannot support a withdraw advice")
    return BidResult(
        deal_id=model.deal_id,
        currency=model.currency,
        direct_cost=direct,
        overhead=cost - direct,
        total_cost=cost,
        line_amounts=amounts,
        subtotals=tuple(CategorySubtotal(c, v, v / direct) for c, v in by_cat.items()),
        target=target,
        floor=floor,
        quote=quote,
        budget_fit=fit,
        positions=positions,
        our_position=1 + sum(p.position == "above" for p in positions) if positions else None,
        win_models=ctx.win.available,
        win_model=ctx.selected,
        sensitivity=tuple(ctx.point(m) for m in grid),
        optimum=optimum,
        recommended_price=recommended,
        withdraw=_withdraw(model, optimum),
        notes=tuple(notes),
    )


def _grid(model: BidModel, win: WinSetup, floor_markup: float) -> list[float]:
    return sorted({*map(float, model.markups), *win.history_markups(), floor_markup})


@dataclass(frozen=True)
class WinRow:
    """P(win) at one markup of the grid under every available model.

    Attributes:
        markup: The markup on cost.
        p_wins: P(win) per available model.
        extrapolated: Outside some competitor's p_beat history (their P(beat) was clamped).
    """

    markup: float
    p_wins: Mapping[WinModel, float]
    extrapolated: bool


@dataclass(frozen=True)
class WinTable:
    """The part of the analysis that does not depend on cost: P(win) per markup and the optimum.

    P(win | markup) depends only on the competitor data, and the expected profit C × m × P(m) has
    its maximum at a markup independent of the cost C; so a spreadsheet may keep these numbers as
    a snapshot while prices, margins and expected profits recalculate from the cost lines.

    Attributes:
        floor_markup: The markup of the floor price (from the minimum margin).
        models: The models that could be computed.
        selected: The model that drives the optimum (None without one).
        rows: One row per markup of the sensitivity grid (as :func:`analyze_bid` uses it).
        optimum: The best markup >= the floor under ``selected``, or None.
        history_medians: Per competitor, the markup where its p_beat history crosses 0.5
            (None without such a crossing or without a history).
    """

    floor_markup: float
    models: tuple[WinModel, ...]
    selected: WinModel | None
    rows: tuple[WinRow, ...]
    optimum: MarkupOptimum | None
    history_medians: tuple[float | None, ...]


def win_table(model: BidModel) -> WinTable:
    """P(win) per grid markup and the optimum markup of ``model``, without needing its costs.

    Raises:
        BidError: ``win_model`` names a model the inputs do not support.
    """
    win = WinSetup(model.competitors, model.lowest_bid_mean, model.lowest_bid_sd, model.win_model)
    floor = margin_to_markup(model.min_margin)
    grid = _grid(model, win, floor)
    selected = win.selected
    rows = tuple(WinRow(m, win.p_wins(m), win.extrapolated(m)) for m in grid)
    medians = tuple(c.history_median for c in model.competitors)  # never their stated price
    return WinTable(floor, win.available, selected, rows, win.optimum(grid, floor), medians)


def price_point(model: BidModel, price: float) -> PricePoint:
    """Margin, markup and P(win) of any ``price`` for ``model`` (a what-if for one price).

    Raises:
        BidError: ``price`` is not positive, or the model's total cost is not positive.
    """
    ctx, _ = _context(model)
    return ctx.point(markup_of(check_positive(price, "price"), ctx.cost), price)


# --------------------------------------------------------------------------- findings


def bid_issues(model: BidModel, result: BidResult | None = None) -> list[BidIssue]:
    """The BD01–BD04 conditions that hold (codes and params; the registry writes messages).

    BD04 needs only the model; BD01–BD03 need ``result`` (pass None when :func:`analyze_bid`
    failed, e.g. because every unit cost is missing).

    * BD01 quoted price below the floor price (quoted_price, floor_price, margin, min_margin).
    * BD02 proposed price (quoted, else target) above the budget (price, budget, basis, excess).
    * BD03 withdraw recommended (reasons, detail, threshold, best_expected_profit if known).
    * BD04 per line: zero quantity or missing unit cost (problem, category, description); with
      no lines at all one BD04 with ``line_index=None`` and problem ``no_cost_lines``.
    """
    issues: list[BidIssue] = []
    if not model.cost_lines:
        issues.append(BidIssue("BD04", None, {"problem": "no_cost_lines"}))
    for i, ln in enumerate(model.cost_lines):
        base: dict[str, float | str] = {
            "category": ln.category.value,
            "description": ln.description,
        }
        if ln.quantity == 0:
            issues.append(BidIssue("BD04", i, {**base, "problem": "zero_quantity"}))
        if ln.unit_cost is None:
            issues.append(BidIssue("BD04", i, {**base, "problem": "missing_unit_cost"}))
    if result is None:
        return issues
    q, fl = result.quote, result.floor
    if q is not None and q.price < fl.price * (1.0 - _TOL):
        issues.append(
            BidIssue(
                "BD01",
                None,
                {
                    "quoted_price": q.price,
                    "floor_price": fl.price,
                    "margin": q.margin,
                    "min_margin": fl.margin,
                },
            )
        )
    fit = result.budget_fit
    if fit is not None and not fit.fits:
        issues.append(
            BidIssue(
                "BD02",
                None,
                {
                    "price": fit.price,
                    "budget": fit.budget,
                    "basis": fit.basis,
                    "excess": -fit.headroom,
                },
            )
        )
    w = result.withdraw
    if w.recommended:
        params: dict[str, float | str] = {
            "reasons": ",".join(w.reasons),
            "detail": w.detail,
            "threshold": w.threshold,
        }
        if w.best_expected_profit is not None:
            params["best_expected_profit"] = w.best_expected_profit
        issues.append(BidIssue("BD03", None, params))
    return issues
