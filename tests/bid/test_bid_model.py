"""The bid model end to end: cost build-up, prices, P(win), optimum, withdraw, BD findings."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest

from excelflow.bid.analysis import analyze_bid, bid_issues, price_point, win_table
from excelflow.bid.checks import BidError
from excelflow.bid.competitors import Competitor
from excelflow.bid.doc import bid_to_dict
from excelflow.bid.model import (
    CATEGORY_LABELS,
    DEFAULT_MARKUPS,
    BidModel,
    CostCategory,
    CostLine,
    parse_category,
)
from excelflow.bid.result import ISSUE_TITLES, WITHDRAW_REASONS
from excelflow.bid.win import p_win_gates, p_win_normal

LINES = (
    CostLine(CostCategory.EQUIPMENT, "Servers", 2, 1000.0, supplier="Dell"),
    CostLine(CostCategory.SERVICES, "Training days", 3, 500.0),
    CostLine(CostCategory.LOGISTICS, "Freight", 1, 250.0),
)


def model(**changes: Any) -> BidModel:
    """Direct cost 2×1000 + 3×500 + 250 = 3750; overhead 8 % = 300; total cost 4050."""
    base = BidModel(
        deal_id="D-001", cost_lines=LINES, target_margin=0.25, min_margin=0.10, overhead_pct=0.08
    )
    return replace(base, **changes)


def four_competitors() -> tuple[Competitor, ...]:
    """The Scribd Gates example (see test_bid_math): P(beat) at 3/5/7 % for A–D."""
    table = {
        "A": (0.75, 0.68, 0.60),
        "B": (0.82, 0.75, 0.68),
        "C": (0.67, 0.60, 0.54),
        "D": (0.88, 0.80, 0.72),
    }
    return tuple(
        Competitor(name, rank=i + 1, p_beat=tuple(zip((0.03, 0.05, 0.07), ps, strict=True)))
        for i, (name, ps) in enumerate(table.items())
    )


def all_floats(data: Any) -> list[float]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in all_floats(v)]
    if isinstance(data, list):
        return [x for v in data for x in all_floats(v)]
    return [data] if isinstance(data, float) else []


# --------------------------------------------------------------------------- cost and prices


def test_cost_build_up_by_hand() -> None:
    """Σ q × unit cost, subtotals per category in category order, overhead on direct cost."""
    r = analyze_bid(model())
    assert r.line_amounts == (2000.0, 1500.0, 250.0)
    assert r.direct_cost == 3750.0
    assert r.overhead == pytest.approx(300.0)
    assert r.total_cost == pytest.approx(4050.0)
    subtotals = {s.category: (s.amount, s.share) for s in r.subtotals}
    assert [s.category for s in r.subtotals] == list(CostCategory)
    assert subtotals[CostCategory.EQUIPMENT][0] == 2000.0
    assert subtotals[CostCategory.EQUIPMENT][1] == pytest.approx(2000 / 3750)
    assert subtotals[CostCategory.SOFTWARE] == (0.0, 0.0)


def test_target_floor_and_quote_prices() -> None:
    """C = 4050: target 25 % -> 5400 (markup 1/3); floor 10 % -> 4500; a quote of 4455 is a
    10 % markup but only a 9.09 % margin — below the 10 % floor margin."""
    r = analyze_bid(model(quoted_price=4455.0))
    assert r.target.price == pytest.approx(5400.0)
    assert r.target.markup == pytest.approx(1 / 3)
    assert r.target.margin == pytest.approx(0.25)
    assert r.floor.price == pytest.approx(4500.0)
    assert r.floor.margin == pytest.approx(0.10)
    assert r.quote is not None
    assert r.quote.price == 4455.0
    assert r.quote.markup == pytest.approx(0.10)
    assert r.quote.margin == pytest.approx(405 / 4455)
    assert r.quote.below_floor
    assert r.recommended_price == pytest.approx(5400.0)  # no win model: the target price


def test_negative_margin_is_a_defined_result() -> None:
    """Quoting below cost is allowed (a planned loss): negative margin, markup and profit."""
    r = analyze_bid(model(quoted_price=3645.0, min_margin=-0.2))
    assert r.quote is not None
    assert r.quote.markup == pytest.approx(-0.10)
    assert r.quote.margin == pytest.approx(-405 / 3645)
    assert r.quote.margin_amount == pytest.approx(-405.0)
    assert r.floor.price == pytest.approx(4050 / 1.2)


def test_price_point_for_any_price() -> None:
    """What-if at one price, with P(win) from the normal model (μ = 0.2, σ = 0.1)."""
    m = model(lowest_bid_mean=0.2, lowest_bid_sd=0.1)
    pp = price_point(m, 4860.0)  # markup 20 %: a coin toss
    assert pp.markup == pytest.approx(0.2)
    assert pp.margin == pytest.approx(810 / 4860)
    assert pp.p_win == pytest.approx(0.5)
    assert pp.expected_profit == pytest.approx(405.0)
    with pytest.raises(BidError, match=r"^price: -1 must be greater than 0"):
        price_point(m, -1.0)


def test_budget_fit() -> None:
    """Budget 5000: the target price 5400 is 400 over; at the budget the margin is 19 %."""
    fit = analyze_bid(model(budget=5000.0)).budget_fit
    assert fit is not None
    assert (fit.basis, fit.fits) == ("target", False)
    assert fit.price == pytest.approx(5400.0)
    assert fit.headroom == pytest.approx(-400.0)
    assert fit.margin_at_budget == pytest.approx(950 / 5000)
    assert (fit.target_fits, fit.floor_fits) == (False, True)
    quoted = analyze_bid(model(budget=5000.0, quoted_price=4800.0)).budget_fit
    assert quoted is not None
    assert (quoted.basis, quoted.fits, quoted.headroom) == ("quoted", True, 200.0)


def test_price_position_against_competitors() -> None:
    """Stated price, ratio mean × cost, and the history's median markup give their prices."""
    comps = (
        Competitor("Stated", rank=2, expected_price=5000.0),
        Competitor("Ratio", rank=1, ratio_mean=1.5, ratio_sd=0.1),  # 1.5 × 4050 = 6075
        Competitor("History", p_beat=((0.1, 0.7), (0.3, 0.3))),  # 0.5 at 20 % -> 4860
        Competitor("Unknown"),
    )
    r = analyze_bid(model(competitors=comps))
    pos = {p.name: p for p in r.positions}
    assert set(pos) == {"Stated", "Ratio", "History"}
    assert pos["Stated"].difference == pytest.approx(400.0)
    assert pos["Stated"].position == "above"
    assert pos["Ratio"].expected_price == pytest.approx(6075.0)
    assert (pos["Ratio"].basis, pos["Ratio"].position, pos["Ratio"].rank) == (
        "ratio_mean",
        "below",
        1,
    )
    assert pos["History"].expected_price == pytest.approx(4860.0)
    assert pos["History"].basis == "history_median"
    assert r.our_position == 3  # "Stated" and "History" are cheaper than our 5400
    assert r.win_models == ()
    assert any("competitors[3]" in n for n in r.notes)  # "Unknown" blocks Friedman and Gates


def test_history_median_is_a_markup_even_beside_an_expected_price() -> None:
    """Issue 12: with both an expected price and a P(beat) history, the history median was the
    expected price − 1 (win_table asked implied_price(1.0), which returns the stated price)."""
    both = Competitor("Both", expected_price=1_250_000.0, p_beat=((0.2, 0.7), (0.4, 0.3)))
    history = Competitor("History", p_beat=((0.1, 0.5), (0.3, 0.2)))
    none = Competitor("None", expected_price=5000.0)
    table = win_table(model(competitors=(both, history, none)))
    assert table.history_medians[0] == pytest.approx(0.3)
    assert table.history_medians[1:] == (0.1, None)
    assert both.implied_price(4050.0) == (1_250_000.0, "stated")
    cleared = replace(both, expected_price=None)
    assert cleared.implied_price(4050.0) == (pytest.approx(4050.0 * 1.3), "history_median")


def test_price_position_compares_the_recommended_price_not_the_target() -> None:
    """Issue 12: without a quote, our position is that of the recommended price. The normal
    model recommends about 12 % markup (≈ 4540), below the competitor's 4860 and far below the
    price at target margin (5400): we are the cheapest."""
    comp = (Competitor("Rival", rank=1, expected_price=4860.0),)
    m = model(competitors=comp, lowest_bid_mean=0.1, lowest_bid_sd=0.05)
    r = analyze_bid(m)
    assert r.optimum is not None and r.recommended_price < 4860.0 < r.target.price
    (pos,) = r.positions
    assert pos.position == "below"
    assert pos.difference == pytest.approx(r.recommended_price - 4860.0)
    assert r.our_position == 1
    quoted = analyze_bid(replace(m, quoted_price=5000.0))  # a quote is what we bid
    assert (quoted.positions[0].position, quoted.our_position) == ("above", 2)


# --------------------------------------------------------------------------- win models


def test_gates_example_through_the_model() -> None:
    """The published Gates example via the model: cost 1,000,000, grid 3/5/7 %, no floor.

    The best trusted grid markup is 7 % with expected profit 0.02072 × cost (see
    test_bid_math); markup 0 (the floor, added to the grid) lies outside the history and is
    marked extrapolated, so it is not preferred.
    """
    job = CostLine(CostCategory.OTHER, "job", 1, 1_000_000.0)
    m = BidModel(
        deal_id="G", cost_lines=(job,), target_margin=0.05, competitors=four_competitors(),
        markups=(0.03, 0.05, 0.07),
    )  # fmt: skip
    r = analyze_bid(m)
    assert r.win_models == ("friedman", "gates")
    assert r.win_model == "gates"
    assert [row.markup for row in r.sensitivity] == [0.0, 0.03, 0.05, 0.07]
    assert [row.extrapolated for row in r.sensitivity] == [True, False, False, False]
    assert r.optimum is not None
    assert r.optimum.point.markup == 0.07
    assert round(r.optimum.point.expected_profit or 0.0) == 20722
    assert not r.optimum.exact
    assert r.recommended_price == pytest.approx(1_070_000.0)
    friedman = analyze_bid(replace(m, win_model="friedman")).optimum
    assert friedman is not None
    assert friedman.point.markup == 0.05


def test_default_grid_includes_history_and_floor_markups() -> None:
    """Grid = 0, 0.02 … 0.50 ∪ history markups ∪ floor markup (1/9 for a 10 % floor margin)."""
    r = analyze_bid(model(competitors=four_competitors()))
    grid = [row.markup for row in r.sensitivity]
    assert grid == pytest.approx(sorted({*DEFAULT_MARKUPS, 0.03, 0.05, 0.07, 1 / 9}))
    assert all(row.below_floor == (row.markup < 1 / 9 - 1e-12) for row in r.sensitivity)
    # every point >= floor is outside the 3–7 % history: the optimum is extrapolated at the floor
    assert r.optimum is not None
    assert r.optimum.extrapolated
    assert r.optimum.floor_binding
    assert r.optimum.point.markup == pytest.approx(1 / 9)


def test_one_competitor_friedman_equals_gates() -> None:
    r = analyze_bid(model(competitors=(Competitor("Solo", ratio_mean=1.2, ratio_sd=0.1),)))
    for row in r.sensitivity:
        assert row.p_win_friedman == pytest.approx(row.p_win_gates)


def test_normal_model_optimum_is_exact_and_respects_the_floor() -> None:
    """μ = 0.6, σ = 0.3: m* = 0.50049 (the scaled textbook case) unless the floor is higher."""
    r = analyze_bid(model(lowest_bid_mean=0.6, lowest_bid_sd=0.3, target_margin=0.3))
    assert r.win_model == "normal"
    assert r.optimum is not None
    assert r.optimum.exact
    assert r.optimum.point.markup == pytest.approx(0.500_494, abs=1e-6)
    assert r.optimum.point.expected_profit == pytest.approx(4050 * 0.315_280, rel=1e-5)
    floored = analyze_bid(model(lowest_bid_mean=0.6, lowest_bid_sd=0.3, min_margin=0.4,
                                target_margin=0.5)).optimum  # fmt: skip
    assert floored is not None
    assert floored.floor_binding
    assert floored.point.markup == pytest.approx(0.4 / 0.6)


def test_sigma_zero_through_the_model() -> None:
    r = analyze_bid(model(lowest_bid_mean=0.3, lowest_bid_sd=0.0))
    assert r.optimum is not None
    assert r.optimum.point.markup == pytest.approx(0.3)
    assert r.optimum.point.p_win == 1.0
    assert {row.p_win for row in r.sensitivity} == {0.0, 1.0}


def test_p_beat_of_zero_and_one_through_the_model() -> None:
    """A competitor we never beat zeroes P(win) in both models; one we always beat is neutral."""
    never = Competitor("Never", p_beat=((0.0, 0.0), (0.5, 0.0)))
    always = Competitor("Always", p_beat=((0.0, 1.0), (0.5, 1.0)))
    other = Competitor("Other", ratio_mean=1.2, ratio_sd=0.1)
    r = analyze_bid(model(competitors=(never, other)))
    assert {(row.p_win_friedman, row.p_win_gates) for row in r.sensitivity} == {(0.0, 0.0)}
    assert r.optimum is not None
    assert r.optimum.point.expected_profit == 0.0
    r2 = analyze_bid(model(competitors=(always, other)))
    for row in r2.sensitivity:
        assert row.p_win_gates == pytest.approx(other.p_beat_at(row.markup))


def test_explicit_model_must_be_available() -> None:
    with pytest.raises(
        BidError, match=r"^win_model: 'normal' needs lowest_bid_mean and lowest_bid_sd"
    ):
        analyze_bid(model(win_model="normal"))
    with pytest.raises(BidError, match=r"^win_model: 'gates' needs at least one competitor"):
        analyze_bid(model(win_model="gates"))
    lacking = (Competitor("A", ratio_mean=1.1, ratio_sd=0.1), Competitor("B", expected_price=9.0))
    with pytest.raises(BidError, match=r"competitors\[1\] \('B'\) has no p_beat or ratio"):
        analyze_bid(model(win_model="friedman", competitors=lacking))


# --------------------------------------------------------------------------- withdraw


@pytest.mark.parametrize(
    ("criteria", "threshold", "both", "recommended", "reasons"),
    [
        (False, 0.0, False, True, ("criteria_unfavourable",)),
        (True, 10_000.0, False, True, ("low_expected_profit",)),
        (False, 10_000.0, False, True, ("criteria_unfavourable", "low_expected_profit")),
        (True, 0.0, False, False, ()),
        (None, 0.0, False, False, ()),
        (False, 0.0, True, False, ()),  # DOMAIN.md wording: both conditions needed
        (False, 10_000.0, True, True, ("criteria_unfavourable", "low_expected_profit")),
    ],
)
def test_withdraw_advice(
    criteria: bool | None, threshold: float, both: bool, recommended: bool, reasons: tuple[str, ...]
) -> None:
    """Best expected profit here: 4050 × 0.31528 ≈ 1277 (normal model μ = 0.6, σ = 0.3)."""
    m = model(lowest_bid_mean=0.6, lowest_bid_sd=0.3, target_margin=0.3,
              criteria_favourable=criteria, withdraw_threshold=threshold,
              withdraw_requires_both=both)  # fmt: skip
    w = analyze_bid(m).withdraw
    assert (w.recommended, w.reasons) == (recommended, reasons)
    assert w.detail.startswith("Withdraw:" if recommended else "Bid:")
    assert w.best_expected_profit == pytest.approx(1276.88, abs=0.01)
    assert set(w.reasons) <= set(WITHDRAW_REASONS)


def test_withdraw_without_a_win_model() -> None:
    w = analyze_bid(model(criteria_favourable=False)).withdraw
    assert w.recommended
    assert w.best_expected_profit is None
    assert "expected profit is unknown" in w.detail


# --------------------------------------------------------------------------- findings


def test_bd_issues() -> None:
    """BD01 quote under the floor, BD02 over budget, BD03 withdraw, BD04 per incomplete line."""
    zero = CostLine(CostCategory.SOFTWARE, "Licences", 0, 100.0)
    lines = (*LINES, zero, CostLine(CostCategory.OTHER, "TBD", 2, None))
    m = model(cost_lines=lines, quoted_price=4400.0, budget=4000.0, criteria_favourable=False)
    r = analyze_bid(m)
    got = [(i.code, i.line_index, i.params.get("problem")) for i in bid_issues(m, r)]
    assert got == [
        ("BD04", 3, "zero_quantity"),
        ("BD04", 4, "missing_unit_cost"),
        ("BD01", None, None),
        ("BD02", None, None),
        ("BD03", None, None),
    ]
    by_code = {i.code: i.params for i in bid_issues(m, r)}
    assert by_code["BD01"]["floor_price"] == pytest.approx(4500.0)
    assert by_code["BD01"]["min_margin"] == pytest.approx(0.10)
    assert by_code["BD02"] == {
        "price": 4400.0,
        "budget": 4000.0,
        "basis": "quoted",
        "excess": 400.0,
    }
    assert by_code["BD03"]["reasons"] == "criteria_unfavourable"
    assert set(ISSUE_TITLES) == {"BD01", "BD02", "BD03", "BD04"}


def test_clean_model_has_no_issues_and_bd04_works_without_a_result() -> None:
    m = model(quoted_price=5400.0, budget=6000.0, criteria_favourable=True)
    assert bid_issues(m, analyze_bid(m)) == []
    unpriced = model(cost_lines=(CostLine(CostCategory.EQUIPMENT, "Router", 1, None),))
    with pytest.raises(BidError, match=r"^cost_lines: total cost is 0"):
        analyze_bid(unpriced)
    assert [(i.code, i.line_index) for i in bid_issues(unpriced)] == [("BD04", 0)]
    empty = model(cost_lines=())
    assert [i.params["problem"] for i in bid_issues(empty)] == ["no_cost_lines"]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CostLine(CostCategory.EQUIPMENT, "x", -1, 10.0), "quantity: -1 is negative"),
        (lambda: CostLine(CostCategory.EQUIPMENT, "x", 1, -10.0), "unit_cost: -10 is negative"),
        (
            lambda: CostLine(CostCategory.EQUIPMENT, "x", math.nan, 1.0),
            "quantity: nan is not a finite number",
        ),
        (
            lambda: CostLine("furniture", "x", 1, 1.0),  # type: ignore[arg-type]
            "category: unknown category 'furniture'",
        ),
        (
            lambda: Competitor("A", p_beat=((0.03, 0.5), (0.05, 1.2))),
            r"p_beat\[1\]: probability 1.2 is outside 0..1",
        ),
        (
            lambda: Competitor("A", p_beat=((0.05, 0.5), (0.05, 0.4))),
            r"p_beat\[1\].markup: markup 0.05 appears twice",
        ),
        (lambda: Competitor("A", p_beat=()), "p_beat: needs at least one"),
        (lambda: Competitor("A", ratio_mean=1.1), "ratio_sd: ratio_mean and ratio_sd go together"),
        (lambda: Competitor("A", ratio_mean=1.1, ratio_sd=-0.1), "ratio_sd: standard deviation"),
        (
            lambda: Competitor("A", p_beat=((0.1, 0.5),), ratio_mean=1.1, ratio_sd=0.1),
            "p_beat: give either p_beat or ratio_mean/ratio_sd, not both",
        ),
        (lambda: Competitor(" "), "name: must not be empty"),
        (lambda: Competitor("A", rank=0), "rank: 0 must be a whole number >= 1"),
        (lambda: model(target_margin=1.0), "target_margin: margin 1 must be below 1"),
        (lambda: model(min_margin=0.3), "target_margin: 0.25 is below min_margin 0.3"),
        (lambda: model(overhead_pct=-0.1), "overhead_pct: -0.1 is negative"),
        (lambda: model(budget=0.0), "budget: 0 must be greater than 0"),
        (lambda: model(quoted_price=math.inf), "quoted_price: inf is not a finite number"),
        (lambda: model(markups=()), "markups: needs at least one markup"),
        (lambda: model(markups=(0.1, -1.0)), r"markups\[1\]: markup -1 must be above -1"),
        (lambda: model(lowest_bid_mean=0.2), "lowest_bid_sd: lowest_bid_mean and lowest_bid_sd"),
        (lambda: model(lowest_bid_mean=0.2, lowest_bid_sd=-0.1), "lowest_bid_sd: standard"),
        (lambda: model(win_model="magic"), "win_model: 'magic' is not friedman, gates or normal"),
        (lambda: model(deal_id=""), "deal_id: must not be empty"),
        (
            lambda: model(competitors=(Competitor("A"), Competitor("a "))),
            r"competitors\[1\].name: 'a ' repeats competitors\[0\]",
        ),
    ],
)
def test_invalid_inputs_name_the_field(build: Any, message: str) -> None:
    with pytest.raises(BidError, match=r"^" + message):
        build()


def test_categories_parse_from_keys_labels_and_aliases() -> None:
    assert parse_category("工程安装") is CostCategory.ENGINEERING
    assert parse_category("Engineering and installation") is CostCategory.ENGINEERING
    assert parse_category("engineering & installation") is CostCategory.ENGINEERING
    assert parse_category(" 不可预见费 ") is CostCategory.CONTINGENCY
    assert parse_category("FINANCING") is CostCategory.FINANCING
    assert CostLine("设备", "x", 1, 1.0).category is CostCategory.EQUIPMENT  # type: ignore[arg-type]
    assert CATEGORY_LABELS[CostCategory.ENGINEERING].zh == "工程安装"
    assert [CATEGORY_LABELS[c]("en") for c in CostCategory] == [
        "Equipment", "Software", "Engineering & installation", "Services", "Logistics",
        "Financing", "Contingency", "Other",
    ]  # fmt: skip


# --------------------------------------------------------------------------- never NaN


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"competitors": four_competitors(), "quoted_price": 4000.0, "budget": 3000.0},
        {"lowest_bid_mean": 0.6, "lowest_bid_sd": 0.3},
        {"lowest_bid_mean": -5.0, "lowest_bid_sd": 0.01, "criteria_favourable": False},
        {"lowest_bid_mean": 0.3, "lowest_bid_sd": 0.0, "min_margin": -0.5},
        {"competitors": (Competitor("Z", p_beat=((0.0, 0.0),)),)},
        {"competitors": (Competitor("R", ratio_mean=1.0, ratio_sd=0.0),), "markups": (0.0, 0.2)},
        {"markups": (-0.9, 0.0, 50.0), "lowest_bid_mean": 100.0, "lowest_bid_sd": 1e-9},
    ],
)
def test_results_are_always_finite_json(changes: dict[str, Any]) -> None:
    data = bid_to_dict(analyze_bid(model(**changes)))
    assert all(math.isfinite(x) for x in all_floats(data))
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["deal_id"] == "D-001"


def test_p_win_values_agree_with_the_pure_functions() -> None:
    r = analyze_bid(model(competitors=four_competitors(), lowest_bid_mean=0.1, lowest_bid_sd=0.05))
    row = next(row for row in r.sensitivity if row.markup == 0.05)
    assert row.p_win_gates == pytest.approx(p_win_gates([0.68, 0.75, 0.60, 0.80]))
    assert row.p_win_normal == pytest.approx(p_win_normal(0.05, 0.1, 0.05))
    assert r.win_model == "normal"  # preferred when both are available
