"""The look the pipeline template's sheets share: the Deals sheet
(:mod:`excelflow.template.deals`), the Rules sheet (:mod:`excelflow.rulesheet.sheet`) and the
placeholder sheets (:mod:`excelflow.template.book`).

:data:`STYLES` defines each style once, by name, for a plan's
:attr:`~excelflow.sheets.plan.SheetPlan.styles`; a cell lists several to layer them (a header in
a grey fill is ``("header", "result header")``, a percentage with a rule under it
``("row", "percent")``).
"""

from __future__ import annotations

from excelflow.sheets.style import Align, Border, Fill, Side, Style, body_font

NAVY = "1F3864"
"""The titles' ink."""
BLUE = "2F5597"
"""The header fill (and the Deals sheet's tab)."""
GREY_INK = "595959"
"""Notes, and the fill of the headers of the columns ExcelFlow fills."""

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
MONEY_FORMAT = "#,##0"

STYLES: dict[str, Style] = {
    "title": Style(font=body_font(bold=True, size=16.0, color=NAVY)),
    "note": Style(font=body_font(italic=True, color=GREY_INK)),
    "header": Style(
        font=body_font(bold=True, color="FFFFFF"),
        fill=Fill(BLUE),
        align=Align(vertical="center", wrap=True),
    ),
    "row": Style(border=Border(bottom=Side("thin", "D9D9D9"))),
    "center": Style(align=Align(horizontal="center", vertical="top")),
    "wrap top": Style(align=Align(vertical="top", wrap=True)),
    "date": Style(number_format=DATE_FORMAT),
    "percent": Style(number_format=PERCENT_FORMAT),
    "money": Style(number_format=MONEY_FORMAT),
    "integer": Style(number_format="0"),
}
"""Title (row 1 of a sheet), note (grey italic text), header (white on blue, wrapped), row (a light
rule under a table row), center (centred at the top: ticks, scores, numbers), wrap top (text
wrapped from the top) and the number formats date, percent, money and integer."""
