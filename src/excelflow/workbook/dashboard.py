"""The Findings and Dashboard sheets of an annotated workbook, drawn with openpyxl.

The sheets are laid out once in :mod:`excelflow.annotate.layout` (the ribbon draws the same plans
through xlwings) and drawn here by :func:`excelflow.workbook.render.render_sheet`. Where they go
is :func:`excelflow.annotate.sheets.claim`'s decision: both sheets are ExcelFlow's own, their A1
title starts with "ExcelFlow", which is how a re-run recognises them (an empty sheet with the
same name, such as a template placeholder, is taken over too). A user's own sheet that happens to
be called "Dashboard" is never replaced: ours then goes to "ExcelFlow Dashboard".
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.annotate.layout import dashboard_plan, findings_plan
from excelflow.annotate.plan import AnnotationPlan
from excelflow.annotate.sheets import PLACEHOLDER_MAX_CELLS, SheetInfo, claim, unique_table_name
from excelflow.sheets.plan import SheetPlan
from excelflow.workbook.render import add_sheet


def sheet_info(ws: Any) -> SheetInfo:
    """What :func:`~excelflow.annotate.sheets.claim` needs to know about an openpyxl sheet (a
    chartsheet holds an object and no values)."""
    if not isinstance(ws, Worksheet):
        return SheetInfo(ws.title, [[None]], True, ws.sheet_state == "visible", ws.sheet_state)
    cells = ws._cells
    top = cells.get((1, 1))
    # claim() needs A1 and whether the rest is a placeholder's handful of cells: never more
    # than PLACEHOLDER_MAX_CELLS + 1 of a deals sheet's 300,000
    filled = (
        v
        for key, c in cells.items()
        if key != (1, 1)
        for v in (c.value,)
        if v is not None and not (isinstance(v, str) and not v.strip())  # blanks as claim's
    )
    rest = list(islice(filled, PLACEHOLDER_MAX_CELLS + 1))
    objects = bool(getattr(ws, "_charts", None) or getattr(ws, "_images", None) or ws.tables
                   or getattr(ws, "_pivots", None))  # fmt: skip
    return SheetInfo(
        ws.title,
        [[None if top is None else top.value], rest],
        objects,
        ws.sheet_state == "visible",
        ws.sheet_state,
        bool(ws.sheet_view.tabSelected),
    )


def write_sheet(wb: Workbook, key: str, plan: AnnotationPlan) -> tuple[Worksheet, str | None]:
    """Claim the ``key`` sheet ("findings" or "dashboard") and draw it: our previous sheet (in
    either language) is replaced at its position, keeping its visibility and tab selection;
    otherwise the sheet goes at the end. Returns the sheet and the replaced sheet's name."""
    where = claim([sheet_info(wb[name]) for name in wb.sheetnames], key, plan.lang)
    if where.replaces is not None:
        wb.remove(wb[where.replaces])
    layout: SheetPlan
    if key == "dashboard":
        layout = dashboard_plan(plan)
    else:
        taken = [name for ws in wb.worksheets for name in ws.tables]
        layout = findings_plan(plan, unique_table_name(taken))
    layout.props.state, layout.props.selected = where.state, where.selected
    # the Findings sheet has a row per finding: its cells go into the file in bulk
    ws = add_sheet(wb, where.name, layout, where.index, bulk=key == "findings")
    return ws, where.replaces
