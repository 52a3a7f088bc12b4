"""Shared look of the workbooks ExcelFlow writes with openpyxl: fonts, fills, input messages,
validations and the theme.

The pure text measures (CJK-aware widths, header lines, wrapped lines, limits, literal lists,
date serials) live in :mod:`excelflow.sheets.text` and are re-exported here for the writers
that still lay out sheets with openpyxl; validations are built as
:class:`~excelflow.sheets.parts.Validation` (:func:`excelflow.sheets.validation.checked`) and
added by the renderer, :mod:`excelflow.workbook.render`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.sheets.plan import Area
from excelflow.sheets.text import (
    EXCEL_EPOCH,
    clip,
    fit_width,
    has_wide,
    header_lines,
    literal_list,
    serial,
    shown,
    text_width,
    wrapped_lines,
)
from excelflow.sheets.validation import DvType, checked, prompt_only
from excelflow.workbook.render import add_validation, theme_xml

__all__ = [
    "EXCEL_EPOCH",
    "clip",
    "fit_width",
    "has_wide",
    "header_lines",
    "literal_list",
    "serial",
    "shown",
    "text_width",
    "theme_xml",
    "wrapped_lines",
]


def font(**style: Any) -> Font:
    """A Font in the workbook's body font (Calibri, with the theme's 等线 for Chinese).

    A Font without a name is drawn in some fallback face (a serif in LibreOffice), so every
    Font we write names one.
    """
    return Font(name="Calibri", family=2, scheme="minor", **style)


TITLE_FONT = font(bold=True, size=16, color="1F3864")
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
WRAP_TOP = Alignment(wrap_text=True, vertical="top")

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
MONEY_FORMAT = "#,##0"
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)


def _area(ref: str) -> Area:
    from openpyxl.utils import range_boundaries

    c1, r1, c2, r2 = range_boundaries(ref)
    return (int(r1 or 1), int(c1 or 1), int(r2 or r1 or 1), int(c2 or c1 or 1))


def input_message(ws: Worksheet, cell: str, title: str, prompt: str) -> None:
    """Show ``prompt`` when ``cell`` is selected (a no-rule data validation, Excel's way)."""
    add_validation(ws, prompt_only(_area(cell), title, prompt))


def validation(ws: Worksheet, ref: str, kind: DvType, **alert: Any) -> DataValidation:
    """Add a data validation (drop-down when ``kind`` is ``"list"``) with an error alert; the
    keywords are :func:`~excelflow.sheets.validation.checked`'s."""
    return add_validation(ws, checked(_area(ref), kind, **alert))
