"""An open xlwings Book as an :class:`excelflow.pipeline.read.Source`, so a ribbon macro checks a
workbook exactly the way ``excelflow validate`` / ``annotate`` check the file.

:class:`BookSource` hands every reader that takes a ``Source`` (sheet choice, the workbook's
Rules sheet, its Bid sheets) the book's cell values, read once from the snapshot Excel sent with
the call, in the shape python-calamine gives for a file: the used area with leading blank rows
and columns cut off (its top-left kept as ``origin``), blanks as ``""``, whole numbers as floats,
date cells at midnight as ``date`` and other date cells as ``datetime``, error cells blank.
:func:`check_book` then runs the same steps as :func:`excelflow.api.validate_file`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from excelflow import engine
from excelflow.api import check_source
from excelflow.pipeline.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.pipeline.read import Sheet, Source
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.xl.convert import ERROR_TEXTS

_ISO = re.compile(r"^-?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def cell_value(value: Any) -> Any:
    """One raw cell of the snapshot as python-calamine would read it from the saved file."""
    if isinstance(value, str):
        if value in ERROR_TEXTS:
            return ""
        if len(value) >= 19 and value[4] == "-" and _ISO.match(value):
            stamp = dt.datetime.fromisoformat(value.rstrip("Z")[:26]).replace(tzinfo=None)
            return stamp.date() if stamp.time() == dt.time(0) else stamp
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):  # an entity (Office.js rich value): its basic value
        return cell_value(value.get("basicValue", ""))
    return value


_convert = np.frompyfunc(cell_value, 1, 1)


def used_area(raw: Any, first_row: int, first_col: int) -> Sheet | None:
    """Cells read from ``raw`` (a 2-D list whose top-left is the 1-based ``first_row`` /
    ``first_col``) trimmed to the used area; None when every cell is blank."""
    rows = [list(r) for r in raw] if raw else []
    width = max((len(r) for r in rows), default=0)
    if not width:
        return None
    cells = np.empty((len(rows), width), dtype=object)
    for i, r in enumerate(rows):
        cells[i, : len(r)] = r
        cells[i, len(r) :] = ""
    cells = _convert(cells)
    filled = np.asarray(cells != "", dtype=bool)  # one C loop, not a Python call per cell
    if not filled.any():
        return None
    used_rows = np.flatnonzero(filled.any(axis=1))
    used_cols = np.flatnonzero(filled.any(axis=0))
    r0, r1 = int(used_rows[0]), int(used_rows[-1])
    c0, c1 = int(used_cols[0]), int(used_cols[-1])
    grid = cells[r0 : r1 + 1, c0 : c1 + 1].tolist()
    return Sheet("", grid, (first_row - 1 + r0, first_col - 1 + c0))


def read_sheet(sheet: xw.Sheet) -> Sheet:
    """One sheet's used area (an empty sheet gives a one-cell blank grid at A1)."""
    used = sheet.used_range
    raw = used.options("raw", ndim=2).value
    area = used_area(raw if isinstance(raw, list) else [[raw]], used.row, used.column)
    if area is None:
        return Sheet(sheet.name, [[""]], (0, 0))
    return Sheet(sheet.name, area.grid, area.origin)


def _visible(sheet: xw.Sheet) -> bool:
    try:
        return bool(sheet.visible)
    except (KeyError, NotImplementedError):  # a client that does not send visibility
        return True


class BookSource(Source):
    """A :class:`Source` over an open xlwings Book (values only, read once, never written)."""

    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.path = Path(book.name)
        self._book = None
        self._csv = None
        self._sheets = {s.name: s for s in book.sheets}
        self._read: dict[str, Sheet] = {}
        self.sheet_names = list(self._sheets)
        self.visible = [n for n, s in self._sheets.items() if _visible(s)]

    @property
    def is_csv(self) -> bool:
        """Always False: a workbook."""
        return False

    def sheet(self, name: str) -> Sheet:
        """The used area of sheet ``name`` (read from the snapshot once, then cached)."""
        if name not in self._read:
            self._read[name] = read_sheet(self._sheets[name])
        return self._read[name]

    def close(self) -> None:
        """Nothing to release (the book belongs to the caller)."""


def check_book(
    source: BookSource,
    ruleset: RuleSet | None = None,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    previous: pd.DataFrame | None = None,
) -> engine.Result:
    """Check the book's pipeline exactly as :func:`excelflow.api.validate_file` checks a file
    (the workbook's own Rules sheet unless ``ruleset`` is given, its Bid sheets, the engine).

    Raises:
        ReadError: the book holds no pipeline table.
    """
    return check_source(source, ruleset, mapping=mapping, lang=lang, as_of=as_of, previous=previous)
