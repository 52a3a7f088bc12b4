"""The P(win) / expected-profit table of a Bid sheet, its chart lines, chart and highlights.

Per markup of the grid: price, margin and margin amount are live formulas on the total cost; the
P(win) columns are the snapshot; expected profit = margin amount × P(win) of the model in use
(live). The chart is an Excel scatter chart with straight lines, so the markup axis is numeric
(the grid is uneven: it holds the history markups and the floor markup too); the floor, budget
and quote appear as vertical lines and the recommended price as a marked point, all fed by live
formulas in the small "chart lines" block beside the table.
"""

from __future__ import annotations

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.chart.series import XYSeries
from openpyxl.formatting.rule import Rule
from openpyxl.styles.differential import DifferentialStyle

from excelflow.bid.analysis import WinTable
from excelflow.bid.model import margin_to_markup
from excelflow.bid.sheet import style as st
from excelflow.bid.sheet.layout import CHART_HEADERS, SENSITIVITY_HEADERS, WORDS
from excelflow.bid.sheet.write import SheetWriter

CHART_COL = 12  # column L: the chart lines beside the sensitivity table
CHART_ANCHOR = "G4"
_P_COLUMNS = {"friedman": 5, "gates": 6, "normal": 7}  # E, F, G


def _letter(col: int) -> str:
    return chr(64 + col)


def sensitivity(w: SheetWriter, row: int, snapshot: WinTable | None) -> tuple[int, int]:
    """The table from ``row`` (title) on; returns its first and last data rows."""
    model = w.model
    w.section(row, 1, "sensitivity", len(SENSITIVITY_HEADERS))
    head = row + 1
    names = w.headers(head, 1, SENSITIVITY_HEADERS)
    selected = None if snapshot is None else snapshot.selected
    if selected is not None:
        col = _P_COLUMNS[selected]
        used = names[col - 1] + WORDS["used"](w.lang)
        w.put(head, col, used, kind="header")
    if snapshot is not None:
        rows = [(r.markup, r.p_wins, r.extrapolated) for r in snapshot.rows]
    else:
        floor = margin_to_markup(model.min_margin)
        rows = [(m, {}, False) for m in sorted({*map(float, model.markups), floor})]
    first = head + 1
    cost, floor_cell = w.ref("out.total_cost"), w.ref("in.min_margin")
    tick = w.word("tick")
    for k, (markup, p_wins, outside) in enumerate(rows):
        r = first + k
        w.put(r, 1, markup, f"sens.{k}.markup", kind="snapshot", fmt=st.PCT)
        w.put(r, 2, f"={cost}*(1+A{r})", f"sens.{k}.price", fmt=st.MONEY)
        w.put(r, 3, f'=IF(B{r}>0,(B{r}-{cost})/B{r},"")', f"sens.{k}.margin", fmt=st.PCT)
        w.put(r, 4, f"=B{r}-{cost}", f"sens.{k}.amount", fmt=st.MONEY)
        for model_key, col in _P_COLUMNS.items():
            value = p_wins.get(model_key)  # type: ignore[call-overload]
            w.put(r, col, value, f"sens.{k}.p_{model_key}", kind="snapshot", fmt=st.PCT)
        if selected is not None:
            p = f"{_letter(_P_COLUMNS[selected])}{r}"
            profit = f'=IF(ISNUMBER({p}),D{r}*{p},"")'
            w.put(r, 8, profit, f"sens.{k}.profit", fmt=st.MONEY)
        below = f'=IF(A{r}<{floor_cell}/(1-{floor_cell})-1E-12,"{tick}","")'
        w.put(r, 9, below, f"sens.{k}.below", centre=True)
        w.put(r, 10, tick if outside else None, f"sens.{k}.outside", kind="snapshot", centre=True)
    last = first + max(len(rows), 1) - 1
    w.table("sensitivity", f"A{head}", f"J{last}")
    _highlights(w, first, last)
    return first, last


def _rule(formula: str, style: DifferentialStyle) -> Rule:
    return Rule(type="expression", formula=[formula], dxf=style)


def _highlights(w: SheetWriter, first: int, last: int) -> None:
    ws, rec = w.ws, w.ref("out.rec_markup")
    area = f"A{first}:J{last}"
    at_rec = f"AND(ISNUMBER({rec}),ABS($A{first}-{rec})<1E-9)"
    green = st.highlight(st.HIGHLIGHT_FONT, st.RECOMMENDED_FILL)
    ws.conditional_formatting.add(area, _rule(at_rec, green))
    ws.conditional_formatting.add(area, _rule(f'$I{first}<>""', st.highlight(st.BELOW_FLOOR_FONT)))
    budget = w.ref("in.budget")
    over = f"AND(ISNUMBER({budget}),$B{first}>{budget})"
    red = st.highlight(st.OVER_BUDGET_FONT)
    ws.conditional_formatting.add(f"B{first}:B{last}", _rule(over, red))
    withdraw = w.cells["out.withdraw"]
    advice = f'{withdraw}="{w.word("withdraw")}"'
    ws.conditional_formatting.add(withdraw, _rule(advice, st.highlight(fill=st.WITHDRAW_FILL)))
    margin, floor = w.cells["out.quote_margin"], w.ref("in.min_margin")
    below = f"AND(ISNUMBER({margin}),{margin}<{floor})"
    ws.conditional_formatting.add(margin, _rule(below, red))


def chart_lines(w: SheetWriter, row: int, first: int, last: int) -> None:
    """The helper block (title at ``row``) feeding the chart's vertical lines and point."""
    col = CHART_COL
    w.section(row, col, "chart", 3)
    w.headers(row + 1, col, CHART_HEADERS)
    profits = f"$H${first}:$H${last}"
    y0, y1 = f"=MIN(0,MIN({profits}))", f"=MAX({profits})"
    cost, floor = w.ref("out.total_cost"), w.ref("in.min_margin")
    budget, quote = w.ref("in.budget"), w.ref("in.quoted_price")
    rec, profit = w.ref("out.rec_markup"), w.ref("out.rec_profit")
    lines = (
        ("floor", f"={floor}/(1-{floor})"),
        ("budget", f"=IF(ISNUMBER({budget}),{budget}/{cost}-1,NA())"),
        ("quote", f"=IF(ISNUMBER({quote}),{quote}/{cost}-1,NA())"),
    )
    r = row + 2
    for key, x in lines:
        for end, y in (("y0", y0), ("y1", y1)):
            w.put(r, col, WORDS[key](w.lang), kind="label")
            x_key = f"chart.{key}.x" if end == "y0" else f"chart.{key}.x1"
            w.put(r, col + 1, x, x_key, fmt=st.PCT)
            w.put(r, col + 2, y, f"chart.{key}.{end}", fmt=st.MONEY)
            r += 1
    w.put(r, col, WORDS["recommended"](w.lang), kind="label")
    w.put(r, col + 1, f"=IF(ISNUMBER({rec}),{rec},NA())", "chart.recommended.x", fmt=st.PCT)
    w.put(r, col + 2, f"=IF(ISNUMBER({profit}),{profit},NA())", "chart.recommended.y", fmt=st.MONEY)


def add_chart(w: SheetWriter, first: int, last: int) -> None:
    """The expected-profit-against-markup chart, anchored beside the input block."""
    ws, lang = w.ws, w.lang
    chart = ScatterChart(scatterStyle="lineMarker")
    chart.title = WORDS["chart_title"](lang)
    chart.x_axis.title = WORDS["chart_x"](lang)
    chart.y_axis.title = f"{WORDS['chart_y'](lang)} ({w.model.currency})"
    chart.x_axis.number_format = "0%"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if chart.legend is not None:
        chart.legend.position = "b"
    chart.width, chart.height = 19, 10
    profit = Series(
        Reference(ws, min_col=8, min_row=first, max_row=last),
        Reference(ws, min_col=1, min_row=first, max_row=last),
        title=WORDS["chart_y"](lang),
    )
    _style(profit, "2F75B5", None, width=28575)
    chart.series.append(profit)
    start = _row_of(w.cells["chart.floor.y0"])
    colors = {
        "floor": ("C00000", "dash"),
        "budget": ("ED7D31", "dash"),
        "quote": ("7030A0", "sysDot"),
    }
    for i, (key, (color, dash)) in enumerate(colors.items()):
        r = start + 2 * i
        line = Series(
            Reference(ws, min_col=CHART_COL + 2, min_row=r, max_row=r + 1),
            Reference(ws, min_col=CHART_COL + 1, min_row=r, max_row=r + 1),
            title=WORDS[key](lang),
        )
        _style(line, color, dash)
        chart.series.append(line)
    r = start + 6
    point = Series(
        Reference(ws, min_col=CHART_COL + 2, min_row=r, max_row=r),
        Reference(ws, min_col=CHART_COL + 1, min_row=r, max_row=r),
        title=WORDS["recommended"](lang),
    )
    point.marker.symbol = "diamond"
    point.marker.size = 10
    point.marker.graphicalProperties.solidFill = "00B050"
    point.marker.graphicalProperties.line.solidFill = "006100"
    point.graphicalProperties.line.noFill = True
    chart.series.append(point)
    ws.add_chart(chart, CHART_ANCHOR)


def _style(series: XYSeries, color: str, dash: str | None, width: int = 19050) -> None:
    series.marker = Marker(symbol="none")
    series.smooth = False
    line = series.graphicalProperties.line
    line.solidFill = color
    line.width = width
    if dash is not None:
        line.dashStyle = dash


def _row_of(coord: str) -> int:
    return int(coord.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
