"""An openpyxl worksheet built in memory, as a :class:`~excelflow.sheets.plan.SheetGrid`.

The Bid sheet (:func:`excelflow.bid.sheet.book.write_bid_sheet`) and the template's Deals and Rules
sheets (:func:`excelflow.workbook.template.template_workbook`) are laid out once, with openpyxl. The
ribbon builds them the same way in memory and copies what xlwings can write into the live book:
values and formulas, fills, fonts, number formats, alignment and wrapping, merged cells, column
widths and row heights, frozen panes, tables, data validations with a "stop" alert, formula-based
conditional formats, cell comments as notes, and each chart with its first series (or several
adjacent series sharing one category range).

What cannot be carried over is listed by :func:`worksheet_grid` instead of silently dropped:
borders, theme colours, validations whose alert only warns or informs (xlwings cannot set the
alert style, and a strict copy would reject input the template accepts), the input messages of
validations (they become notes on their cell), and chart series beyond the first block.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.cell.cell import Cell as XlCell
from openpyxl.utils import column_index_from_string, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.sheets.plan import (
    Area,
    ChartSpec,
    CondFormat,
    Font,
    Formula,
    SheetGrid,
    TableSpec,
    Validation,
)

OPERATORS = {
    "between": "between",
    "notBetween": "not_between",
    "equal": "equal_to",
    "notEqual": "not_equal_to",
    "greaterThan": "greater_than",
    "lessThan": "less_than",
    "greaterThanOrEqual": "greater_than_or_equal",
    "lessThanOrEqual": "less_than_or_equal",
}
KINDS = {"whole": "whole_number", "decimal": "decimal", "date": "date", "time": "time",
         "textLength": "text_length", "custom": "custom", "list": "list"}  # fmt: skip
CHART_KINDS = {
    "BarChart": ("column_clustered", "bar_clustered"),
    "LineChart": ("line", "line"),
    "PieChart": ("pie", "pie"),
    "ScatterChart": ("xy_scatter_lines_no_markers", "xy_scatter_lines_no_markers"),
    "AreaChart": ("area", "area"),
}
EMU_PER_PT = 12700
CM_PER_PT = 2.54 / 72
DEFAULT_FONT_SIZE = 11.0


def area_of(ref: str) -> Area:
    """``"A1:C4"`` (or ``"B2"``) as a 1-based area."""
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", "").split("!")[-1])
    return (int(min_row or 1), int(min_col or 1), int(max_row or min_row or 1),
            int(max_col or min_col or 1))  # fmt: skip


def rgb(color: Any) -> str | None:
    """``"RRGGBB"`` of an openpyxl colour given as RGB; None for theme/indexed/auto colours."""
    if color is None or getattr(color, "type", "rgb") != "rgb":
        return None
    value = getattr(color, "rgb", None)
    if not isinstance(value, str) or len(value) < 6:
        return None
    return value[-6:].upper()


def cell_value(cell: XlCell) -> Any:
    """A cell's value for the grid: formulas as :class:`Formula`, everything else as is."""
    value = cell.value
    if isinstance(value, ArrayFormula):
        return Formula(value.text or "")
    if cell.data_type == "f" and isinstance(value, str):
        return Formula(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    return value


def _styles(grid: SheetGrid, cell: XlCell, skipped: set[str]) -> None:
    key = (cell.row, cell.column)
    fill = cell.fill
    if fill is not None and fill.fill_type == "solid":
        colour = rgb(fill.fgColor)
        if colour is not None:
            grid.fills[key] = colour
        else:
            skipped.add("theme colours")
    f = cell.font
    if f is not None:
        size = float(f.sz) if f.sz is not None and float(f.sz) != DEFAULT_FONT_SIZE else None
        font = Font(bold=True if f.b else None, italic=True if f.i else None, size=size,
                    color=rgb(f.color))  # fmt: skip
        if font != Font():
            grid.fonts[key] = font
    if cell.number_format and cell.number_format != "General":
        grid.formats[key] = cell.number_format
    al = cell.alignment
    if al is not None:
        if al.horizontal in ("left", "center", "right", "justify", "distributed"):
            grid.align[key] = al.horizontal
        if al.wrap_text:
            grid.wrap[key] = True
    border = cell.border
    if border is not None and any(
        getattr(getattr(border, side), "style", None) for side in ("left", "right", "top", "bottom")
    ):
        skipped.add("borders")


def _validations(ws: Worksheet, grid: SheetGrid, skipped: set[str]) -> None:
    for dv in ws.data_validations.dataValidation:
        areas = [area_of(str(r)) for r in dv.sqref.ranges]
        if dv.type is None:  # a prompt only: the help text becomes a note on the cell
            if dv.prompt:
                for r1, c1, _r2, _c2 in areas:
                    title = f"{dv.promptTitle}\n" if dv.promptTitle else ""
                    grid.notes.setdefault((r1, c1), title + dv.prompt)
            continue
        if dv.prompt:
            skipped.add("input messages")
        if (dv.errorStyle or "stop") != "stop":
            skipped.add("validations that only warn")
            continue
        kind = KINDS.get(dv.type)
        if kind is None:
            skipped.add(f"{dv.type} validations")
            continue
        f1 = dv.formula1
        for area in areas:
            if kind == "list" and f1 and f1.startswith('"'):
                choices = tuple(c.strip() for c in f1.strip('"').split(","))
                grid.validations.append(Validation(area, "list", choices=choices))
            elif kind == "list":
                grid.validations.append(Validation(area, "list", source=f1))
            else:
                op = OPERATORS.get(dv.operator or "between", "between")
                grid.validations.append(
                    Validation(
                        area,
                        kind,
                        operator=None if kind == "custom" else op,
                        formula1=f1,
                        formula2=dv.formula2,
                    )
                )


def _conditional(ws: Worksheet, grid: SheetGrid, skipped: set[str]) -> None:
    for cf in ws.conditional_formatting:
        areas = [area_of(str(r)) for r in cf.sqref.ranges]
        for rule in cf.rules:
            if rule.type != "expression" or not rule.formula:
                skipped.add(f"{rule.type} conditional formats")
                continue
            dxf = rule.dxf
            fill = rgb(dxf.fill.bgColor) or rgb(dxf.fill.fgColor) if dxf and dxf.fill else None
            font = dxf.font if dxf else None
            for area in areas:
                grid.conditional.append(
                    CondFormat(
                        area,
                        str(rule.formula[0]),
                        fill=fill,
                        font_color=rgb(font.color) if font is not None else None,
                        bold=bool(font.b) if font is not None and font.b is not None else None,
                        italic=bool(font.i) if font is not None and font.i is not None else None,
                    )
                )


def _ref_area(ref: Any) -> Area | None:
    text = getattr(getattr(ref, "numRef", None) or getattr(ref, "strRef", None), "f", None)
    return None if not text else area_of(str(text))


def _charts(ws: Worksheet, grid: SheetGrid, skipped: set[str]) -> None:
    for i, chart in enumerate(getattr(ws, "_charts", [])):
        kinds = CHART_KINDS.get(type(chart).__name__)
        series = list(chart.series)
        if kinds is None or not series:
            skipped.add(f"{type(chart).__name__} charts")
            continue
        kind = kinds[1] if getattr(chart, "type", "col") == "bar" else kinds[0]
        ys = [_ref_area(s.val if s.val is not None else s.yVal) for s in series]
        xs = [_ref_area(s.cat if s.cat is not None else s.xVal) for s in series]
        first = ys[0]
        if first is None:
            continue
        r1, c1, r2, _ = first
        n = 1
        while n < len(ys) and ys[n] == (r1, c1 + n, r2, c1 + n) and xs[n] == xs[0]:
            n += 1
        if n < len(series):
            skipped.add("extra chart series")
        above = ws.cell(r1 - 1, c1).value if r1 > 1 else None
        top = r1 - 1 if isinstance(above, str) else r1
        title = _title(chart)
        grid.charts.append(
            ChartSpec(
                name=f"efChart{i + 1}",
                kind=kind,
                title=title,
                data=(top, c1, r2, c1 + n - 1),
                categories=xs[0],
                anchor=_anchor(chart.anchor),
                width=float(chart.width) / CM_PER_PT,
                height=float(chart.height) / CM_PER_PT,
            )
        )


def _anchor(anchor: Any) -> tuple[int, int]:
    """The top-left cell of a chart anchor: a cell reference ("G4") until the workbook is
    saved, an anchor object (0-based marker) after loading."""
    if isinstance(anchor, str):
        r1, c1, _, _ = area_of(anchor)
        return r1, c1
    marker = anchor._from
    return int(marker.row) + 1, int(marker.col) + 1


def _title(chart: Any) -> str:
    title = chart.title
    if title is None or isinstance(title, str):
        return title or ""
    try:
        return "".join(
            run.t for p in title.tx.rich.p for run in (p.r or []) if getattr(run, "t", None)
        )
    except AttributeError:
        return ""


def worksheet_grid(ws: Worksheet) -> tuple[SheetGrid, list[str]]:
    """``ws`` as a :class:`SheetGrid`, plus what could not be carried over (sorted, English)."""
    grid = SheetGrid()
    skipped: set[str] = set()
    for (r, c), cell in sorted(ws._cells.items()):
        if cell.value is not None:
            grid.put(r, c, cell_value(cell))
        if cell.has_style and isinstance(cell, XlCell):
            _styles(grid, cell, skipped)
        if cell.comment is not None:
            grid.notes[(r, c)] = cell.comment.text
    grid.merges = [area_of(str(m)) for m in ws.merged_cells.ranges]
    for letter, dim in ws.column_dimensions.items():
        if dim.width and dim.customWidth:
            first = dim.min or column_index_from_string(letter)
            last = dim.max or first
            for col in range(int(first), int(last) + 1):
                grid.widths[col] = float(dim.width)
    for row, rdim in ws.row_dimensions.items():
        if rdim.ht:
            grid.heights[int(row)] = float(rdim.ht)
    if ws.freeze_panes:
        r1, c1, _, _ = area_of(str(ws.freeze_panes))
        grid.freeze = (r1, c1)
    for table in ws.tables.values():
        style = table.tableStyleInfo.name if table.tableStyleInfo else "TableStyleLight9"
        grid.tables.append(TableSpec(area_of(table.ref), table.displayName, style or ""))
    _validations(ws, grid, skipped)
    _conditional(ws, grid, skipped)
    _charts(ws, grid, skipped)
    if ws.sheet_view.showGridLines is False:
        grid.gridlines = False
    return grid, sorted(skipped)
