"""Competitors and the choice of win-probability model for one bid.

:class:`Competitor` holds one competitor's data (a p_beat history, or a normal model of their
bid / our cost ratio, or only an expected price); :class:`WinSetup` decides which models a bid
can use (Friedman, Gates, normal lowest bid — see :mod:`excelflow.bid.win`) and which one drives
its optimum (exact for the normal model, best of a grid otherwise).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from excelflow.bid.checks import (
    BidError,
    check_finite,
    check_markup,
    check_positive,
    check_probability,
    check_rank,
)
from excelflow.bid.win import (
    MarkupOptimum,
    best_markup_on_grid,
    interpolate_clamped,
    optimal_markup_normal,
    p_beat_ratio,
    p_win_friedman,
    p_win_gates,
    p_win_normal,
)

__all__ = ["WIN_MODELS", "Competitor", "WinModel", "WinSetup"]

_TOL = 1e-12


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

    @property
    def history_median(self) -> float | None:
        """The markup where the p_beat history crosses 0.5 (their median markup against our
        cost), interpolated linearly; None without a history or without such a crossing."""
        pts = self.p_beat or ()
        for x, y in pts:
            if y == 0.5:
                return x
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if (y0 - 0.5) * (y1 - 0.5) < 0.0:
                return x0 + (y0 - 0.5) / (y0 - y1) * (x1 - x0)
        return None

    def implied_price(self, cost: float) -> tuple[float, str] | None:
        """Our estimate of their price and its basis, or None when nothing supports one.

        In order: ``expected_price`` ("stated"); ``ratio_mean × cost`` ("ratio_mean"); the
        markup where the p_beat history crosses 0.5, i.e. their median markup ("history_median").
        """
        if self.expected_price is not None:
            return float(self.expected_price), "stated"
        if self.ratio_mean is not None:
            return self.ratio_mean * cost, "ratio_mean"
        median = self.history_median
        if median is not None:
            return cost * (1.0 + median), "history_median"
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
