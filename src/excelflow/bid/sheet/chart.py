"""The P(win) / expected-profit table of a Bid sheet, its chart lines, chart and highlights.

Per markup of the grid: price, margin and margin amount are live formulas on the total cost; the
P(win) columns are the snapshot; expected profit = margin amount × P(win) of the model in use
(live). The chart is an Excel scatter chart with straight lines, so the markup axis is numeric
(the grid is uneven: it holds the history markups and the floor markup too); the floor, budget
and quote appear as vertical lines and the recommended price as a marked point, all fed by live
formulas in the small "chart lines" block beside the table.
"""

from __future__ import annotations

from excelflow.bid.analysis import WinTable
from excelflow.bid.model import margin_to_markup
from excelflow.bid.sheet import style as st
from excelflow.bid.sheet.blocks import SheetBuilder
from excelflow.bid.sheet.layout import CHART_HEADERS, SENSITIVITY_HEADERS, WORDS
from excelflow.pipeline.ruleset import Text
from excelflow.sheets.parts import Axis, Chart, CondFormat, Formula, Marker, Series

CHART_COL = 12  # column L: the chart lines beside the sensitivity table
CHART_ANCHOR = (4, 7)  # G4
_P_COLUMNS = {"friedman": 5, "gates": 6, "normal": 7}  # E, F, G


def _letter(col: int) -> str:
    return chr(64 + col)


def sensitivity(w: SheetBuilder, row: int, snapshot: WinTable | None) -> tuple[int, int]:
    """The table from ``row`` (title) on; returns its first and last data rows."""
    model = w.model
    w.section(row, 1, "sensitivity", len(SENSITIVITY_HEADERS))
    head = row + 1
    names = w.headers(head, 1, SENSITIVITY_HEADERS)
    selected = None if snapshot is None else snapshot.selected
    if selected is not None:
        col = _P_COLUMNS[selected]
        w.put(head, col, names[col - 1] + WORDS["used"](w.lang), "header")
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
        formulas = (
            ("price", f"={cost}*(1+A{r})", st.MONEY),
            ("margin", f'=IF(B{r}>0,(B{r}-{cost})/B{r},"")', st.PCT),
            ("amount", f"=B{r}-{cost}", st.MONEY),
        )
        w.put(r, 1, markup, "snapshot", key=f"sens.{k}.markup", fmt=st.PCT)
        for col, (key, formula, fmt) in enumerate(formulas, start=2):
            w.put(r, col, Formula(formula), key=f"sens.{k}.{key}", fmt=fmt)
        for model_key, col in _P_COLUMNS.items():
            value = p_wins.get(model_key)  # type: ignore[call-overload]
            w.put(r, col, value, "snapshot", key=f"sens.{k}.p_{model_key}", fmt=st.PCT)
        if selected is not None:
            p = f"{_letter(_P_COLUMNS[selected])}{r}"
            profit = Formula(f'=IF(ISNUMBER({p}),D{r}*{p},"")')
            w.put(r, 8, profit, key=f"sens.{k}.profit", fmt=st.MONEY)
        below = Formula(f'=IF(A{r}<{floor_cell}/(1-{floor_cell})-1E-12,"{tick}","")')
        w.put(r, 9, below, "centre", key=f"sens.{k}.below")
        flag = tick if outside else None
        w.put(r, 10, flag, "snapshot", "centre", key=f"sens.{k}.outside")
    last = first + max(len(rows), 1) - 1
    w.table("sensitivity", (head, 1, last, 10))
    _highlights(w, first, last)
    return first, last


def _highlights(w: SheetBuilder, first: int, last: int) -> None:
    """The recommended markup's row in green, rows below the floor greyed, prices over the
    budget in red; the withdraw advice on red, a quoted margin under the floor in red."""
    rec, budget, floor = w.ref("out.rec_markup"), w.ref("in.budget"), w.ref("in.min_margin")
    withdraw, margin = w.cells["out.withdraw"], w.cells["out.quote_margin"]
    table, prices = (first, 1, last, 10), (first, 2, last, 2)
    rules = (
        (table, f"AND(ISNUMBER({rec}),ABS($A{first}-{rec})<1E-9)", "at recommended"),
        (table, f'$I{first}<>""', "below floor"),
        (prices, f"AND(ISNUMBER({budget}),$B{first}>{budget})", "red text"),
        (w.area("out.withdraw"), f'{withdraw}="{w.word("withdraw")}"', "withdraw"),
        (w.area("out.quote_margin"), f"AND(ISNUMBER({margin}),{margin}<{floor})", "red text"),
    )
    for area, formula, look in rules:
        w.plan.conditional.append(CondFormat((area,), formula, look))


def chart_lines(w: SheetBuilder, row: int, first: int, last: int) -> None:
    """The helper block (title at ``row``) feeding the chart's vertical lines and point.

    A line with nothing to draw has no error value in its cells: without a budget (quote) the
    budget (quote) line's first x says so in words ("无预算" / "no budget") and its other cells
    are blank, as they are while the total cost is not positive. :func:`chart` leaves such a
    line out of the chart (a text x or y would be drawn at 1, 2, … or at 0).
    """
    col = CHART_COL
    w.section(row, col, "chart", 3)
    w.headers(row + 1, col, CHART_HEADERS)
    profits = f"$H${first}:$H${last}"
    cost, floor = w.ref("out.total_cost"), w.ref("in.min_margin")
    budget, quote = w.ref("in.budget"), w.ref("in.quoted_price")
    rec, profit = w.ref("out.rec_markup"), w.ref("out.rec_profit")

    def on_cost(value: str, missing: str) -> tuple[str, str]:
        """The x of a line at price ``value``: its markup, blank while the cost is not positive,
        ``missing`` (the first point) or blank (the second) while ``value`` is not a number."""
        markup = f'IF({cost}>0,{value}/{cost}-1,"")'
        return (f'=IF(ISNUMBER({value}),{markup},"{missing}")',
                f'=IF(ISNUMBER({value}),{markup},"")')  # fmt: skip

    floor_x = f"={floor}/(1-{floor})"
    lines = (
        ("floor", (floor_x, floor_x)),
        ("budget", on_cost(budget, w.word("no_budget"))),
        ("quote", on_cost(quote, w.word("no_quote"))),
    )
    r = row + 2
    x_col, ys = _letter(col + 1), (f"MIN(0,MIN({profits}))", f"MAX({profits})")
    for key, xs in lines:
        for end, x, y in zip(("y0", "y1"), xs, ys, strict=True):
            w.put(r, col, WORDS[key](w.lang), "label")
            x_key = f"chart.{key}.x" if end == "y0" else f"chart.{key}.x1"
            w.put(r, col + 1, Formula(x), key=x_key, fmt=st.PCT)
            y_formula = Formula(f'=IF(ISNUMBER({x_col}{r}),{y},"")')
            w.put(r, col + 2, y_formula, key=f"chart.{key}.{end}", fmt=st.MONEY)
            r += 1
    x, y = f'=IF(ISNUMBER({rec}),{rec},"")', f'=IF(ISNUMBER({profit}),{profit},"")'
    w.put(r, col, WORDS["recommended"](w.lang), "label")
    w.put(r, col + 1, Formula(x), key="chart.recommended.x", fmt=st.PCT)
    w.put(r, col + 2, Formula(y), key="chart.recommended.y", fmt=st.MONEY)


EMPTY_CHART: tuple[Text, ...] = (
    Text("暂无图表：无法计算赢率（P(win)）。", "No chart yet: P(win) cannot be computed."),
    Text(
        "请为每个竞争对手填写「胜过对手的历史概率」（对手、我方加价率、P(beat)），"
        "或填写「对手价格 ÷ 我方成本」的均值与标准差；"
        "也可在输入区填写「最低竞争加价率」的均值与标准差。",
        "Fill in, for every competitor, a P(beat) history (against, our markup, P(beat)) or "
        "the mean and sd of its price ÷ our cost; or, in the inputs, the mean and sd of the "
        "lowest competing markup.",
    ),
    Text(
        "然后再次运行 excelflow bid（或功能区的「投标分析」），"
        "赢率、期望利润、推荐价格和图表即会出现。",
        "Then run excelflow bid again (or the ribbon's Bid analysis): P(win), expected profit, "
        "the recommended price and this chart appear.",
    ),
)
"""What the chart's place says when no win-probability model can be used (a fresh sheet)."""

NO_COST = Text(
    "请先在成本明细中填写数量和单价：所有价格都以总成本为基础。",
    "Enter quantities and unit costs in the cost lines first: every price is built on the "
    "total cost.",
)
"""Shown (live) above the chart while the total cost is not positive."""

EMPTY_SPAN = 8  # G:N, the chart's width


def empty_state(w: SheetBuilder, with_chart: bool) -> None:
    """What to fill in, where the chart is: a live line while the total cost is missing, and,
    when no win model can be used, the chart's place says what P(win) needs (no empty chart)."""
    row, col = CHART_ANCHOR
    cost = w.ref("out.total_cost")
    text = NO_COST(w.lang).replace('"', '""')
    w.put(row - 1, col, Formula(f'=IF(AND(ISNUMBER({cost}),{cost}>0),"","{text}")'), "empty state",
          key="empty.cost")  # fmt: skip
    w.plan.merges.append((row - 1, col, row - 1, col + EMPTY_SPAN - 1))
    if with_chart:
        return
    for i, line in enumerate(EMPTY_CHART):
        r = row + 2 * i
        w.put(r, col, line(w.lang), "empty state", key=f"empty.chart.{i}")
        w.plan.merges.append((r, col, r + 1, col + EMPTY_SPAN - 1))


LINES = {"floor": ("C00000", "dash"), "budget": ("ED7D31", "dash"), "quote": ("7030A0", "sysDot")}
"""The vertical lines' colours and dashes."""


def drawn_lines(w: SheetBuilder) -> tuple[str, ...]:
    """The vertical lines the chart draws: the floor always; the budget and the quote when the
    bid has them and a positive total cost (else their chart-line cells hold no number: a new
    budget or quote typed in Excel shows in the block at once and on the chart from the next
    ``excelflow bid``)."""
    costed = w.layout.result is not None and w.layout.result.total_cost > 0
    given = {"budget": w.model.budget, "quote": w.model.quoted_price}
    return ("floor", *(k for k, v in given.items() if v is not None and costed))


def chart(w: SheetBuilder, first: int, last: int) -> Chart:
    """The expected-profit-against-markup chart, anchored beside the input block: the profit
    curve, the floor, budget and quote lines and the recommended point (straight lines, no
    markers but the point's)."""
    lang, none = w.lang, Marker("none")
    series = [
        Series((first, 8, last, 8), (first, 1, last, 1), title=WORDS["chart_y"](lang),
               color="2F75B5", line_width=2.25, smooth=False, marker=none)
    ]  # fmt: skip
    for key in drawn_lines(w):
        color, dash = LINES[key]
        (r1, x), (r2, y) = w.at[f"chart.{key}.x"], w.at[f"chart.{key}.y1"]
        series.append(Series((r1, y, r2, y), (r1, x, r2, x), title=WORDS[key](lang), color=color,
                             line_width=1.5, dash=dash, smooth=False, marker=none))  # fmt: skip
    snapshot = w.layout.snapshot
    if snapshot is not None and snapshot.optimum is not None:
        r, x = w.at["chart.recommended.x"]
        point = Marker("diamond", 10, fill="00B050", line="006100")
        series.append(Series((r, x + 1, r, x + 1), (r, x, r, x), title=WORDS["recommended"](lang),
                             no_line=True, marker=point))  # fmt: skip
    return Chart(
        "scatter",
        tuple(series),
        CHART_ANCHOR,
        width=19,
        height=10,
        title=WORDS["chart_title"](lang),
        x_axis=Axis(WORDS["chart_x"](lang), "0%", visible=True),
        y_axis=Axis(f"{WORDS['chart_y'](lang)} ({w.model.currency})", "#,##0", visible=True),
        legend="b",
        scatter_style="lineMarker",
    )
