"""Bid cost, margin and price analysis for stage 4 (投标阶段): the pure model, no Excel.

Words used exactly (the domain asks to say which is which):

* total cost ``C`` = direct cost (Σ quantity × unit cost) + overhead (direct × ``overhead_pct``);
* gross **margin** of a price ``P`` = (P − C) / P; **markup** = (P − C) / C; they convert as
  ``margin = markup / (1 + markup)`` and ``markup = margin / (1 − margin)``;
* price at target margin = C / (1 − target_margin); **floor price** = C / (1 − min_margin);
* expected profit at a price = (P − C) × P(win).

P(win) comes from :mod:`excelflow.bid_win` (Friedman, Gates, or a normal model of the lowest
competing markup). Inputs are validated when the dataclasses are built; every problem raises
:class:`BidError` naming the field, and every float in a :class:`BidResult` is finite.
:func:`load_bid` reads the ``bid.schema.json`` document (``--json bid.json``) and
:func:`bid_issues` lists the BD01–BD04 conditions for the rule registry.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from excelflow.bid_win import (
    BidError,
    Competitor,
    WinModel,
    WinSetup,
    check_finite,
    check_markup,
    check_positive,
    check_rank,
    p_win_normal,
)
from excelflow.ruleset import Text, schema_errors

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
]

SCHEMA_NAME = "bid.schema.json"
DEFAULT_MARKUPS: tuple[float, ...] = tuple(round(0.02 * i, 10) for i in range(26))  # 0 … 0.50
_TOL = 1e-12


class CostCategory(StrEnum):
    """Cost-line categories, in the order reports list them."""

    EQUIPMENT = "equipment"
    SOFTWARE = "software"
    ENGINEERING = "engineering_installation"
    SERVICES = "services"
    LOGISTICS = "logistics"
    FINANCING = "financing"
    CONTINGENCY = "contingency"
    OTHER = "other"


CATEGORY_LABELS: Mapping[CostCategory, Text] = {
    CostCategory.EQUIPMENT: Text("设备", "Equipment"),
    CostCategory.SOFTWARE: Text("软件", "Software"),
    CostCategory.ENGINEERING: Text("工程安装", "Engineering & installation"),
    CostCategory.SERVICES: Text("服务", "Services"),
    CostCategory.LOGISTICS: Text("物流", "Logistics"),
    CostCategory.FINANCING: Text("财务费用", "Financing"),
    CostCategory.CONTINGENCY: Text("不可预见费", "Contingency"),
    CostCategory.OTHER: Text("其他", "Other"),
}
_CATEGORY_ALIASES: Mapping[CostCategory, tuple[str, ...]] = {
    CostCategory.EQUIPMENT: ("设备/产品", "产品", "硬件", "products", "hardware"),
    CostCategory.ENGINEERING: ("工程", "安装", "工程及安装", "engineering", "installation"),
    CostCategory.LOGISTICS: ("运输", "transport", "freight"),
    CostCategory.FINANCING: ("财务", "资金成本", "finance"),
    CostCategory.CONTINGENCY: ("风险准备金", "预备费", "risk"),
    CostCategory.OTHER: ("其它",),
}
WITHDRAW_REASONS: Mapping[str, Text] = {
    "criteria_unfavourable": Text("采购标准对我方不利", "Purchasing criteria are against us"),
    "low_expected_profit": Text(
        "最佳期望利润不高于放弃阈值", "Best expected profit is at or below the withdraw threshold"
    ),
}
ISSUE_TITLES: Mapping[str, Text] = {
    "BD01": Text("报价低于最低毛利", "Quoted price below the floor margin"),
    "BD02": Text("价格超出客户预算", "Price above the customer budget"),
    "BD03": Text("建议放弃投标", "Withdrawing is recommended"),
    "BD04": Text("成本明细不完整", "Cost lines incomplete"),
}


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-&/·、]+|\band\b", "", text.casefold())


_CATEGORY_LOOKUP: dict[str, CostCategory] = {
    _fold(name): cat
    for cat in CostCategory
    for name in (
        cat.value,
        CATEGORY_LABELS[cat].zh,
        CATEGORY_LABELS[cat].en,
        *_CATEGORY_ALIASES.get(cat, ()),
    )
}


def parse_category(value: str) -> CostCategory:
    """Return the category named by a key, English or Chinese label, or a common alias.

    Matching ignores case, spaces, ``_ - & /`` and the word "and": ``"Engineering and
    installation"``, ``"工程安装"`` and ``"engineering_installation"`` all work.

    Raises:
        BidError: the text names no category (path ``category``).
    """
    found = _CATEGORY_LOOKUP.get(_fold(str(value)))
    if found is None:
        keys = ", ".join(c.value for c in CostCategory)
        raise BidError("category", f"unknown category {value!r} (use one of {keys})")
    return found


# --------------------------------------------------------------------------- margin and markup


def _below_one(value: float, path: str) -> float:
    x = check_finite(value, path)
    if x >= 1.0:
        raise BidError(
            path, f"margin {x:g} must be below 1 (a 100 % margin needs an infinite price)"
        )
    return x


def margin_of(price: float, cost: float) -> float:
    """Gross margin (P − C) / P of ``price`` over ``cost``; negative when selling at a loss."""
    p = check_positive(price, "price")
    return (p - check_finite(cost, "cost")) / p


def markup_of(price: float, cost: float) -> float:
    """Markup (P − C) / C of ``price`` over ``cost`` (cost must be > 0)."""
    c = check_positive(cost, "cost")
    return (check_finite(price, "price") - c) / c


def price_for_margin(cost: float, margin: float) -> float:
    """Price giving gross ``margin`` on ``cost``: C / (1 − margin); margin must be < 1."""
    return check_finite(cost, "cost") / (1.0 - _below_one(margin, "margin"))


def price_for_markup(cost: float, markup: float) -> float:
    """Price giving ``markup`` on ``cost``: C × (1 + markup); markup must be > −1."""
    return check_finite(cost, "cost") * (1.0 + check_markup(markup, "markup"))


def margin_to_markup(margin: float) -> float:
    """Markup equivalent to a gross margin: g / (1 − g), for g < 1."""
    g = _below_one(margin, "margin")
    return g / (1.0 - g)


def markup_to_margin(markup: float) -> float:
    """Gross margin equivalent to a markup: m / (1 + m), for m > −1."""
    m = check_markup(markup, "markup")
    return m / (1.0 + m)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CostLine:
    """One cost line; ``unit_cost=None`` means not yet priced (reported as BD04, counted as 0)."""

    category: CostCategory
    description: str
    quantity: float
    unit_cost: float | None
    supplier: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", parse_category(self.category))
        for name in ("quantity", "unit_cost"):
            value = getattr(self, name)
            if value is not None and check_finite(value, name) < 0.0:
                raise BidError(name, f"{value:g} is negative")
            object.__setattr__(self, name, None if value is None else float(value))

    @property
    def amount(self) -> float:
        """Quantity × unit cost (0 while the unit cost is missing)."""
        return 0.0 if self.unit_cost is None else self.quantity * self.unit_cost


@dataclass(frozen=True, kw_only=True)
class BidModel:
    """Everything needed to price one bid. Margins are fractions (0.25 = 25 %).

    Attributes:
        deal_id: The deal this bid belongs to.
        cost_lines: The cost build-up.
        target_margin: Gross margin we aim for (< 1).
        min_margin: Floor gross margin (< 1, may be negative to allow a planned loss).
        currency: ISO code of every amount.
        overhead_pct: Overhead as a fraction of direct cost.
        budget: The customer's budget, if known.
        competitors: Competitors, with their win data if any.
        criteria_favourable: Whether the purchasing criteria (milestone 3) favour us; None unknown.
        quoted_price: The price we intend to quote (or quoted), if any.
        markups: Markup grid for the sensitivity table and the grid optimum.
        withdraw_threshold: Withdraw when the best expected profit is at or below this amount.
        withdraw_requires_both: Withdraw only when criteria are against us *and* profit is low
            (DOMAIN.md wording) instead of either one (the default, the issue's wording).
        lowest_bid_mean: μ of the lowest competing markup (normal model), with ``lowest_bid_sd``.
        lowest_bid_sd: σ >= 0 of the lowest competing markup.
        win_model: The model that drives the optimum; None picks normal, then Gates, then none.
        our_rank: The customer's ranking of us among the suppliers (1 = favourite), if known.
    """

    deal_id: str
    cost_lines: tuple[CostLine, ...]
    target_margin: float
    min_margin: float = 0.0
    currency: str = "CNY"
    overhead_pct: float = 0.0
    budget: float | None = None
    competitors: tuple[Competitor, ...] = ()
    criteria_favourable: bool | None = None
    quoted_price: float | None = None
    markups: tuple[float, ...] = DEFAULT_MARKUPS
    withdraw_threshold: float = 0.0
    withdraw_requires_both: bool = False
    lowest_bid_mean: float | None = None
    lowest_bid_sd: float | None = None
    win_model: WinModel | None = None
    our_rank: int | None = None

    def __post_init__(self) -> None:
        for name in ("cost_lines", "competitors", "markups"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in _FLOAT_FIELDS:  # ints from JSON become floats; the checks below reject junk
            value = getattr(self, name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        if not str(self.deal_id).strip():
            raise BidError("deal_id", "must not be empty")
        for i, line in enumerate(self.cost_lines):
            if not isinstance(line, CostLine):
                raise BidError(f"cost_lines[{i}]", "is not a CostLine")
        if check_finite(self.overhead_pct, "overhead_pct") < 0.0:
            raise BidError("overhead_pct", f"{self.overhead_pct:g} is negative")
        target = _below_one(self.target_margin, "target_margin")
        floor = _below_one(self.min_margin, "min_margin")
        if target < floor:
            raise BidError("target_margin", f"{target:g} is below min_margin {floor:g}")
        for name in ("budget", "quoted_price"):
            if getattr(self, name) is not None:
                check_positive(getattr(self, name), name)
        if not self.markups:
            raise BidError("markups", "needs at least one markup")
        for i, m in enumerate(self.markups):
            check_markup(m, f"markups[{i}]")
        check_finite(self.withdraw_threshold, "withdraw_threshold")
        if (self.lowest_bid_mean is None) != (self.lowest_bid_sd is None):
            raise BidError("lowest_bid_sd", "lowest_bid_mean and lowest_bid_sd go together")
        if self.lowest_bid_mean is not None and self.lowest_bid_sd is not None:
            p_win_normal(0.0, self.lowest_bid_mean, self.lowest_bid_sd)  # validates both
        if self.win_model not in (None, "friedman", "gates", "normal"):
            raise BidError("win_model", f"{self.win_model!r} is not friedman, gates or normal")
        check_rank(self.our_rank, "our_rank")
        seen: dict[str, int] = {}
        for i, comp in enumerate(self.competitors):
            if not isinstance(comp, Competitor):
                raise BidError(f"competitors[{i}]", "is not a Competitor")
            key = comp.name.strip().casefold()
            if key in seen:
                raise BidError(
                    f"competitors[{i}].name", f"{comp.name!r} repeats competitors[{seen[key]}]"
                )
            seen[key] = i


_FLOAT_FIELDS = (
    "target_margin", "min_margin", "overhead_pct", "budget", "quoted_price",
    "withdraw_threshold", "lowest_bid_mean", "lowest_bid_sd",
)  # fmt: skip


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CategorySubtotal:
    """Direct cost of one category and its share of the direct cost."""

    category: CostCategory
    amount: float
    share: float


@dataclass(frozen=True)
class PricePoint:
    """A price with its markup, margin and P(win) under each available model.

    Attributes:
        price: The price.
        markup: (price − cost) / cost.
        margin: Gross margin (price − cost) / price.
        margin_amount: price − cost.
        p_win_friedman: P(win) under Friedman, if computable.
        p_win_gates: P(win) under Gates, if computable.
        p_win_normal: P(win) under the normal lowest-bid model, if computable.
        p_win: P(win) under the selected model (None without one).
        expected_profit: margin_amount × p_win (None without a model).
        below_floor: The markup is below the floor markup.
        extrapolated: Outside some competitor's p_beat history (their P(beat) was clamped).
    """

    price: float
    markup: float
    margin: float
    margin_amount: float
    p_win_friedman: float | None = None
    p_win_gates: float | None = None
    p_win_normal: float | None = None
    p_win: float | None = None
    expected_profit: float | None = None
    below_floor: bool = False
    extrapolated: bool = False


@dataclass(frozen=True)
class BudgetFit:
    """How the proposed price compares with the customer's budget.

    Attributes:
        budget: The customer's budget.
        price: The proposed price: the quoted price, else the price at target margin.
        basis: ``"quoted"`` or ``"target"``.
        headroom: budget − price (negative when over budget).
        fits: price <= budget.
        margin_at_budget: The gross margin if we priced exactly at the budget.
        target_fits: The price at target margin fits the budget.
        floor_fits: The floor price fits the budget (if not, no acceptable price fits).
    """

    budget: float
    price: float
    basis: Literal["quoted", "target"]
    headroom: float
    fits: bool
    margin_at_budget: float
    target_fits: bool
    floor_fits: bool


@dataclass(frozen=True)
class PricePosition:
    """Our proposed price against one competitor's expected price.

    Attributes:
        name: The competitor.
        rank: The customer's ranking of them, if known.
        expected_price: Their expected price.
        basis: Where it comes from: ``stated``, ``ratio_mean`` (× our cost) or
            ``history_median`` (the markup at which the p_beat history crosses 0.5).
        difference: Our price − theirs.
        difference_pct: difference / their price.
        position: ``below``, ``equal`` or ``above`` (our price relative to theirs).
    """

    name: str
    rank: int | None
    expected_price: float
    basis: str
    difference: float
    difference_pct: float
    position: str


@dataclass(frozen=True)
class BidOptimum:
    """The expected-profit-maximizing price under ``model``, never below the floor."""

    model: WinModel
    point: PricePoint
    exact: bool
    floor_binding: bool
    extrapolated: bool


@dataclass(frozen=True)
class WithdrawAdvice:
    """Whether to withdraw, why (codes of :data:`WITHDRAW_REASONS`), in a sentence."""

    recommended: bool
    reasons: tuple[str, ...]
    detail: str
    best_expected_profit: float | None
    threshold: float


@dataclass(frozen=True)
class BidResult:
    """Everything :func:`analyze_bid` computes; every float is finite.

    Attributes:
        deal_id: From the model.
        currency: From the model.
        direct_cost: Σ quantity × unit cost.
        overhead: direct_cost × overhead_pct.
        total_cost: direct_cost + overhead (the ``C`` of every margin and markup).
        line_amounts: quantity × unit cost per cost line (0 when the unit cost is missing).
        subtotals: Direct cost per category, every category in :class:`CostCategory` order.
        target: The price at target margin.
        floor: The floor price (at the minimum margin).
        quote: The quoted price, if any.
        budget_fit: Against the budget, if one is given.
        positions: Against each competitor whose price can be estimated.
        our_position: 1 + the number of competitors expected to be cheaper than us.
        win_models: The win-probability models that could be computed.
        win_model: The one that drives ``optimum`` (None: no model).
        sensitivity: One price point per markup of the grid (see :func:`analyze_bid`).
        optimum: The expected-profit-maximizing price, never below the floor.
        recommended_price: ``optimum`` price, else the price at target margin.
        withdraw: The withdraw advice.
        notes: Plain-English remarks (skipped models, missing inputs).
    """

    deal_id: str
    currency: str
    direct_cost: float
    overhead: float
    total_cost: float
    line_amounts: tuple[float, ...]
    subtotals: tuple[CategorySubtotal, ...]
    target: PricePoint
    floor: PricePoint
    quote: PricePoint | None
    budget_fit: BudgetFit | None
    positions: tuple[PricePosition, ...]
    our_position: int | None
    win_models: tuple[WinModel, ...]
    win_model: WinModel | None
    sensitivity: tuple[PricePoint, ...]
    optimum: BidOptimum | None
    recommended_price: float
    withdraw: WithdrawAdvice
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BidIssue:
    """A BD finding for the rule registry: its code, cost line (0-based) and message params."""

    code: str
    line_index: int | None
    params: Mapping[str, float | str] = field(default_factory=dict, hash=False)


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
    positions = _positions(model, cost, proposed.price)
    grid = sorted({*map(float, model.markups), *ctx.win.history_markups(), ctx.floor_markup})
    best = ctx.win.optimum(grid, ctx.floor_markup)
    optimum = None
    if best is not None and (sel := ctx.selected) is not None:
        optimum = BidOptimum(
            sel, ctx.point(best.markup), best.exact, best.floor_binding, best.extrapolated
        )
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
        recommended_price=target.price if optimum is None else optimum.point.price,
        withdraw=_withdraw(model, optimum),
        notes=tuple(notes),
    )


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


# --------------------------------------------------------------------------- JSON in and out


def _nested(prefix: str, factory: Any, **kwargs: Any) -> Any:
    try:
        return factory(**kwargs)
    except BidError as exc:
        raise exc.under(prefix) from None


def load_bid(data: Mapping[str, Any] | str | PathLike[str]) -> BidModel:
    """Build a :class:`BidModel` from a ``bid.schema.json`` document or a path to one.

    Raises:
        BidError: unreadable file, invalid JSON, a schema violation or an invalid value; the
            message names the JSON path (``cost_lines[2].unit_cost: ...``) and ``errors`` lists
            every schema problem.
    """
    if isinstance(data, Mapping):
        doc: Any = data
    else:
        path = Path(data)
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise BidError(str(path), f"cannot read file: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BidError(str(path), f"not valid UTF-8 JSON: {exc}") from None
    errors = schema_errors(doc, SCHEMA_NAME)
    if errors:
        where, _, problem = errors[0].partition(": ")
        raise BidError(where, problem, errors)
    lines = tuple(
        _nested(
            f"cost_lines[{i}]",
            CostLine,
            category=d["category"],
            description=d.get("description", ""),
            quantity=d["quantity"],
            unit_cost=d.get("unit_cost"),
            supplier=d.get("supplier"),
        )
        for i, d in enumerate(doc["cost_lines"])
    )
    comps = tuple(
        _nested(
            f"competitors[{i}]",
            Competitor,
            name=d["name"],
            rank=d.get("rank"),
            p_beat=None
            if d.get("p_beat") is None
            else tuple((pt["markup"], pt["probability"]) for pt in d["p_beat"]),
            ratio_mean=d.get("ratio_mean"),
            ratio_sd=d.get("ratio_sd"),
            expected_price=d.get("expected_price"),
        )
        for i, d in enumerate(doc.get("competitors", []))
    )
    simple = {k: v for k, v in doc.items() if k in _SIMPLE_KEYS and v is not None}
    return BidModel(cost_lines=lines, competitors=comps, **simple)


_SIMPLE_KEYS = frozenset(f.name for f in fields(BidModel)) - {"cost_lines", "competitors"}


def _plain(x: Any, path: str = "") -> Any:
    """Dataclasses, enums and tuples to JSON data; a non-finite float raises (never NaN)."""
    if hasattr(x, "__dataclass_fields__"):
        return {k: _plain(getattr(x, k), f"{path}.{k}") for k in x.__dataclass_fields__}
    if isinstance(x, StrEnum):
        return x.value
    if isinstance(x, Mapping):
        return {str(k): _plain(v, f"{path}.{k}") for k, v in x.items()}
    if isinstance(x, tuple | list):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, float) and not math.isfinite(x):
        raise BidError(path.lstrip("."), f"internal error: {x} in the result")
    return x


def model_to_dict(model: BidModel) -> dict[str, Any]:
    """The ``bid.schema.json`` document for ``model`` (None values left out); inverse of load."""
    doc: dict[str, Any] = _plain(model)
    for comp in doc["competitors"]:
        if comp["p_beat"] is not None:
            comp["p_beat"] = [{"markup": m, "probability": p} for m, p in comp["p_beat"]]
    for part in (doc, *doc["cost_lines"], *doc["competitors"]):
        for key in [k for k, v in part.items() if v is None]:
            del part[key]
    return doc


def bid_to_dict(result: BidResult) -> dict[str, Any]:
    """``result`` as plain JSON data (lists, dicts, str, finite floats, bool, None).

    Raises:
        BidError: a non-finite number slipped into the result (a bug; never silently NaN).
    """
    out: dict[str, Any] = _plain(result)
    return out
