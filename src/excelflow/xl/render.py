"""Write a :class:`~excelflow.sheets.plan.SheetGrid` into an xlwings sheet in whole ranges.

Everything goes out as range-wide calls, never cell by cell: the values as one 2-D write (split
into row chunks of at most :data:`MAX_CELLS` cells, the size xlwings itself splits at), fills,
fonts, number formats and alignments grouped into rectangles of equal cells, and fills that
would need many rectangles as one colour matrix per :data:`MAX_COLOURS` cells
(``Range.set_colors``). On xlwings Server and Lite each call becomes one action the add-in's
JavaScript applies; on classic desktop xlwings the same calls go to Excel through COM.

Cell values are made safe for Excel on the way: ``None``/NaN become blank, dates ISO text (which
Excel reads as dates), and text that Excel would otherwise turn into a number, date, boolean or
formula (``"2024-01"``, ``"=x"``), or that starts with an apostrophe itself, gets a leading
apostrophe, Excel's own "this is text" prefix
that is not part of the value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import xlwings as xw

from excelflow.sheets.plan import (
    Area,
    ChartSpec,
    Formula,
    SheetGrid,
    Validation,
    address,
    rectangles,
    runs,
)

MAX_CELLS = 100_000
"""Cells per value write (xlwings' own ``DEFAULT_MAX_CELLS_PER_WRITE``)."""
MAX_COLOURS = 10_000
"""Cells per ``Range.set_colors`` call (xlwings' limit)."""
_COERCIBLE = re.compile(r"^(')|^\s*([=+\-@]|[\d.,$€¥£(]|#[A-Z/]|(true|false)\s*$)", re.IGNORECASE)


def excel_value(value: Any) -> Any:
    """A cell value as a write sends it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, str):
        return "'" + value if _COERCIBLE.match(value) else value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def write_block(sheet: xw.Sheet, row: int, col: int, rows: Sequence[Sequence[Any]]) -> int:
    """Write a rectangular block of values (formulas included) with its top-left at (row, col).

    One call per chunk of at most :data:`MAX_CELLS` cells; a chunk holding a formula is written
    as formulas (constants in it stay constants). Returns the number of calls.
    """
    if not rows:
        return 0
    width = max(len(r) for r in rows)
    if not width:
        return 0
    step = max(1, MAX_CELLS // width)
    calls = 0
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        formulas = any(isinstance(v, Formula) for r in chunk for v in r)
        data = [[excel_value(v) for v in r] + [""] * (width - len(r)) for r in chunk]
        target = sheet.range((row + start, col)).resize(len(data), width)
        if formulas:
            target.formula = data
        else:
            target.options(chunksize=None).value = data
        calls += 1
    return calls


def _range(sheet: xw.Sheet, area: Area) -> xw.Range:
    r1, c1, r2, c2 = area
    return sheet.range((r1, c1), (r2, c2))


def paint(sheet: xw.Sheet, area: Area, colours: Sequence[Sequence[Any]]) -> int:
    """Set per-cell fills on ``area`` from a matrix (``"#RRGGBB"``, None = no fill, ``...`` =
    leave as is), in chunks of whole rows of at most :data:`MAX_COLOURS` cells."""
    r1, c1, r2, c2 = area
    width = c2 - c1 + 1
    step = max(1, MAX_COLOURS // width)
    calls = 0
    for start in range(0, r2 - r1 + 1, step):
        chunk = [list(r) for r in colours[start : start + step]]
        _range(sheet, (r1 + start, c1, r1 + start + len(chunk) - 1, c2)).set_colors(chunk)
        calls += 1
    return calls


def write_fills(sheet: xw.Sheet, fills: dict[tuple[int, int], str]) -> int:
    """Fills of single cells, per band of adjacent filled columns: one call per rectangle of
    equal fills, or colour matrices over the band's bounding box when that takes fewer calls.
    Returns the number of calls."""
    calls = 0
    for c1, c2 in runs(c for _, c in fills):
        band = {k: v for k, v in fills.items() if c1 <= k[1] <= c2}
        rects = rectangles(band)
        rows = [r for r, _ in band]
        box = (min(rows), c1, max(rows), c2)
        width = c2 - c1 + 1
        chunks = math.ceil((box[2] - box[0] + 1) / max(1, MAX_COLOURS // width))
        if len(rects) <= chunks:
            for area, colour in rects:
                _range(sheet, area).color = "#" + colour
            calls += len(rects)
            continue
        matrix: list[list[Any]] = [[...] * width for _ in range(box[2] - box[0] + 1)]
        for (r, c), colour in band.items():
            matrix[r - box[0]][c - c1] = "#" + colour
        calls += paint(sheet, box, matrix)
    return calls


class Skipped:
    """Collects the features the calling Excel could not take (:meth:`guard`)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @contextlib.contextmanager
    def guard(self, label: str) -> Iterator[None]:
        """Run a block of optional writes; an engine without the feature (classic desktop lacks
        frozen panes, the Office Scripts client alignment and notes, ...) skips it instead of
        failing the whole script."""
        try:
            yield
        except (NotImplementedError, AttributeError):
            if label not in self.items:
                self.items.append(label)


def write_styles(sheet: xw.Sheet, grid: SheetGrid, skipped: Skipped) -> None:
    """Fonts, number formats, alignment and wrapping, one call per rectangle and attribute."""
    with skipped.guard("fonts"):
        for attr in ("bold", "italic", "size", "color"):
            cells = {
                k: getattr(f, attr) for k, f in grid.fonts.items() if getattr(f, attr) is not None
            }
            for area, value in rectangles(cells):
                font = _range(sheet, area).font
                setattr(font, attr, "#" + value if attr == "color" else value)
    with skipped.guard("number formats"):
        for area, fmt in rectangles(grid.formats):
            _range(sheet, area).number_format = fmt
    with skipped.guard("alignment"):
        for area, how in rectangles(grid.align):
            _range(sheet, area).horizontal_alignment = how  # type: ignore[assignment]
    with skipped.guard("wrapped text"):
        for area, on in rectangles(grid.wrap):
            _range(sheet, area).wrap_text = on


def write_grid(sheet: xw.Sheet, grid: SheetGrid, *, notes: bool = True) -> list[str]:
    """Draw ``grid`` on ``sheet`` (normally a new, empty sheet): values, styles, merges, sizes,
    frozen panes, tables, validations, conditional formats, charts and (when ``notes``) cell
    notes. Returns what the calling Excel could not take (empty when everything was written)."""
    skipped = Skipped()
    write_block(sheet, 1, 1, grid.values)
    with skipped.guard("fills"):
        write_fills(sheet, grid.fills)
    write_styles(sheet, grid, skipped)
    with skipped.guard("merged cells"):
        for area in grid.merges:
            _range(sheet, area).merge()
    with skipped.guard("column widths and row heights"):
        for (c1, c2), width in equal_runs(grid.widths):
            sheet.range((1, c1), (1, c2)).column_width = width
        for (r1, r2), height in equal_runs(grid.heights):
            sheet.range((r1, 1), (r2, 1)).row_height = height
    if grid.freeze is not None and grid.freeze != (1, 1):
        with skipped.guard("frozen panes"):
            sheet.freeze_panes.freeze_at(frozen(*grid.freeze))
    with skipped.guard("tables"):
        for table in grid.tables:
            sheet.tables.add(
                _range(sheet, table.area), name=table.name, table_style_name=table.style
            )
    with skipped.guard("data validation"):
        for v in grid.validations:
            validate(sheet, v)
    with skipped.guard("conditional formats"):
        for cf in grid.conditional:
            _range(sheet, cf.area).conditional_formats.add_custom(
                cf.formula if cf.formula.startswith("=") else "=" + cf.formula,
                fill_color=None if cf.fill is None else "#" + cf.fill,
                font_color=None if cf.font_color is None else "#" + cf.font_color,
                font_bold=cf.bold,
                font_italic=cf.italic,
            )
    with skipped.guard("charts"):
        for chart in grid.charts:
            add_chart(sheet, chart)
    if notes and grid.notes:
        with skipped.guard("notes"):
            if not notes_supported(sheet.book):
                raise NotImplementedError("notes")
            for (r, c), text in sorted(grid.notes.items()):
                sheet.range((r, c)).impl.add_note(text)  # a new sheet: no note to collide with
    if grid.gridlines is False:
        with skipped.guard("hidden gridlines"):
            sheet.show_gridlines = False
    return skipped.items


def add_chart(sheet: xw.Sheet, chart: ChartSpec) -> None:
    """A native chart: series by column from ``chart.data``, labels from its categories."""
    xc = sheet.charts.add(
        anchor=sheet.range(chart.anchor),
        width=chart.width,
        height=chart.height,
        chart_type=chart.kind,
        name=chart.name,
    )
    xc.set_source_data(_range(sheet, chart.data), plot_by="columns")
    if chart.categories is not None:
        xc.set_x_axis_values(_range(sheet, chart.categories))
    xc.title = chart.title


def equal_runs(sizes: dict[int, float]) -> list[tuple[tuple[int, int], float]]:
    """Adjacent columns (or rows) of equal size as ``((first, last), size)`` runs."""
    out: list[tuple[tuple[int, int], float]] = []
    for i, size in sorted(sizes.items()):
        if out and out[-1][0][1] == i - 1 and out[-1][1] == size:
            out[-1] = ((out[-1][0][0], i), size)
        else:
            out.append(((i, i), size))
    return out


def notes_supported(book: xw.Book) -> bool:
    """Whether the calling Excel can take notes: always on classic desktop; on Server/Lite only
    from the Office.js client on ExcelApi 1.18+ (the snapshot then lists every sheet's notes)."""
    api = book.api
    if not isinstance(api, dict):
        return True
    sheets = api.get("sheets") or []
    return api.get("client") == "Office.js" and all(
        s.get("notes") is not None and s.get("notes_supported") is not False for s in sheets
    )


def list_source(book: xw.Book, ref: str) -> xw.Range | xw.Name:
    """The range or defined name a list validation's ``source`` (``lstStages``,
    ``'Rules'!$B$5:$B$10``) points at."""
    ref = ref.lstrip("=")
    if "!" not in ref:
        return book.names[ref]
    sheet, cells = ref.rsplit("!", 1)
    return book.sheets[sheet.strip("'").replace("''", "'")].range(cells)


def validate(sheet: xw.Sheet, v: Validation) -> None:
    """Add one data-validation rule (see :class:`~excelflow.sheets.plan.Validation`)."""
    dv = _range(sheet, v.area).data_validation
    if v.kind == "list":
        dv.set_list(list(v.choices) if v.choices else list_source(sheet.book, v.source or ""))
    elif v.kind == "custom":
        dv.set_custom(v.formula1 or "")
    else:
        setter = getattr(dv, f"set_{v.kind}")
        setter(v.operator, v.formula1, v.formula2)


def frozen(row: int, col: int) -> str:
    """The range Excel freezes for a split above ``row`` and left of ``col`` (openpyxl's
    ``freeze_panes = "C2"`` is ``frozen(2, 3)`` = ``"A1:B1"``; rows only: ``"1:4"``)."""
    if col == 1:
        return f"1:{row - 1}"
    letters = address((1, col - 1)).rstrip("0123456789")
    return f"A:{letters}" if row == 1 else address((1, 1, row - 1, col - 1))
