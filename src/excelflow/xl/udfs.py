"""Excel custom functions over the one engine, written once for three runtimes.

The decorators are xlwings' own ``xw.func`` / ``xw.arg``; which implementation they are is
decided when xlwings is first imported: classic desktop xlwings on Windows (``Import Functions``
writes VBA wrappers), xlwings Server (``XLWINGS_ON_SERVER=true`` and a licence key) and xlwings
Lite (the same server code in Pyodide). Elsewhere they do nothing, so every function stays a plain
Python function. The Excel names are the upper-cased Python names (``ef_stage`` -> ``EF_STAGE``),
the docstrings are Excel's help text and the ``doc=`` of each argument its argument help.

Conventions shared by every function:

* Range arguments are taken ``"raw"`` and read by :mod:`excelflow.xl.convert` and the engine's
  own vectorized coercion (a 1x1 range, a row, a column or a block; dates as serials or
  datetimes; blanks as empty).
* Arrays in, arrays out: a function of cells returns one result per cell (or per row), which
  spills. A one-cell result is a plain value.
* Nothing raises into Excel. A bad argument gives a readable text starting with ``#VALUE!``, e.g.
  ``#VALUE! 'Closing' is not understood (expected a stage number or name)``: in the one cell
  concerned when it is one element of an array, as the whole result otherwise. Text, not an
  error value, because Excel's error values carry no message and ours should say what to fix;
  it still starts like an error, and arithmetic on it gives ``#VALUE!``. An Excel error in an
  input cell (``#N/A``) is passed on to the matching result cell, as Excel's own functions do.
* The built-in standard rule set is used (loaded once per process, on first use); choosing a
  rule set is for the ribbon and the CLI, not for formulas.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import xlwings as xw

from excelflow.functions import bid as calc_bid
from excelflow.functions import checks as calc
from excelflow.pipeline.ruleset import Lang, Text
from excelflow.xl import convert

__all__ = [
    "ef_adjprob",
    "ef_best_markup",
    "ef_best_markup_normal",
    "ef_check",
    "ef_gate",
    "ef_grade",
    "ef_margin",
    "ef_markup",
    "ef_price",
    "ef_score",
    "ef_stage",
    "ef_winprob",
    "ef_winprob_normal",
]  # `from excelflow.xl.udfs import *` in a Lite/Server main.py registers exactly these

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
ERROR_PREFIX = "#VALUE! "
MILESTONES_DOC = (
    "The milestone cells M1..M6b (tick or date): the 9 cells, or the whole deal row (e.g. A2:AL2)"
    " or its milestone span M2:W2 as the template lays them out, or any range with header"
)
HEADER_DOC = (
    "Optional header row over milestones (e.g. A$1:AL$1): its milestone columns are used, the "
    "others (dates, stage...) ignored"
)


def _help(f: F) -> F:
    """Innermost decorator: the docstring as one paragraph, which xlwings shows as Excel help."""
    f.__doc__ = " ".join((f.__doc__ or "").split())
    return f


def _run(fn: Callable[..., Any], *args: Any, lang: Any = None) -> Any:
    """Call ``fn``; any exception becomes a one-line ``#VALUE!`` text (never a traceback)."""
    try:
        return fn(*args)
    except calc.CalcError as exc:
        return ERROR_PREFIX + exc.text(_lang_or_en(lang))
    except Exception as exc:  # the cell must show something readable, whatever happened
        log.exception("ExcelFlow custom function %s failed", fn.__name__)
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return f"{ERROR_PREFIX}{type(exc).__name__}: {first}"


def _lang_or_en(value: Any) -> Lang:
    try:
        return calc.parse_lang(convert.scalar(value, "lang")) or "en"
    except calc.CalcError:
        return "en"


def _errors(*flat: np.ndarray) -> np.ndarray:
    """Per position, the first Excel error among the inputs (None where there is none)."""
    out = np.full(len(flat[0]), None, dtype=object)
    for arr in flat:
        has = convert.error_mask(arr.reshape(1, -1)).ravel() & calc.is_none(out)
        out[has] = arr[has]
    return out


def _row_errors(cells: np.ndarray) -> np.ndarray:
    """Per row of a 2-D input, its first Excel error (None where there is none)."""
    mask = convert.error_mask(cells)
    out = np.full(cells.shape[0], None, dtype=object)
    rows = np.flatnonzero(mask.any(axis=1))
    out[rows] = cells[rows, mask[rows].argmax(axis=1)]
    return out


def _cells(
    result: calc.Computed, errors: np.ndarray, shape: tuple[int, int], lang: Lang = "en"
) -> Any:
    """Values, problems as ``#VALUE!`` texts and passed-on input errors, shaped for Excel."""
    out = result.values.copy()
    for i in np.flatnonzero(~calc.is_none(result.problems)):
        out[i] = ERROR_PREFIX + result.problems[i](lang)
    has_error = ~calc.is_none(errors)
    out[has_error] = errors[has_error]
    return convert.spill(out.reshape(shape))


def _rows_for(stage: np.ndarray, milestones: Any, header: Any) -> tuple[np.ndarray, np.ndarray]:
    """Pair a stage range with its milestone cells: one stage per row (either may repeat).

    The milestone range may be the 9 milestone cells, a wider range with a header row (the
    whole deal row, date columns between), or the template's whole row or milestone span
    (:func:`excelflow.functions.checks.milestone_block`).
    """
    rows = convert.grid(milestones)
    head = None if header is None else convert.grid(header)
    if head is not None and convert.blank_mask(head).all():
        head = None
    if rows.shape[1] == 1 and rows.shape[0] > 1 and stage.size == 1:
        rows = rows.T  # one deal's milestones listed down a column
        if head is not None and head.shape[1] == 1:
            head = head.T
    rows = calc.milestone_block(rows, head, calc.default_ruleset())
    stages = stage.ravel()
    if len(stages) == 1 and rows.shape[0] > 1:
        stages = np.repeat(stages, rows.shape[0])
    elif rows.shape[0] == 1 and len(stages) > 1:
        rows = np.repeat(rows, len(stages), axis=0)
    if len(stages) != rows.shape[0]:
        raise calc.CalcError(
            Text(
                zh=f"阶段个数（{len(stages)}）与关键节点行数（{rows.shape[0]}）不一致",
                en=f"{len(stages)} stages but {rows.shape[0]} rows of milestones",
            )
        )
    return stages, rows


def _result_shape(stage: np.ndarray, n: int) -> tuple[int, int]:
    return (stage.shape[0], stage.shape[1]) if stage.size == n else (n, 1)


# --------------------------------------------------------------------------- deals


@xw.func
@xw.arg("value", "raw", doc="A stage: 1-6, a key (bidding), or a Chinese or English name; a range")
@_help
def ef_stage(value: Any) -> Any:
    """阶段编号 / Stage number 1-6 of a stage given as a number, key, Chinese or English stage
    name or alias (4, "bidding", "投标阶段", "Bidding", "Stage 4"). Arrays in, arrays out."""
    return _run(_stage, value)


def _stage(value: Any) -> Any:
    cells = convert.grid(value)
    flat = cells.ravel()
    result = calc.stage_numbers(flat, calc.default_ruleset())
    return _cells(result, _errors(flat), cells.shape)


@xw.func
@xw.arg("expected_close", "raw", doc="Expected close date(s): a date, serial or date text")
@xw.arg("probability", "raw", doc="Probability of closing: 0.6, 60 or 60%")
@xw.arg("as_of", "raw", doc="Today for the days to close (blank: today's date)")
@_help
def ef_grade(expected_close: Any, probability: Any, as_of: Any = None) -> Any:
    """客户分级 / Customer grade A-D from the expected close date and the probability, by the
    standard rule set's bands (A: <= 90 days and >= 60 %, B: <= 180 and >= 40 %, C: <=
    365 and >= 20 %, else D). Arrays in, arrays out."""
    return _run(_grade, expected_close, probability, as_of)


def _grade(expected_close: Any, probability: Any, as_of: Any) -> Any:
    today = calc.parse_as_of(convert.scalar(as_of, "as_of"))
    shape, (dates, probs) = convert.broadcast(
        convert.grid(expected_close), convert.grid(probability)
    )
    result = calc.grades(dates, probs, today, calc.default_ruleset())
    return _cells(result, _errors(dates, probs), shape)


@xw.func
@xw.arg("scores", "raw", doc="Factor scores 1-5, one row per deal, one column per factor")
@xw.arg("weights", "raw", doc="One weight per column (blank: the rule set's nine weights)")
@_help
def ef_score(scores: Any, weights: Any = None) -> Any:
    """商机评估得分 / Opportunity evaluation score 0-100 of each row of factor scores: the
    weighted share of the top score, over the factors answered. Without weights the nine
    standard factors in template order. One result per row."""
    return _run(_score, scores, weights)


def _score(scores: Any, weights: Any) -> Any:
    matrix = convert.grid(scores)
    ruleset = calc.default_ruleset()
    w = convert.grid(weights).ravel()
    given = None if convert.blank_mask(w.reshape(1, -1)).all() else list(w)
    width = len(given) if given is not None else len(ruleset.factors)
    if matrix.shape[1] == 1 and matrix.shape[0] == width > 1:
        matrix = matrix.T  # one deal's scores listed down a column
    result = calc.scores(matrix, ruleset, given)
    return _cells(result, _row_errors(matrix), (matrix.shape[0], 1))


@xw.func
@xw.arg("stage", "raw", doc="The deal's current stage (number or name); a column for many deals")
@xw.arg("milestones", "raw", doc=MILESTONES_DOC)
@xw.arg("lang", "raw", doc="Language of the milestone names: en (default) or zh")
@xw.arg("header", "raw", doc=HEADER_DOC)
@_help
def ef_gate(stage: Any, milestones: Any, lang: Any = None, header: Any = None) -> Any:
    """关口检查 / Stage gate: "" when every milestone of the stages before the deal's stage is
    there, else the missing ones as text ("M2 Coach; M3 Purchasing criteria"). One
    result per deal."""
    return _run(_gate, stage, milestones, lang, header, lang=lang)


def _gate(stage: Any, milestones: Any, lang: Any, header: Any) -> Any:
    language = calc.parse_lang(convert.scalar(lang, "lang")) or "en"
    stage_cells = convert.grid(stage)
    stages, rows = _rows_for(stage_cells, milestones, header)
    result = calc.missing_milestones(stages, rows, calc.default_ruleset(), language)
    errors = _errors(stages)
    row_err = _row_errors(rows)
    errors[calc.is_none(errors)] = row_err[calc.is_none(errors)]
    return _cells(result, errors, _result_shape(stage_cells, len(stages)), language)


@xw.func
@xw.arg("stage", "raw", doc="The deal's current stage (number or name); a column for many deals")
@xw.arg("milestones", "raw", doc=MILESTONES_DOC)
@xw.arg("probability", "raw", doc="Stated probability: 0.6, 60 or 60% (blank: the stage default)")
@xw.arg("header", "raw", doc=HEADER_DOC)
@_help
def ef_adjprob(stage: Any, milestones: Any, probability: Any, header: Any = None) -> Any:
    """调整后赢率 / Probability after the forced-advance penalty: the stated probability (or the
    stage default) x 0.5 for each earlier stage whose milestone is missing. One result
    per deal."""
    return _run(_adjprob, stage, milestones, probability, header)


def _adjprob(stage: Any, milestones: Any, probability: Any, header: Any) -> Any:
    stage_cells = convert.grid(stage)
    stages, rows = _rows_for(stage_cells, milestones, header)
    probs = convert.grid(probability).ravel()
    if len(probs) == 1:
        probs = np.repeat(probs, len(stages))
    if len(probs) != len(stages):
        raise calc.CalcError(
            Text(
                zh=f"赢率个数（{len(probs)}）与阶段个数（{len(stages)}）不一致",
                en=f"{len(probs)} probabilities but {len(stages)} stages",
            )
        )
    result = calc.adjusted_probabilities(stages, rows, probs, calc.default_ruleset())
    errors = _errors(stages, probs)
    row_err = _row_errors(rows)
    errors[calc.is_none(errors)] = row_err[calc.is_none(errors)]
    return _cells(result, errors, _result_shape(stage_cells, len(stages)))


@xw.func
@xw.arg("table", "raw", doc="The whole Deals range, header row included")
@xw.arg("lang", "raw", doc="Message language: zh or en (blank: from the headers)")
@xw.arg("as_of", "raw", doc="Today for the date checks and grading (blank: today's date)")
@xw.arg("origin", "raw", doc='Top-left cell of the range in its sheet, e.g. "B3" (blank: A1)')
@_help
def ef_check(table: Any, lang: Any = None, as_of: Any = None, origin: Any = None) -> Any:
    """检查商机表 / Check a whole Deals range against the six-stage process and list the
    findings: a header row, then one row per finding (deal, cell, code, severity,
    message). Spills."""
    return _run(_check, table, lang, as_of, origin, lang=lang)


def _check(table: Any, lang: Any, as_of: Any, origin: Any) -> Any:
    language = calc.parse_lang(convert.scalar(lang, "lang"))
    today = calc.parse_as_of(convert.scalar(as_of, "as_of"))
    top_left = convert.parse_origin(convert.scalar(origin, "origin"))
    rows = calc.check_table(
        convert.grid(table), calc.default_ruleset(), lang=language, as_of=today, origin=top_left
    )
    return convert.spill(rows)


# --------------------------------------------------------------------------- bid


def _pairwise(fn: Callable[..., calc.Computed], *args: Any) -> Any:
    shape, flat = convert.broadcast(*(convert.grid(a) for a in args))
    return _cells(fn(*flat), _errors(*flat), shape)


@xw.func
@xw.arg("price", "raw", doc="Selling price (> 0)")
@xw.arg("cost", "raw", doc="Total cost")
@_help
def ef_margin(price: Any, cost: Any) -> Any:
    """毛利率 / Gross margin = (price - cost) / price. Arrays in, arrays out."""
    return _run(_pairwise, calc_bid.margins, price, cost)


@xw.func
@xw.arg("price", "raw", doc="Selling price")
@xw.arg("cost", "raw", doc="Total cost (> 0)")
@_help
def ef_markup(price: Any, cost: Any) -> Any:
    """加价率 / Markup = (price - cost) / cost. Arrays in, arrays out."""
    return _run(_pairwise, calc_bid.markups, price, cost)


@xw.func
@xw.arg("cost", "raw", doc="Total cost")
@xw.arg("margin", "raw", doc="Target gross margin below 1: 0.25 or 25%")
@_help
def ef_price(cost: Any, margin: Any) -> Any:
    """目标毛利报价 / Price at a gross margin = cost / (1 - margin). Arrays in, arrays out."""
    return _run(_pairwise, calc_bid.prices_at_margin, cost, margin)


@xw.func
@xw.arg("p_beat", "raw", doc="P(we beat competitor i), one per competitor; a block: one row each")
@xw.arg("model", "raw", doc="gates (default) or friedman")
@_help
def ef_winprob(p_beat: Any, model: Any = None) -> Any:
    """中标概率 / P(win) of a sealed bid from P(we beat competitor i): Gates (1967) 1 / (1 +
    sum((1-P)/P)), or Friedman (1956) the product of the P. One result per row."""
    return _run(_winprob, p_beat, model)


def _winprob(p_beat: Any, model: Any) -> Any:
    chosen = calc_bid.parse_model(convert.scalar(model, "model"))
    cells = convert.grid(p_beat)
    rows = cells.reshape(1, -1) if 1 in cells.shape else cells
    result = calc_bid.win_probabilities(rows, chosen)
    return _cells(result, _row_errors(rows), (rows.shape[0], 1))


@xw.func
@xw.arg("markup", "raw", doc="Our markup on cost: 0.1 or 10%")
@xw.arg("mean", "raw", doc="Mean of the lowest competing markup")
@xw.arg("sd", "raw", doc="Standard deviation of the lowest competing markup (>= 0)")
@_help
def ef_winprob_normal(markup: Any, mean: Any, sd: Any) -> Any:
    """中标概率（正态）/ P(win) = 1 - NORM.DIST(markup, mean, sd, TRUE) when the lowest competing
    markup is normal(mean, sd). Arrays in, arrays out."""
    return _run(_pairwise, calc_bid.win_probabilities_normal, markup, mean, sd)


@xw.func
@xw.arg("markups", "raw", doc="Candidate markups, e.g. 0%, 2%, ... 50%")
@xw.arg("p_beat_table", "raw", doc="P(we beat competitor i) at each markup: a row per markup")
@xw.arg("model", "raw", doc="gates (default) or friedman")
@_help
def ef_best_markup(markups: Any, p_beat_table: Any, model: Any = None) -> Any:
    """最优加价率 / The candidate markup with the highest expected profit per unit of cost,
    markup x P(win) (P(win) by Gates or Friedman). Markups whose P(beat) row is blank are
    skipped; blank while none is filled in."""
    return _run(_best_markup, markups, p_beat_table, model)


def _best_markup(markups: Any, p_beat_table: Any, model: Any) -> Any:
    chosen = calc_bid.parse_model(convert.scalar(model, "model"))
    cands, table = convert.grid(markups), convert.grid(p_beat_table)
    for cells in (cands, table):
        errors = _errors(cells.ravel())
        if not calc.is_none(errors).all():
            return errors[~calc.is_none(errors)][0]
    return calc_bid.best_markup(cands, table, chosen)


@xw.func
@xw.arg("mean", "raw", doc="Mean of the lowest competing markup")
@xw.arg("sd", "raw", doc="Its standard deviation (>= 0)")
@xw.arg("floor", "raw", doc="Lowest markup allowed, e.g. from the minimum margin (blank: none)")
@_help
def ef_best_markup_normal(mean: Any, sd: Any, floor: Any = None) -> Any:
    """最优加价率（正态）/ The markup maximizing markup x P(win) when the lowest competing markup is
    normal(mean, sd), exactly (not on a grid); the floor when the optimum lies below it. Blank
    while the mean or the sd is blank."""
    return _run(_best_markup_normal, mean, sd, floor)


def _best_markup_normal(mean: Any, sd: Any, floor: Any) -> Any:
    cells = [convert.scalar(v, name) for v, name in ((mean, "mean"), (sd, "sd"), (floor, "floor"))]
    errors = [c for c in cells if isinstance(c, str) and c in convert.ERROR_TEXTS]
    return errors[0] if errors else calc_bid.best_markup_normal(*cells)
