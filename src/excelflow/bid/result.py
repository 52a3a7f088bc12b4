"""What the bid analysis returns: price points, budget fit, positions, optimum, withdraw advice.

Every float in a :class:`BidResult` is finite; :func:`excelflow.bid.doc.bid_to_dict` turns it into
JSON data. :class:`BidIssue` carries the BD01–BD04 conditions to the rule registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from excelflow.bid.competitors import WinModel
from excelflow.bid.model import CostCategory
from excelflow.pipeline.ruleset import Text

__all__ = [
    "ISSUE_TITLES",
    "WITHDRAW_REASONS",
    "BidIssue",
    "BidOptimum",
    "BidResult",
    "BudgetFit",
    "CategorySubtotal",
    "PricePoint",
    "PricePosition",
    "WithdrawAdvice",
]

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
    """Our price (the quote, else the recommended price) against one competitor's expected
    price.

    Attributes:
        name: The competitor.
        rank: The customer's ranking of them, if known.
        expected_price: Their expected price.
        basis: Where it comes from: ``stated``, ``ratio_mean`` (× our cost) or
            ``history_median`` (the markup at which the p_beat history crosses 0.5).
        difference: Our price (quoted, else recommended) − theirs.
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
