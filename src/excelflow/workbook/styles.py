"""Shared look of the workbooks ExcelFlow writes: fonts, fills, CJK-aware widths, input messages.

Excel limits honoured here: a data-validation prompt title is at most 32 characters and its text
at most 255; an error title 32 and its text 255; a literal drop-down list at most 255 characters.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet


def font(**style: Any) -> Font:
    """A Font in the workbook's body font (Calibri, with the theme's 等线 for Chinese).

    A Font without a name is drawn in some fallback face (a serif in LibreOffice), so every
    Font we write names one.
    """
    return Font(name="Calibri", family=2, scheme="minor", **style)


TITLE_FONT = font(bold=True, size=16, color="1F3864")
SECTION_FONT = font(bold=True, size=12, color="1F3864")
NOTE_FONT = font(italic=True, color="595959")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
HEADER_FONT = font(bold=True, color="FFFFFF")
ROW_BORDER = Border(bottom=Side(style="thin", color="D9D9D9"))
CENTER = Alignment(horizontal="center", vertical="top")
RESULT_HEADER_FILL = PatternFill("solid", fgColor="595959")
RESULT_HEADER_FONT = font(bold=True, color="FFFFFF")
RESULT_FILL = PatternFill("solid", fgColor="EDEDED")
RESULT_FONT = font(color="404040")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
TOP_ALIGN = Alignment(vertical="top")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
MONEY_FORMAT = "#,##0"
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
EXCEL_EPOCH = dt.date(1899, 12, 30)


DvType = Literal["whole", "decimal", "list", "date", "time", "textLength", "custom"]
DvOperator = Literal[
    "between", "notBetween", "equal", "notEqual",
    "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
]  # fmt: skip
DvStyle = Literal["stop", "warning", "information"]


def serial(day: dt.date) -> int:
    """Excel's serial number of ``day`` (1900 date system)."""
    return (day - EXCEL_EPOCH).days


def text_width(text: str) -> int:
    """Display width of ``text`` in Excel column units: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def has_wide(text: str) -> bool:
    """True when ``text`` has a wide (CJK) character."""
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def shown(value: Any) -> str:
    """How a value roughly looks in a cell (for width estimates)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return "2027-01-01"
    if isinstance(value, float) and 0 <= value <= 1:
        return "100%"
    if isinstance(value, int | float):
        return f"{value:,.0f}"
    return str(value)


def header_lines(header: str) -> list[str]:
    """Split a header into at most two balanced lines: at a space or after ``-:/：``, else (CJK
    text only) mid-way."""
    if text_width(header) <= 10:
        return [header]
    cuts = [i + 1 for i, ch in enumerate(header[:-1]) if ch in " -:/：（"]
    if not cuts and has_wide(header):
        cuts = [(len(header) + 1) // 2]
    best = [header]
    for cut in cuts:
        pair = [header[:cut].rstrip(), header[cut:].lstrip()]
        if max(map(text_width, pair)) < max(map(text_width, best)):
            best = pair
    return best


def fit_width(header: str, values: Iterable[Any], *, low: float = 6, high: float = 42) -> float:
    """A column width that fits the (two-line) header plus filter button, and the values."""
    head = max(text_width(line) for line in header_lines(header)) + 3
    body = max((text_width(shown(v)) for v in values), default=0) + 2
    return float(min(high, max(low, head, body)))


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes when wrapped in a column ``width`` units wide (greedy: breaks
    at spaces, and between CJK characters as Excel does). Wrapped text mixing CJK and Latin
    words gets a spare line: renderers disagree about where such text may break."""
    budget = max(width - 1.5, 2.0)
    lines = 0
    for paragraph in text.split("\n"):
        used, lines = 0.0, lines + 1
        for token in re.findall(
            r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s", paragraph
        ):
            size = text_width(token)
            if used + size > budget and used > 0 and not token.isspace():
                lines += 1
                used = 0.0
            if not (token.isspace() and used == 0):
                used += size
            while used > budget:  # a word longer than the column breaks anywhere
                lines += 1
                used -= budget
    mixed = has_wide(text) and re.search(r"[A-Za-z]{3}", text) is not None
    return lines + 1 if lines > 1 and mixed else lines


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def input_message(ws: Worksheet, cell: str, title: str, prompt: str) -> None:
    """Show ``prompt`` when ``cell`` is selected (a no-rule data validation, Excel's way)."""
    dv = DataValidation(
        showInputMessage=True,
        allowBlank=True,
        promptTitle=clip(title, 32),
        prompt=clip(prompt, 255),
    )
    dv.add(cell)
    ws.add_data_validation(dv)


def validation(
    ws: Worksheet,
    ref: str,
    kind: DvType,
    *,
    formula1: str | None = None,
    formula2: str | None = None,
    operator: DvOperator | None = None,
    style: DvStyle = "stop",
    title: str,
    error: str,
    ime_off: bool = False,
) -> DataValidation:
    """Add a data validation (drop-down when ``kind`` is ``"list"``) with an error alert."""
    dv = DataValidation(
        type=kind,
        formula1=formula1,
        formula2=formula2,
        operator=operator,
        allowBlank=True,
        showErrorMessage=True,
        errorStyle=style,
        errorTitle=clip(title, 32),
        error=clip(error, 255),
        imeMode="off" if ime_off else None,
    )
    dv.add(ref)
    ws.add_data_validation(dv)
    return dv


def literal_list(items: Iterable[str]) -> str:
    """A data-validation list formula from literal items (``"a,b,c"``); at most 255 characters."""
    text = ",".join(item.replace(",", " ").replace('"', "'") for item in items)
    if len(text) > 255:
        raise ValueError("a drop-down list is limited to 255 characters")
    return f'"{text}"'


def title_block(ws: Worksheet, title: str, lines: Iterable[str], *, col: int = 1) -> int:
    """Write a sheet title and note lines from row 1; return the next free row."""
    ws.cell(row=1, column=col, value=title).font = TITLE_FONT
    ws.row_dimensions[1].height = 26
    row = 2
    for line in lines:
        ws.cell(row=row, column=col, value=line).font = NOTE_FONT
        row += 1
    return row + 1


def theme_xml() -> str:
    """openpyxl's Office theme with 等线 (DengXian, Office's Chinese body font since 2016) for
    Chinese text instead of 宋体; Latin text stays Calibri."""
    from openpyxl.writer.theme import theme_xml as base

    return base.replace(
        'script="Hans" typeface="&#x5B8B;&#x4F53;"', 'script="Hans" typeface="等线"'
    )
