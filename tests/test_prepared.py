"""Cells hashed as they are read (``pipeline.prepared``) give exactly the pipeline the plain
path gives: ``Prepared.factorized`` must answer what ``coerce.factorize`` answers for a body
column (codes, and the distinct values in first-appearance order, as the same objects), or
decline; ``build_pipeline`` with it must build the same frame, raw cells, flags and rows.

The grids are a real messy export's first rows, disturbed: rows above the header holding values
equal to body values in another type (``1``, ``1.0``, ``True``), blank rows the pipeline drops,
and cells replaced by awkward values."""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import python_calamine as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from excelflow.pipeline.coerce import factorize
from excelflow.pipeline.normalize import build_pipeline
from excelflow.pipeline.prepared import BLOCK, Prepared
from excelflow.pipeline.ruleset import load_ruleset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import workbook

RS = load_ruleset()
_book = pc.CalamineWorkbook.from_path(str(workbook("messy", 1000)))
BASE = [  # with two of ExcelFlow's own result columns: a blank row may still hold those
    [*row, "", ""]
    for row in _book.get_sheet_by_name(_book.sheet_names[0]).to_python(skip_empty_area=True)
]
BASE[0][-2:] = ["评估得分", "系统评级"]
WIDTH = len(BASE[0])

VALUES = st.one_of(
    st.sampled_from(["", "", " ", "n/a", "是", "否", "✓", "120万", "30%", "2027-03-01", "方案"]),
    st.sampled_from([0.0, -0.0, 1.0, 3.0, 46447.0, 1, True, False, 0, math.inf]),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.text(max_size=4),
)


def prepared_of(grid: list[list[Any]]) -> Prepared:
    out: list[list[Any]] = []
    prepared = Prepared(WIDTH)
    prepared.add(iter(grid), out, max(len(grid) // 3, 1))  # too small on purpose: it grows
    prepared.finish()
    assert out == grid
    return prepared


def same_objects(a: np.ndarray, b: np.ndarray) -> bool:
    return len(a) == len(b) and all(
        x is y or (type(x), x) == (type(y), y) for x, y in zip(a, b, strict=True)
    )


def other_type(value: Any) -> Any:
    """An equal value of another type (a hash table takes them for one)."""
    if type(value) is bool:
        return float(value)
    if type(value) is float and value in (0.0, 1.0):
        return bool(value)
    if type(value) is int:
        return float(value)
    return value


@st.composite
def grids(draw: st.DrawFn) -> list[list[Any]]:
    body = [list(r) for r in BASE[1 : 1 + draw(st.integers(1, 60))]]
    for _ in range(draw(st.integers(0, 40))):
        row = draw(st.integers(0, len(body) - 1))
        body[row][draw(st.integers(0, WIDTH - 1))] = draw(VALUES)
    for row in body:
        row[-1] = draw(st.sampled_from(["", 1.0, True, 0, "A"]))
    for _ in range(draw(st.integers(0, 3))):  # blank rows, dropped by the pipeline
        result = other_type(body[draw(st.integers(0, len(body) - 1))][-1])
        body.insert(draw(st.integers(0, len(body))), [""] * (WIDTH - 1) + [result])
    above = [
        [draw(VALUES) if draw(st.booleans()) else "" for _ in range(WIDTH)]
        for _ in range(draw(st.integers(0, 2)))
    ]
    for row in above:  # a preamble cell may hold an body value in another type
        j = draw(st.integers(0, WIDTH - 1))
        value = body[draw(st.integers(0, len(body) - 1))][j]
        row[j] = other_type(value)
        row[0] = "report of 2027"  # no preamble row looks like a header
    return [*above, list(BASE[0]), *body]


@settings(max_examples=150, deadline=None)
@given(grids())
def test_a_pipeline_from_prepared_cells_is_the_plain_one(grid: list[list[Any]]) -> None:
    prepared = prepared_of(grid)
    fast = build_pipeline(grid, RS, source="x.xlsx", sheet="S", prepared=prepared)
    plain = build_pipeline(grid, RS, source="x.xlsx", sheet="S")
    pd.testing.assert_frame_equal(fast.frame, plain.frame)
    for col in fast.frame.columns:
        if fast.frame[col].dtype == object:
            assert [type(v) for v in fast.frame[col]] == [type(v) for v in plain.frame[col]]
    assert fast.raw.keys() == plain.raw.keys()
    assert all(same_objects(fast.raw[k], plain.raw[k]) for k in fast.raw)
    assert fast.bad.keys() == plain.bad.keys()
    assert all(np.array_equal(fast.bad[k], plain.bad[k]) for k in fast.bad)
    assert np.array_equal(fast.rows, plain.rows)
    assert fast.tick_dates.keys() == plain.tick_dates.keys()
    for k in fast.tick_dates:
        pd.testing.assert_series_equal(fast.tick_dates[k], plain.tick_dates[k])


@settings(max_examples=150, deadline=None)
@given(grids(), st.data())
def test_factorized_is_factorize_or_declines(grid: list[list[Any]], data: st.DataObject) -> None:
    prepared = prepared_of(grid)
    first = data.draw(st.integers(0, len(grid)))
    keep = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(grid) - first, max_size=len(grid) - first)),
        dtype=bool,
    )
    for j in range(WIDTH):
        column = np.array([row[j] for row in grid], dtype=object)[first:]
        got = prepared.factorized(j, first, keep)
        expected = factorize(column[keep])
        if got is None:
            continue
        assert np.array_equal(got[0], expected[0])
        assert same_objects(got[1], expected[1])


def test_a_value_above_the_body_in_another_type_declines() -> None:
    grid = [["x", True], ["h", "h2"], ["a", 1.0], ["b", 1]]
    prepared = Prepared(2)
    prepared.add(iter(grid), [], 4)
    prepared.finish()
    assert prepared.factorized(1, 2, None) is None  # True was hashed first: 1.0 would read True
    codes, uniques = prepared.factorized(0, 2, None) or (None, None)
    assert codes is not None and list(codes) == [0, 1] and list(uniques) == ["a", "b"]


def test_rows_of_another_width_are_refused() -> None:
    prepared = Prepared(3)
    rows = [["a", "b", "c"]] * (BLOCK + 1) + [["a", "b"]]
    try:
        prepared.add(iter(rows), [], 10)
    except ValueError:
        return
    raise AssertionError("a short row was taken")
