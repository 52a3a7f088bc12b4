"""A frame's rows as JSON text, column by column: the JSON report's findings and deals.

:func:`records` writes what ``DataFrame.to_json(orient="records", force_ascii=False,
double_precision=10)`` writes, byte for byte, in the same pieces the report always had, but
encodes each column once with pandas' own encoder (one call per column, and text once per
distinct value) and writes a row as a few joined pieces rather than a value at a time.
Neighbouring columns with few distinct combinations (a rule's code, name and severity; a
message and its cell value) are joined once per combination, so most of a row is one piece.

:func:`column_array` writes one column as the compact report's JSON array (through orjson,
blanks as null, dates as ISO text), again once per distinct text rather than per row.

Anything these do not know how to encode exactly (dates in a records column, an object of
another type, a column name that is not text) makes :func:`records` fall back to pandas'
``to_json`` for the whole frame, and :func:`column_array` to a value at a time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

CHUNK = 20_000
"""Rows per piece of a findings or deals array: the JSON report is written piece by piece, so
its size in memory is one piece, never the whole document."""

BLOCK = 5 * CHUNK
"""Rows encoded at once (then written :data:`CHUNK` rows at a time)."""

_NUMBER_TYPES = (bool, int, float, np.bool_, np.integer, np.floating)
"""Objects whose JSON text (a number, true/false or null) holds no comma."""

_NUMBERS = ("integer", "floating", "mixed-integer-float", "boolean")
"""What ``infer_dtype`` calls an array of those alone."""

_SAMPLE = 2_000
"""Rows whose distinct values tell whether grouping a text column pays."""

_ITSELF = ("string", "integer", "boolean")
"""What ``infer_dtype`` calls an array whose values :func:`plain` leaves as they are (text,
ints, booleans; no blank among them)."""

_Encoded = tuple[np.ndarray, np.ndarray]
"""``(codes, texts)``: row ``i`` is written as ``texts[codes[i]]``."""


def _to_json(values: pd.Series) -> str:
    return str(values.to_json(orient="records", force_ascii=False, double_precision=10))


def _text_json(texts: list[str]) -> list[str]:
    """Each text as pandas' encoder writes it (quoted, escaped), in one call. Inside the array
    every quote but the ones around an element is escaped, so ``","`` only ever separates two
    elements (and a raw NUL, which the encoder always escapes, marks where)."""
    if not texts:
        return []
    array = _to_json(pd.Series(texts, dtype=object))
    return array[1:-1].replace('","', '"\0"').split("\0")


def _number_json(values: pd.Series) -> list[str]:
    """Each number, boolean or blank of ``values`` as pandas' encoder writes it (no comma in
    any of them), in one call."""
    if not len(values):
        return []
    return _to_json(values)[1:-1].split(",")


def _grouped(codes: np.ndarray, uniques: Any) -> _Encoded:
    """``(codes, texts)`` of numbers or booleans grouped by ``pd.factorize`` (blanks: -1)."""
    texts = np.array([*_number_json(pd.Series(uniques, dtype=uniques.dtype)), "null"], dtype=object)
    codes[codes < 0] = len(texts) - 1
    return codes, texts


def _numbers(col: pd.Series) -> _Encoded:
    """A column of numbers or booleans (masked or not), each distinct value written once."""
    if col.dtype.kind == "f":
        floats = col.to_numpy(dtype=float, na_value=np.nan)
        if (np.signbit(floats) & (floats == 0)).any():  # -0.0 == 0.0 to factorize, not to JSON
            return np.arange(len(col)), np.array(_number_json(col), dtype=object)
    codes, uniques = pd.factorize(col.array, use_na_sentinel=True)
    return _grouped(codes, uniques)


def _is_blank(values: np.ndarray) -> bool:
    """Whether every one of ``values`` (what factorize took for blanks) is None or a float NaN:
    what the encoder writes as null."""
    rest = values[values != None]  # noqa: E711  (elementwise: the ones that are not None)
    if not len(rest) or pd.api.types.infer_dtype(rest, skipna=False) == "floating":
        return True
    return all(isinstance(v, float) for v in rest.tolist())


def encode_column(col: pd.Series) -> _Encoded | None:
    """``col``'s JSON texts as :func:`records` writes them, each distinct text once; None when
    ``col`` holds what only ``to_json`` itself knows how to write (dates, other objects)."""
    kind = getattr(col.dtype, "kind", "O")
    if kind in "biuf":  # numbers and booleans, masked or not: NA is null
        return _numbers(col)
    if kind != "O" or isinstance(col.dtype, pd.CategoricalDtype):
        return None
    values = col.to_numpy(dtype=object)
    try:
        return _objects(values)
    except TypeError:  # an unhashable value: as to_json writes it
        return None


def _distinct_texts(values: np.ndarray) -> _Encoded | None:
    """Text and blanks where most texts differ (cell references): each written, none grouped."""
    blank = np.asarray(pd.isna(values), dtype=bool)
    texts = values[~blank]
    if pd.api.types.infer_dtype(texts, skipna=False) != "string":
        return None
    if blank.any() and not _is_blank(values[blank]):
        return None
    codes = np.full(len(values), len(texts), dtype=np.intp)
    codes[~blank] = np.arange(len(texts))
    return codes, np.array([*_text_json(texts.tolist()), "null"], dtype=object)


def _objects(values: np.ndarray) -> _Encoded | None:
    """An object column's ``(codes, texts)``: each distinct text once, numbers one by one."""
    inferred = pd.api.types.infer_dtype(values, skipna=False)
    if inferred == "integer":  # ints alone (no bool, float or blank): grouped exactly
        codes, uniques = pd.factorize(values)
        return _grouped(codes, uniques)
    sample = values[:_SAMPLE]
    if inferred in ("string", "mixed") and len(pd.unique(sample)) > len(sample) // 2:
        encoded = _distinct_texts(values)
        if encoded is not None:
            return encoded
    # 1, 1.0 and True are one value to factorize, three to JSON: only text is grouped
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    k = len(uniques)
    is_text = np.array([type(u) is str for u in uniques] + [True], dtype=bool)
    texts = np.empty(k + 1, dtype=object)
    texts[np.flatnonzero(is_text[:k])] = _text_json(uniques[is_text[:k]].tolist())
    texts[k] = "null"
    blank = codes < 0
    if inferred != "string" and blank.any():
        if not _is_blank(values[blank]):
            return None  # NaT, pd.NA…: as to_json writes them
        codes[blank] = k
    alone = np.flatnonzero(~is_text[codes])
    if len(alone):
        others = values[alone]
        if pd.api.types.infer_dtype(others, skipna=False) not in _NUMBERS and not all(
            isinstance(v, _NUMBER_TYPES) for v in others.tolist()
        ):
            return None
        number_texts = _number_json(pd.Series(others, dtype=object))
        texts = np.concatenate([texts, np.array(number_texts, dtype=object)])
        codes[alone] = np.arange(k + 1, k + 1 + len(alone))
    return codes, texts


def _joint(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's number among the distinct pairs of ``a`` (``na`` values) and ``b``, and those
    pairs as ``a * nb + b``."""
    joint = a.astype(np.int64) * nb + b
    if na * nb > 4 * len(a) + 1024:
        codes, combos = pd.factorize(joint)
        return codes, combos
    seen = np.zeros(na * nb, dtype=bool)
    seen[joint] = True
    combos = np.flatnonzero(seen)
    number = np.cumsum(seen) - 1
    return number[joint], combos


def _pieces(frame: pd.DataFrame) -> list[_Encoded] | None:
    """A row of ``frame`` as a few pieces, each ``(codes, texts)``: runs of neighbouring
    columns with few distinct combinations (their keys included) and, between them, the
    columns with many distinct values. The last piece of a row ends with ``},``."""
    if not all(isinstance(name, str) for name in frame.columns):
        return None
    n = len(frame)
    keys = _text_json([str(name) for name in frame.columns])
    most = max(1, n // 8)  # a run gains only while it has far fewer texts than rows
    pieces: list[_Encoded] = []
    run_codes = np.zeros(n, dtype=np.intp)
    run_texts = np.array(["{"], dtype=object)
    for i, key in enumerate(keys):
        encoded = encode_column(frame.iloc[:, i])
        if encoded is None:
            return None
        codes, texts = encoded
        run_texts = run_texts + (key if i == 0 else "," + key) + ":"
        joint_codes, combos = _joint(run_codes, len(run_texts), codes, len(texts))
        if len(combos) <= most:
            run_texts = run_texts[combos // len(texts)] + texts[combos % len(texts)]
            run_codes = joint_codes
        else:
            pieces.append((run_codes, run_texts))
            pieces.append((codes, texts))
            run_codes = np.zeros(n, dtype=np.intp)
            run_texts = np.array([""], dtype=object)
    pieces.append((run_codes, run_texts + "},"))
    return pieces


def _joined(pieces: list[_Encoded], start: int, stop: int, opening: str) -> str:
    """``opening`` and rows ``start:stop`` of ``pieces`` as one string, built once."""
    grid = np.empty((stop - start, len(pieces)), dtype=object)
    for j, (codes, texts) in enumerate(pieces):
        grid[:, j] = texts[codes[start:stop]]
    grid[-1, -1] = grid[-1, -1][:-1]  # the last row's "}," without its comma
    listed = grid.ravel().tolist()
    del grid
    listed.insert(0, opening)
    return "".join(listed)


def records(frame: pd.DataFrame) -> Iterator[str]:
    """``frame`` as a JSON array of objects, in pieces of :data:`CHUNK` rows (``", "`` between
    pieces): exactly ``DataFrame.to_json(orient="records", force_ascii=False,
    double_precision=10)`` of each piece. Encoded :data:`BLOCK` rows at a time, so the texts
    of one block alone are held."""
    if frame.empty:
        yield "[]"
        return
    for block in range(0, len(frame), BLOCK):
        part = frame.iloc[block : block + BLOCK]
        pieces = _pieces(part)
        for start in range(0, len(part), CHUNK):
            opening = "[" if block + start == 0 else ", "
            if pieces is None:  # something only to_json knows how to write
                rows = part.iloc[start : start + CHUNK]
                text = rows.to_json(orient="records", force_ascii=False, double_precision=10)
                yield opening + str(text)[1:-1]
            else:
                yield _joined(pieces, start, min(len(part), start + CHUNK), opening)
    yield "]"


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
