"""Units written in headers: ``金额(万元)``, ``Amount (k)``, ``Value (USD)``, ``Probability (%)``.

A unit scales the column's plain numbers (``350`` in a ``万元`` column is 3,500,000); a cell that
states its own unit keeps it (``120万`` is 1,200,000 in any column), unless that unit contradicts
the header's (``120k`` or ``$500`` in a ``万元`` column): then the cell is not understood (DQ04).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.coerce import blank_cells, factorize, take
from excelflow.pipeline.fields import Kind


@dataclass(frozen=True)
class Unit:
    """A header's unit: ``label`` as written, the ``scale`` of a plain number, the currency it
    names (None: none), and whether it is a percentage."""

    label: str
    scale: float = 1.0
    currency: str | None = None
    percent: bool = False


_CNY, _USD, _EUR = "CNY", "USD", "EUR"
UNITS: dict[str, tuple[float, str | None]] = {
    "万元": (1e4, _CNY), "万": (1e4, None), "千元": (1e3, _CNY), "千": (1e3, None),
    "百万": (1e6, None), "百万元": (1e6, _CNY), "亿": (1e8, None), "亿元": (1e8, _CNY),
    "元": (1.0, _CNY), "人民币": (1.0, _CNY), "rmb": (1.0, _CNY), "cny": (1.0, _CNY),
    "¥": (1.0, _CNY), "￥": (1.0, _CNY), "k": (1e3, None), "m": (1e6, None), "mm": (1e6, None),
    "usd": (1.0, _USD), "$": (1.0, _USD), "us$": (1.0, _USD), "kusd": (1e3, _USD),
    "usdk": (1e3, _USD), "$k": (1e3, _USD), "musd": (1e6, _USD), "usdm": (1e6, _USD),
    "$m": (1e6, _USD), "eur": (1.0, _EUR), "€": (1.0, _EUR), "keur": (1e3, _EUR),
}  # fmt: skip
"""Unit text (lower case, no spaces) -> (scale, currency)."""

_BRACKETED = re.compile(
    r"^(?P<base>.*?)\s*[(（\[【]\s*(?P<unit>[^()（）\[\]【】]{1,8}?)\s*[)）\]】]\s*$"
)
_CJK_SUFFIX = re.compile(r"^(?P<base>.*[\u4e00-\u9fff])(?P<unit>万元|千元|百万元|亿元)$")
_CELL_SCALE = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}
_CELL_CURRENCY = (("usd", _USD), ("$", _USD), ("rmb", _CNY), ("cny", _CNY), ("¥", _CNY),
                  ("￥", _CNY), ("元", _CNY), ("eur", _EUR), ("€", _EUR))  # fmt: skip
_PLAIN = re.compile(r"^[+-]?[\d,\s]*\.?\d+$")


def header_unit(text: Any) -> tuple[str, Unit] | None:
    """(the header without its unit, the unit) when ``text`` ends with one, else None."""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    match = _BRACKETED.match(stripped) or _CJK_SUFFIX.match(stripped)
    if match is None:
        return None
    label = match.group("unit").strip()
    key = re.sub(r"\s+", "", label).lower()
    if key == "%":
        return match.group("base").strip(), Unit(label, percent=True)
    if key not in UNITS:
        return None
    scale, currency = UNITS[key]
    return match.group("base").strip(), Unit(label, scale, currency)


def unit_of(label: str) -> Unit | None:
    """The unit named ``label`` (``万元``, ``k``, ``USD``, ``%``), or None."""
    found = header_unit(f"x ({label})")
    return None if found is None else found[1]


def applies(unit: Unit, kind: Kind) -> bool:
    """True when ``unit`` means something for a column of ``kind`` (money, or a percentage)."""
    return (kind == Kind.MONEY and not unit.percent) or (kind == Kind.PROBABILITY and unit.percent)


def apply_unit(
    raw: np.ndarray, values: pd.Series, bad: np.ndarray, unit: Unit
) -> tuple[pd.Series, np.ndarray]:
    """Scale the plain numbers of a coerced money or probability column; cells whose own unit
    contradicts ``unit`` become blank and bad. Works once per distinct cell value."""
    codes, uniques = factorize(raw, blank_cells(raw))
    factor = np.ones(len(uniques))
    wrong = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        if _plain(value):
            factor[i] = unit.scale if not unit.percent else np.nan  # percent: set below
        elif not unit.percent:
            wrong[i] = _contradicts(str(value), unit)
    per_row = take(factor, codes, 1.0)
    out = values.to_numpy(dtype=float, copy=True)
    if unit.percent:
        plain = np.isnan(per_row)
        numbers = pd.to_numeric(pd.Series(raw[plain], dtype=object).map(_number), errors="coerce")
        out[plain] = numbers.to_numpy(dtype=float) / 100
    else:
        out = out * per_row
    contradicted = take(wrong, codes, False).astype(bool)
    out[contradicted] = np.nan
    return pd.Series(out, index=values.index), bad | contradicted


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).replace(",", "").replace(" ", ""))
    except ValueError:
        return None


def _plain(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_PLAIN.match(value.strip()))


def _contradicts(text: str, unit: Unit) -> bool:
    low = text.strip().lower().replace(" ", "")
    currency = next((cur for sign, cur in _CELL_CURRENCY if sign in low), None)
    if currency is not None and unit.currency is not None and currency != unit.currency:
        return True
    digits = low.rstrip(")")
    scale = _CELL_SCALE.get(digits[-1:]) if digits else None
    if digits.endswith("元") and len(digits) > 1:
        scale = _CELL_SCALE.get(digits[-2])
    return scale is not None and unit.scale != 1.0 and scale != unit.scale
