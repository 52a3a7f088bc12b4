"""The compact JSON report's column arrays: a column as one JSON array (orjson), blanks as
null, dates as ISO text, worked out once per distinct text rather than once per cell.

(The records form of the report, ``--format json`` without ``--compact``, stays with pandas'
``to_json``: a column-wise writer for it, one encoder call per column and text once per
distinct value, measured only about 10 % faster on the real findings frame, with a larger
peak: not worth its code.)
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

_ITSELF = ("string", "integer", "boolean")
"""What ``infer_dtype`` calls an array whose values :func:`plain` leaves as they are (text,
ints, booleans; no blank among them)."""


def plain(value: Any) -> Any:
    """A cell of a report column as JSON carries it: None for NaN/NaT/NA, ISO text for dates."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return str(value)


def plain_values(col: pd.Series) -> list[Any]:
    """``[plain(v) for v in col.tolist()]``, worked out once per distinct text."""
    kind = getattr(col.dtype, "kind", "")
    if kind in "biuf":  # numbers as tolist gives them; NA, NaN and infinities as None
        numbers: list[Any] = col.tolist()
        blank = np.array(col.isna(), dtype=bool)
        if kind == "f":
            blank |= ~np.isfinite(col.to_numpy(dtype=float, na_value=np.nan))
        for i in np.flatnonzero(blank).tolist():
            numbers[i] = None
        return numbers
    if kind != "O" or isinstance(col.dtype, pd.CategoricalDtype):
        return [plain(v) for v in col.tolist()]
    values = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) in _ITSELF:
        listed: list[Any] = values.tolist()
        return listed
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # an unhashable value
        return [plain(v) for v in values.tolist()]
    # text is itself; every blank factorize finds is None; other values one by one
    is_text = np.array([type(u) is str for u in uniques] + [True], dtype=bool)
    slots = np.empty(len(uniques) + 1, dtype=object)
    slots[:-1] = uniques
    out = slots[codes]
    alone = np.flatnonzero(~is_text[codes])
    if len(alone):
        out[alone] = _plain_others(values[alone])
    listed = out.tolist()
    return listed


def _plain_others(values: np.ndarray) -> list[Any]:
    """``[plain(v) for v in values]`` where most are numbers."""
    inferred = pd.api.types.infer_dtype(values, skipna=False)
    if inferred in _ITSELF:
        listed: list[Any] = values.tolist()
        return listed
    if inferred == "floating":  # floats alone: infinities and NaN as None
        floats: list[Any] = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values.astype(float))).tolist():
            floats[i] = None
        return floats
    return [plain(v) for v in values.tolist()]


def column_array(col: pd.Series) -> str:
    """``col`` as a JSON array (orjson), blanks as null, dates as ISO text."""
    import orjson

    return orjson.dumps(plain_values(col)).decode()
