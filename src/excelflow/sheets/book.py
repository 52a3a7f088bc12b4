"""A workbook as plain data: its sheets in order, defined names, theme fonts and properties.

Rendered whole by :func:`excelflow.workbook.render.render_book` (a new openpyxl workbook); the
ribbon adds single sheets and names to a live book through :mod:`excelflow.xl.render`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from excelflow.sheets.plan import SheetPlan


@dataclass(frozen=True)
class DocProperties:
    """The document properties written into the file (None: the writer's default)."""

    creator: str | None = None
    last_modified_by: str | None = None
    title: str | None = None
    subject: str | None = None
    keywords: str | None = None
    language: str | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None


@dataclass
class BookPlan:
    """A workbook: ``sheets`` in order (name -> plan), workbook-level defined ``names``
    (``"lstStages"`` -> ``"'规则'!$D$7:$D$12"``), the ``active`` sheet (0-based), the theme's
    Chinese body font (``theme_hans_font``, e.g. ``"等线"``; None keeps the writer's theme) and
    the document ``properties``."""

    sheets: dict[str, SheetPlan] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    active: int = 0
    theme_hans_font: str | None = None
    properties: DocProperties = field(default_factory=DocProperties)
