"""A sheet plan holding one of everything the model can express, for the renderer tests."""

from __future__ import annotations

import datetime as dt

from excelflow.sheets.book import BookPlan, DocProperties
from excelflow.sheets.parts import (
    A4,
    Axis,
    Chart,
    CondFormat,
    DataLabels,
    Formula,
    Link,
    Margins,
    Marker,
    Note,
    PageSetup,
    RichText,
    Run,
    Series,
    Table,
    TableColumn,
)
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Align, Border, Fill, Font, Side, Style, body_font
from excelflow.sheets.validation import checked, prompt_only

STYLES = {
    "title": Style(font=body_font(bold=True, size=16, color="1F3864")),
    "header": Style(
        font=body_font(bold=True, color="FFFFFF"),
        fill=Fill("2F5597"),
        align=Align(vertical="center", wrap=True),
    ),
    "input": Style(
        font=Font(name="Calibri", color="1F4E79"),
        fill=Fill("FFF2CC"),
        border=Border(*(Side("thin", "BFBFBF"),) * 4),
    ),
    "money": Style(number_format="#,##0;[Red]-#,##0"),
    "pct": Style(number_format="0.0%"),
    "centre": Style(align=Align(horizontal="center")),
    "indent": Style(align=Align(horizontal="left", indent=1)),
    "line": Style(border=Border(bottom=Side("medium", "1F4E79"))),
    "link": Style(font=body_font(color="0563C1", underline="single")),
    "green": Style(font=Font(bold=True, color="006100"), fill=Fill("C6EFCE")),
    "red": Style(fill=Fill(background="FFC7CE")),
}
HEADERS = ["Item", "Qty", "Unit cost", "Amount"]
ROWS = [["Server", 2, 1500.0], ["Licence", 10, 120.5], ["Install", 1, 800.0]]


def everything() -> SheetPlan:
    """A Bid-like sheet: a title in rich text, a table with a calculated column, formulas,
    validations, conditional formats, a bar, a pie and a scatter chart, notes, a link, merged
    cells, sizes, frozen panes, sheet settings and a page setup."""
    plan = SheetPlan(styles=dict(STYLES))
    bold = body_font(bold=True, size=14, color="1F3864")
    grey = body_font(italic=True, size=10, color="595959")
    plan.put(1, 1, RichText((Run("Bid – D-1", bold), Run("   a note", grey))))
    plan.put(2, 1, "=not a formula")
    plan.put(2, 2, dt.date(2026, 11, 28))
    plan.put(3, 1, "Notes span A:D", "line")
    plan.merges.append((3, 1, 3, 4))
    plan.put_rows(4, 1, [HEADERS])
    plan.style((4, 1, 4, 4), "header")
    for i, (item, qty, unit) in enumerate(ROWS, start=5):
        plan.put_rows(i, 1, [[item, qty, unit, Formula(f"=B{i}*C{i}")]])
        plan.style((i, 1, i, 3), "input")
        plan.style((i, 3, i, 4), "money", add=True)
    plan.style((5, 2, 7, 2), "centre", add=True)
    amount = "tblCosts[[#This Row],[Qty]]*tblCosts[[#This Row],[Unit cost]]"
    plan.tables.append(
        Table((4, 1, 7, 4), "tblCosts", "TableStyleLight9", column_stripes=False,
              columns=(*(TableColumn(h) for h in HEADERS[:3]), TableColumn("Amount", amount)),
              autofilter=False)
    )  # fmt: skip
    plan.put(8, 1, "Total", "indent")
    plan.put(8, 4, Formula("=SUM(D5:D7)"), "money")
    plan.put(9, 1, "Margin")
    plan.put(9, 2, 0.25, "pct")
    plan.put(10, 1, "Findings", "link")
    plan.links[(10, 1)] = Link(location="'Costs'!A4")
    plan.notes[(9, 2)] = Note("Margin = (price - cost) / price", "ExcelFlow", 200, 60)
    plan.validations += [
        prompt_only((4, 1, 4, 1), "Item", "What the line buys"),
        checked((5, 2, 7, 2), "whole", formula1="0", operator="greaterThanOrEqual",
                title="Qty", error="A whole number, 0 or more", ime_off=True),
        checked((5, 1, 7, 1), "list", formula1='"Server,Licence,Install"', style="warning",
                title="Item", error="Choose from the list"),
    ]  # fmt: skip
    plan.conditional += [
        CondFormat(((5, 1, 7, 4),), "$D5>2000", "green"),
        CondFormat(((9, 2, 9, 2), (8, 4, 8, 4)), "$B$9<0.1", "red", priority=9),
    ]
    categories, amounts = (5, 1, 7, 1), (5, 4, 7, 4)
    plan.charts += [
        Chart("bar", (Series(amounts, categories, title_cell=(4, 4)),), (2, 6), 17, 8,
              title="Cost by item", name="efCost", legend=None, style=10, gap_width=60,
              overlap=100, x_axis=Axis(visible=True, reverse=True, crosses="max"),
              y_axis=Axis(visible=True, number_format="#,##0", minimum=0)),
        Chart("pie", (Series(amounts, categories, title_cell=(4, 4)),), (20, 6),
              title="Share", data_labels=DataLabels(value=True, category=True, percent=False)),
        Chart("scatter", (
            Series((5, 4, 7, 4), (5, 2, 7, 2), title="Amount", color="2F75B5", line_width=2.25,
                   marker=Marker("none"), smooth=False),
            Series((8, 4, 8, 4), (9, 2, 9, 2), title="Total", no_line=True,
                   marker=Marker("diamond", 10, fill="00B050", line="006100")),
        ), (38, 6), 19, 10, title="Profit", scatter_style="lineMarker", legend="b",
              x_axis=Axis(title="Markup", number_format="0%", visible=True),
              y_axis=Axis(title="Profit (CNY)", visible=True)),
    ]  # fmt: skip
    plan.widths.update({1: 30.0, 2: 12.0, 3: 14.0, 4: 14.0})
    plan.heights[4] = 33.0
    plan.freeze = (5, 2)
    plan.props.tab_color = "2F75B5"
    plan.props.gridlines = False
    plan.page = PageSetup(
        orientation="landscape", paper_size=A4, fit_to_page=True, fit_width=1, fit_height=0,
        center_horizontally=True, margins=Margins(left=0.4, right=0.4, top=0.5, bottom=0.5),
        title_rows=(4, 4), title_cols=(1, 2), print_area=(1, 1, 10, 4), row_breaks=(8,),
    )  # fmt: skip
    return plan


def book() -> BookPlan:
    """Two sheets, a defined name, the theme's Chinese font and document properties."""
    other = SheetPlan(styles={"title": STYLES["title"]})
    other.put(1, 1, "Stages", "title")
    other.put_rows(2, 1, [["Entry"], ["Proposal"], ["Bidding"]])
    stamp = dt.datetime(2026, 11, 28, 9, 0, 0)
    return BookPlan(
        sheets={"Costs": everything(), "Lists": other},
        names={"lstStages": "Lists!$A$2:$A$4"},
        active=0,
        theme_hans_font="等线",
        properties=DocProperties(creator="ExcelFlow", title="Plan", created=stamp, modified=stamp),
    )


LONG_TEXT = (
    "缺少列「评估分级」：无法检查第1阶段之后的 1589 个进行中商机是否达到该关键节点（不报 SG01、"
    "不下调赢率，关口显示为未知）"
)


def fitted() -> SheetPlan:
    """A small table whose columns are fitted to their text: a short code column, a Chinese
    message too long for its cap (wraps, its row grows), a heading that overflows on purpose."""
    plan = SheetPlan(styles={"wrap": Style(align=Align(vertical="top", wrap=True)),
                             "title": STYLES["title"]})  # fmt: skip
    plan.put(1, 1, "A title far wider than its column", "title")
    plan.put_rows(2, 1, [["Code", "Message"], ["SG01", "short"], ["DQ07", LONG_TEXT]])
    plan.widths[1] = 6.0
    plan.fit_widths([1], ignore=("title",))
    plan.fit_widths([2], first_row=2, high=40.0)
    plan.wrap_long([1, 2], "wrap", first_row=3)
    return plan
