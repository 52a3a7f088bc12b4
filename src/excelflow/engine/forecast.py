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
from dataclasses import dataclass

import numpy as np
import pandas as pd

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


def _rows(keys: list[str], stated: np.ndarray, adjusted: np.ndarray) -> list[ForecastRow]:
    frame = pd.DataFrame({"key": keys, "stated": stated, "adjusted": adjusted})
    agg = frame.groupby("key", sort=False).agg(
        deals=("stated", "size"), stated=("stated", "sum"), adjusted=("adjusted", "sum")
    )
    return [
        ForecastRow(str(k), int(n), _finite(s), _finite(a))
        for k, n, s, a in zip(agg.index, agg["deals"], agg["stated"], agg["adjusted"], strict=True)
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


def forecast(deals: pd.DataFrame) -> Forecast:
    """The forecast of the engine's per-deal frame (``Result.deals``).

    Uses its ``is_open``, ``amount``, ``probability`` (stated), ``adjusted_probability``,
    ``stage``, ``owner`` and ``grade`` columns. By stage in stage order, by owner from the
    largest stated amount down (then by name), by grade in letter order; unknown keys last.
    """
    open_ = deals["is_open"].to_numpy(dtype=bool)
    d = deals.loc[open_]
    amount = d["amount"].to_numpy(dtype=float)
    stated = np.nan_to_num(amount * d["probability"].to_numpy(dtype=float), nan=0.0)
    adjusted = np.nan_to_num(amount * d["adjusted_probability"].to_numpy(dtype=float), nan=0.0)
    stated[~np.isfinite(stated)] = 0.0
    adjusted[~np.isfinite(adjusted)] = 0.0

    def keys(column: str) -> list[str]:
        if column not in d:
            return [UNKNOWN_KEY] * len(d)
        return [_key(v) for v in d[column].to_numpy(dtype=object)]

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
