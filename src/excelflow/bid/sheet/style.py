"""Looks of a Bid sheet as plain data: number formats, the named cell styles, column widths.

Finance conventions: inputs are blue on light yellow, formulas black, snapshot values written by
``excelflow bid`` grey italic, the recommended price bold on green. Every look is defined once in
:data:`STYLES` and cells name the looks they wear (layered left to right, see
:func:`excelflow.sheets.style.layered`): ``("input", "money")`` is an input cell showing money.
"""

from __future__ import annotations

import unicodedata

from excelflow.sheets.style import Align, Border, Fill, Font, Side, Style

MONEY = "#,##0;[Red]-#,##0"
MONEY2 = "#,##0.00;[Red]-#,##0.00"
PCT = "0.0%"
NUMBER = "0.00"

INPUT_FORMATS: dict[str, str] = {
    "target_margin": PCT,
    "min_margin": PCT,
    "overhead_pct": PCT,
    "budget": MONEY,
    "quoted_price": MONEY,
    "withdraw_threshold": MONEY,
    "lowest_bid_mean": PCT,
    "lowest_bid_sd": PCT,
    "our_rank": "0",
    "markups": "@",
    "deal_id": "@",
}
COST_FORMATS: dict[str, str] = {"quantity": "General", "unit_cost": MONEY2}
COMPETITOR_FORMATS: dict[str, str] = {
    "rank": "0",
    "expected_price": MONEY,
    "ratio_mean": NUMBER,
    "ratio_sd": NUMBER,
}

BLUE = "1F4E79"
FONT = "Calibri"  # the body font of new workbooks; without a name LibreOffice falls back to serif
_THIN = Side("thin", "BFBFBF")
_BOX = Border(_THIN, _THIN, _THIN, _THIN)


def _font(
    *,
    bold: bool | None = None,
    italic: bool | None = None,
    size: float | None = None,
    color: str | None = None,
) -> Font:
    return Font(name=FONT, bold=bold, italic=italic, size=size, color=color)


STYLES: dict[str, Style] = {
    # cell kinds
    "input": Style(font=_font(color=BLUE), fill=Fill("FFF2CC"), border=_BOX),
    "result": Style(border=_BOX),
    "snapshot": Style(font=_font(italic=True, color="7F7F7F"), border=_BOX),
    "recommended": Style(font=_font(bold=True, color="006100"), fill=Fill("C6EFCE"), border=_BOX),
    "label": Style(align=Align(horizontal="left", vertical="center")),
    "header": Style(font=_font(bold=True), align=Align(vertical="center", wrap=True)),
    "section": Style(font=_font(bold=True, size=12.0, color=BLUE)),
    "section line": Style(border=Border(bottom=Side("medium", BLUE))),
    "title": Style(font=_font(bold=True, size=16.0, color=BLUE)),
    "subtitle": Style(font=_font(italic=True, color="595959")),
    "note": Style(font=_font(color="404040"), align=Align(vertical="top", wrap=True)),
    # modifiers laid over a kind
    "centre": Style(align=Align(horizontal="center")),
    "bold": Style(font=_font(bold=True)),
    # number formats
    **{f"format {fmt}": Style(number_format=fmt)
       for fmt in (MONEY, MONEY2, PCT, NUMBER, "0", "@", "General")},
    # conditional formats
    "at recommended": Style(font=Font(bold=True, color="006100"), fill=Fill("C6EFCE")),
    "below floor": Style(font=Font(color="A6A6A6")),
    "red text": Style(font=Font(color="C00000")),
    "withdraw": Style(fill=Fill("FFC7CE")),
    "empty state": Style(font=_font(italic=True, color="C00000"),
                         align=Align(vertical="top", wrap=True)),
}  # fmt: skip
"""Every look of a Bid sheet. A section title wears ``section`` and, with the cells right of it
that its underline spans, ``section line``; ``centre`` and ``bold`` go over a kind without an
alignment or font of its own; ``format <number format>`` carries a number format only."""


def number(fmt: str | None) -> tuple[str, ...]:
    """The style names of the number format ``fmt`` (none for None)."""
    return () if fmt is None else (f"format {fmt}",)


WIDTHS: dict[int, float] = {
    1: 30.0, 2: 24.0, 3: 15.0, 4: 34.0, 5: 18.0, 6: 18.0, 7: 18.0,
    8: 22.0, 9: 14.0, 10: 12.0, 11: 12.0, 12: 18.0, 13: 12.0, 14: 14.0,
}  # fmt: skip
"""Column (1 = A) -> width: wide enough for the labels of both languages (H: the subtotals'
"Engineering & installation"; E:G: "赢率 Gates（采用）" on one line)."""


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` needs in a column ``width`` characters wide (CJK count two)."""
    chars = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return max(1, -(-int(chars * 1.1) // int(width)))
