"""The Findings and Dashboard sheets of an annotated workbook, built with openpyxl.

Both sheets are ExcelFlow's own: their A1 title starts with "ExcelFlow", which is how a re-run
recognises them (an empty sheet with the same name, such as a template placeholder, is taken
over too). A user's own sheet that happens to be called "Dashboard" is never replaced: ours then
goes to "ExcelFlow Dashboard". Charts are native Excel charts (bar, pie), fed from the tables on
the same sheet, so they stay live if someone edits the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table as XlTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.annotate.labels import (
    FINDINGS_LINK_COLUMN,
    FINDINGS_TITLE,
    KPI_LABEL,
    MARK,
    NO_FINDINGS,
    SEVERITY_FILL,
    SEVERITY_INK,
)
from excelflow.annotate.plan import AnnotationPlan, Table
from excelflow.annotate.sheets import (  # one layout for the openpyxl and the xlwings writer
    CHART_ROWS,
    FINDINGS_TABLE,
    FINDINGS_WIDTHS,
    FIRST_BLOCK_ROW,
    PLACEHOLDER_HINT,
    PLACEHOLDER_MAX_CELLS,
    TEXT_COLUMN,
    VALUE_COLUMN,
)
from excelflow.pipeline.fields import SHEETS
from excelflow.workbook.annotate_deals import put
from excelflow.workbook.styles import font

HEADER_FILL = PatternFill(fill_type="solid", fgColor="1F4E78")
HEADER_FONT = font(bold=True, color="FFFFFF")
TITLE_FONT = font(bold=True, size=16, color="1F4E78")
SUBTITLE_FONT = font(italic=True, size=9, color="595959")
KPI_LABEL_FONT = font(size=9, color="595959")
KPI_VALUE_FONT = font(bold=True, size=14, color="1F4E78")
LINK_FONT = font(color="0563C1", underline="single")
LEFT = Alignment(horizontal="left")
DASHBOARD_WIDTHS = {"A": 22, "B": 17, "C": 17, "D": 17, "E": 36, "F": 3, "G": 30}
CHART_WIDTH_CM = 17
CHART_HEIGHT_CM = 8
BLOCKS_ON_PAGE_ONE = 3


def _sheet_is_ours(ws: object) -> bool:
    """Our sheet from an earlier run (A1 starts with "ExcelFlow"), an empty sheet, or the
    template's placeholder (a few text cells mentioning ``excelflow annotate``)."""
    if not isinstance(ws, Worksheet):
        return False
    title = ws.cell(1, 1).value
    if isinstance(title, str) and title.startswith(MARK):
        return True
    if getattr(ws, "_charts", None) or getattr(ws, "_images", None) or ws.tables:
        return False
    if getattr(ws, "_pivots", None):
        return False
    values = [c.value for c in ws._cells.values() if c.value is not None]
    if not values:
        return True
    return len(values) <= PLACEHOLDER_MAX_CELLS and any(
        isinstance(v, str) and PLACEHOLDER_HINT in v.casefold() for v in values
    )


def _candidates(key: str) -> list[str]:
    names = [SHEETS[key].en, SHEETS[key].zh]
    return [*names, *(f"{MARK} {n}" for n in names)]


def claim_sheet(wb: Workbook, key: str, lang: str) -> tuple[Worksheet, str | None]:
    """A blank sheet for ExcelFlow's ``key`` sheet ("findings" or "dashboard").

    Our previous sheet (in either language) is replaced at its position, keeping its visibility;
    otherwise a new sheet is added at the end. Returns the sheet and the replaced sheet's name.
    """
    wanted = SHEETS[key].zh if lang == "zh" else SHEETS[key].en
    old = next(
        (wb[n] for n in _candidates(key) if n in wb.sheetnames and _sheet_is_ours(wb[n])), None
    )
    index = len(wb.sheetnames)
    state, selected, replaced = "visible", False, None
    if old is not None:
        index, state, replaced = wb.index(old), old.sheet_state, old.title
        selected = bool(old.sheet_view.tabSelected)
        wb.remove(old)
    name = wanted
    if name in wb.sheetnames:  # a user's sheet already has the name
        name = f"{MARK} {wanted}"
        n = 2
        while name in wb.sheetnames:
            name, n = f"{MARK} {wanted} {n}", n + 1
    ws = wb.create_sheet(name, index)
    ws.sheet_state = state
    ws.sheet_view.tabSelected = selected
    return ws, replaced


def _title(ws: Worksheet, title: str, subtitle: str) -> None:
    put(ws.cell(1, 1), title)
    ws.cell(1, 1).font = TITLE_FONT
    put(ws.cell(2, 1), subtitle)
    ws.cell(2, 1).font = SUBTITLE_FONT


def write_legend(ws: Worksheet, row: int, col: int, plan: AnnotationPlan) -> None:
    """The row-colour legend: a title cell, then one filled cell per severity."""
    put(ws.cell(row, col), plan.legend_title)
    ws.cell(row, col).font = font(bold=True)
    for i, item in enumerate(plan.legend, start=1):
        cell = ws.cell(row + i, col)
        put(cell, item.label)
        cell.fill = PatternFill(fill_type="solid", fgColor=item.fill)
        cell.font = font(color=SEVERITY_INK[item.severity])


def _unique_table_name(wb: Workbook, base: str) -> str:
    taken = {name.casefold() for ws in wb.worksheets for name in ws.tables}
    name, n = base, 2
    while name.casefold() in taken:
        name, n = f"{base}{n}", n + 1
    return name


def write_findings_sheet(wb: Workbook, ws: Worksheet, plan: AnnotationPlan) -> None:
    """One row per finding in a filterable Excel Table, the Cell column linking to the cell."""
    lang = plan.lang
    counts = {k.key: k.value for k in plan.dashboard.kpis}
    summary = " · ".join(f"{KPI_LABEL[s](lang)} {counts[s]}" for s in ("error", "warning", "info"))
    _title(ws, FINDINGS_TITLE(lang), f"{plan.dashboard.subtitle} · {summary}")
    head = 4
    f = plan.findings
    for j, text in enumerate(f.headers, start=1):
        cell = ws.cell(head, j)
        put(cell, text)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT  # also where table styles are not drawn
    for i, (values, sev, link) in enumerate(zip(f.rows, f.severities, f.links, strict=True)):
        r = head + 1 + i
        for j, value in enumerate(values, start=1):
            put(ws.cell(r, j), value)
        ws.cell(r, VALUE_COLUMN).alignment = LEFT
        sev_cell = ws.cell(r, 1)
        sev_cell.fill = PatternFill(fill_type="solid", fgColor=SEVERITY_FILL[sev])
        sev_cell.font = font(color=SEVERITY_INK[sev])
        if link is not None:
            cell = ws.cell(r, FINDINGS_LINK_COLUMN + 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link, display=str(cell.value))
            cell.font = LINK_FONT
    if not f.rows:
        put(ws.cell(head + 1, len(f.headers)), NO_FINDINGS(lang))
    last = head + max(len(f.rows), 1)
    ref = f"A{head}:{get_column_letter(len(f.headers))}{last}"
    table = XlTable(displayName=_unique_table_name(wb, FINDINGS_TABLE), ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    for j, width in enumerate(FINDINGS_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = f"A{head + 1}"
    write_legend(ws, head, len(f.headers) + 2, plan)
    ws.column_dimensions[get_column_letter(len(f.headers) + 2)].width = 30
    _landscape(ws)
    ws.print_title_rows = f"{head}:{head}"


def _write_table(ws: Worksheet, row: int, table: Table) -> tuple[int, int]:
    """Write a titled table at ``row``; returns (header row, last data row)."""
    put(ws.cell(row, 1), table.title)
    ws.cell(row, 1).font = font(bold=True, size=12, color="1F4E78")
    head = row + 1
    for j, text in enumerate(table.headers, start=1):
        cell = ws.cell(head, j)
        put(cell, text)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        numeric = table.formats[j - 1] is not None
        cell.alignment = Alignment(
            horizontal="right" if numeric else "left", indent=1 if j == TEXT_COLUMN else 0
        )
    for i, values in enumerate(table.rows, start=1):
        for j, (value, fmt) in enumerate(zip(values, table.formats, strict=True), start=1):
            cell = ws.cell(head + i, j)
            put(cell, value)
            if fmt is not None:
                cell.number_format = fmt
            if j == TEXT_COLUMN:
                cell.alignment = Alignment(horizontal="left", indent=1)
    return head, head + len(table.rows)


def money_axis(top: float) -> str:
    """Axis number format for amounts up to ``top``: millions, thousands or units."""
    if top >= 10_000_000:
        return '#,##0,,"M"'
    if top >= 10_000:
        return '#,##0,"k"'
    return "#,##0"


def _axes(chart: BarChart, value_format: str) -> None:
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.number_format = value_format
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM


def _bar(
    ws: Worksheet,
    table: Table,
    head: int,
    last: int,
    cols: Iterable[int],
    *,
    horizontal: bool = False,
    value_format: str = "#,##0",
) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = table.chart_title
    chart.style = 10
    cols = list(cols)
    for c in cols:
        data = Reference(ws, min_col=c, max_col=c, min_row=head, max_row=last)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
    _axes(chart, value_format)
    if horizontal:  # stage 1 on top, like a funnel; the weighted bar inside the total bar
        chart.x_axis.scaling.orientation = "maxMin"
        chart.y_axis.crosses = "max"
        chart.overlap = 100
    if len(cols) == 1:
        chart.legend = None
    else:
        chart.legend.position = "b"
    chart.gapWidth = 60
    return chart


def _pie(ws: Worksheet, table: Table, head: int, last: int, col: int) -> PieChart:
    chart = PieChart()
    chart.title = table.chart_title
    chart.add_data(Reference(ws, min_col=col, min_row=head, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
    chart.dataLabels = DataLabelList(
        showVal=True, showCatName=True, showSerName=False, showPercent=False, showLegendKey=False
    )
    chart.legend = None  # the labels name each slice
    chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
    return chart


def write_dashboard_sheet(ws: Worksheet, plan: AnnotationPlan) -> int:
    """KPIs, legend, the four tables and one native chart per table; returns the chart count."""
    dash = plan.dashboard
    _title(ws, dash.title, dash.subtitle)
    for letter, width in DASHBOARD_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    for i, kpi in enumerate(dash.kpis):
        r, c = 4 + 2 * (i // 4), 1 + i % 4
        put(ws.cell(r, c), kpi.label)
        ws.cell(r, c).font = KPI_LABEL_FONT
        cell = ws.cell(r + 1, c)
        put(cell, kpi.value)
        cell.number_format = kpi.number_format
        cell.font = KPI_VALUE_FONT
        cell.alignment = Alignment(horizontal="left")
    write_legend(ws, 4, 7, plan)
    row = FIRST_BLOCK_ROW
    charts = 0
    for i, (key, table) in enumerate(dash.tables.items()):
        if i == BLOCKS_ON_PAGE_ONE:
            ws.row_breaks.append(Break(id=row - 1))
        head, last = _write_table(ws, row, table)
        if table.rows:
            chart: BarChart | PieChart
            if key == "by_stage":
                top = max([0.0, *(float(r[2]) for r in table.rows)])
                chart = _bar(
                    ws, table, head, last, (3, 4), horizontal=True, value_format=money_axis(top)
                )
            elif key == "by_grade":
                chart = _pie(ws, table, head, last, 2)
            elif key == "by_code":
                chart = _bar(ws, table, head, last, (3,), value_format="0")
            else:
                chart = _bar(ws, table, head, last, (4,), value_format="0%")
                chart.y_axis.scaling.min = 0
                chart.y_axis.scaling.max = 1
            ws.add_chart(chart, f"G{row + 1}")
            charts += 1
        else:
            put(ws.cell(head + 1, 1), NO_FINDINGS(plan.lang))
        row += max(len(table.rows) + 3, CHART_ROWS)
    _landscape(ws)
    ws.print_area = f"A1:Q{row}"
    return charts


def _landscape(ws: Worksheet) -> None:
    """Print landscape on A4, one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
