"""The forecast a manager compares: stated vs gate-adjusted weighted pipeline.

*Stated* is Σ amount × the probability the sheet states (or the stage default when none is
given); *gate-adjusted* is Σ amount × the probability after the forced-advance penalty (the
engine's ``adjusted_probability``). Both are over the **open** deals only, like
:func:`excelflow.engine.report.weighted_pipeline` (whose total equals ``adjusted`` here): won,
lost and withdrawn deals are outcomes, not forecast. A deal whose amount or probability is
unknown (NaN) adds 0 to both, so every number is finite.

The gap, stated − adjusted, is the cost of forced advances: what the pipeline claims beyond
what its milestones support.

Group keys are plain text so JSON and every door can carry them: by stage the stage number
(``"1"`` … ``"6"``), by owner the owner as written, by grade the letter; ``""`` is a deal whose
stage, owner or grade is unknown (listed last).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from excelflow.pipeline.ruleset import Lang, Text
from excelflow.pipeline.textutil import pad, width

UNKNOWN_KEY = ""
"""The key of the group whose stage, owner or grade is unknown."""


@dataclass(frozen=True)
class ForecastRow:
    """One group of open deals: how many, and their stated and gate-adjusted weighted amount."""

    key: str
    deals: int
    stated: float
    adjusted: float

    @property
    def gap(self) -> float:
        """stated − adjusted for this group."""
        return self.stated - self.adjusted


@dataclass(frozen=True)
class Forecast:
    """Stated and gate-adjusted weighted pipeline of the open deals, in total and by group."""

    stated: float
    """Σ amount × stated probability over the open deals."""
    adjusted: float
    """Σ amount × gate-adjusted probability over the open deals (= the weighted pipeline)."""
    by_stage: tuple[ForecastRow, ...]
    by_owner: tuple[ForecastRow, ...]
    by_grade: tuple[ForecastRow, ...]

    @property
    def gap(self) -> float:
        """stated − adjusted: the cost of forced advances."""
        return self.stated - self.adjusted

    @property
    def deals(self) -> int:
        """How many open deals the forecast covers."""
        return sum(r.deals for r in self.by_stage)


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def _key(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return UNKNOWN_KEY
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return UNKNOWN_KEY
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value).strip()


def _rows(
    keys: tuple[np.ndarray, list[str]], stated: np.ndarray, adjusted: np.ndarray
) -> list[ForecastRow]:
    """Per key (given as each deal's number in a list of distinct keys), in the order keys
    first appear: grouped on those numbers, not on every deal's text."""
    codes, names = keys
    # one grouped sum of both columns (pandas' compensated sum, as before), the sizes counted
    # apart: a third of the time of one named aggregation
    sums = pd.DataFrame({"stated": stated, "adjusted": adjusted}).groupby(codes, sort=False).sum()
    sizes = np.bincount(codes, minlength=len(names))
    return [
        ForecastRow(names[k], int(sizes[k]), _finite(s), _finite(a))
        for k, s, a in zip(sums.index, sums["stated"], sums["adjusted"], strict=True)
    ]


def _stage_order(row: ForecastRow) -> tuple[int, float, str]:
    if row.key == UNKNOWN_KEY:
        return (1, 0.0, "")
    try:
        return (0, float(row.key), row.key)
    except ValueError:
        return (0, math.inf, row.key)


def _last_unknown(row: ForecastRow) -> tuple[bool, str]:
    return (row.key == UNKNOWN_KEY, row.key)


def _weighted(deals: pd.DataFrame, open_: np.ndarray, probability: str) -> np.ndarray:
    """Each open deal's amount × ``probability`` column, 0 where unknown or not finite."""
    amount = deals["amount"].to_numpy(dtype=float)[open_]
    out: np.ndarray = np.nan_to_num(
        amount * deals[probability].to_numpy(dtype=float)[open_], nan=0.0
    )
    out[~np.isfinite(out)] = 0.0
    return out


def stated_total(deals: pd.DataFrame) -> float:
    """:func:`forecast`'s ``stated`` alone (the same sum), without grouping the deals."""
    open_ = deals["is_open"].to_numpy(dtype=bool)
    return _finite(float(_weighted(deals, open_, "probability").sum()))


def forecast(deals: pd.DataFrame) -> Forecast:
    """The forecast of the engine's per-deal frame (``Result.deals``).

    Uses its ``is_open``, ``amount``, ``probability`` (stated), ``adjusted_probability``,
    ``stage``, ``owner`` and ``grade`` columns. By stage in stage order, by owner from the
    largest stated amount down (then by name), by grade in letter order; unknown keys last.
    """
    open_ = deals["is_open"].to_numpy(dtype=bool)
    stated = _weighted(deals, open_, "probability")
    adjusted = _weighted(deals, open_, "adjusted_probability")

    def keys(column: str) -> tuple[np.ndarray, list[str]]:
        if column not in deals:
            return np.zeros(len(stated), dtype=np.intp), [UNKNOWN_KEY]
        # the open deals' values (not a copy of every column of theirs), each distinct one
        # once (blanks of every kind are the unknown key)
        values = deals[column].to_numpy(dtype=object)[open_]
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        per_value = [*(_key(u) for u in uniques), UNKNOWN_KEY]
        key_codes, names = pd.factorize(np.array(per_value, dtype=object))
        return key_codes[codes], [str(k) for k in names]

    by_stage = sorted(_rows(keys("stage"), stated, adjusted), key=_stage_order)
    by_owner = sorted(
        _rows(keys("owner"), stated, adjusted),
        key=lambda r: (r.key == UNKNOWN_KEY, -r.stated, r.key),
    )
    by_grade = sorted(_rows(keys("grade"), stated, adjusted), key=_last_unknown)
    return Forecast(
        stated=_finite(float(stated.sum())),
        adjusted=_finite(float(adjusted.sum())),
        by_stage=tuple(by_stage),
        by_owner=tuple(by_owner),
        by_grade=tuple(by_grade),
    )


def _row_dict(row: ForecastRow) -> dict[str, object]:
    return {
        "key": row.key,
        "deals": row.deals,
        "stated": round(row.stated, 2),
        "adjusted": round(row.adjusted, 2),
        "gap": round(row.gap, 2),
    }


def forecast_dict(f: Forecast) -> dict[str, object]:
    """The forecast as strict-JSON-safe plain data (no NaN, amounts rounded to cents)::

    {"stated": …, "adjusted": …, "gap": …, "deals": n,
     "by_stage": [{"key": "1", "deals": n, "stated": …, "adjusted": …, "gap": …}, …],
     "by_owner": […], "by_grade": […]}
    """
    return {
        "stated": round(f.stated, 2),
        "adjusted": round(f.adjusted, 2),
        "gap": round(f.gap, 2),
        "deals": f.deals,
        "by_stage": [_row_dict(r) for r in f.by_stage],
        "by_owner": [_row_dict(r) for r in f.by_owner],
        "by_grade": [_row_dict(r) for r in f.by_grade],
    }


# --------------------------------------------------------------------------- words


LABEL: dict[str, Text] = {
    "title": Text("预测（进行中商机）", "Forecast (open deals)"),
    "stated": Text("按填报赢率", "stated"),
    "adjusted": Text("按关口调整赢率", "gate-adjusted"),
    "gap": Text("差额", "gap"),
    "deals": Text("商机数", "deals"),
    "by_stage": Text("按阶段", "By stage"),
    "by_owner": Text("按负责人", "By owner"),
    "by_grade": Text("按评级", "By grade"),
    "unknown_stage": Text("阶段不明", "Unknown stage"),
    "unknown_owner": Text("（无负责人）", "(no owner)"),
    "unknown_grade": Text("（未评级）", "(no grade)"),
}
"""The forecast's words in both languages (text report, Dashboard, task pane)."""

GAP_LINE = Text("差额就是强行推进的代价。", "The gap is the cost of forced advances.")
"""The one line that says what the gap means."""


def headline(f: Forecast, lang: Lang) -> str:
    """``Forecast (open deals): stated 180,000 · gate-adjusted 150,000 · gap 30,000 — The gap is
    the cost of forced advances.``"""
    colon, dash = ("：", " —— ") if lang == "zh" else (": ", " — ")
    parts = " · ".join(
        f"{LABEL[k](lang)} {v:,.0f}"
        for k, v in (("stated", f.stated), ("adjusted", f.adjusted), ("gap", f.gap))
    )
    return f"{LABEL['title'](lang)}{colon}{parts}{dash}{GAP_LINE(lang)}"


def row_label(
    group: str, key: str, lang: Lang, stage_names: Mapping[str, str] | None = None
) -> str:
    """How a group's key reads: a stage by its number and name, an unknown key in words."""
    if key == UNKNOWN_KEY:
        return LABEL[f"unknown_{group}"](lang)
    if group == "stage" and stage_names is not None:
        return stage_names.get(key, key)
    return key


def forecast_lines(
    f: Forecast, lang: Lang, stage_names: Mapping[str, str] | None = None, indent: str = "  "
) -> list[str]:
    """The forecast as text: the headline, then one aligned table by stage, owner and grade
    (deals, stated, gate-adjusted, gap). ``stage_names`` maps a stage key to its label
    (``"3" → "3 方案设计"``). No open deal: the headline only."""
    out = [indent + headline(f, lang)]
    if not f.deals:
        return out
    head = ("", LABEL["deals"](lang), LABEL["stated"](lang), LABEL["adjusted"](lang),
            LABEL["gap"](lang))  # fmt: skip
    rows: list[tuple[str, ...]] = []
    for group, items in (("stage", f.by_stage), ("owner", f.by_owner), ("grade", f.by_grade)):
        rows.append((LABEL[f"by_{group}"](lang), "", "", "", ""))
        rows.extend(
            (
                "  " + row_label(group, r.key, lang, stage_names),
                f"{r.deals:,}",
                f"{r.stated:,.0f}",
                f"{r.adjusted:,.0f}",
                f"{r.gap:,.0f}",
            )
            for r in items
        )
    widths = [max(width(r[i]) for r in (head, *rows)) for i in range(len(head))]
    for r in (head, *rows):
        cells = [pad(r[0], widths[0])]
        cells += [" " * (widths[i] - width(r[i])) + r[i] for i in range(1, len(r))]
        out.append((indent + "  " + "  ".join(cells)).rstrip())
    return out
