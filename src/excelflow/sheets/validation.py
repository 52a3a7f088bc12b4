"""Data validations as ExcelFlow writes them: a checked input with an error alert, or only an
input message. Pure constructors of :class:`~excelflow.sheets.parts.Validation`; titles and texts
are cut to Excel's limits (32 characters for a title, 255 for a text)."""

from __future__ import annotations

from typing import Literal

from excelflow.sheets.parts import Area, Validation
from excelflow.sheets.text import clip

DvType = Literal["whole", "decimal", "list", "date", "time", "textLength", "custom"]
DvOperator = Literal[
    "between", "notBetween", "equal", "notEqual",
    "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
]  # fmt: skip
DvStyle = Literal["stop", "warning", "information"]


def prompt_only(area: Area, title: str, prompt: str) -> Validation:
    """Show ``prompt`` when a cell of ``area`` is selected (a no-rule validation, Excel's way)."""
    return Validation(
        area, None, allow_blank=True, show_input=True,
        prompt_title=clip(title, 32), prompt=clip(prompt, 255),
    )  # fmt: skip


def checked(
    area: Area,
    kind: DvType,
    *,
    formula1: str | None = None,
    formula2: str | None = None,
    operator: DvOperator | None = None,
    style: DvStyle = "stop",
    title: str,
    error: str,
    ime_off: bool = False,
) -> Validation:
    """A validation (a drop-down when ``kind`` is ``"list"``) whose error alert has ``style``,
    ``title`` and ``error``; blanks allowed; ``ime_off`` switches a Chinese input method off."""
    return Validation(
        area, kind, formula1=formula1, formula2=formula2, operator=operator, allow_blank=True,
        show_error=True, error_style=style, error_title=clip(title, 32), error=clip(error, 255),
        ime_mode="off" if ime_off else None,
    )  # fmt: skip
