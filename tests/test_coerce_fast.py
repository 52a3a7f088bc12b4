"""The fast column paths of ``pipeline.coerce`` give exactly what the plain pandas path gave.

``factorize`` hashes cells with pandas' object table (not ``pd.factorize``, which first scans a
column for all-text and then hashes UTF-8 copies), and ``all_numbers`` answers a mixed column
from a sample. Both must not change one result: the same codes and uniques (NaN and None as
blanks, ``1 == 1.0 == True`` and ``0.0 == -0.0`` kept as the first cell of their kind), and the
same coerced column for every kind, on generated mixed columns.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from excelflow.pipeline import coerce
from excelflow.pipeline.coerce import all_numbers, coerce_column, factorize
from excelflow.pipeline.fields import Kind
from excelflow.pipeline.ruleset import load_ruleset

RS = load_ruleset()

CELLS = st.one_of(
    st.sampled_from(["", "", "", " ", "\u3000", "n/a", "TBD", "是", "否", "✓", "-", "待定", "?"]),
    st.sampled_from(["120万", "1,200", "¥1.2万", "(500)", "30%", "60", "0.6", "1e308", "1亿"]),
    st.sampled_from(["2027-03-01", "2027/3/1", "2027年3月1日", "20270301", "46447", "nan"]),
    st.sampled_from(["方案", "Stage 3", "第3阶段", "won", "丢单", "SG01, dq05", "  A  "]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.0, 2.0, 3.0, 5.0, 0.5, 46447.0, math.nan, math.inf]),
    st.integers(min_value=-3, max_value=50000),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1899, 1, 1), max_value=dt.date(2300, 1, 1)),
    st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
COLUMNS = st.lists(CELLS, min_size=0, max_size=60)
NUMBERS = st.lists(
    st.one_of(st.floats(allow_nan=True), st.integers(-(10**6), 10**6), st.none(), st.just("")),
    min_size=0,
    max_size=3000,
)


def _array(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _same_objects(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal, cell by cell, in type and value (NaN equal to NaN, -0.0 not equal to 0.0)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        if type(x) is not type(y):
            return False
        if isinstance(x, float) and (math.copysign(1, x) != math.copysign(1, y)):
            return False
        if not (x == y or (x != x and y != y)):
            return False
    return True


def _slow_factorize(values: np.ndarray, blank: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``factorize`` as it was: pd.factorize on the column (or on its filled cells)."""
    saved = coerce._OBJECT_TABLE
    coerce._OBJECT_TABLE = None
    try:
        return factorize(values, blank)
    finally:
        coerce._OBJECT_TABLE = saved


@given(COLUMNS, st.booleans())
def test_factorize_matches_pandas_factorize(cells: list[Any], with_blank: bool) -> None:
    values = _array(cells)
    blank = coerce.blank_cells(values) if with_blank else None
    codes, uniques = factorize(values, blank)
    want_codes, want_uniques = _slow_factorize(values, blank)
    assert codes.dtype == np.intp
    assert np.array_equal(codes, want_codes)
    assert _same_objects(uniques, want_uniques)


def test_factorize_keeps_the_first_cell_of_equal_values() -> None:
    values = _array([True, 1.0, 1, "", -0.0, 0.0, False, math.nan, None, "a"])
    codes, uniques = factorize(values)
    assert codes.tolist() == [0, 0, 0, -1, 1, 1, 1, -1, -1, 2]
    assert _same_objects(uniques, _array([True, -0.0, "a"]))


@given(NUMBERS)
def test_all_numbers_answers_as_a_full_scan(cells: list[Any]) -> None:
    values = _array(cells)
    full = pd.api.types.infer_dtype(values, skipna=True) in coerce._NUMBER_TYPES
    assert all_numbers(values) == full


@pytest.mark.parametrize("kind", list(Kind))
@given(cells=COLUMNS)
def test_coerce_column_matches_the_pandas_path(kind: Kind, cells: list[Any]) -> None:
    values = _array(cells)
    got = coerce_column(values, kind, RS)
    saved = coerce._OBJECT_TABLE
    coerce._OBJECT_TABLE = None
    try:
        want = coerce_column(values, kind, RS)
    finally:
        coerce._OBJECT_TABLE = saved
    pd.testing.assert_series_equal(got.values, want.values, check_exact=True)
    if got.values.dtype == object:
        assert _same_objects(got.values.to_numpy(), want.values.to_numpy())
    assert np.array_equal(got.bad, want.bad)
    if want.dates is None:
        assert got.dates is None
    else:
        assert got.dates is not None
        pd.testing.assert_series_equal(got.dates, want.dates, check_exact=True)
