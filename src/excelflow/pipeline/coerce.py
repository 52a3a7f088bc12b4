"""Turn raw cell values (as calamine, csv or Excel hand them over) into typed columns.

Every coercion works on a column's *distinct* values (``pandas.factorize``) and maps the results
back with one ``take``, so a 100k-row column with a few hundred distinct dates costs a few hundred
Python calls, not 100k. A value that cannot be understood is never an exception: it becomes a
blank plus a ``bad`` flag, which the engine reports as ``DQ04`` on that cell.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.fields import Kind, fold
from excelflow.pipeline.ruleset import RuleSet

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31
TICK_SERIAL_MIN = 20000  # 1954-10-03: a bare number this large in a milestone cell is a date

TRUE_WORDS = frozenset(
    fold(w)
    for w in ("y", "yes", "是", "true", "1", "x", "done", "ok", "完成", "已完成", "有", "对", "真")
)
TRUE_SYMBOLS = frozenset("✓✔√☑✅●")
FALSE_WORDS = frozenset(
    fold(w)
    for w in ("n", "no", "否", "false", "0", "未完成", "无", "没有", "未", "假", "na", "n/a")
)
FALSE_SYMBOLS = frozenset("✗✘×☐-–—")

STATUS_WORDS: Mapping[str, tuple[str, ...]] = {
    "open": (
        "open",
        "进行中",
        "跟进中",
        "active",
        "in progress",
        "pipeline",
        "打开",
        "未关闭",
        "开放",
    ),
    "won": ("won", "赢单", "赢", "成交", "已成交", "closed won", "win", "中标"),
    "lost": ("lost", "丢单", "输单", "失败", "closed lost", "loss", "未中标"),
    "withdrawn": (
        "withdrawn",
        "放弃",
        "退出",
        "撤回",
        "abandoned",
        "dropped",
        "cancelled",
        "canceled",
        "取消",
        "暂停",
    ),
}
STATUS_LOOKUP = {fold(w): status for status, words in STATUS_WORDS.items() for w in words}

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_MONEY_STRIP_RE = re.compile(r"[,\s¥￥$€£]|rmb|cny|usd|eur|元", re.IGNORECASE)
_MONEY_SCALE = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}
_STAGE_NUM_RE = re.compile(r"^(?:stage|s|第|阶段)?(\d+)(?:阶段)?(.*)$")
_NUMBER_TYPES = ("floating", "integer", "mixed-integer-float", "empty")  # infer_dtype's answers
MAX_MONEY = 1e15
"""The largest amount a deal may have (as in the bid schema): 1e308 or an infinity is not an
amount, and sums of such would overflow the forecast."""
_STRIP = np.frompyfunc(str.strip, 1, 1)  # str.strip over an object array, in C
NUMERIC_KINDS = frozenset((Kind.PROBABILITY, Kind.MONEY, Kind.SCORE))
try:  # pandas' object hash table, the one pd.factorize uses for a column that is not all text
    _OBJECT_TABLE: Any = importlib.import_module("pandas._libs.hashtable").PyObjectHashTable
except (ImportError, AttributeError):  # pragma: no cover - a pandas without it: pd.factorize
    _OBJECT_TABLE = None


@dataclass(frozen=True)
class Coerced:
    """A coerced column: typed ``values``, a ``bad`` mask, and (ticks only) the ``dates`` given."""

    values: pd.Series
    bad: np.ndarray
    dates: pd.Series | None = None


def is_blank(value: Any) -> bool:
    """True for None, NaN, and empty or whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    return False


def _norm_text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = _norm_text(value).replace(",", "")
        if _NUMBER_RE.match(text):
            return float(text)
    return None


def blank_cells(values: np.ndarray) -> np.ndarray:
    """Cells holding ``""`` (vectorized; 1-D or 2-D object arrays).

    Readers hand blanks over as ``""``. None and NaN are also treated as blank, later, by
    :func:`factorize`; whitespace-only text by the parsers, per distinct value.
    """
    return np.asarray(values == "", dtype=bool)


def factorize(values: np.ndarray, blank: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Codes per row (-1 for blanks and NaN) and the distinct non-blank values.

    The column is hashed as is and the ``""`` code dropped, or, when ``blank`` is given and
    marks most cells, only its filled cells are hashed. Both ways give the same codes; they
    differ only in cost. (Without ``blank``, working it out would cost more than hashing the
    blanks: they are all the one ``""`` object, whose hash is cached.)
    """
    if blank is not None:
        filled = int(len(blank) - np.count_nonzero(blank))
        if filled == 0:
            return np.full(len(values), -1, dtype=np.intp), np.empty(0, dtype=object)
        if filled <= len(values) // 2:
            codes = np.full(len(values), -1, dtype=np.intp)
            keep = np.flatnonzero(~blank)
            sub_codes, sub_uniques = _factorize_objects(values[keep])
            codes[keep] = sub_codes
            return codes, sub_uniques
    codes, uniques = _factorize_objects(values)
    blank_code = np.flatnonzero(uniques == "")
    if len(blank_code):
        codes = np.where(codes == blank_code[0], -1, codes)
        codes = np.where(codes > blank_code[0], codes - 1, codes)
        uniques = np.delete(uniques, blank_code[0])
    return codes, uniques


def _factorize_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` of an object array (NaN and None code -1), always hashed as
    Python objects.

    pd.factorize first scans the column to see whether it is all text, and if so hashes each
    cell's UTF-8 form: that scan costs time, and the UTF-8 form of every non-ASCII string stays
    cached on the string (16 MB at 100k messy deals). The object table gives the same codes and
    uniques (Python equality is text equality) without either.
    """
    if _OBJECT_TABLE is None:  # pragma: no cover
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object)
    uniques, codes = _OBJECT_TABLE(min(len(values), 64)).factorize(
        values, na_sentinel=-1, na_value=None, mask=None, ignore_na=True
    )
    return codes.astype(np.intp, copy=False), np.asarray(uniques, dtype=object)


def repeated(value: Any, n: int) -> np.ndarray:
    """An object array holding ``value`` n times, as one shared object.

    ``np.full(n, "text", dtype=object)`` would store n separate copies of a string (numpy casts
    the scalar through a fixed-width string array): 60 MB for 4 columns of 240k findings.
    """
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def take(per_unique: np.ndarray, codes: np.ndarray, fill: Any) -> np.ndarray:
    """Expand per-distinct-value results to rows; code -1 takes ``fill``."""
    extended = np.empty(len(per_unique) + 1, dtype=per_unique.dtype)
    extended[:-1] = per_unique
    extended[-1] = fill
    out: np.ndarray = extended[codes]
    return out


BLANK = object()  # a parser's answer for whitespace-only text and NaN: blank, not bad


def _parse_uniques(
    uniques: np.ndarray, parse: Callable[[Any], Any], dtype: Any, fill: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse each distinct value: (results, bad, blank) arrays aligned with ``uniques``."""
    out = np.full(len(uniques), fill, dtype=dtype)
    bad = np.zeros(len(uniques), dtype=bool)
    blank = np.zeros(len(uniques), dtype=bool)
    for i, value in enumerate(uniques):
        result = BLANK if is_blank(value) else parse(value)
        if result is BLANK:
            blank[i] = True
        elif result is None:
            bad[i] = True
        else:
            out[i] = result
    return out, bad, blank


# --------------------------------------------------------------------------- scalars


DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2200, 12, 31))
"""The dates ExcelFlow reads: a cell outside is not understood (DQ04), an ``--as-of`` outside is
refused (pandas' nanosecond clock ends in 2262, and a close date in 2263 is a typo)."""


def parse_date(
    value: Any, formats: Sequence[str] = (), *, bounded: bool = True
) -> pd.Timestamp | None:
    """Parse one cell as a date, or return None when it is not one (or, ``bounded``, when it
    falls outside :data:`DATE_RANGE`).

    Accepts datetimes/dates, Excel serial numbers, ISO and ``2027/3/1`` text, ``2027年3月1日``,
    ``20270301``, and any ``strptime`` formats given (from a mapping file).
    """
    date = _parse_date(value, formats)
    if date is None or not bounded:
        return date
    return date if DATE_RANGE[0] <= date.date() <= DATE_RANGE[1] else None


def _parse_date(value: Any, formats: Sequence[str]) -> pd.Timestamp | None:
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value.date())
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    number = _as_number(value) if not isinstance(value, str) or _NUMBER_RE.match(value) else None
    if number is not None:
        if 1 <= number <= MAX_SERIAL and not (isinstance(value, str) and len(value) == 8):
            return pd.Timestamp(EXCEL_EPOCH + dt.timedelta(days=int(number)))
        if not isinstance(value, str):
            return None
    if not isinstance(value, str):
        return None
    text = _norm_text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return pd.Timestamp(dt.date(*map(int, match.groups()[:3])))
            except ValueError:
                return None
    for fmt in formats:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    return None


def parse_probability(value: Any) -> float | None:
    """0.6, 60 and "60%" all mean 60 %; numbers above 1 are read as percentages."""
    if isinstance(value, str):
        text = _norm_text(value).replace(" ", "")
        if text.endswith("%"):
            number = _as_number(text[:-1])
            return None if number is None else number / 100
    number = _as_number(value)
    if number is None:
        return None
    return number / 100 if number > 1 else number


def parse_money(value: Any) -> float | None:
    """Numbers, and text such as ``1,200,000``, ``¥1.2万``, ``120k`` or ``(500)``."""
    number = _as_number(value)
    if number is not None or not isinstance(value, str):
        return number
    text = _MONEY_STRIP_RE.sub("", _norm_text(value))
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    scale = 1.0
    if text and text[-1].lower() in _MONEY_SCALE:
        scale = _MONEY_SCALE[text[-1].lower()]
        text = text[:-1]
    number = _as_number(text)
    if number is None:
        return None
    return -number * scale if negative else number * scale


def parse_tick(value: Any, formats: Sequence[str] = ()) -> tuple[bool, pd.Timestamp | None] | None:
    """A milestone cell: (done, date done) or None when not understood. A date means done then."""
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value), None
        if TICK_SERIAL_MIN <= value <= MAX_SERIAL:
            return True, parse_date(value)
        return None
    if isinstance(value, dt.date | pd.Timestamp):
        return True, parse_date(value)
    if not isinstance(value, str):
        return None
    text = _norm_text(value)
    if text in TRUE_SYMBOLS or (text[:1] in TRUE_SYMBOLS and len(text) <= 3):
        return True, None
    if text in FALSE_SYMBOLS:
        return False, None
    folded = fold(text)
    if folded in TRUE_WORDS:
        return True, None
    if folded in FALSE_WORDS:
        return False, None
    date = parse_date(text, formats)
    if date is not None:
        return True, date
    return None


def stage_lookup(ruleset: RuleSet) -> dict[str, int]:
    """Folded stage names, keys and aliases (zh/en) mapped to stage numbers."""
    table: dict[str, int] = {}
    for st in ruleset.stages:
        names = [st.key, st.name.zh, st.name.en, *st.aliases]
        names += [n.removesuffix("阶段") for n in (st.name.zh, *st.aliases)]
        for name in names:
            table.setdefault(fold(name), st.number)
    return table


def parse_stage(value: Any, lookup: Mapping[str, int], count: int) -> int | None:
    """A stage as a number 1..count, a key, a zh/en name or alias, ``Stage 3``, ``第3阶段``…"""
    number = _as_number(value)
    if number is not None:
        return int(number) if number.is_integer() and 1 <= number <= count else None
    if not isinstance(value, str):
        return None
    folded = fold(value)
    if folded in lookup:
        return lookup[folded]
    match = _STAGE_NUM_RE.match(folded)
    if match:
        num, rest = int(match.group(1)), match.group(2)
        named = lookup.get(rest) if rest else num
        if 1 <= num <= count and named == num:
            return num
    return None


def parse_codes(value: Any) -> frozenset[str]:
    """Rule codes named in an ignore cell: "SG01, dq05" -> {"SG01", "DQ05"}."""
    return frozenset(re.findall(r"[A-Z]{2}\d{2}", str(value).upper()))


def format_id(value: Any) -> str:
    """An ID or text cell as text: 1001.0 -> "1001" (1e308 stays "1e+308", not 309 digits),
    dates as ISO."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return _norm_text(str(value)) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------- columns


def empty_column(kind: Kind, n: int) -> pd.Series:
    """The typed column of a field the source does not have: every cell blank."""
    if kind in (Kind.DATE,):
        return pd.Series(np.full(n, np.datetime64("NaT", "ns")))
    if kind in (Kind.PROBABILITY, Kind.MONEY, Kind.SCORE):
        return pd.Series(np.full(n, np.nan))
    if kind == Kind.TICK:
        return pd.Series(np.zeros(n, dtype=bool))
    if kind == Kind.STAGE:
        return pd.Series(np.full(n, np.nan), dtype="Int64")
    if kind == Kind.STATUS:
        return pd.Series(repeated("open", n))
    return pd.Series(np.full(n, None, dtype=object), dtype=object)  # what inference gives


def coerce_column(
    values: np.ndarray | pd.Series,
    kind: Kind,
    ruleset: RuleSet,
    *,
    blank: np.ndarray | None = None,
    date_formats: Sequence[str] = (),
    factorized: tuple[np.ndarray, np.ndarray] | None = None,
) -> Coerced:
    """Coerce one raw column (blanks as ``""``, None or NaN) to ``kind``.

    Args:
        values: the column's raw cell values.
        kind: how to read them.
        ruleset: stage names and the evaluation scale.
        blank: precomputed :func:`blank_cells` of ``values`` (computed only where needed).
        date_formats: extra ``strptime`` formats from a mapping file.
        factorized: :func:`factorize` of ``values``, where already known (``prepared``).
    """
    arr = np.asarray(values, dtype=object)
    n = len(arr)
    no_bad = np.zeros(n, dtype=bool)
    if kind == Kind.ID:
        return Coerced(pd.Series(_texts(arr, blank), dtype=object), no_bad)
    numeric = kind in NUMERIC_KINDS
    if numeric and all_numbers(arr):
        return _numeric(arr.astype(float), no_bad, kind, ruleset)  # the fast, usual case
    codes, uniques = factorize(arr, blank) if factorized is None else factorized
    if numeric and all_numbers(uniques):
        # numbers and blanks only: decided on the distinct values, not on every cell again
        return _numeric(take(uniques.astype(float), codes, np.nan), no_bad, kind, ruleset)
    if kind in (Kind.TEXT, Kind.RESULT):
        return Coerced(
            pd.Series(
                take(_texts(uniques, np.zeros(len(uniques), dtype=bool)), codes, None), dtype=object
            ),
            no_bad,
        )

    def run(parse: Callable[[Any], Any], dtype: Any, fill: Any) -> tuple[np.ndarray, np.ndarray]:
        out, bad_u, _ = _parse_uniques(uniques, parse, dtype, fill)
        return take(out, codes, fill), take(bad_u, codes, False)

    if kind == Kind.DATE:
        nat = np.datetime64("NaT", "ns")
        dates, bad = run(lambda v: parse_date(v, date_formats), "datetime64[ns]", nat)
        return Coerced(pd.Series(dates), bad)
    if numeric:
        parsers = {
            Kind.PROBABILITY: parse_probability,
            Kind.MONEY: parse_money,
            Kind.SCORE: _as_number,
        }
        parsed, bad = run(parsers[kind], float, np.nan)
        return _numeric(parsed, bad, kind, ruleset, scaled=True)
    if kind == Kind.TICK:
        pairs, bad_u, _ = _parse_uniques(
            uniques, lambda v: parse_tick(v, date_formats), object, None
        )
        done_u = np.array([bool(p and p[0]) for p in pairs], dtype=bool)
        date_u = np.array([p[1] if p else None for p in pairs], dtype="datetime64[ns]")
        done = take(done_u, codes, False)
        dates = take(date_u, codes, np.datetime64("NaT", "ns"))
        return Coerced(pd.Series(done, dtype=bool), take(bad_u, codes, False), pd.Series(dates))
    if kind == Kind.STAGE:
        lookup = stage_lookup(ruleset)
        count = len(ruleset.stages)
        stages, bad = run(lambda v: parse_stage(v, lookup, count), float, np.nan)
        return Coerced(pd.Series(pd.array(stages, dtype="Int64")), bad)
    if kind == Kind.STATUS:
        statuses, bad = run(lambda v: STATUS_LOOKUP.get(fold(format_id(v))), object, "open")
        statuses[bad] = "open"
        return Coerced(pd.Series(statuses, dtype=object), bad)
    if kind == Kind.CODES:
        sets, _ = run(parse_codes, object, None)
        return Coerced(pd.Series(sets, dtype=object), no_bad)
    raise ValueError(f"unknown column kind {kind!r}")


def all_numbers(values: np.ndarray) -> bool:
    """Every cell a number or blank (None/NaN)."""
    if len(values) > 1024:  # a sample with text answers for a mixed column without a full scan
        sample = values[:: len(values) // 256]
        if pd.api.types.infer_dtype(sample, skipna=True) not in _NUMBER_TYPES:
            return False
    return pd.api.types.infer_dtype(values, skipna=True) in _NUMBER_TYPES


def _numeric(
    numbers: np.ndarray, bad: np.ndarray, kind: Kind, ruleset: RuleSet, *, scaled: bool = False
) -> Coerced:
    """Finish a numeric column: percentages for probabilities, at most :data:`MAX_MONEY` for
    amounts, the scale check for scores."""
    if kind == Kind.PROBABILITY and not scaled:
        numbers = np.where(numbers > 1, numbers / 100, numbers)
    if kind == Kind.MONEY:  # beyond any real deal (1e308, inf): not understood (DQ04)
        with np.errstate(invalid="ignore"):
            absurd = np.abs(numbers) > MAX_MONEY
        bad = bad | absurd
        numbers = np.where(absurd, np.nan, numbers)
    if kind == Kind.SCORE:
        out_of_scale = (numbers < ruleset.scale_min) | (numbers > ruleset.scale_max)
        bad = bad | out_of_scale
        numbers = np.where(out_of_scale, np.nan, numbers)
    return Coerced(pd.Series(numbers, dtype=float), bad)


def _texts(arr: np.ndarray, blank: np.ndarray | None) -> np.ndarray:
    """Text cells stripped (whitespace-only becomes None); numbers and dates formatted."""
    if pd.api.types.infer_dtype(arr, skipna=False) == "string":  # all text, blanks included
        stripped: np.ndarray = _STRIP(arr)
        stripped[stripped == ""] = None
        return stripped
    if blank is None:
        blank = blank_cells(arr)
    out = np.full(len(arr), None, dtype=object)
    filled = ~blank
    if pd.api.types.infer_dtype(arr[filled], skipna=True) in ("string", "empty"):
        is_str = filled  # the common case, decided in C: every non-blank cell is text
    else:
        is_str = np.fromiter((type(v) is str for v in arr), dtype=bool, count=len(arr))
    strs = np.flatnonzero(is_str & filled)
    if len(strs):
        stripped = pd.Series(arr[strs], dtype=object).str.strip().to_numpy(dtype=object, copy=True)
        stripped[stripped == ""] = None
        out[strs] = stripped
    others = ~is_str & ~blank
    if others.any():
        codes, uniques = factorize(arr, ~others)
        formatted = np.array([format_id(u) for u in uniques] + [None], dtype=object)
        out[others] = formatted[codes[others]]
    return out
