"""Draw a :class:`~excelflow.sheets.plan.SheetPlan` (or a whole
:class:`~excelflow.sheets.book.BookPlan`) with openpyxl: the one openpyxl renderer.

Everything in a plan has an openpyxl counterpart, so nothing is skipped: values (text passes the
guard of :mod:`excelflow.sheets.guard`: it stays text even when it starts with ``=``, ``+``, ``-``,
``@`` or looks like DDE, and characters XML cannot hold become visible;
:class:`~excelflow.sheets.parts.Formula` is a formula; rich text as ``CellRichText``), named
styles (one openpyxl font, fill, border and alignment per distinct combination, shared by its
cells), links, notes, merged cells, sizes, frozen panes, tables, validations, conditional formats,
native charts, sheet settings and the page setup.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import warnings
import weakref
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell._writer import etree_write_cell
from openpyxl.cell.cell import ERROR_CODES, Cell, WriteOnlyCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import AreaChart, BarChart, LineChart, PieChart, Reference, ScatterChart
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import Marker as XlMarker
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.series_factory import SeriesFactory
from openpyxl.comments import Comment
from openpyxl.comments.author import AuthorList
from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.formatting.rule import Rule
from openpyxl.packaging.relationship import Relationship
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.colors import Color
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import coordinate_to_tuple, get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableColumn as XlTableColumn
from openpyxl.worksheet.table import TableFormula, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import Element
from openpyxl.xml.functions import tostring as xml_tostring

from excelflow.sheets import style as sp
from excelflow.sheets.book import BookPlan
from excelflow.sheets.guard import cell_text, formula_like, legal_text
from excelflow.sheets.parts import (
    Area,
    Axis,
    Chart,
    CondFormat,
    Formula,
    PageSetup,
    RichText,
    Series,
    SheetProps,
    Table,
    TableColumn,
    Validation,
)
from excelflow.sheets.plan import SheetPlan, address
from excelflow.sheets.text import EXCEL_TEXT_LIMIT, clip

EMU_PER_PT = 12700


# --------------------------------------------------------------------------- styles


def _kw(**attrs: Any) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if v is not None}


def xl_font(f: sp.Font) -> Font:
    """The openpyxl font of ``f``."""
    return Font(**_kw(name=f.name, family=f.family, scheme=f.scheme, b=f.bold, i=f.italic,
                      sz=f.size, color=f.color, u=f.underline))  # fmt: skip


def xl_fill(f: sp.Fill) -> PatternFill:
    """The openpyxl pattern fill of ``f``."""
    return PatternFill(**_kw(fill_type=f.pattern, fgColor=f.color, bgColor=f.background))


def xl_border(b: sp.Border) -> Border:
    """The openpyxl border of ``b``."""
    sides: dict[str, Any] = {s: getattr(b, s) for s in sp.SIDES}
    lines: dict[str, Any] = {k: Side(**_kw(style=v.style, color=v.color)) for k, v in sides.items()
                             if v is not None}  # fmt: skip
    return Border(**lines)


def xl_alignment(a: sp.Align) -> Alignment:
    """The openpyxl alignment of ``a``."""
    return Alignment(**_kw(horizontal=a.horizontal, vertical=a.vertical, wrap_text=a.wrap,
                           indent=a.indent))  # fmt: skip


class _Looks:
    """openpyxl style objects per distinct tuple of style names, made once and shared."""

    def __init__(self, plan: SheetPlan) -> None:
        self.plan = plan
        self.cache: dict[tuple[str, ...], tuple[Any, ...]] = {}

    def __call__(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        look = self.cache.get(names)
        if look is None:
            s = self.plan.layer(names)
            look = (
                None if s.font is None else xl_font(s.font),
                None if s.fill is None else xl_fill(s.fill),
                None if s.border is None else xl_border(s.border),
                None if s.align is None else xl_alignment(s.align),
                s.number_format,
            )
            self.cache[names] = look
        return look


_UNDERSCORE_X = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def _keep_cr(text: str) -> str:
    """A carriage return as OOXML stores it (``_x000D_``, as Excel writes it): openpyxl writes it
    raw, and every XML parser reads a raw CR back as a line feed. A literal ``_xHHHH_`` in such
    text is protected by ``_x005F_``, so calamine and Excel read ``text`` back exactly."""
    if "\r" not in text:
        return text
    return _UNDERSCORE_X.sub("_x005F_", text).replace("\r", "_x000D_")


def put_text(cell: Cell, value: str) -> None:
    """Write the text ``value`` into an openpyxl cell through the guard
    (:func:`excelflow.sheets.guard.cell_text`): characters XML cannot hold become visible, and
    text a spreadsheet could take for a formula stays text (a string cell with Excel's quote
    prefix, which is not part of the value; a quote prefix left by an earlier run on other
    text is taken off)."""
    text, force = cell_text(value)
    cell.value = _keep_cr(text)
    if force:
        cell.data_type = "s"
        cell.quotePrefix = True
    elif cell.quotePrefix:
        cell.quotePrefix = False


def _rich(text: RichText) -> CellRichText:
    parts: list[str | TextBlock] = []
    for run in text.runs:
        if run.font is None:
            parts.append(legal_text(run.text))
            continue
        f = run.font
        inline = InlineFont(**_kw(rFont=f.name, family=f.family, scheme=f.scheme, b=f.bold,
                                  i=f.italic, sz=f.size, u=f.underline,
                                  color=None if f.color is None else Color(f.color)))  # fmt: skip
        parts.append(TextBlock(inline, legal_text(run.text)))
    return CellRichText(*parts)


# --------------------------------------------------------------------------- cells


def _cells(ws: Worksheet, plan: SheetPlan) -> None:
    looks = _Looks(plan)
    styled = plan.cell_styles
    style_ids: _StyleIds = {}
    valued = ((r, c) for r, row in enumerate(plan.values, 1) for c, v in enumerate(row, 1)
              if v is not None)  # fmt: skip
    for key in {**dict.fromkeys(styled), **dict.fromkeys(valued)}:  # styles in layout order
        r, c = key
        _draw(ws.cell(r, c), plan, key, looks, style_ids)


_StyleIds = dict[tuple[tuple[int, ...] | None, tuple[str, ...]], StyleArray]


def _draw(
    cell: Any, plan: SheetPlan, key: tuple[int, int], looks: _Looks, style_ids: _StyleIds
) -> None:
    """Give one openpyxl cell (a normal or a write-only one) its value, styles, link and note
    from ``plan``."""
    r, c = key
    value = plan.value(r, c)
    if isinstance(value, Formula):
        cell.value = value.text
    elif isinstance(value, RichText):
        cell.value = _rich(value)
        if formula_like(str(value)):
            cell.quotePrefix = True
    elif isinstance(value, str) and isinstance(cell, Cell):  # merges are drawn afterwards
        put_text(cell, value)
    elif value is not None:
        cell.value = value
    names = plan.cell_styles.get(key)
    if names:
        # One style per distinct (starting style, names): openpyxl hashes every Font, Fill… it
        # is given to find its id, so the ids are worked out once and then shared.
        styleable: Any = cell  # openpyxl's style ids (StyleArray), untyped in its stubs
        start = None if styleable._style is None else tuple(styleable._style)
        shared = style_ids.get((start, names))
        if shared is not None:
            styleable._style = StyleArray(shared)
        else:
            font, fill, border, align, fmt = looks(names)
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if border is not None:
                cell.border = border
            if align is not None:
                cell.alignment = align
            if fmt is not None:
                cell.number_format = fmt
            if styleable._style is not None:
                style_ids[(start, names)] = StyleArray(styleable._style)
    link = plan.links.get(key)
    if link is not None:
        cell.hyperlink = Hyperlink(
            ref=address(key), display=str(cell.value),
            **_kw(location=link.location, target=link.target, tooltip=link.tooltip),
        )  # fmt: skip
    note = plan.notes.get(key)
    if note is not None:
        size = _kw(width=note.width, height=note.height)
        text = clip(legal_text(note.text), EXCEL_TEXT_LIMIT)
        cell.comment = Comment(text, legal_text(note.author or ""), **size)


# --------------------------------------------------------------------------- sheet objects


def add_table(ws: Worksheet, table: Table) -> XlTable:
    """Add ``table`` to ``ws`` (the header cells must be written)."""
    ref = address(table.area)
    t = XlTable(displayName=table.name, ref=ref)
    if table.columns:
        t.tableColumns = [
            XlTableColumn(id=j, name=col.name, **_kw(
                calculatedColumnFormula=None if col.formula is None
                else TableFormula(attr_text=col.formula)))
            for j, col in enumerate(table.columns, start=1)
        ]  # fmt: skip
    elif not table.autofilter:  # openpyxl would add the filter with the columns it makes
        r1, c1, _, c2 = table.area
        t.tableColumns = [XlTableColumn(id=c, name=str(ws.cell(r1, c).value))
                          for c in range(c1, c2 + 1)]  # fmt: skip
    if table.autofilter:
        t.autoFilter = AutoFilter(ref=ref)
    t.tableStyleInfo = TableStyleInfo(name=table.style, **_kw(
        showRowStripes=table.row_stripes, showColumnStripes=table.column_stripes,
        showFirstColumn=table.first_column, showLastColumn=table.last_column))  # fmt: skip
    ws.add_table(t)
    return t


def add_validation(ws: Worksheet, v: Validation) -> DataValidation:
    """Add the data validation ``v`` to ``ws``."""
    dv = DataValidation(**_kw(
        type=v.kind, formula1=v.formula1, formula2=v.formula2, operator=v.operator,
        allowBlank=v.allow_blank, showErrorMessage=v.show_error, errorStyle=v.error_style,
        errorTitle=v.error_title, error=v.error, showInputMessage=v.show_input,
        promptTitle=v.prompt_title, prompt=v.prompt, imeMode=v.ime_mode))  # fmt: skip
    dv.add(address(v.area))
    ws.add_data_validation(dv)
    return dv


def dxf_fill(f: sp.Fill) -> PatternFill:
    """The fill of a conditional format. Excel paints a differential (dxf) solid fill with its
    *background* colour and ignores the foreground one (other readers take the foreground), so a
    solid fill gets its colour as both: ``background`` when set, else ``color``."""
    if f.pattern != "solid":
        return xl_fill(f)
    colour = f.background or f.color
    return PatternFill(**_kw(fill_type="solid", fgColor=colour, bgColor=colour))


def differential(style: sp.Style) -> DifferentialStyle:
    """A conditional format's differential style (font, fill and border of ``style``)."""
    return DifferentialStyle(**_kw(
        font=None if style.font is None else xl_font(style.font),
        fill=None if style.fill is None else dxf_fill(style.fill),
        border=None if style.border is None else xl_border(style.border)))  # fmt: skip


def add_conditional(ws: Worksheet, plan: SheetPlan, cf: CondFormat) -> Rule:
    """Add the conditional format ``cf`` (its style from ``plan``) to ``ws``."""
    rule = Rule(type="expression", formula=[cf.formula], dxf=differential(plan.styles[cf.style]),
                **_kw(priority=cf.priority, stopIfTrue=cf.stop_if_true))  # fmt: skip
    ws.conditional_formatting.add(" ".join(address(a) for a in cf.ranges), rule)
    return rule


def _ref(ws: Worksheet, area: Area) -> Reference:
    r1, c1, r2, c2 = area
    return Reference(ws, min_col=c1, min_row=r1, max_col=c2, max_row=r2)


def _series(ws: Worksheet, s: Series, scatter: bool) -> Any:
    r1, c1, r2, c2 = s.values
    above = s.title_cell == (r1 - 1, c1) and c1 == c2
    values = _ref(ws, (r1 - 1, c1, r2, c2) if above else s.values)
    x = _ref(ws, s.categories) if scatter and s.categories is not None else None
    ser = SeriesFactory(values, xvalues=x, title=s.title, title_from_data=above)
    if s.title_cell is not None and not above:
        cell = f"{get_column_letter(s.title_cell[1])}{s.title_cell[0]}"
        ser.tx = SeriesLabel(strRef=StrRef(f"{quote_sheetname(ws.title)}!{cell}"))
    if s.marker is not None:
        symbol: Any = s.marker.symbol
        ser.marker = XlMarker(symbol=symbol, **_kw(size=s.marker.size))
        if s.marker.fill is not None:
            ser.marker.graphicalProperties.solidFill = s.marker.fill
        if s.marker.line is not None:
            ser.marker.graphicalProperties.line.solidFill = s.marker.line
    if s.smooth is not None:
        ser.smooth = s.smooth
    line = ser.graphicalProperties.line
    if s.color is not None:
        line.solidFill = s.color
    if s.line_width is not None:
        line.width = round(s.line_width * EMU_PER_PT)
    if s.dash is not None:
        line.dashStyle = s.dash
    if s.no_line:
        line.noFill = True
    return ser


def _axis(axis: Any, spec: Axis | None) -> None:
    if spec is None:
        return
    _assign(axis, title=spec.title, number_format=spec.number_format,
            delete=None if spec.visible is None else not spec.visible)  # fmt: skip
    if spec.reverse is not None:
        axis.scaling.orientation = "maxMin" if spec.reverse else "minMax"
    _assign(axis.scaling, min=spec.minimum, max=spec.maximum)


def _crosses(chart: Any, spec: Chart) -> None:
    """``Axis.crosses`` is where the other axis crosses this one: the file format keeps it on
    the other axis."""
    if spec.x_axis is not None and spec.x_axis.crosses is not None:
        chart.y_axis.crosses = spec.x_axis.crosses
    if spec.y_axis is not None and spec.y_axis.crosses is not None:
        chart.x_axis.crosses = spec.y_axis.crosses


def xl_chart(ws: Worksheet, spec: Chart) -> ChartBase:
    """The openpyxl chart of ``spec`` (series referring to ``ws``)."""
    chart: Any
    if spec.kind in ("bar", "column"):
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
    elif spec.kind == "scatter":
        chart = ScatterChart(**_kw(scatterStyle=spec.scatter_style))
    else:
        chart = {"pie": PieChart, "line": LineChart, "area": AreaChart}[spec.kind]()
    if spec.title is not None:
        chart.title = spec.title
    if spec.style is not None:
        chart.style = spec.style
    scatter = spec.kind == "scatter"
    for s in spec.series:
        chart.series.append(_series(ws, s, scatter))
    labels = next((s.categories for s in spec.series if s.categories is not None), None)
    if not scatter and labels is not None:  # openpyxl's way: one category range for all series
        chart.set_categories(_ref(ws, labels))
    if spec.kind != "pie":
        _axis(chart.x_axis, spec.x_axis)
        _axis(chart.y_axis, spec.y_axis)
        _crosses(chart, spec)
    if spec.data_labels is not None:
        d = spec.data_labels
        shown = _kw(showVal=d.value, showCatName=d.category, showSerName=d.series_name,
                    showPercent=d.percent, showLegendKey=d.legend_key)  # fmt: skip
        chart.dataLabels = DataLabelList(**shown)
    if spec.overlap is not None:
        chart.overlap = spec.overlap
    if spec.legend is None:
        chart.legend = None
    elif spec.legend != "r":
        chart.legend.position = spec.legend
    if spec.gap_width is not None:
        chart.gapWidth = spec.gap_width
    chart.width, chart.height = spec.width, spec.height
    return chart  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- sheet settings


def _assign(target: Any, **attrs: Any) -> None:
    """Set ``target``'s attributes that are given (not None)."""
    for name, value in attrs.items():
        if value is not None:
            setattr(target, name, value)


def _props(ws: Worksheet, props: SheetProps) -> None:
    _assign(ws.sheet_properties, tabColor=props.tab_color)
    _assign(ws.sheet_view, showGridLines=props.gridlines, tabSelected=props.selected)
    _assign(ws, sheet_state=props.state)


def _page(ws: Worksheet, page: PageSetup) -> None:
    _assign(ws.page_setup, orientation=page.orientation, paperSize=page.paper_size,
            fitToWidth=page.fit_width, fitToHeight=page.fit_height)  # fmt: skip
    if page.fit_to_page is not None:
        props = ws.sheet_properties
        if props.pageSetUpPr is None:
            props.pageSetUpPr = PageSetupProperties()
        props.pageSetUpPr.fitToPage = page.fit_to_page
    _assign(ws.print_options, horizontalCentered=page.center_horizontally,
            verticalCentered=page.center_vertically)  # fmt: skip
    if page.margins is not None:
        _assign(ws.page_margins, **vars(page.margins))
    if page.title_rows is not None:
        ws.print_title_rows = "{}:{}".format(*page.title_rows)
    if page.title_cols is not None:
        ws.print_title_cols = ":".join(get_column_letter(c) for c in page.title_cols)
    if page.print_area is not None:
        ws.print_area = address(page.print_area)
    for row in page.row_breaks:
        ws.row_breaks.append(Break(id=row))


# --------------------------------------------------------------------------- entry points


def render_sheet(ws: Worksheet, plan: SheetPlan) -> None:
    """Draw ``plan`` on ``ws`` (normally a new, empty worksheet)."""
    _cells(ws, plan)
    for r1, c1, r2, c2 in plan.merges:
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    _settings(ws, plan, plan.tables)


def _settings(ws: Any, plan: SheetPlan, tables: Sequence[Table]) -> None:
    """Everything of ``plan`` but its cells and merges (what a write-only sheet takes too)."""
    for col, width in plan.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in plan.heights.items():
        ws.row_dimensions[row].height = height
    if plan.freeze is not None:
        ws.freeze_panes = address(plan.freeze)
    for table in tables:
        add_table(ws, table)
    for v in plan.validations:
        add_validation(ws, v)
    for cf in plan.conditional:
        add_conditional(ws, plan, cf)
    for chart in plan.charts:
        ws.add_chart(xl_chart(ws, chart), address(chart.anchor))
    _props(ws, plan.props)
    _page(ws, plan.page)


def _stream_sheet(ws: Any, plan: SheetPlan) -> None:
    """Draw ``plan`` on a write-only sheet: its rows go to the file one at a time, so a sheet
    of 100,000 rows never exists as that many cell objects.

    Raises:
        ValueError: the plan merges cells (a write-only sheet cannot).
    """
    if plan.merges:
        raise ValueError("a write-only sheet cannot merge cells")
    tables = [  # a write-only sheet cannot read its header cells back: name the columns here
        t if t.columns else replace(t, columns=tuple(
            TableColumn(cell_text(str(plan.value(t.area[0], c)))[0])
            for c in range(t.area[1], t.area[3] + 1)))
        for t in plan.tables
    ]  # fmt: skip
    with warnings.catch_warnings():  # openpyxl warns on every write-only table; we named them
        warnings.filterwarnings("ignore", "In write-only mode you must add table columns")
        _settings(ws, plan, tables)  # before the rows: a write-only sheet writes its head first
    looks = _Looks(plan)
    style_ids: _StyleIds = {}
    extra: dict[int, set[int]] = {}
    for r, c in (*plan.cell_styles, *plan.links, *plan.notes):
        extra.setdefault(r, set()).add(c)
    for r in range(1, max([len(plan.values), *extra]) + 1):
        values = plan.values[r - 1] if r <= len(plan.values) else []
        more = extra.get(r, set())
        width = max([len(values), *more])
        row: list[Any] = [None] * width
        for c in range(1, width + 1):
            if c in more or (c <= len(values) and values[c - 1] is not None):
                cell = WriteOnlyCell(ws)
                _draw(cell, plan, (r, c), looks, style_ids)
                row[c - 1] = cell
        ws.append(row)


def add_sheet(
    wb: Workbook, name: str, plan: SheetPlan, index: int | None = None, *, bulk: bool = False
) -> Worksheet:
    """A new sheet ``name`` at ``index`` (None: the end) drawn from ``plan``.

    ``bulk``: the plan's cells are not made into openpyxl cells; their XML is written straight
    into the file when the workbook is saved (:func:`save_workbook`, which ``wb.save`` then
    calls), the same XML openpyxl writes for them (see :func:`bulk_ready` for the plans that
    can; others are drawn cell by cell). For long sheets (a Findings sheet of 24,000 rows):
    openpyxl spends ~50 µs per cell making and writing it.
    """
    ws = _sheet(wb.create_sheet(name, index))
    if bulk and bulk_ready(plan):
        _bulk_sheet(wb, ws, plan)
    else:
        render_sheet(ws, plan)
    return ws


def _sheet(ws: object) -> Worksheet:
    assert isinstance(ws, Worksheet)
    return ws


def theme_xml(hans: str = "等线") -> str:
    """openpyxl's Office theme with ``hans`` (default 等线, DengXian, Office's Chinese body font
    since 2016) for Chinese text instead of 宋体; Latin text stays Calibri."""
    from openpyxl.writer.theme import theme_xml as base

    return base.replace(
        'script="Hans" typeface="&#x5B8B;&#x4F53;"', f'script="Hans" typeface="{hans}"'
    )


def render_book(book: BookPlan, draw_order: Sequence[str] = ()) -> Workbook:
    """A new workbook drawn from ``book``: its sheets in order (the first in the new workbook's
    own first sheet), defined names, active sheet, theme and document properties.

    ``draw_order`` names sheets to draw first, in that order (the others follow in book order).
    The sheets' places do not depend on it, only the order in which the styles part of the file
    lists fonts, fills, borders and number formats: the order a writer met them in. The template
    keeps the order it had before its sheets were plans, so its files stay byte-identical.
    """
    wb = Workbook()
    first = wb.active
    sheets: dict[str, Worksheet] = {}
    for i, name in enumerate(book.sheets):
        if i == 0 and isinstance(first, Worksheet):
            first.title = name
            sheets[name] = first
        else:
            sheets[name] = _sheet(wb.create_sheet(name))
    for name in {**dict.fromkeys(draw_order), **dict.fromkeys(book.sheets)}:
        render_sheet(sheets[name], book.sheets[name])
    _book_settings(wb, book)
    return wb


def _book_settings(wb: Workbook, book: BookPlan) -> None:
    for name, refers in book.names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=refers)
    if not wb.write_only:
        wb.active = book.active
    if book.theme_hans_font is not None:
        wb.loaded_theme = theme_xml(book.theme_hans_font).encode("utf-8")
    p = book.properties
    _assign(wb.properties, creator=p.creator, lastModifiedBy=p.last_modified_by, title=p.title,
            subject=p.subject, keywords=p.keywords, language=p.language, created=p.created,
            modified=p.modified)  # fmt: skip


def save_book_streaming(book: BookPlan, path: Path | str) -> None:
    """Write ``book`` to ``path`` with openpyxl's write-only mode: what
    :func:`render_book` draws, for plans without merged cells, holding one row of cells at a
    time instead of every cell of the book (a batch report's table of 100,000 findings).

    Raises:
        ValueError: a plan merges cells.
    """
    wb = Workbook(write_only=True)
    for name, plan in book.sheets.items():
        _stream_sheet(wb.create_sheet(name), plan)
    _book_settings(wb, book)
    wb.save(path)


# --------------------------------------------------------------------------- bulk sheets

_BULK_VALUES = (str, int, float, bool, dt.datetime, dt.date, dt.time, dt.timedelta, type(None))
_TIME_TYPES = (dt.datetime, dt.date, dt.time, dt.timedelta)
_BULK: weakref.WeakKeyDictionary[Worksheet, SheetPlan] = weakref.WeakKeyDictionary()
"""The sheets whose cells :func:`save_workbook` writes from their plan."""


def bulk_ready(plan: SheetPlan) -> bool:
    """Whether :func:`add_sheet` can write ``plan``'s cells in bulk: plain values (text,
    numbers, booleans, dates), no merges, no notes, links to places in the workbook on cells
    holding a value."""
    if plan.merges or plan.notes:
        return False
    if any(link.target is not None or plan.value(r, c) is None
           for (r, c), link in plan.links.items()):  # fmt: skip
        return False
    return all(type(v) in _BULK_VALUES for row in plan.values for v in row)


def _bulk_sheet(wb: Workbook, ws: Worksheet, plan: SheetPlan) -> None:
    tables = [  # the header cells are not openpyxl cells: name the columns here
        t if t.columns else replace(t, columns=tuple(
            TableColumn(_keep_cr(cell_text(str(plan.value(t.area[0], c)))[0]))
            for c in range(t.area[1], t.area[3] + 1)))
        for t in plan.tables
    ]  # fmt: skip
    _settings(ws, plan, tables)
    _BULK[ws] = plan
    wb.save = lambda filename: save_workbook(wb, filename)  # type: ignore[method-assign,arg-type]


def release_bulk(wb: Workbook) -> None:
    """Forget the plans of ``wb``'s bulk sheets and the ``save`` that writes them: the plan of a
    Findings sheet of 24,000 rows is freed at once by reference counting (``wb.save`` refers
    back to ``wb``, so it would otherwise wait, with the workbook, for a full collection)."""
    for ws in wb.worksheets:
        _BULK.pop(ws, None)
    vars(wb).pop("save", None)


def save_workbook(wb: Workbook, filename: Path | str) -> None:
    """``wb.save(filename)``, writing the cells of the sheets added with ``bulk`` from their
    plans (what openpyxl's own ``save_workbook`` does otherwise)."""
    archive = ZipFile(filename, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    _Writer(wb, archive).save()


class _Writer(ExcelWriter):
    def _write_comment(self, ws: Any) -> None:
        """Notes as openpyxl writes them (the comments part and its VML shapes), from strings:
        openpyxl builds ~15 XML elements per note, 0.2 ms each on 24,000 notes. A macro
        workbook's existing VML part (which may hold other shapes) goes through openpyxl."""
        if ws.legacy_drawing is not None and self.workbook.vba_archive is not None:
            super()._write_comment(ws)  # type: ignore[misc]  # openpyxl's, untyped
            return
        cs: Any = CommentSheet(authors=AuthorList([]), commentList=[])
        mine: Any = self  # openpyxl's writer state (_archive, _comments) is untyped
        archive = mine._archive
        mine._comments.append(cs)
        cs._id = len(mine._comments)
        comments, vml = _comments_xml([_note_fields(rec) for rec in ws._comments])
        archive.writestr(cs.path[1:], comments)
        self.manifest.append(cs)
        ws.legacy_drawing = f"xl/drawings/commentsDrawing{cs._id}.vml"
        archive.writestr(ws.legacy_drawing, vml)
        self.vba_modified.add(ws.legacy_drawing)
        ws._rels.append(Relationship(Id="comments", type=cs._rel_type, Target=cs.path))

    def write_worksheet(self, ws: Any) -> None:
        if self.workbook.write_only:
            super().write_worksheet(ws)
            return
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        plan = _BULK.get(ws)
        writer: Any  # openpyxl's sheet writers, untyped
        if plan is not None:
            writer = _BulkSheetWriter(ws, plan)
        else:  # openpyxl's notes records only where openpyxl's comment writer will read them
            openpyxl_notes = ws.legacy_drawing is not None and self.workbook.vba_archive is not None
            writer = _CellSheetWriter(ws, openpyxl_notes)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])  # type: ignore[attr-defined]
        self.manifest.append(ws)
        writer.cleanup()


_SHEET_DATA = re.compile(rb"<sheetData ?/>")  # ElementTree writes "<a />", lxml "<a/>"
_LINKS = re.compile(rb"<hyperlinks ?/>")


class _BulkSheetWriter(WorksheetWriter):
    """openpyxl's sheet writer with the rows (and links) written from the plan: everything
    else (columns, panes, tables, conditional formats, print settings…) is openpyxl's."""

    def __init__(self, ws: Worksheet, plan: SheetPlan) -> None:
        super().__init__(ws)
        self.plan = plan
        self.rows_xml, self.links_xml, self.extent = _rows_xml(ws, plan)

    def write_dimensions(self) -> None:
        self.xf.send(SheetDimension(self.extent).to_tree())

    def write_rows(self) -> None:
        self.xf.send(Element("sheetData"))

    def write_hyperlinks(self) -> None:
        if self.links_xml:
            self.xf.send(Element("hyperlinks"))

    def write(self) -> None:
        super().write()
        with open(str(self.out), "rb") as f:
            xml = f.read()
        parts = [(_SHEET_DATA, self.rows_xml)] + ([(_LINKS, self.links_xml)] if self.links_xml
                                                  else [])  # fmt: skip
        for mark, body in parts:
            xml, n = mark.subn(lambda _: body, xml)  # noqa: B023  # used at once
            if n != 1:
                raise RuntimeError(f"openpyxl wrote the sheet without one {mark.pattern!r}")
        with open(str(self.out), "wb") as f:
            f.write(xml)


class _CellSheetWriter(WorksheetWriter):
    """openpyxl's sheet writer with the rows of openpyxl cells written as strings (openpyxl
    builds an element per cell and serialises it, ~10 µs a cell): numbers, text, booleans,
    errors and dates as openpyxl writes them; a formula, rich text, a linked cell or anything
    else through openpyxl's own cell writer. The rows go to a file of their own while openpyxl
    writes the rest of the sheet, then take the place of its empty ``<sheetData>``."""

    def __init__(self, ws: Worksheet, openpyxl_notes: bool) -> None:
        super().__init__(ws)
        self.openpyxl_notes = openpyxl_notes
        self.rows_path = f"{self.out}.rows"  # next to openpyxl's temporary file

    def write_rows(self) -> None:
        with open(self.rows_path, "w", encoding="utf-8", newline="") as f:
            _cell_rows(self.ws, f.write, self.openpyxl_notes)
        self.xf.send(Element("sheetData"))

    def write(self) -> None:
        super().write()
        out = str(self.out)
        with open(out, "rb") as f:
            xml = f.read()
        found = list(_SHEET_DATA.finditer(xml))
        if len(found) != 1:
            raise RuntimeError("openpyxl wrote the sheet without one <sheetData/>")
        with open(out, "wb") as f, open(self.rows_path, "rb") as rows:
            f.write(xml[: found[0].start()])
            shutil.copyfileobj(rows, f, 1 << 20)
            f.write(xml[found[0].end() :])

    def cleanup(self) -> None:
        super().cleanup()
        if os.path.exists(self.rows_path):
            os.remove(self.rows_path)


_FAST_NUMBERS = (int, float)


def _cell_rows(ws: Any, write: Any, openpyxl_notes: bool) -> None:
    """Write ``<sheetData>`` of ``ws``'s openpyxl cells as openpyxl's ``WorksheetWriter``
    writes it (same rows, cells, style ids asked for in the same order, notes records, links)."""
    wb = ws.parent
    styles = wb._cell_styles
    epoch, iso_dates = wb.epoch, wb.iso_dates
    serial: Any = to_excel  # untyped in openpyxl's stubs
    dims = ws.row_dimensions
    by_row: dict[int, list[Any]] = {}
    for (r, _c), cell in sorted(ws._cells.items()):
        cells = by_row.get(r)
        if cells is None:
            by_row[r] = [cell]
        else:
            cells.append(cell)
    letters: dict[int, str] = {}
    notes = ws._comments
    write("<sheetData>")
    chunk: list[str] = []
    for r in sorted(by_row.keys() | dims.keys()):
        dim = dims.get(r)
        attrs = "" if dim is None else "".join(f' {k}="{escape(v, _QUOTE)}"' for k, v in dim)
        out: list[str] = []
        for cell in by_row.get(r, ()):
            comment = cell._comment
            value = cell._value
            style = cell._style
            styled = bool(style) and any(style)
            if comment is not None:
                if openpyxl_notes:
                    notes.append(CommentRecord.from_cell(cell))
                else:
                    ref = _cell_ref(letters, cell.column, r)
                    notes.append((ref, comment.author, comment.content, comment.width,
                                  comment.height))  # fmt: skip
            elif value is None and not styled:
                continue
            kind = cell.data_type
            fast = cell.hyperlink is None  # a merged cell has no _hyperlink
            if fast and kind == "d":  # a date as openpyxl writes it without iso_dates
                if iso_dates or value is None or getattr(value, "tzinfo", None) is not None:
                    fast = False
                else:
                    kind, value = "n", serial(value, epoch)
            if fast and kind == "s" and value is not None and not isinstance(value, str):
                fast = False  # rich text
            if not fast or kind not in "nsbe" or len(kind) != 1:
                out.append(_openpyxl_cell(ws, cell, styled))
                continue
            s = f' s="{styles.add(style)}"' if styled else ""
            t = "inlineStr" if kind == "s" else kind
            head = f'<c r="{_cell_ref(letters, cell.column, r)}"{s} t="{t}"'
            if value is None or value == "":
                out.append(head + " />")
            elif kind == "s":
                space = ' xml:space="preserve"' if value.strip() and value != value.strip() else ""
                out.append(f"{head}><is><t{space}>{escape(value)}</t></is></c>")
            elif kind == "e":
                out.append(f"{head}><v>{escape(safe_string(value))}</v></c>")
            elif type(value) in _FAST_NUMBERS:
                out.append(f"{head}><v>{_number(value)}</v></c>")
            else:
                out.append(f"{head}><v>{escape(safe_string(value))}</v></c>")
        if out:
            chunk.append(f'<row r="{r}"{attrs}>{"".join(out)}</row>')
        else:
            chunk.append(f'<row r="{r}"{attrs} />')
        if len(chunk) >= 500:
            write("".join(chunk))
            chunk.clear()
    write("".join(chunk))
    write("</sheetData>")


_QUOTE = {'"': "&quot;"}


def _cell_ref(letters: dict[int, str], col: int, row: int) -> str:
    letter = letters.get(col)
    if letter is None:
        letter = letters[col] = get_column_letter(col)
    return f"{letter}{row}"


class _OneElement:
    """What openpyxl's cell writer writes to: keeps the element."""

    def __init__(self) -> None:
        self.el: Any = None

    def write(self, el: Any) -> None:
        self.el = el


def _openpyxl_cell(ws: Any, cell: Any, styled: bool) -> str:
    """One cell through openpyxl's own (ElementTree) cell writer, as a string."""
    xf = _OneElement()
    etree_write_cell(xf, ws, cell, styled)
    dump: Any = xml_tostring  # ElementTree or lxml, as openpyxl chose
    text: str = dump(xf.el, encoding="unicode")
    return text


def _note_fields(rec: Any) -> tuple[str, str, str, Any, Any]:
    """(ref, author, text, width, height) of a sheet's note: openpyxl's ``CommentRecord`` or
    the tuple :func:`_cell_rows` keeps."""
    if isinstance(rec, tuple):
        return rec
    return rec.ref, rec.author, rec.text.t or "", rec.width, rec.height


def _rows_xml(ws: Worksheet, plan: SheetPlan) -> tuple[bytes, bytes, str]:
    """The ``<sheetData>`` and ``<hyperlinks>`` elements of ``plan``'s cells as openpyxl writes
    them, and the sheet's extent (``A1:J100``). Each distinct (styles, kind of value, forced
    text) is drawn once on a scratch openpyxl cell to learn its style id."""
    looks = _Looks(plan)
    style_ids: _StyleIds = {}
    heights = ws.row_dimensions
    grid = plan.values
    nrows = len(grid)
    texts: dict[str, tuple[str, bool]] = {}  # text -> (its <c> body after the style, forced)
    numbers: dict[tuple[Any, ...], int] = {}  # shape -> its number, in the order first met
    protos: list[Cell] = []  # per shape number: its scratch cell
    by_row: dict[int, dict[int, int]] = {}  # row -> column -> shape number
    styled = plan.cell_styles
    unstyled = ((r, c, ()) for r, row in enumerate(grid, 1) for c, v in enumerate(row, 1)
                if v is not None and c not in by_row.get(r, ()))  # fmt: skip
    # _cells' order (styled cells first, then the other valued ones, row by row): styles are
    # met in the order the cell-by-cell renderer meets them
    for r, c, names in chain(((r, c, n) for (r, c), n in styled.items()), unstyled):
        row = grid[r - 1] if 0 < r <= nrows else ()
        value = row[c - 1] if 0 < c <= len(row) else None
        if isinstance(value, str):
            known = texts.get(value)
            if known is None:
                known = texts[value] = _text_xml(value)
            shape: tuple[Any, ...] = (names, None, known[1])
        else:
            shape = (names, type(value) if isinstance(value, _TIME_TYPES) else None, False)
        n = numbers.get(shape)
        if n is None:
            n = numbers[shape] = len(protos)
            proto = Cell(ws, row=r, column=c)
            protos.append(proto)
            _draw(proto, plan, (r, c), looks, style_ids)
        cols = by_row.get(r)
        if cols is None:
            by_row[r] = {c: n}
        else:
            cols[c] = n
    ids: list[str | None] = [None] * len(protos)
    rows: dict[int, str] = {}
    letters: dict[int, str] = {}
    serial: Any = to_excel  # untyped in openpyxl's stubs
    epoch = getattr(ws.parent, "epoch", None)
    low, high = 0, 0
    for r in sorted(by_row):
        cols = by_row[r]
        row_values = grid[r - 1] if 0 < r <= nrows else []
        width = len(row_values)
        cur: list[str] = []
        for c in sorted(cols):
            n = cols[c]
            value = row_values[c - 1] if 0 < c <= width else None
            s = ids[n]
            if s is None:  # style ids in the order openpyxl's writer asks for them: row by row
                proto = protos[n]
                s = ids[n] = f' s="{proto.style_id}"' if proto.has_style else ""
            letter = letters.get(c)
            if letter is None:
                letter = letters[c] = get_column_letter(c)
                low, high = min(low or c, c), max(high, c)
            if isinstance(value, str):
                cur.append(f'<c r="{letter}{r}"{s}{texts[value][0]}</c>')
            elif value is None:
                cur.append(f'<c r="{letter}{r}"{s} t="n" />')
            elif isinstance(value, bool):
                cur.append(f'<c r="{letter}{r}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, _TIME_TYPES):
                cur.append(
                    f'<c r="{letter}{r}"{s} t="n"><v>{_number(serial(value, epoch))}</v></c>'
                )
            else:
                cur.append(f'<c r="{letter}{r}"{s} t="n"><v>{_number(value)}</v></c>')
        rows[r] = "".join(cur)
    links: list[str] = []
    for (r, c), link in sorted(plan.links.items()):  # the cells' order, like openpyxl's writer
        if c not in by_row.get(r, ()):
            continue
        row = grid[r - 1] if 0 < r <= nrows else ()
        value = row[c - 1] if 0 < c <= len(row) else None
        shown = _keep_cr(cell_text(value)[0]) if isinstance(value, str) else str(value)
        attrs = _kw(ref=f"{get_column_letter(c)}{r}", location=link.location,
                    tooltip=link.tooltip, display=shown)  # fmt: skip
        links.append("<hyperlink" + "".join(f" {k}={_attr(v)}" for k, v in attrs.items())
                     + " />")  # fmt: skip
    out = ["<sheetData>"]
    for r in sorted({*rows, *heights}):
        dims = "".join(f' {k}="{v}"' for k, v in heights.get(r, {}))
        body = rows.get(r)
        out.append(f'<row r="{r}"{dims}>{body}</row>' if body else f'<row r="{r}"{dims} />')
    out.append("</sheetData>")
    extent = "A1:A1"
    if by_row:
        extent = f"{get_column_letter(low)}{min(by_row)}:{get_column_letter(high)}{max(by_row)}"
    links_xml = ("<hyperlinks>" + "".join(links) + "</hyperlinks>") if links else ""
    return "".join(out).encode(), links_xml.encode(), extent


_VML_HEAD = (
    '<xml xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1" /></o:shapelayout>'
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter" />'
    '<v:path gradientshapeok="t" o:connecttype="rect" /></v:shapetype>'
)
_VML_SHAPE = (
    '<v:shape type="#_x0000_t202" style="position:absolute; margin-left:59.25pt;'
    'margin-top:1.5pt;width:{width}px;height:{height}px;z-index:1;visibility:hidden" '
    'fillcolor="#ffffe1" o:insetmode="auto" id="_x0000_s{id:04d}"><v:fill color2="#ffffe1" />'
    '<v:shadow color="black" obscured="t" /><v:path o:connecttype="none" />'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left" /></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells /><x:SizeWithCells />'
    "<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column>"
    "</x:ClientData></v:shape>"
)


def _comments_xml(records: Sequence[Any]) -> tuple[str, str]:
    """The comments part and the VML drawing of a sheet's notes (openpyxl's ``CommentRecord``
    list), as openpyxl's ``CommentSheet`` and ``ShapeWriter`` write them."""
    authors: dict[str, int] = {}
    body = []
    shapes = [_VML_HEAD]
    for i, (ref, who, text, width, height) in enumerate(records):
        author = authors.setdefault(who, len(authors))
        text = text or ""
        space = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
        body.append(f'<comment ref="{ref}" authorId="{author}" shapeId="0"><text>'
                    f"<t{space}>{escape(text)}</t></text></comment>")  # fmt: skip
        row, col = coordinate_to_tuple(ref)
        shapes.append(_VML_SHAPE.format(width=width, height=height, id=1026 + i,
                                        row=row - 1, col=col - 1))  # fmt: skip
    names = "".join(f"<author>{escape(a)}</author>" for a in authors)
    comments = (f'<comments xmlns="{SHEET_MAIN_NS}"><authors>{names}</authors><commentList>'
                + "".join(body) + "</commentList></comments>")  # fmt: skip
    return comments, "".join(shapes) + "</xml>"


_ATTR_SPECIAL = re.compile(r'[&<>"\n\r\t]')


def _attr(value: str) -> str:
    """An attribute value quoted as :func:`~xml.sax.saxutils.quoteattr` quotes it (plain text,
    the common case, just in double quotes)."""
    return quoteattr(value) if _ATTR_SPECIAL.search(value) else f'"{value}"'


def _text_xml(value: str) -> tuple[str, bool]:
    """What follows ``<c r=".." s=".."`` for the text ``value`` as openpyxl writes it (through
    the guard, like :func:`put_text`: a forced text is a string, not an error code), and
    whether the text is forced."""
    text, force = cell_text(value)
    text = _keep_cr(text)
    if not force and text in ERROR_CODES:
        return f' t="e"><v>{escape(text)}</v>', force
    space = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
    return f' t="inlineStr"><is><t{space}>{escape(text)}</t></is>', force


def _number(value: Any) -> str:
    """A number as openpyxl writes it (16 significant digits; NaN and infinity as nothing)."""
    x = float(value)
    if x != x or x in (float("inf"), float("-inf")):
        return ""
    return f"{value:.16g}"
