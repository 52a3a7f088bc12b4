"""Looks of a Bid sheet: number formats, the input/result/snapshot cell styles, column widths.

Finance conventions: inputs are blue on light yellow, formulas black, snapshot values written by
``excelflow bid`` grey italic, the recommended price bold on green.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.worksheet.worksheet import Worksheet

MONEY = "#,##0;[Red]-#,##0"
MONEY2 = "#,##0.00;[Red]-#,##0.00"
PCT = "0.0%"
NUMBER = "0.00"
QTY = "#,##0.###"

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
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
RECOMMENDED_FILL = PatternFill("solid", fgColor="C6EFCE")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WITHDRAW_FILL = PatternFill("solid", fgColor="FFC7CE")
BELOW_FLOOR_FONT = Font(color="A6A6A6")
OVER_BUDGET_FONT = Font(color="C00000")
HIGHLIGHT_FONT = Font(bold=True, color="006100")
_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SECTION_LINE = Border(bottom=Side(style="medium", color=BLUE))

WIDTHS: dict[str, float] = {
    "A": 30.0,
    "B": 24.0,
    "C": 15.0,
    "D": 34.0,
    "E": 15.0,
    "F": 15.0,
    "G": 14.0,
    "H": 16.0,
    "I": 14.0,
    "J": 12.0,
    "K": 12.0,
    "L": 18.0,
    "M": 12.0,
    "N": 14.0,
}


def apply(
    cell: Cell,
    *,
    kind: str | None = None,
    fmt: str | None = None,
    bold: bool = False,
    span: int = 1,
    centre: bool = False,
) -> None:
    """Style ``cell`` as one of ``input``, ``result``, ``snapshot``, ``recommended``, ``label``,
    ``header``, ``section``, ``title``, ``subtitle`` or ``note`` (or plain); ``span`` underlines
    a section title across that many columns; ``centre`` centres the value."""
    if fmt is not None:
        cell.number_format = fmt
    if kind == "input":
        cell.fill = INPUT_FILL
        cell.font = Font(name=FONT, color=BLUE)
        cell.border = _BOX
    elif kind == "result":
        cell.border = _BOX
    elif kind == "snapshot":
        cell.font = Font(name=FONT, italic=True, color="7F7F7F")
        cell.border = _BOX
    elif kind == "recommended":
        cell.fill = RECOMMENDED_FILL
        cell.font = Font(name=FONT, bold=True, color="006100")
        cell.border = _BOX
    elif kind == "label":
        cell.alignment = Alignment(horizontal="left", vertical="center")
    elif kind == "header":
        cell.font = Font(name=FONT, bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    elif kind == "section":
        cell.font = Font(name=FONT, bold=True, size=12, color=BLUE)
        ws = cell.parent
        if isinstance(ws, Worksheet):
            for j in range(span):
                ws.cell(row=cell.row, column=cell.column + j).border = _SECTION_LINE
    elif kind == "title":
        cell.font = Font(name=FONT, bold=True, size=16, color=BLUE)
    elif kind == "subtitle":
        cell.font = Font(name=FONT, italic=True, color="595959")
    elif kind == "note":
        cell.font = Font(name=FONT, color="404040")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if centre:
        cell.alignment = Alignment(horizontal="center")
    if bold:
        cell.font = Font(name=FONT, bold=True)


def highlight(font: Font | None = None, fill: PatternFill | None = None) -> DifferentialStyle:
    """A conditional-format style (font and/or fill)."""
    return DifferentialStyle(font=font, fill=fill)


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` needs in a column ``width`` characters wide (CJK count two)."""
    import unicodedata

    chars = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return max(1, -(-int(chars * 1.1) // int(width)))


def set_widths(ws: Any) -> None:
    """Column widths that fit the labels of both languages."""
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
