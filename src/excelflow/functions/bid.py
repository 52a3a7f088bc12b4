"""Bid maths over cells, for the Excel doors: margin, markup, price and P(win), per element.

The formulas and their validation are :mod:`excelflow.bid.analysis` (margin, markup, price at a
margin)
and :mod:`excelflow.bid.win` (Friedman, Gates, the normal model and the optimal markup); they are
scalar functions, called here once per element, with every :class:`~excelflow.bid.analysis.BidError`
turned into that element's problem (see :class:`excelflow.functions.checks.Computed`).

Reading cells: amounts as the engine reads them (``1,200``, ``¥1.2万``, ``120k``); margins,
markups and the normal model's mean and sd as plain fractions (0.25) or percent text ("25%") —
a bare 25 stays 25, so a margin of 25 is an error rather than a silent 25 %; P(beat) values as
the engine reads probabilities (0.6, 60 or "60%").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from excelflow.bid.checks import BidError
from excelflow.bid.model import margin_of, markup_of, price_for_margin
from excelflow.bid.win import (
    best_markup_on_grid,
    optimal_markup_normal,
    p_win_friedman,
    p_win_gates,
    p_win_normal,
)
from excelflow.functions.checks import CalcError, Computed, not_understood
from excelflow.pipeline.coerce import is_blank, parse_money, parse_probability
from excelflow.pipeline.ruleset import Text
from excelflow.rules.quality import EXPECTED

Model = Literal["gates", "friedman"]
MODELS: dict[Model, Callable[[list[float]], float]] = {
    "gates": p_win_gates,
    "friedman": p_win_friedman,
}
FRACTION = Text(zh="小数或百分数，如 0.25 或 25%", en="a fraction such as 0.25, or 25%")
PROBABILITY = EXPECTED["probability"]
MONEY = EXPECTED["money"]


def parse_fraction(value: Any) -> float | None:
    """0.25 and "25%" mean a quarter; a bare 25 stays 25 (None when not a number)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_probability(value)
    if isinstance(value, bool):
        return None
    return parse_money(value) if isinstance(value, int | float | str) else None


def parse_model(value: Any) -> Model:
    """The win model named by a cell: ``"gates"`` (also blank) or ``"friedman"``.

    Raises:
        CalcError: any other name.
    """
    if value is None or is_blank(value):
        return "gates"
    name = str(value).strip().casefold()
    if name in ("gates", "friedman"):
        return "gates" if name == "gates" else "friedman"
    raise CalcError(
        Text(
            zh=f"模型「{value}」无效：请填 gates 或 friedman",
            en=f"model '{value}': use gates or friedman",
        )
    )


def _bid_problem(exc: BidError) -> Text:
    return Text(zh=str(exc), en=str(exc))


def _elementwise(
    inputs: list[tuple[np.ndarray, Callable[[Any], float | None], Text]],
    fn: Callable[..., float],
) -> Computed:
    """Apply a scalar bid formula to each position of equally long 1-D inputs."""
    n = len(inputs[0][0])
    values = np.full(n, None, dtype=object)
    problems = np.full(n, None, dtype=object)
    for i in range(n):
        cells = [arr[i] for arr, _, _ in inputs]
        if any(is_blank(c) for c in cells):
            continue
        args: list[float] = []
        for cell, (_, parse, expected) in zip(cells, inputs, strict=True):
            number = parse(cell)
            if number is None:
                problems[i] = not_understood(cell, expected)
                break
            args.append(number)
        else:
            try:
                values[i] = fn(*args)
            except BidError as exc:
                problems[i] = _bid_problem(exc)
    return Computed(values, problems)


def margins(prices: np.ndarray, costs: np.ndarray) -> Computed:
    """Gross margin (P − C) / P for each price and cost."""
    return _elementwise([(prices, parse_money, MONEY), (costs, parse_money, MONEY)], margin_of)


def markups(prices: np.ndarray, costs: np.ndarray) -> Computed:
    """Markup (P − C) / C for each price and cost."""
    return _elementwise([(prices, parse_money, MONEY), (costs, parse_money, MONEY)], markup_of)


def prices_at_margin(costs: np.ndarray, target_margins: np.ndarray) -> Computed:
    """Price C / (1 − g) giving each gross margin g on each cost."""
    return _elementwise(
        [(costs, parse_money, MONEY), (target_margins, parse_fraction, FRACTION)],
        price_for_margin,
    )


def win_probabilities_normal(markup: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> Computed:
    """P(win) = 1 − Φ((m − μ) / σ) for each markup, mean and sd (fractions or percent text)."""
    return _elementwise(
        [(cells, parse_fraction, FRACTION) for cells in (markup, mean, sd)],
        p_win_normal,
    )


def _p_beat_row(cells: np.ndarray) -> list[float] | Text | None:
    """A row's P(beat) values (blanks skipped); a problem, or None when the row is empty."""
    out: list[float] = []
    for cell in cells:
        if is_blank(cell):
            continue
        p = parse_probability(cell)
        if p is None:
            return not_understood(cell, PROBABILITY)
        out.append(p)
    return out or None


def win_probabilities(p_beat: np.ndarray, model: Model) -> Computed:
    """P(win) of each row of P(we beat competitor i); a single row or column is one scenario.

    Args:
        p_beat: 2-D cells: one row per scenario (e.g. per markup), one column per competitor.
        model: ``"gates"`` or ``"friedman"``.
    """
    rows = p_beat.reshape(1, -1) if 1 in p_beat.shape else p_beat
    values = np.full(len(rows), None, dtype=object)
    problems = np.full(len(rows), None, dtype=object)
    for i, row in enumerate(rows):
        ps = _p_beat_row(row)
        if isinstance(ps, Text):
            problems[i] = ps
        elif ps is not None:
            try:
                values[i] = MODELS[model](ps)
            except BidError as exc:
                problems[i] = _bid_problem(exc)
    return Computed(values, problems)


def best_markup(markup_cells: np.ndarray, p_beat: np.ndarray, model: Model) -> float | None:
    """The markup with the highest markup × P(win) among the candidates; None (a blank cell)
    while no candidate has both a markup and a P(beat), as blank cells give blanks elsewhere.

    Args:
        markup_cells: the candidate markups (1-D; a blank candidate, or one whose P(beat) row is
            blank, is not filled in yet and is skipped).
        p_beat: P(we beat competitor i) at each candidate: one row per candidate and one column
            per competitor (or the transpose, when only that fits).
        model: ``"gates"`` or ``"friedman"``.

    Raises:
        CalcError: sizes that do not fit, a cell that is not a number.
    """
    cands = markup_cells.ravel()
    table = p_beat if p_beat.ndim == 2 else p_beat.reshape(1, -1)
    if table.shape[0] != len(cands) and table.shape[1] == len(cands):
        table = table.T
    if table.shape[0] != len(cands):
        raise CalcError(
            Text(
                zh=f"P(beat) 表需每个加价率一行：{len(cands)} 个加价率，表有 {table.shape[0]} 行",
                en=f"the P(beat) table needs one row per markup: {len(cands)} markups, "
                f"{table.shape[0]} rows",
            )
        )
    grid: list[float] = []
    p_wins: list[float] = []
    for cell, row in zip(cands, table, strict=True):
        if is_blank(cell):
            continue
        m = parse_fraction(cell)
        ps = _p_beat_row(row)
        if m is None:
            raise CalcError(not_understood(cell, FRACTION))
        if isinstance(ps, Text):
            raise CalcError(ps)
        if ps is None:  # its P(beat) row is not filled in yet
            continue
        try:
            p_wins.append(MODELS[model](ps))
        except BidError as exc:
            raise CalcError(_bid_problem(exc)) from None
        grid.append(m)
    if not grid:
        return None
    return best_markup_on_grid(grid, p_wins).markup


def best_markup_normal(mean: Any, sd: Any, floor: Any = None) -> float | None:
    """The markup maximizing m × P(win) when the lowest competing markup is normal(μ, σ);
    None (a blank cell) while the mean or the sd is blank.

    Raises:
        CalcError: a value that is not a number, or σ < 0.
    """
    args: list[float | None] = []
    for cell in (mean, sd, floor):
        if cell is None or is_blank(cell):
            args.append(None)
            continue
        number = parse_fraction(cell)
        if number is None:
            raise CalcError(not_understood(cell, FRACTION))
        args.append(number)
    mu, sigma, lo = args
    if mu is None or sigma is None:
        return None
    try:
        return optimal_markup_normal(mu, sigma, lo).markup
    except BidError as exc:
        raise CalcError(_bid_problem(exc)) from None
