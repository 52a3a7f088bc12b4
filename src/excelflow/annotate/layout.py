"""The Findings and Dashboard sheets of an annotated workbook, laid out once as
:class:`~excelflow.sheets.plan.SheetPlan`.

``excelflow annotate`` draws these plans with openpyxl (:mod:`excelflow.workbook.dashboard`), the
ribbon's Validate and Dashboard buttons through xlwings (:mod:`excelflow.xl.macros_annotate`):
the same values, styles, tables, charts and print settings, from one layout. Where the sheets
go (claiming a name, replacing our earlier sheet) is decided by
:func:`excelflow.annotate.sheets.claim`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from excelflow.annotate.labels import (
    FINDINGS_LINK_COLUMN,
    FINDINGS_TITLE,
    KPI_LABEL,
    NO_FINDINGS,
    SEVERITIES,
    SEVERITY_FILL,
    SEVERITY_INK,
)
from excelflow.annotate.plan import AnnotationPlan, Table
from excelflow.annotate.sheets import FINDINGS_TABLE, KEPT_OFFSET, KEPT_TITLE
from excelflow.sheets.parts import A4, Axis, Chart, DataLabels, Link, PageSetup, Series
from excelflow.sheets.parts import Table as TableSpec
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Align, Fill, Style, body_font

FINDINGS_HEAD = 5
"""The Findings header row; the legend sits beside rows 1-4, above the table, so filtering or a
long message never runs under it."""
FINDINGS_WIDTHS = (8, 6, 10, 10, 7, 12, 12, 40)
"""The Findings columns' least widths; each grows to fit its header and values, up to
:data:`FINDINGS_MAX_WIDTHS`, and longer text wraps."""
FINDINGS_MAX_WIDTHS = (12, 10, 30, 24, 12, 30, 36, 90)
VALUE_COLUMN = 7
LEGEND_WIDTH = 30.0
DASHBOARD_WIDTHS = {1: 22, 2: 17, 3: 17, 4: 17, 5: 36, 6: 3, 7: 30}
"""The Dashboard columns' least widths; the table columns (A-E) grow to fit their text up to
:data:`DASHBOARD_MAX_WIDTH`, and longer text wraps."""
DASHBOARD_MAX_WIDTH = 44.0
NO_CHART_COLUMNS = 5
"""The sentence replacing an empty chart spans this many columns (three rows), wrapped."""
CHART_ROWS = 17
CHART_WIDTH_CM = 17.0
CHART_HEIGHT_CM = 8.0
FIRST_BLOCK_ROW = 10
TEXT_COLUMN = 5
BLOCKS_ON_PAGE_ONE = 3
PRINT_LAST_COLUMN = 17  # Q: the charts end before it
INK = "1F4E78"

STYLES: dict[str, Style] = {
    "title": Style(font=body_font(bold=True, size=16, color=INK)),
    "subtitle": Style(font=body_font(italic=True, size=9, color="595959")),
    "header": Style(font=body_font(bold=True, color="FFFFFF"), fill=Fill(INK)),
    "link": Style(font=body_font(color="0563C1", underline="single")),
    "left": Style(align=Align(horizontal="left")),
    "right": Style(align=Align(horizontal="right")),
    "indent": Style(align=Align(indent=1)),
    "kpi label": Style(font=body_font(size=9, color="595959")),
    "kpi value": Style(font=body_font(bold=True, size=14, color=INK), align=Align("left")),
    "table title": Style(font=body_font(bold=True, size=12, color=INK)),
    "legend title": Style(font=body_font(bold=True)),
    "wrap": Style(align=Align(vertical="top", wrap=True)),
    "top": Style(align=Align(vertical="top")),
    "no chart": Style(font=body_font(italic=True, color="595959"), align=Align(wrap=True,
                                                                              vertical="top")),
    **{s: Style(font=body_font(color=SEVERITY_INK[s]), fill=Fill(SEVERITY_FILL[s]))
       for s in SEVERITIES},
}  # fmt: skip
"""Every style the two sheets use; a severity's style is its fill with its ink."""


def _plan() -> SheetPlan:
    plan = SheetPlan(styles=dict(STYLES))
    plan.page = PageSetup(orientation="landscape", paper_size=A4, fit_to_page=True,
                          fit_width=1, fit_height=0)  # fmt: skip
    return plan


def _number(plan: SheetPlan, fmt: str) -> str:
    """The name of a style holding only the number format ``fmt`` (defined on first use)."""
    name = f"format {fmt}"
    if name not in plan.styles:
        plan.define(name, Style(number_format=fmt))
    return name


def _title(plan: SheetPlan, title: str, subtitle: str) -> None:
    plan.put(1, 1, title, "title")
    plan.put(2, 1, subtitle, "subtitle")


def legend(plan: SheetPlan, row: int, col: int, annotation: AnnotationPlan) -> None:
    """The row-colour legend: a bold title cell, then one filled cell per severity."""
    plan.put(row, col, annotation.legend_title, "legend title")
    for i, item in enumerate(annotation.legend, start=1):
        plan.put(row + i, col, item.label, item.severity)


# --------------------------------------------------------------------------- findings sheet


def findings_plan(
    annotation: AnnotationPlan,
    table_name: str = FINDINGS_TABLE,
    kept: Sequence[tuple[str, str]] | None = None,
) -> SheetPlan:
    """The Findings sheet: title, one row per finding in a filterable table whose Cell column
    links to the cell, severity colours, the row-colour legend, printed landscape.

    ``kept`` (the ribbon only): the (sheet, cell) pairs whose note is the user's, listed under
    the legend after :data:`~excelflow.annotate.sheets.KEPT_TITLE` (the title is written even
    when the list is empty).
    """
    lang = annotation.lang
    plan = _plan()
    counts = {k.key: k.value for k in annotation.dashboard.kpis}
    summary = " · ".join(f"{KPI_LABEL[s](lang)} {counts[s]}" for s in ("error", "warning", "info"))
    _title(plan, FINDINGS_TITLE(lang), f"{annotation.dashboard.subtitle} · {summary}")
    head = FINDINGS_HEAD
    f = annotation.findings
    width = len(f.headers)
    plan.put_rows(head, 1, [f.headers])
    plan.style((head, 1, head, width), "header")
    link_col = FINDINGS_LINK_COLUMN + 1
    for i, (values, sev, link) in enumerate(zip(f.rows, f.severities, f.links, strict=True)):
        r = head + 1 + i
        plan.put_rows(r, 1, [values])
        plan.style((r, 1), sev)
        plan.style((r, VALUE_COLUMN), "left")
        if link is not None:
            plan.links[(r, link_col)] = Link(location=link)
            plan.style((r, link_col), "link")
    if not f.rows:
        plan.put(head + 1, width, NO_FINDINGS(lang))
    last = head + max(len(f.rows), 1)
    if f.rows:  # a wrapped message's row reads from the top, like its wrapped cell
        plan.style((head + 1, 1, last, width), "top", add=True)
    plan.tables.append(TableSpec((head, 1, last, width), table_name))
    plan.widths.update({j: float(w) for j, w in enumerate(FINDINGS_WIDTHS, start=1)})
    for j, high in enumerate(FINDINGS_MAX_WIDTHS, start=1):
        plan.fit_widths([j], first_row=head, high=high, pad=3.0)  # the filter button
    plan.wrap_long(range(1, width + 1), "wrap", first_row=head + 1)
    plan.freeze = (head + 1, 1)
    legend(plan, head - 4, width + 2, annotation)
    plan.widths[width + 2] = LEGEND_WIDTH
    if kept is not None:
        top = head + KEPT_OFFSET
        plan.put(top, width + 2, KEPT_TITLE(lang), "subtitle")
        plan.put_rows(top + 1, width + 2, [[f"{sheet}!{cell}"] for sheet, cell in sorted(kept)])
    plan.page.title_rows = (head, head)
    return plan


# --------------------------------------------------------------------------- dashboard sheet


def _table_block(plan: SheetPlan, row: int, table: Table) -> tuple[int, int]:
    """A titled table at ``row``; returns (header row, last data row)."""
    plan.put(row, 1, table.title, "table title")
    head = row + 1
    plan.put_rows(head, 1, [table.headers])
    for j, fmt in enumerate(table.formats, start=1):
        side = "right" if fmt is not None else "left"
        plan.style((head, j), "header", side, *(("indent",) if j == TEXT_COLUMN else ()))
    plan.put_rows(head + 1, 1, table.rows)
    for i in range(len(table.rows)):
        for j, fmt in enumerate(table.formats, start=1):
            names: tuple[str, ...] = (_number(plan, fmt),) if fmt is not None else ()
            if j == TEXT_COLUMN:
                names += ("left", "indent")
            if names:
                plan.style((head + 1 + i, j), *names)
    return head, head + len(table.rows)


def money_axis(top: float) -> str:
    """Axis number format for amounts up to ``top``: millions, thousands or units."""
    if top >= 10_000_000:
        return '#,##0,,"M"'
    if top >= 10_000:
        return '#,##0,"k"'
    return "#,##0"


def _chart(key: str, table: Table, head: int, last: int, anchor: tuple[int, int]) -> Chart:
    """The native chart of one Dashboard table (labels in its first column)."""

    def series(*cols: int) -> tuple[Series, ...]:
        return tuple(Series((head + 1, c, last, c), (head + 1, 1, last, 1), title_cell=(head, c))
                     for c in cols)  # fmt: skip

    bars = Chart("column", (), anchor, CHART_WIDTH_CM, CHART_HEIGHT_CM, title=table.chart_title,
                 name=f"efChart_{key}", legend=None, style=10, gap_width=60,
                 x_axis=Axis(visible=True))  # fmt: skip
    if key == "by_grade":  # a pie whose labels name each slice
        labels = DataLabels(value=True, category=True, series_name=False, percent=False,
                            legend_key=False)  # fmt: skip
        return replace(bars, kind="pie", series=series(2), style=None, gap_width=None,
                       x_axis=None, data_labels=labels)  # fmt: skip
    if key == "by_stage":  # stage 1 on top, like a funnel; the weighted bar inside the total bar
        top = max([0.0, *(float(r[2]) for r in table.rows)])
        return replace(bars, kind="bar", series=series(3, 4), legend="b", overlap=100,
                       x_axis=Axis(visible=True, reverse=True, crosses="max"),
                       y_axis=Axis(visible=True, number_format=money_axis(top)))  # fmt: skip
    if key == "by_code":
        return replace(bars, series=series(3), y_axis=Axis(visible=True, number_format="0"))
    if key == "forecast":  # clustered: stated beside gate-adjusted, per salesperson
        top = max([0.0, *(float(r[2]) for r in table.rows), *(float(r[3]) for r in table.rows)])
        return replace(bars, series=series(3, 4), legend="b",
                       y_axis=Axis(visible=True, number_format=money_axis(top)))  # fmt: skip
    rate = Axis(visible=True, number_format="0%", minimum=0, maximum=1)
    return replace(bars, series=series(4), y_axis=rate)


def dashboard_plan(annotation: AnnotationPlan) -> SheetPlan:
    """The Dashboard sheet: title, KPIs, legend, the four tables and one native chart per
    table, printed landscape with the last table on page two."""
    dash = annotation.dashboard
    plan = _plan()
    _title(plan, dash.title, dash.subtitle)
    plan.widths.update({j: float(w) for j, w in DASHBOARD_WIDTHS.items()})
    for i, kpi in enumerate(dash.kpis):
        r, c = 4 + 2 * (i // 4), 1 + i % 4
        plan.put(r, c, kpi.label, "kpi label")
        plan.put(r + 1, c, kpi.value, _number(plan, kpi.number_format), "kpi value")
    legend(plan, 4, 7, annotation)
    row = FIRST_BLOCK_ROW
    breaks: list[int] = []
    for i, (key, table) in enumerate(dash.tables.items()):
        if i == BLOCKS_ON_PAGE_ONE:
            breaks.append(row - 1)
        head, last = _table_block(plan, row, table)
        if key in dash.no_chart:  # an empty chart would say nothing: say why instead
            plan.put(row + 1, 7, dash.no_chart[key], "no chart")
            plan.merges.append((row + 1, 7, row + 3, 7 + NO_CHART_COLUMNS - 1))
        elif table.rows:
            plan.charts.append(_chart(key, table, head, last, (row + 1, 7)))
        elif not table.note:
            plan.put(head + 1, 1, NO_FINDINGS(annotation.lang))
        if table.note:
            plan.put(last + 1, 1, table.note, "subtitle")
        row += max(len(table.rows) + 3, CHART_ROWS)
    if dash.columns is not None and dash.columns.rows:  # the header report, without a chart
        _table_block(plan, row, dash.columns)
        row += len(dash.columns.rows) + 3
    titles = ("table title",)  # a table's title overflows to the right by design
    plan.fit_widths(range(1, TEXT_COLUMN + 1), first_row=4, high=DASHBOARD_MAX_WIDTH,
                    ignore=titles)  # fmt: skip
    plan.wrap_long(range(1, TEXT_COLUMN + 1), "wrap", first_row=FIRST_BLOCK_ROW, ignore=titles)
    plan.page.row_breaks = tuple(breaks)
    plan.page.print_area = (1, 1, row, PRINT_LAST_COLUMN)
    return plan
