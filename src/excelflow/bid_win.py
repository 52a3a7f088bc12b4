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

:class:`Competitor` holds one competitor's data; :class:`WinSetup` decides which models a bid can
use and which one drives its optimum (exact for the normal model, best of a grid otherwise).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "WIN_MODELS",
    "BidError",
    "Competitor",
    "MarkupOptimum",
    "WinModel",
    "WinSetup",
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


class BidError(ValueError):
    """An invalid bid input, named by its path: ``competitors[1].p_beat[0]: probability 1.2 ...``.

    Attributes:
        path: Where the problem is (``cost_lines[2].unit_cost``); empty for the whole model.
        problem: What is wrong, without the path.
        errors: Every problem found as ``path: problem`` lines (more than one after schema checks).
    """

    def __init__(self, path: str, problem: str, errors: Sequence[str] = ()) -> None:
        self.path = path
        self.problem = problem
        first = f"{path}: {problem}" if path else problem
        self.errors: tuple[str, ...] = tuple(errors) or (first,)
        extra = len(self.errors) - 1
        super().__init__(first + (f" (+{extra} more)" if extra > 0 else ""))

    def under(self, prefix: str) -> BidError:
        """Return this error with its path nested under ``prefix`` (``cost_lines[2]``)."""
        if not self.path:
            path = prefix
        elif self.path.startswith("["):
            path = prefix + self.path
        else:
            path = f"{prefix}.{self.path}"
        return BidError(path, self.problem)


def check_finite(value: float, path: str) -> float:
    """Return ``value`` as a float, or raise :class:`BidError` if it is NaN or infinite.

    Args:
        value: The number to check.
        path: Field name used in the error message.
    """
    x = float(value)
    if not math.isfinite(x):
        raise BidError(path, f"{x} is not a finite number")
    return x


def check_probability(value: float, path: str) -> float:
    """Return ``value`` if it is a probability in 0..1, else raise :class:`BidError`.

    Args:
        value: The probability.
        path: Field name used in the error message.
    """
    p = check_finite(value, path)
    if not 0.0 <= p <= 1.0:
        raise BidError(path, f"probability {p:g} is outside 0..1")
    return p


def check_positive(value: float, path: str) -> float:
    """Return ``value`` if it is finite and > 0, else raise :class:`BidError`."""
    x = check_finite(value, path)
    if x <= 0.0:
        raise BidError(path, f"{x:g} must be greater than 0")
    return x


def check_markup(markup: float, path: str) -> float:
    """Return ``markup`` if it is finite and above −1 (a positive price), else raise."""
    m = check_finite(markup, path)
    if m <= -1.0:
        raise BidError(path, f"markup {m:g} must be above -1 (the price would be 0 or negative)")
    return m


def _check_sd(sd: float, path: str) -> float:
    s = check_finite(sd, path)
    if s < 0.0:
        raise BidError(path, f"standard deviation {s:g} is negative")
    return s


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
    sd = _check_sd(ratio_sd, "ratio_sd")
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
    sigma = _check_sd(sd, "lowest_bid_sd")
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
    sigma = _check_sd(sd, "lowest_bid_sd")
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


def check_rank(rank: int | None, path: str) -> None:
    """Raise :class:`BidError` unless ``rank`` is None or a whole number >= 1."""
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 1):
        raise BidError(path, f"{rank!r} must be a whole number >= 1")


@dataclass(frozen=True)
class Competitor:
    """A competitor, the customer's ranking of them, and how likely we are to beat them.

    Give either ``p_beat`` (markup → P(we beat them), from history; stored sorted by markup) or
    ``ratio_mean`` and ``ratio_sd`` (their bid / our cost ~ normal), or neither (then only the
    price position uses them). ``expected_price`` is our estimate of their price, if any.
    """

    name: str
    rank: int | None = None
    p_beat: tuple[tuple[float, float], ...] | None = None
    ratio_mean: float | None = None
    ratio_sd: float | None = None
    expected_price: float | None = None

    def __post_init__(self) -> None:
        if not str(self.name).strip():
            raise BidError("name", "must not be empty")
        check_rank(self.rank, "rank")
        if self.expected_price is not None:
            check_positive(self.expected_price, "expected_price")
        if self.p_beat is not None:
            if (self.ratio_mean, self.ratio_sd) != (None, None):
                raise BidError("p_beat", "give either p_beat or ratio_mean/ratio_sd, not both")
            if not self.p_beat:
                raise BidError("p_beat", "needs at least one (markup, probability) point")
            seen: set[float] = set()
            for i, (m, p) in enumerate(self.p_beat):
                if check_markup(m, f"p_beat[{i}].markup") in seen:
                    raise BidError(f"p_beat[{i}].markup", f"markup {m:g} appears twice")
                seen.add(float(m))
                check_probability(p, f"p_beat[{i}]")
            pts = tuple(sorted((float(m), float(p)) for m, p in self.p_beat))
            object.__setattr__(self, "p_beat", pts)
        elif (self.ratio_mean is None) != (self.ratio_sd is None):
            raise BidError("ratio_sd", "ratio_mean and ratio_sd go together")
        elif self.ratio_mean is not None and self.ratio_sd is not None:
            check_positive(self.ratio_mean, "ratio_mean")
            if check_finite(self.ratio_sd, "ratio_sd") < 0.0:
                raise BidError("ratio_sd", f"standard deviation {self.ratio_sd:g} is negative")

    @property
    def has_win_data(self) -> bool:
        """True when P(we beat them) can be computed."""
        return self.p_beat is not None or self.ratio_mean is not None

    def p_beat_at(self, markup: float) -> float:
        """P(we beat them) at ``markup`` (history interpolated and clamped, or the ratio model).

        Raises:
            BidError: the competitor has no win data.
        """
        if self.p_beat is not None:
            return interpolate_clamped(self.p_beat, markup)
        if self.ratio_mean is not None and self.ratio_sd is not None:
            return p_beat_ratio(markup, self.ratio_mean, self.ratio_sd)
        raise BidError("p_beat", f"competitor {self.name!r} has no p_beat or ratio_mean/ratio_sd")

    def outside_history(self, markup: float) -> float:
        """How far ``markup`` lies outside this competitor's p_beat history (0 inside or no
        history); P(beat) is clamped there."""
        if self.p_beat is None:
            return 0.0
        return max(self.p_beat[0][0] - markup, markup - self.p_beat[-1][0], 0.0)

    def implied_price(self, cost: float) -> tuple[float, str] | None:
        """Our estimate of their price and its basis, or None when nothing supports one.

        In order: ``expected_price`` ("stated"); ``ratio_mean × cost`` ("ratio_mean"); the
        markup where the p_beat history crosses 0.5, i.e. their median markup ("history_median").
        """
        if self.expected_price is not None:
            return float(self.expected_price), "stated"
        if self.ratio_mean is not None:
            return self.ratio_mean * cost, "ratio_mean"
        pts = self.p_beat or ()
        for x, y in pts:
            if y == 0.5:
                return cost * (1.0 + x), "history_median"
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if (y0 - 0.5) * (y1 - 0.5) < 0.0:
                return cost * (1.0 + x0 + (y0 - 0.5) / (y0 - y1) * (x1 - x0)), "history_median"
        return None


WinModel = Literal["friedman", "gates", "normal"]
WIN_MODELS: tuple[WinModel, ...] = ("friedman", "gates", "normal")


@dataclass(frozen=True)
class WinSetup:
    """The win-probability models one bid can use, and the one that drives its optimum.

    Friedman and Gates need at least one competitor and win data for every competitor; the
    normal model needs ``lowest_bid_mean`` and ``lowest_bid_sd``. Without a ``requested`` model
    the normal model is preferred (a direct estimate of the lowest competing markup), then Gates
    (Carr, "General Bidding Model", J. Constr. Div. ASCE 108(4), 1982, finds it the more
    accurate of the two when bids vary with costs).
    """

    competitors: tuple[Competitor, ...] = ()
    lowest_bid_mean: float | None = None
    lowest_bid_sd: float | None = None
    requested: WinModel | None = None

    @property
    def lacking(self) -> tuple[int, ...]:
        """Indexes of competitors without win data (they block Friedman and Gates)."""
        return tuple(i for i, c in enumerate(self.competitors) if not c.has_win_data)

    @property
    def available(self) -> tuple[WinModel, ...]:
        """The models that can be computed, in :data:`WIN_MODELS` order."""
        out: list[WinModel] = []
        if self.competitors and not self.lacking:
            out += ["friedman", "gates"]
        if self.lowest_bid_mean is not None and self.lowest_bid_sd is not None:
            out.append("normal")
        return tuple(out)

    @property
    def selected(self) -> WinModel | None:
        """The model that drives the optimum, or None when no model is available.

        Raises:
            BidError: the requested model is not available (path ``win_model``).
        """
        if self.requested is None:
            return next((w for w in ("normal", "gates") if w in self.available), None)
        if self.requested not in self.available:
            if self.requested == "normal":
                need = "lowest_bid_mean and lowest_bid_sd"
            elif not self.competitors:
                need = "at least one competitor"
            else:
                i = self.lacking[0]
                need = (
                    f"win data for every competitor; competitors[{i}] "
                    f"({self.competitors[i].name!r}) has no p_beat or ratio_mean/ratio_sd"
                )
            raise BidError("win_model", f"{self.requested!r} needs {need}")
        return self.requested

    def p_wins(self, markup: float) -> dict[WinModel, float]:
        """P(win) at ``markup`` under every available model."""
        out: dict[WinModel, float] = {}
        if "gates" in self.available:
            beats = [c.p_beat_at(markup) for c in self.competitors]
            out["friedman"], out["gates"] = p_win_friedman(beats), p_win_gates(beats)
        if self.lowest_bid_mean is not None and self.lowest_bid_sd is not None:
            out["normal"] = p_win_normal(markup, self.lowest_bid_mean, self.lowest_bid_sd)
        return out

    def outside(self, markup: float) -> float:
        """Σ over competitors of how far ``markup`` lies outside their p_beat history."""
        if "gates" not in self.available:
            return 0.0
        return math.fsum(c.outside_history(markup) for c in self.competitors)

    def extrapolated(self, markup: float) -> bool:
        """True when Friedman/Gates at ``markup`` rely on a clamped (out-of-history) P(beat)."""
        return self.outside(markup) > _TOL

    def history_markups(self) -> list[float]:
        """Every markup in the competitors' p_beat histories (added to the evaluation grid)."""
        if "gates" not in self.available:
            return []
        return [m for c in self.competitors for m, _ in (c.p_beat or ())]

    def optimum(self, grid: Sequence[float], floor: float) -> MarkupOptimum | None:
        """The best markup >= ``floor``: exact for the normal model, best of ``grid`` otherwise.

        Returns None when no model is available. ``grid`` should contain ``floor``.
        """
        model = self.selected
        if model is None:
            return None
        if model == "normal":
            assert self.lowest_bid_mean is not None
            assert self.lowest_bid_sd is not None
            return optimal_markup_normal(self.lowest_bid_mean, self.lowest_bid_sd, floor)
        p_wins = [self.p_wins(m)[model] for m in grid]
        return best_markup_on_grid(grid, p_wins, floor, [self.outside(m) for m in grid])
