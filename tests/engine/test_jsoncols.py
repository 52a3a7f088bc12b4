"""The compact JSON report's column arrays against what they replace: ``jsoncols.column_array``
must write exactly what orjson writes for ``[plain(v) for v in col.tolist()]`` (a value at a
time), and every array reads back through a strict parser (no NaN, no Infinity).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

from excelflow.engine import jsoncols

NASTY_TEXT = [
    "plain",
    "",
    " ",
    'quote " inside',
    "back\\slash",
    "ends with backslash \\",
    "a/b",
    "</script>",
    '","',
    '\\","\\',
    "comma, inside",
    "null",
    "line\nfeed\ttab\rreturn",
    "bell\x07 esc\x1b nul\x00",
    "del\x7f c1\x85\x9b",
    "line sep\u2028para sep\u2029",
    "赢单 120万 阶段三",
    "emoji 😀 astral 𠀀",
    "\ufeffbom",
]
MESSY_OBJECTS: list[Any] = [
    None,
    float("nan"),
    1,
    1.0,
    True,
    False,
    0,
    0.0,
    -0.0,
    2**53 + 1,
    -7,
    0.1,
    1 / 3,
    123456789.123456789,
    1e-20,
    1e300,
    -2.5e-7,
    np.float64(0.25),
    np.int64(42),
    np.bool_(True),
]


def _strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(16)
    n = 230
    texts = [NASTY_TEXT[i % len(NASTY_TEXT)] for i in range(n)]
    mixed = [
        (NASTY_TEXT + MESSY_OBJECTS)[i % (len(NASTY_TEXT) + len(MESSY_OBJECTS))] for i in range(n)
    ]
    floats = rng.normal(0, 1e6, n)
    floats[::7] = np.nan
    floats[3] = -0.0
    floats[5] = 0.0
    floats[11] = 1e17
    floats[13] = 123.4567890123456
    floats[17] = math.inf
    return {
        "mixed": pd.DataFrame(
            {
                "code": pd.Series([f"DQ0{i % 3}" for i in range(n)], dtype="str"),
                "text": pd.Series(texts, dtype=object),
                "unique": pd.Series([f"{t}{i}" for i, t in enumerate(texts)], dtype=object),
                "blank_text": pd.Series(
                    [None if i % 4 else t for i, t in enumerate(texts)], dtype=object
                ),
                "nan_text": pd.Series([None if i % 3 else "x" for i in range(n)], dtype="str"),
                "objects": pd.Series(mixed, dtype=object),
                "row": pd.Series([i // 3 + 2 for i in range(n)], dtype=object),
                "floats": floats,
                "few_floats": np.round(floats / 1e6, 1),
                "ints": np.arange(n, dtype=np.int64) * 1_000_003,
                "masked": pd.array([None if i % 5 == 0 else i % 11 for i in range(n)], "Int64"),
                "flags": np.arange(n) % 3 == 0,
                '中文 key/"x"': pd.Series(texts[::-1], dtype=object),
            }
        ),
        "date objects (to_json's own)": pd.DataFrame(
            {"a": ["x", "y"], "when": pd.Series([dt.date(2026, 1, 2), "text"], dtype=object)}
        ),
        "unhashable (to_json's own)": pd.DataFrame(
            {"a": pd.Series([[1, 2], "b", None], dtype=object), "b": [1, 2, 3]}
        ),
        "pd.NA in objects": pd.DataFrame({"a": pd.Series(["x", pd.NA, None], dtype=object)}),
        "one row": pd.DataFrame({"a": ["only"], "b": [1.5]}),
        "empty": pd.DataFrame({"a": pd.Series([], dtype=object)}),
    }


@pytest.mark.parametrize("name", list(_frames()))
def test_column_arrays_are_what_orjson_writes_of_plain_values(name: str) -> None:
    frame = _frames()[name]
    for column in frame.columns:
        col = frame[column]
        try:
            expected = orjson.dumps([jsoncols.plain(v) for v in col.tolist()]).decode()
        except TypeError:  # orjson cannot write it either way
            with pytest.raises(TypeError):
                jsoncols.column_array(col)
            continue
        assert jsoncols.column_array(col) == expected, column
        assert len(_strict(expected)) == len(col)
