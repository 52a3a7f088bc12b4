"""Bid inputs for stage 4 (投标阶段): cost categories, cost lines, the bid model, margin vs markup.

Words used exactly (the domain asks to say which is which):

* total cost ``C`` = direct cost (Σ quantity × unit cost) + overhead (direct × ``overhead_pct``);
* gross **margin** of a price ``P`` = (P − C) / P; **markup** = (P − C) / C; they convert as
  ``margin = markup / (1 + markup)`` and ``markup = margin / (1 − margin)``;
* price at target margin = C / (1 − target_margin); **floor price** = C / (1 − min_margin).

Inputs are validated when the dataclasses are built; every problem raises :class:`BidError`
naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from excelflow.bid.checks import (
    BidError,
    check_finite,
    check_markup,
    check_positive,
    check_rank,
)
from excelflow.bid.competitors import Competitor, WinModel
from excelflow.bid.win import p_win_normal
from excelflow.pipeline.ruleset import Text

__all__ = [
    "CATEGORY_LABELS",
    "DEFAULT_MARKUPS",
    "BidModel",
    "CostCategory",
    "CostLine",
    "margin_of",
    "margin_to_markup",
    "markup_of",
    "markup_to_margin",
    "parse_category",
    "price_for_margin",
    "price_for_markup",
]

DEFAULT_MARKUPS: tuple[float, ...] = tuple(round(0.02 * i, 10) for i in range(26))  # 0 … 0.50


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
        customer: The customer's name (shown on the Bid sheet; not used in any formula).
        project: The project's name (shown on the Bid sheet; not used in any formula).
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
    customer: str | None = None
    project: str | None = None

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
