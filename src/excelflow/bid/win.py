"""Win-probability models for a sealed bid, and the markup that maximizes expected profit.

Markups here are fractions of *our* total cost: markup ``m`` means price = cost × (1 + m). Expected
profit per unit of cost is ``m × P(win | m)``; multiply by the cost for currency.

Models:

* **Friedman (1956)**, "A competitive bidding strategy", Operations Research 4(1): we win when we
  beat every competitor, assumed independent: ``P(win) = Π P_i``.
* **Gates (1967)**, "Bidding strategies and probabilities", J. Construction Division ASCE 93(CO1):
  ``P(win) = 1 / (1 + Σ (1 − P_i) / P_i)``.
* **Normal lowest competing bid**: the lowest competing markup ``X ~ N(μ, σ)``;
  ``P(win) = P(X ≥ m) = 1 − Φ((m − μ) / σ)``.

``P_i`` is P(we beat competitor i at markup m), either read from history (markup → probability
pairs, linearly interpolated and clamped to the end values outside the history) or from a normal
distribution of the competitor's bid / our cost ratio: ``P_i = P(ratio ≥ 1 + m)``.

Degenerate cases are defined, never NaN:

* **Ties win.** With σ = 0 the distribution is a step: ``P = 1`` for ``m ≤ μ`` and ``0`` above.
  An equal bid counts as ours (for σ > 0 a tie has probability zero, so this only matters for
  σ = 0, and it makes the optimum attained at ``m = μ`` instead of a supremum just below it).
* Gates with some ``P_i = 0`` gives ``P(win) = 0`` (the limit of the formula); a ``P_i = 1`` adds
  nothing to the sum. Friedman is a plain product.
* No competitors, probabilities outside 0..1, σ < 0 or non-finite inputs raise :class:`BidError`.
* Beyond a history P(beat) is clamped flat, so ``m × P`` would grow with m; the grid optimum only
  considers the admissible markups least outside the histories (:func:`best_markup_on_grid`).

Competitors and the choice of model live in :mod:`excelflow.bid.competitors`; input checks and
:class:`BidError` in :mod:`excelflow.bid.checks` (re-exported here).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from excelflow.bid.checks import (
    BidError,
    check_finite,
    check_markup,
    check_positive,
    check_probability,
    check_rank,
    check_sd,
)

__all__ = [
    "BidError",
    "MarkupOptimum",
    "best_markup_on_grid",
    "check_finite",
    "check_markup",
    "check_positive",
    "check_probability",
    "check_rank",
    "interpolate_clamped",
    "norm_cdf",
    "norm_pdf",
    "norm_sf",
    "optimal_markup_normal",
    "p_beat_ratio",
    "p_win_friedman",
    "p_win_gates",
    "p_win_normal",
]

_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_TOL = 1e-12  # markups closer than this count as equal (floor comparisons, grid de-duplication)


def norm_cdf(z: float) -> float:
    """Standard normal CDF Φ(z), via ``math.erfc`` (accurate in both tails)."""
    return 0.5 * math.erfc(-z / _SQRT2)


def norm_sf(z: float) -> float:
    """Standard normal survival function 1 − Φ(z), without cancellation for large z."""
    return 0.5 * math.erfc(z / _SQRT2)


def norm_pdf(z: float) -> float:
    """Standard normal density φ(z)."""
    return math.exp(-0.5 * z * z) / _SQRT_2PI


def interpolate_clamped(points: Sequence[tuple[float, float]], x: float) -> float:
    """Linear interpolation through ``(x, y)`` points sorted by x, clamped outside their range.

    Below the first point the first ``y`` is returned, above the last point the last ``y``: the
    history says nothing beyond its ends, so we do not extrapolate a trend into it. Callers flag
    such markups as extrapolated (``PricePoint.extrapolated``).

    Args:
        points: ``(x, y)`` pairs with strictly increasing x; at least one.
        x: Where to evaluate.

    Raises:
        BidError: ``points`` is empty.
    """
    if not points:
        raise BidError("p_beat", "needs at least one (markup, probability) point")
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= x <= x1:
            t = (x - x0) / (x1 - x0)
            return y0 + t * (y1 - y0)
    return points[-1][1]  # pragma: no cover - unreachable for sorted points


def p_beat_ratio(markup: float, ratio_mean: float, ratio_sd: float) -> float:
    """P(we beat a competitor) when their bid / our cost ratio is normal(ratio_mean, ratio_sd).

    We beat them when their ratio is at least ``1 + markup`` (ties win; ``ratio_sd = 0`` is a step).

    Args:
        markup: Our markup on cost (0.1 = 10 %).
        ratio_mean: Mean of their bid divided by our cost estimate (e.g. 1.08).
        ratio_sd: Standard deviation of that ratio, >= 0.

    Raises:
        BidError: a non-finite input or a negative standard deviation.
    """
    x = 1.0 + check_finite(markup, "markup")
    mean = check_finite(ratio_mean, "ratio_mean")
    sd = check_sd(ratio_sd, "ratio_sd")
    if sd == 0.0:
        return 1.0 if x <= mean else 0.0
    return norm_sf((x - mean) / sd)


def p_win_normal(markup: float, mean: float, sd: float) -> float:
    """P(win) = 1 − Φ((m − μ) / σ) for a normal lowest competing markup N(μ, σ).

    Units only need to agree: fractions (0.6, 0.3) or percent (60, 30) both work.

    Args:
        markup: Our markup m.
        mean: μ, mean of the lowest competing markup.
        sd: σ >= 0; σ = 0 is a step with ties won (P = 1 at m = μ).

    Raises:
        BidError: a non-finite input or σ < 0.
    """
    m = check_finite(markup, "markup")
    mu = check_finite(mean, "lowest_bid_mean")
    sigma = check_sd(sd, "lowest_bid_sd")
    if sigma == 0.0:
        return 1.0 if m <= mu else 0.0
    return norm_sf((m - mu) / sigma)


def _checked_ps(p_beat: Sequence[float], model: str) -> list[float]:
    if len(p_beat) == 0:
        raise BidError("competitors", f"{model}'s model needs at least one competitor")
    return [check_probability(p, f"p_beat[{i}]") for i, p in enumerate(p_beat)]


def p_win_friedman(p_beat: Sequence[float]) -> float:
    """Friedman (1956): P(win) = Π P_i, the chance of beating every (independent) competitor.

    Args:
        p_beat: P(we beat competitor i) at one markup, one per competitor.

    Raises:
        BidError: no competitors, or a probability outside 0..1.
    """
    return math.prod(_checked_ps(p_beat, "Friedman"))


def p_win_gates(p_beat: Sequence[float]) -> float:
    """Gates (1967): P(win) = 1 / (1 + Σ (1 − P_i) / P_i).

    A competitor we never beat (``P_i = 0``) makes P(win) = 0, the formula's limit; one we always
    beat (``P_i = 1``) contributes nothing. With one competitor the result is ``P_1``.

    Args:
        p_beat: P(we beat competitor i) at one markup, one per competitor.

    Raises:
        BidError: no competitors, or a probability outside 0..1.
    """
    ps = _checked_ps(p_beat, "Gates")
    if any(p == 0.0 for p in ps):
        return 0.0
    return 1.0 / (1.0 + math.fsum((1.0 - p) / p for p in ps))


@dataclass(frozen=True)
class MarkupOptimum:
    """The markup that maximizes expected profit, subject to the floor.

    Attributes:
        markup: The best markup on cost.
        p_win: P(win) at that markup.
        value: ``markup × p_win``, expected profit per unit of cost.
        floor_binding: True when the floor, not the model, decided the markup.
        exact: True for the continuous optimum of the normal model, False for the best grid point.
        extrapolated: True when the chosen grid point lies outside some competitor's history.
    """

    markup: float
    p_win: float
    value: float
    floor_binding: bool
    exact: bool
    extrapolated: bool = False


def optimal_markup_normal(mean: float, sd: float, floor: float | None = None) -> MarkupOptimum:
    """Maximize ``m × (1 − Φ((m − μ)/σ))`` over ``m >= floor``, exactly.

    For σ > 0 the objective is positive only for m > 0 and its derivative there is
    ``S(z) − (m/σ) φ(z)`` (z = (m − μ)/σ, S = 1 − Φ). Because the normal hazard φ/S is increasing,
    ``m φ/(σ S)`` increases in m, so the first-order condition has exactly one root m* > 0 and the
    objective rises before it and falls after it. The root lies in ``(0, max(μ, 0) + σ]`` (at the
    right end the condition is already negative) and is found by bisection to ~1e-13. With a floor
    above m* the floor is the answer. σ = 0 is a step with ties won: the optimum is m = μ if μ > 0.

    Args:
        mean: μ of the lowest competing markup.
        sd: σ >= 0.
        floor: Smallest allowed markup (from the minimum margin); ``None`` for no floor.

    Raises:
        BidError: non-finite inputs or σ < 0.
    """
    mu = check_finite(mean, "lowest_bid_mean")
    sigma = check_sd(sd, "lowest_bid_sd")
    lo_bound = -math.inf if floor is None else check_finite(floor, "floor")
    if sigma == 0.0:
        best = mu if mu > 0.0 else 0.0  # μ <= 0: no positive-profit bid can win; stand at 0
    else:

        def slope_sign(m: float) -> float:  # same sign as d/dm [m S(z)]
            z = (m - mu) / sigma
            return sigma * norm_sf(z) - m * norm_pdf(z)

        lo, hi = 0.0, max(mu, 0.0) + sigma
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if slope_sign(mid) > 0.0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-13 * max(1.0, hi):
                break
        best = 0.5 * (lo + hi)
    binding = best < lo_bound
    m = lo_bound if binding else best
    p = p_win_normal(m, mu, sigma)
    return MarkupOptimum(markup=m, p_win=p, value=m * p, floor_binding=binding, exact=True)


def best_markup_on_grid(
    markups: Sequence[float],
    p_wins: Sequence[float],
    floor: float | None = None,
    outside: Sequence[float] | None = None,
) -> MarkupOptimum:
    """Best of a grid: the markup with the largest ``m × P(win)`` among those >= ``floor``.

    ``outside`` says how far each markup lies outside the competitors' p_beat histories (0 when
    inside every history). Only the admissible markups *least* outside the evidence compete:
    beyond a history P(beat) is clamped flat, so ``m × P`` would otherwise grow without bound and
    "recommend" the top of the grid. Equal expected profits go to the lower markup. Include the
    floor markup in the grid if it should be a candidate.

    Args:
        markups: The grid.
        p_wins: P(win) at each grid markup.
        floor: Smallest allowed markup; ``None`` for no floor.
        outside: Per grid point, its distance outside the histories (default all 0).

    Raises:
        BidError: no grid markup at or above the floor, or lengths that do not match.
    """
    dist = list(outside) if outside is not None else [0.0] * len(markups)
    if len(p_wins) != len(markups) or len(dist) != len(markups):
        raise BidError("markups", "grid, probabilities and distances differ in length")
    lo = -math.inf if floor is None else floor

    def pick(indices: list[int]) -> int:
        nearest = min(dist[i] for i in indices)
        trusted = [i for i in indices if dist[i] <= nearest + _TOL]
        return max(trusted, key=lambda i: (markups[i] * p_wins[i], -markups[i]))

    allowed = [i for i, m in enumerate(markups) if m >= lo - _TOL]
    if not allowed:
        raise BidError("markups", f"no grid markup is at or above the floor markup {lo:g}")
    best = pick(allowed)
    binding = markups[pick(list(range(len(markups))))] < lo - _TOL
    m = markups[best]
    return MarkupOptimum(m, p_wins[best], m * p_wins[best], binding, False, dist[best] > _TOL)
