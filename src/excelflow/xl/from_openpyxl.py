"""An openpyxl worksheet built in memory, as a :class:`~excelflow.sheets.plan.SheetPlan`.

The Bid sheet (:func:`excelflow.bid.sheet.book.write_bid_sheet`) is laid out once, with openpyxl
(the template's sheets are plans already, :mod:`excelflow.template.book`). The ribbon builds it
the same way in memory and copies what xlwings can write into the live book:
values and formulas, fills, fonts, number formats, alignment and wrapping, merged cells, column
widths and row heights, frozen panes, tables, data validations with a "stop" alert, formula-based
conditional formats, cell comments as notes, and each chart with its first series (or several
adjacent series sharing one category range).

What cannot be carried over is listed by :func:`worksheet_plan` (borders, theme colours) and by
the renderer (validations whose alert only warns or informs, the input messages of validations,
which become notes on their cell, and chart series beyond the first block) instead of silently
dropped. This converter goes once the Bid sheet is laid out as a plan itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.cell.cell import Cell as XlCell
from openpyxl.utils import column_index_from_string, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.sheets.parts import Area, Chart, CondFormat, Formula, Note, Series, Table, Validation
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Align, Fill, Font, Style

CHART_KINDS = {"BarChart": "column", "LineChart": "line", "PieChart": "pie",
               "ScatterChart": "scatter", "AreaChart": "area"}  # fmt: skip
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


def _look(cell: XlCell, skipped: set[str]) -> Style | None:
    fill = None
    if cell.fill is not None and cell.fill.fill_type == "solid":
        colour = rgb(cell.fill.fgColor)
        if colour is not None:
            fill = Fill(colour)
        else:
            skipped.add("theme colours")
    font = None
    f = cell.font
    if f is not None:
        size = float(f.sz) if f.sz is not None and float(f.sz) != DEFAULT_FONT_SIZE else None
        font = Font(bold=True if f.b else None, italic=True if f.i else None, size=size,
                    color=rgb(f.color))  # fmt: skip
        font = None if font == Font() else font
    fmt = cell.number_format if cell.number_format and cell.number_format != "General" else None
    al, align = cell.alignment, None
    if al is not None:
        h = al.horizontal if al.horizontal in ("left", "center", "right", "justify",
                                               "distributed") else None  # fmt: skip
        align = Align(horizontal=h, wrap=True if al.wrap_text else None)
        align = None if align == Align() else align
    border = cell.border
    if border is not None and any(
        getattr(getattr(border, side), "style", None) for side in ("left", "right", "top", "bottom")
    ):
        skipped.add("borders")
    look = Style(font=font, fill=fill, align=align, number_format=fmt)
    return None if look == Style() else look


def _style(plan: SheetPlan, key: tuple[int, int], look: Style, names: dict[Style, str]) -> None:
    """Give the cell ``look``, named after its first use (``s1``, ``s2``…)."""
    if look not in names:
        names[look] = plan.define(f"s{len(names) + 1}", look)
    plan.cell_styles[key] = (names[look],)


def _validations(ws: Worksheet, plan: SheetPlan) -> None:
    """Rules and input messages as they were (error texts and input-method modes are not
    carried, as before: the renderer reports what it cannot write of the rest)."""
    for dv in ws.data_validations.dataValidation:
        for area in (area_of(str(r)) for r in dv.sqref.ranges):
            if dv.type is None:
                if dv.prompt:
                    plan.validations.append(Validation(area, None, prompt_title=dv.promptTitle,
                                                       prompt=dv.prompt))  # fmt: skip
                continue
            plan.validations.append(
                Validation(area, dv.type, formula1=dv.formula1, formula2=dv.formula2,
                           operator=dv.operator, error_style=dv.errorStyle, prompt=dv.prompt)
            )  # fmt: skip


def _conditional(ws: Worksheet, plan: SheetPlan, skipped: set[str]) -> None:
    for cf in ws.conditional_formatting:
        areas = [area_of(str(r)) for r in cf.sqref.ranges]
        for rule in cf.rules:
            if rule.type != "expression" or not rule.formula:
                skipped.add(f"{rule.type} conditional formats")
                continue
            dxf = rule.dxf
            fill = rgb(dxf.fill.bgColor) or rgb(dxf.fill.fgColor) if dxf and dxf.fill else None
            f = dxf.font if dxf else None
            font = None if f is None else Font(
                color=rgb(f.color), bold=None if f.b is None else bool(f.b),
                italic=None if f.i is None else bool(f.i),
            )  # fmt: skip
            look = Style(font=font, fill=None if fill is None else Fill(fill))
            name = plan.define(f"cf{len(plan.conditional) + 1}", look)
            plan.conditional.append(CondFormat(tuple(areas), str(rule.formula[0]), name))


def _ref_area(ref: Any) -> Area | None:
    text = getattr(getattr(ref, "numRef", None) or getattr(ref, "strRef", None), "f", None)
    return None if not text else area_of(str(text))


def _charts(ws: Worksheet, plan: SheetPlan, skipped: set[str]) -> None:
    for i, chart in enumerate(getattr(ws, "_charts", [])):
        kind = CHART_KINDS.get(type(chart).__name__)
        series = list(chart.series)
        if kind is None or not series:
            skipped.add(f"{type(chart).__name__} charts")
            continue
        if kind == "column" and getattr(chart, "type", "col") == "bar":
            kind = "bar"
        ys = [_ref_area(s.val if s.val is not None else s.yVal) for s in series]
        xs = [_ref_area(s.cat if s.cat is not None else s.xVal) for s in series]
        if ys[0] is None:
            continue
        r1, c1, _, _ = ys[0]
        above = ws.cell(r1 - 1, c1).value if r1 > 1 else None
        titled = isinstance(above, str)
        plan.charts.append(
            Chart(
                kind,
                tuple(
                    Series(y, x, title_cell=(y[0] - 1, y[1]) if titled else None)
                    for y, x in zip(ys, xs, strict=True)
                    if y is not None
                ),
                _anchor(chart.anchor),
                float(chart.width),
                float(chart.height),
                title=_title(chart),
                name=f"efChart{i + 1}",
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


def worksheet_plan(ws: Worksheet) -> tuple[SheetPlan, list[str]]:
    """``ws`` as a :class:`SheetPlan`, plus what could not be carried over (sorted, English)."""
    plan = SheetPlan()
    skipped: set[str] = set()
    names: dict[Style, str] = {}
    for (r, c), cell in sorted(ws._cells.items()):
        if cell.value is not None:
            plan.put(r, c, cell_value(cell))
        if cell.has_style and isinstance(cell, XlCell):
            look = _look(cell, skipped)
            if look is not None:
                _style(plan, (r, c), look, names)
        if cell.comment is not None:
            plan.notes[(r, c)] = Note(cell.comment.text)
    plan.merges = [area_of(str(m)) for m in ws.merged_cells.ranges]
    for letter, dim in ws.column_dimensions.items():
        if dim.width and dim.customWidth:
            first = dim.min or column_index_from_string(letter)
            last = dim.max or first
            for col in range(int(first), int(last) + 1):
                plan.widths[col] = float(dim.width)
    for row, rdim in ws.row_dimensions.items():
        if rdim.ht:
            plan.heights[int(row)] = float(rdim.ht)
    if ws.freeze_panes:
        r1, c1, _, _ = area_of(str(ws.freeze_panes))
        plan.freeze = (r1, c1)
    for table in ws.tables.values():
        style = table.tableStyleInfo.name if table.tableStyleInfo else "TableStyleLight9"
        plan.tables.append(Table(area_of(table.ref), table.displayName, style or ""))
    _validations(ws, plan)
    _conditional(ws, plan, skipped)
    _charts(ws, plan, skipped)
    if ws.sheet_view.showGridLines is False:
        plan.props.gridlines = False
    return plan, sorted(skipped)
