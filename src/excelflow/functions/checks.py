"""Small vectorized calculations over the one engine, for the Excel doors (UDFs, ribbon macros).

Each function takes plain cell values (1-D or 2-D arrays as Excel hands them over: numbers, text,
dates as serials or datetimes, blanks as None or ``""``) and returns one result per deal, never
raising for one bad cell: a cell that cannot be read gives that element a *problem* (a bilingual
:class:`~excelflow.pipeline.ruleset.Text`) instead of a value. Whole-argument problems (a milestone
row of the wrong width, an unknown model) raise :class:`CalcError`.

No business rule lives here. Stages, dates, ticks and probabilities are read by
:mod:`excelflow.pipeline.coerce`; gates, the forced-advance penalty and stage-default probabilities
come from :func:`excelflow.engine.compute_deals` over a pipeline built by
:func:`excelflow.pipeline.normalize.build_pipeline`; grades from
:func:`~excelflow.rules.grading.grade_deals`, scores from
:func:`~excelflow.rules.evaluation.evaluate`, whole-table checks from :func:`excelflow.engine.run`.
Bid maths is in :mod:`excelflow.functions.bid`. This module imports neither openpyxl nor xlwings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from excelflow import engine
from excelflow.engine.report import LABELS
from excelflow.pipeline import arguments
from excelflow.pipeline.coerce import Coerced, coerce_column, format_id
from excelflow.pipeline.fields import BASE_FIELDS, Kind, all_fields, factor_key, fold, header_index
from excelflow.pipeline.normalize import Pipeline, TableNotFound, build_pipeline
from excelflow.pipeline.ruleset import Factor, Lang, RuleSet, Text, load_ruleset
from excelflow.rules.evaluation import evaluate
from excelflow.rules.grading import grade_deals
from excelflow.rules.quality import EXPECTED

CHECK_COLUMNS = ("deal", "cell", "code", "severity", "message")
"""Columns of :func:`check_table`'s rows (their headers come from ``report.LABELS``)."""


class CalcError(ValueError):
    """An argument as a whole cannot be used; ``text`` says why in both languages."""

    def __init__(self, text: Text) -> None:
        self.text = text
        super().__init__(text.en)


@dataclasses.dataclass(frozen=True)
class Computed:
    """Per-element results: ``values`` (None where the input was blank or bad) and ``problems``
    (None, or a :class:`Text` saying why that element has no value)."""

    values: np.ndarray
    problems: np.ndarray


@cache
def default_ruleset() -> RuleSet:
    """The built-in standard rule set, loaded once per process on first use."""
    return load_ruleset()


def parse_lang(value: Any) -> Lang | None:
    """A ``lang`` cell (:func:`excelflow.pipeline.arguments.parse_lang`); None for a blank.

    Raises:
        CalcError: not a language.
    """
    try:
        return arguments.parse_lang(value)
    except ValueError:
        raise CalcError(
            Text(zh=f"语言「{value}」无效：请填 zh 或 en", en=f"language '{value}': use zh or en")
        ) from None


def parse_as_of(value: Any) -> pd.Timestamp:
    """An ``as_of`` cell (:func:`excelflow.pipeline.arguments.parse_as_of`); a blank means the
    real today.

    Raises:
        CalcError: not a date.
    """
    try:
        return arguments.as_of_timestamp(value)
    except ValueError:
        raise CalcError(not_understood(value, EXPECTED["date"])) from None


def not_understood(value: Any, expected: Text) -> Text:
    """The problem text for one cell that cannot be read (worded like ``DQ04``)."""
    shown = format_id(value)
    return Text(
        zh=f"「{shown}」无法识别（应为{expected.zh}）",
        en=f"'{shown}' is not understood (expected {expected.en})",
    )


def _out_of_range(value: Any) -> Text:
    shown = format_id(value)
    return Text(zh=f"赢率 {shown} 超出 0–100% 范围", en=f"probability {shown} is outside 0-100%")


def _column(values: Any, kind: Kind, ruleset: RuleSet) -> tuple[np.ndarray, Coerced]:
    """Raw 1-D cells (blanks as "") and their coercion by the engine's reader."""
    raw = np.asarray(values, dtype=object).ravel().copy()
    raw[np.asarray(pd.isna(raw), dtype=bool)] = ""
    return raw, coerce_column(raw, kind, ruleset)


def _blank(raw: np.ndarray, coerced: Coerced) -> np.ndarray:
    """Cells that are blank (empty, whitespace) rather than filled or bad."""
    empty: np.ndarray = np.asarray(pd.isna(coerced.values), dtype=bool) & ~coerced.bad
    if coerced.values.dtype == bool:  # ticks: a blank reads as "not done"
        empty = np.fromiter((str(v).strip() == "" for v in raw), dtype=bool, count=len(raw))
    return empty


def _note(problems: np.ndarray, raw: np.ndarray, mask: np.ndarray, expected: Text) -> None:
    """Set a not-understood problem on every masked element that has none yet."""
    for i in np.flatnonzero(mask):
        if problems[i] is None:
            problems[i] = not_understood(raw[i], expected)


def is_none(values: np.ndarray) -> np.ndarray:
    """True where an object array holds None (no problem, no error)."""
    flat = values.ravel()
    return np.fromiter((v is None for v in flat), dtype=bool, count=len(flat)).reshape(values.shape)


def _objects(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    out = np.full(len(values), None, dtype=object)
    out[keep] = values[keep]
    return out


# --------------------------------------------------------------------------- per deal


def stage_numbers(values: Any, ruleset: RuleSet) -> Computed:
    """Stage number 1..n of each cell (a number, key, zh/en name or alias, ``Stage 3``…)."""
    raw, c = _column(values, Kind.STAGE, ruleset)
    nums = c.values.to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(nums)
    out = np.full(len(raw), None, dtype=object)
    out[known] = nums[known].astype(int).tolist()
    problems = np.full(len(raw), None, dtype=object)
    _note(problems, raw, c.bad, EXPECTED["stage"])
    return Computed(out, problems)


def grades(close_dates: Any, probabilities: Any, as_of: pd.Timestamp, ruleset: RuleSet) -> Computed:
    """Grade A-D of open deals from expected close dates and probabilities (same length).

    A missing date or probability meets no band limit and falls to the catch-all band (as in the
    engine); an element with both blank has no grade.
    """
    raw_d, d = _column(close_dates, Kind.DATE, ruleset)
    raw_p, p = _column(probabilities, Kind.PROBABILITY, ruleset)
    prob = p.values.to_numpy(dtype=float)
    outside = (prob < 0) | (prob > 1)
    days = (d.values - as_of).dt.days.to_numpy(dtype=float, na_value=np.nan)
    n = len(raw_d)
    graded = grade_deals(
        pd.Series(np.where(outside, np.nan, prob)),
        pd.Series(days),
        pd.Series(np.ones(n, dtype=bool)),
        ruleset,
    )["grade"].to_numpy(dtype=object)
    problems = np.full(n, None, dtype=object)
    _note(problems, raw_d, d.bad, EXPECTED["date"])
    _note(problems, raw_p, p.bad, EXPECTED["probability"])
    for i in np.flatnonzero(outside):
        problems[i] = problems[i] or _out_of_range(raw_p[i])
    keep = ~(_blank(raw_d, d) & _blank(raw_p, p)) & is_none(problems)
    return Computed(_objects(graded, keep), problems)


def _weighted(ruleset: RuleSet, count: int, weights: Sequence[Any] | None) -> RuleSet:
    """The rule set, with its factor weights replaced when ``weights`` are given."""
    factors = ruleset.factors
    if weights is None:
        if count != len(factors):
            names = ", ".join(f.column.en for f in factors)
            names_zh = "、".join(f.column.zh for f in factors)
            raise CalcError(
                Text(
                    zh=f"需要 {len(factors)} 个评估分数（{names_zh}），实际 {count} 个",
                    en=f"expects {len(factors)} factor scores ({names}), got {count}",
                )
            )
        return ruleset
    parsed = [_number(w) for w in weights]
    bad = [w for w, x in zip(weights, parsed, strict=True) if x is None or x < 0]
    if len(parsed) != count or bad or sum(x or 0.0 for x in parsed) <= 0:
        raise CalcError(
            Text(
                zh=f"权重须为 {count} 个非负数字且不全为 0",
                en=f"weights must be {count} numbers >= 0, not all 0",
            )
        )
    if count == len(factors):
        new = [
            dataclasses.replace(f, weight=w or 0.0) for f, w in zip(factors, parsed, strict=True)
        ]
    else:  # a model of the user's own: anonymous factors, no knock-outs
        labels = [Text(zh=f"因素{j + 1}", en=f"factor {j + 1}") for j in range(count)]
        new = [
            Factor(f"w{j}", "project", labels[j], labels[j], (), w or 0.0)
            for j, w in enumerate(parsed)
        ]
    return dataclasses.replace(ruleset, factors=tuple(new))


def _number(value: Any) -> float | None:
    """A plain number from a cell (numbers and numeric text); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if np.isfinite(value) else None
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None  # "nan" / "inf" text is not a weight


def scores(matrix: np.ndarray, ruleset: RuleSet, weights: Sequence[Any] | None = None) -> Computed:
    """Evaluation score 0-100 of each row of ``matrix`` (one column per factor, in rule-set
    order), rounded like the engine's; ``weights`` (one per column) replace the rule set's."""
    rows, count = matrix.shape
    rs = _weighted(ruleset, count, weights)
    columns: dict[str, pd.Series] = {}
    problems = np.full(rows, None, dtype=object)
    filled = np.zeros(rows, dtype=bool)
    lo, hi = rs.scale_min, rs.scale_max
    expected = Text(zh=f"{lo:g}–{hi:g} 的评估分数", en=f"a score from {lo:g} to {hi:g}")
    for j, fa in enumerate(rs.factors):
        raw, c = _column(matrix[:, j], Kind.SCORE, rs)
        columns[factor_key(fa.key)] = c.values
        filled |= ~_blank(raw, c)
        _note(problems, raw, c.bad, expected)
    score = evaluate(pd.DataFrame(columns), rs)["score"].round(1).to_numpy(dtype=float)
    keep = filled & is_none(problems) & ~np.isnan(score)
    return Computed(_objects(score.astype(object), keep), problems)


def milestone_block(cells: np.ndarray, header: np.ndarray | None, ruleset: RuleSet) -> np.ndarray:
    """The milestone cells of each row of ``cells``, one column per milestone part in rule-set
    order, whatever else the range holds.

    * With ``header`` (the header row over ``cells``): every column whose header names a
      milestone (Chinese or English, or an alias) is used; every other column — a milestone
      date, the stage, the whole deal row — is ignored.
    * Without it: as many columns as milestone parts are taken as they are; a range as wide as
      the template's whole deal row, or as its milestone span (the first milestone column to the
      last, with the date columns between), is read by the template's column order.

    Raises:
        CalcError: the columns cannot be matched to the milestones.
    """
    milestones = ruleset.milestones
    keys = [f"m:{m.key}" for m in milestones]
    width = cells.shape[1]
    if header is not None:
        found = _by_header(header, width, ruleset)
        missing = [m for m, k in zip(milestones, keys, strict=True) if k not in found]
        if missing:
            raise CalcError(
                Text(
                    zh="表头中没有关键节点列："
                    + "、".join(f"M{m.stage} {m.column.zh}" for m in missing),
                    en="the header has no column for "
                    + ", ".join(f"M{m.stage} {m.column.en}" for m in missing),
                )
            )
        return cells[:, [found[k] for k in keys]]
    if width == len(milestones):
        return cells
    template = [f.key for f in all_fields(ruleset)]
    first, last = template.index(keys[0]), template.index(keys[-1])
    if width == len(template):
        return cells[:, [template.index(k) for k in keys]]
    if width == last - first + 1:
        return cells[:, [template.index(k) - first for k in keys]]
    names = ", ".join(f"M{m.stage} {m.column.en}" for m in milestones)
    names_zh = "、".join(f"M{m.stage} {m.column.zh}" for m in milestones)
    raise CalcError(
        Text(
            zh=f"需要 {len(milestones)} 个关键节点单元格（{names_zh}），实际 {width} 个；"
            "或选整行并在 header 参数给出表头行",
            en=f"expects {len(milestones)} milestone cells ({names}), got {width}; "
            "or give the whole row and its header row as header",
        )
    )


def _by_header(header: np.ndarray, width: int, ruleset: RuleSet) -> dict[str, int]:
    """Field key -> column position, for the milestone columns named in a header row."""
    cells = header.ravel() if 1 in header.shape else header[0]
    if len(cells) != width:
        raise CalcError(
            Text(
                zh=f"表头有 {len(cells)} 个单元格，关键节点区域有 {width} 列",
                en=f"the header has {len(cells)} cells but the milestones {width} columns",
            )
        )
    index = header_index(ruleset)
    found: dict[str, int] = {}
    for j, name in enumerate(cells):
        key = index.get(fold(str(name))) if isinstance(name, str) else None
        if key is not None and key.startswith("m:"):
            found.setdefault(key, j)
    return found


def _gate_deals(
    stages: Any, ticks: np.ndarray, probabilities: Any, ruleset: RuleSet
) -> tuple[Pipeline, pd.DataFrame]:
    """Run the engine's per-deal metrics over stage, milestone ticks and probability columns."""
    milestones = ruleset.milestones
    rows, width = ticks.shape
    if width != len(milestones):
        names = ", ".join(f"M{m.stage} {m.column.en}" for m in milestones)
        names_zh = "、".join(f"M{m.stage} {m.column.zh}" for m in milestones)
        raise CalcError(
            Text(
                zh=f"需要 {len(milestones)} 个关键节点单元格（{names_zh}），实际 {width} 个",
                en=f"expects {len(milestones)} milestone cells ({names}), got {width}",
            )
        )
    base = {f.key: f.header.en for f in BASE_FIELDS}
    header = [base[k] for k in ("deal_id", "stage", "probability")]
    header += [m.column.en for m in milestones]
    body = np.empty((rows, len(header)), dtype=object)
    body[:, 0] = [str(i + 1) for i in range(rows)]  # never an all-blank row: none is dropped
    body[:, 1] = np.asarray(stages, dtype=object).ravel()
    body[:, 2] = np.asarray(probabilities, dtype=object).ravel()
    body[:, 3:] = ticks
    body[np.asarray(pd.isna(body), dtype=bool)] = ""
    pipeline = build_pipeline([header, *body], ruleset, source="calc", lang="en")
    deals = engine.compute_deals(pipeline, ruleset, pd.Timestamp(dt.date.today())).deals
    return pipeline, deals


def _gate_problems(pipeline: Pipeline) -> np.ndarray:
    problems = np.full(len(pipeline), None, dtype=object)
    for key, bad in pipeline.bad.items():
        kind = pipeline.kinds[key].value
        _note(problems, pipeline.raw[key], bad, EXPECTED.get(kind, Text(kind, kind)))
    return problems


def missing_milestones(stages: Any, ticks: np.ndarray, ruleset: RuleSet, lang: Lang) -> Computed:
    """The missing earlier milestones of each deal as text in ``lang`` (``""`` when the gate
    passes); ``ticks`` has one row per deal and one cell per milestone part in rule-set order
    (a tick such as ✓/Yes/是, No, or the date it was done)."""
    stage_raw = np.asarray(stages, dtype=object).ravel()
    pipeline, deals = _gate_deals(stage_raw, ticks, np.full(len(stage_raw), ""), ruleset)
    problems = _gate_problems(pipeline)
    text = deals[f"missing_{lang}"].to_numpy(dtype=object)
    keep = deals["stage"].notna().to_numpy(dtype=bool) & is_none(problems)
    return Computed(_objects(text, keep), problems)


def adjusted_probabilities(
    stages: Any, ticks: np.ndarray, probabilities: Any, ruleset: RuleSet
) -> Computed:
    """Each deal's probability after the forced-advance penalty (stage default when blank)."""
    stage_raw = np.asarray(stages, dtype=object).ravel()
    prob_raw = np.asarray(probabilities, dtype=object).ravel()
    pipeline, deals = _gate_deals(stage_raw, ticks, prob_raw, ruleset)
    problems = _gate_problems(pipeline)
    given = pipeline.frame["probability"].to_numpy(dtype=float)
    for i in np.flatnonzero((given < 0) | (given > 1)):
        problems[i] = problems[i] or _out_of_range(pipeline.raw["probability"][i])
    adjusted = deals["adjusted_probability"].to_numpy(dtype=float)
    keep = ~np.isnan(adjusted) & is_none(problems)
    return Computed(_objects(adjusted.astype(object), keep), problems)


# --------------------------------------------------------------------------- whole table


def run_table(
    cells: np.ndarray | Sequence[Sequence[Any]],
    ruleset: RuleSet,
    *,
    lang: Lang | None = None,
    as_of: pd.Timestamp | dt.date | None = None,
    origin: tuple[int, int] = (0, 0),
    sheet: str | None = None,
) -> engine.Result | None:
    """Run the engine over a whole Deals range (header row included), as a live sheet hands it.

    Args:
        cells: the range, 2-D; blanks as None or ``""`` (None and NaN become ``""`` here).
        ruleset: the rule set.
        lang: message language; None guesses it from the headers.
        as_of: "today" for date checks (None: the real today).
        origin: (row, column), 0-based, of ``cells[0][0]`` in its sheet, so cell addresses
            match the sheet (default: the range starts at A1).
        sheet: the sheet's name, for findings (None when unknown, as for a UDF).

    Returns:
        The engine's :class:`~excelflow.engine.Result`, or None for an empty range.

    Raises:
        CalcError: the range has values but no header row with a Stage column.
    """
    arr = np.asarray(cells, dtype=object)
    if arr.ndim != 2:
        arr = arr.reshape(1, -1) if arr.size else np.empty((0, 0), dtype=object)
    arr = arr.copy()
    arr[np.asarray(pd.isna(arr), dtype=bool)] = ""
    if arr.size == 0 or not np.any(arr != ""):
        return None
    try:
        pipeline = build_pipeline(
            list(arr), ruleset, source=sheet or "range", sheet=sheet, origin=origin, lang=lang
        )
    except TableNotFound:
        raise CalcError(
            Text(
                zh="未找到商机表：需要包含「阶段」列的表头行",
                en="no deals table found: the range needs a header row with a Stage column",
            )
        ) from None
    return engine.run(pipeline, ruleset, as_of=as_of, lang=lang)


def finding_rows(result: engine.Result | None, lang: Lang | None = None) -> list[list[Any]]:
    """Findings as rows: a header (``Deal, Cell, Code, Severity, Message`` in the report
    language) and one row per finding in sheet order; just the header without findings."""
    lg: Lang = lang or (result.lang if result is not None else "en")
    lab = LABELS[lg]
    header: list[Any] = [lab[c] for c in CHECK_COLUMNS]
    if result is None or result.findings.empty:
        return [header]
    f = result.findings
    severity = f["severity"].map({s: lab[f"sev_{s}"] for s in ("error", "warning", "info")})
    body = np.column_stack(
        [
            f["deal_id"].fillna("").to_numpy(dtype=object),
            f["cell"].fillna("").to_numpy(dtype=object),
            f["code"].to_numpy(dtype=object),
            severity.to_numpy(dtype=object),
            f[f"message_{lg}"].to_numpy(dtype=object),
        ]
    )
    return [header, *body.tolist()]


def check_table(
    cells: np.ndarray | Sequence[Sequence[Any]],
    ruleset: RuleSet,
    *,
    lang: Lang | None = None,
    as_of: pd.Timestamp | dt.date | None = None,
    origin: tuple[int, int] = (0, 0),
) -> list[list[Any]]:
    """:func:`run_table` then :func:`finding_rows`: what ``EF_CHECK`` shows.

    Raises:
        CalcError: the range has values but no header row with a Stage column.
    """
    result = run_table(cells, ruleset, lang=lang, as_of=as_of, origin=origin)
    return finding_rows(result, lang)
