"""Excel argument shapes to numpy, and results back to what a cell or a spill range shows.

The UDFs take every range argument ``"raw"`` (xlwings' per-cell converters cost ~0.1 ms a cell
on a server, see ``benchmarks/bench_udf.py``) and normalise it here, column by column:

* **Shapes.** Office.js hands a 1x1 range over as a scalar and a one-row range as a *flat* list
  (xlwings' ``to_scalar``); classic COM gives a scalar or a tuple of tuples. :func:`grid` turns
  all of them into a 2-D object array, padding ragged rows with blanks.
* **Blanks.** JSON ``null`` / COM ``None`` and ``""`` are both empty cells.
* **Errors.** Office.js sends an error cell as ``{"type": "Error", "basicValue": "#N/A", ...}``,
  COM as a negative ``int`` (``-2146826246`` is ``#N/A``); both become their error text
  (``"#N/A"``), which a UDF passes on to its result cell, as Excel's own functions do. Other
  entity values (``{"type": "FormattedNumber", "basicValue": 45322, ...}``) become their basic
  value.
* **Dates** are left alone: Office.js sends serial numbers, COM sends datetimes, and the engine's
  coercion (``excelflow.pipeline.coerce.parse_date``) reads both, plus ISO and Chinese date text.

Nothing here imports xlwings, so it is plain, testable data code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from excelflow.functions.checks import CalcError
from excelflow.pipeline.ruleset import Text

ERROR_TEXTS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BUSY!",
        "#CONNECT!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#PYTHON!",
    }
)
"""Excel's error values as text."""

COM_ERRORS: dict[int, str] = {
    -2146826288: "#NULL!",
    -2146826281: "#DIV/0!",
    -2146826273: "#VALUE!",
    -2146826265: "#REF!",
    -2146826259: "#NAME?",
    -2146826252: "#NUM!",
    -2146826246: "#N/A",
}
"""Error cells as pywin32 hands them to a raw classic UDF (``CVErr`` codes)."""

_OFFICEJS_ERRORS = {
    "Div0": "#DIV/0!",
    "NotAvailable": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
}
# Column dtypes (pandas.api.types.infer_dtype) that cannot hold a dict or an int error code.
_PLAIN_DTYPES = frozenset(
    {"string", "floating", "empty", "boolean", "datetime", "date", "datetime64", "decimal"}
)


def grid(value: Any) -> np.ndarray:
    """A raw UDF argument as a 2-D object array (scalar -> 1x1, flat list -> one row).

    Args:
        value: what xlwings passed for a ``"raw"`` argument (scalar, list, list of lists,
            tuple of tuples, or None for an omitted or empty argument).

    Returns:
        A new 2-D ``object`` array; error and entity cells are replaced (see :func:`clean`).
    """
    if isinstance(value, np.ndarray):
        rows: list[Any] = value.tolist() if value.ndim else [[value.item()]]
    elif isinstance(value, list | tuple):
        rows = list(value)
    else:
        rows = [[value]]
    if not any(isinstance(r, list | tuple) for r in rows):
        rows = [rows]  # one row arrived flat
    rows = [list(r) if isinstance(r, list | tuple) else [r] for r in rows]
    width = max(len(r) for r in rows)
    if width == 0:
        return np.full((1, 1), None, dtype=object)  # an empty argument reads as one empty cell
    out = np.full((len(rows), width), None, dtype=object)
    if all(len(r) == width for r in rows):
        out[:, :] = rows
    else:
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
    return clean(out)


def clean(cells: np.ndarray) -> np.ndarray:
    """Replace error and entity cells in place (error dicts and COM codes -> ``"#N/A"`` text).

    Only columns whose inferred type could hold such a cell are scanned in Python; a column of
    text or numbers is decided in C.
    """
    if cells.size == 0:
        return cells
    for j in range(cells.shape[1]):
        col = cells[:, j]
        if pd.api.types.infer_dtype(col, skipna=True) in _PLAIN_DTYPES:
            continue
        kinds = set(map(type, col))  # a C-speed pass; most mixed columns are text and numbers
        if dict not in kinds and int not in kinds:
            continue
        for i, v in enumerate(col):
            if isinstance(v, dict):
                col[i] = _entity_value(v)
            elif type(v) is int and v in COM_ERRORS:
                col[i] = COM_ERRORS[v]
    return cells


def _entity_value(value: dict[str, Any]) -> Any:
    if value.get("type") == "Error":
        basic = value.get("basicValue")
        if isinstance(basic, str) and basic:
            return basic
        return _OFFICEJS_ERRORS.get(str(value.get("errorType")), "#VALUE!")
    return value.get("basicValue")


def blank_mask(cells: np.ndarray) -> np.ndarray:
    """True for empty cells: None, NaN, ``""`` and whitespace-only text."""
    blank = np.asarray(pd.isna(cells), dtype=bool)
    text = ~blank & np.asarray(
        pd.Series(cells.ravel()).map(lambda v: isinstance(v, str) and not v.strip()), dtype=bool
    ).reshape(cells.shape)
    both: np.ndarray = blank | text
    return both


def error_mask(cells: np.ndarray) -> np.ndarray:
    """True for cells holding an Excel error value (as text, after :func:`clean`)."""
    flat = pd.Series(cells.ravel(), dtype=object)
    return np.asarray(flat.isin(ERROR_TEXTS), dtype=bool).reshape(cells.shape)


def scalar(value: Any, name: str) -> Any:
    """A one-cell argument's value (``None`` when blank).

    Raises:
        CalcError: the argument ``name`` is a range of more than one cell.
    """
    cells = grid(value)
    if cells.size == 0:
        return None
    if cells.size != 1:
        size = f"{cells.shape[0]}x{cells.shape[1]}"
        raise CalcError(
            Text(
                zh=f"{name} 只能是一个单元格（收到 {size} 区域）",
                en=f"{name} must be one cell, not {size}",
            )
        )
    v = cells[0, 0]
    return None if blank_mask(cells)[0, 0] else v


MAX_FUNCTION_CELLS = 1_048_576
"""The most results one worksheet function call may produce (a whole column's worth)."""


def broadcast(*cells: np.ndarray) -> tuple[tuple[int, int], list[np.ndarray]]:
    """Broadcast 2-D arguments together (a 1x1 or one-row/one-column range repeats).

    Returns:
        The common shape and each argument flattened to 1-D in row-major order.

    Raises:
        CalcError: the shapes do not fit together (named as ``3x2 and 4x1``), or together they
            would make more than :data:`MAX_FUNCTION_CELLS` results (a 10000x1 column against
            a 1x10000 row is 100 million cells: refused at once rather than hanging Excel).
    """
    shown = ", ".join(f"{c.shape[0]}x{c.shape[1]}" for c in cells)
    try:
        shape = np.broadcast_shapes(*(c.shape for c in cells))
    except ValueError:
        raise CalcError(
            Text(zh=f"区域大小不一致（{shown}）", en=f"ranges of different sizes ({shown})")
        ) from None
    if int(shape[0]) * int(shape[1]) > MAX_FUNCTION_CELLS:
        n = int(shape[0]) * int(shape[1])
        raise CalcError(
            Text(
                zh=f"区域组合（{shown}）将得到 {n:,} 个结果，超过上限 {MAX_FUNCTION_CELLS:,}",
                en=f"ranges {shown} would give {n:,} results, over the limit of "
                f"{MAX_FUNCTION_CELLS:,}",
            )
        )
    flat = [np.broadcast_to(c, shape).ravel() for c in cells]
    return (int(shape[0]), int(shape[1])), flat


def spill(values: np.ndarray | Sequence[Sequence[Any]]) -> Any:
    """A result for Excel: a 1x1 result as a plain value, anything larger as a list of rows."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim == 2 and arr.shape == (1, 1):
        return _plain(arr[0, 0])
    rows: list[list[Any]] = arr.tolist() if arr.ndim == 2 else [arr.tolist()]
    return [[_plain(v) for v in row] for row in rows]


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers; NaN as an empty cell, ±inf as ``#NUM!`` (JSON has no
    infinity, and Excel shows an overflow as #NUM!)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else "#NUM!"
    return value


MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # A1:XFD1048576
_ADDRESS_RE = re.compile(
    r"^(?:.*!)?\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>[0-9]{1,7})(?::\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?$"
)


def parse_origin(value: Any) -> tuple[int, int]:
    """The 0-based (row, column) of a top-left cell given as ``"B3"``, ``"$B$3"``,
    ``"Deals!B3:K90"`` or ``CELL("address", B3)`` (``"[Book1]Deals!$B$3"``); blank is A1.

    Raises:
        CalcError: not a cell address.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0, 0
    match = _ADDRESS_RE.match(str(value).strip().replace("'", ""))
    if match is None:
        raise CalcError(
            Text(
                zh=f"「{value}」不是单元格地址（如 A1 或 Deals!$B$3）",
                en=f"'{value}' is not a cell address (such as A1 or Deals!$B$3)",
            )
        )
    col = 0
    for ch in match["col"].upper():
        col = col * 26 + (ord(ch) - 64)
    row = int(match["row"])
    if not (1 <= row <= MAX_ROWS and col <= MAX_COLUMNS):
        raise CalcError(
            Text(zh=f"「{value}」超出工作表范围", en=f"'{value}' is outside the worksheet")
        )
    return row - 1, col - 1
