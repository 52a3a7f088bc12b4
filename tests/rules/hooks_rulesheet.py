"""The ``rules_sheet`` hook of the golden cases: a Rules sheet as the template writes it, edited.

A case with ``hook: rules_sheet`` may list ``rules_edits``, each ``{table, key, column, value}``:
``table`` is a Rules-sheet table (``tblStages``, ``tblMilestones``, ``tblGrades``, ``tblFactors``,
``tblParams``, ``tblOverrides``), ``key`` the row's key (stage / milestone / factor / parameter key,
grade letter, rule code; ``null`` for the first blank row), ``column`` a column name of
:mod:`excelflow.rulesheet.layout` (``probability``, ``column_zh``, ``weight``, ``value`` …). The
layout is the same in both languages, so expected rows are Rules-sheet rows: stages 7-12,
milestones 16-24, grades 28-31, factors 35-43, parameters 47-61, overrides 65-67.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.utils import range_boundaries

from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.rulesheet.layout import BLOCKS
from excelflow.rulesheet.sheet import rules_plan
from excelflow.workbook.render import render_sheet
from rules.golden import HOOKS


def rules_sheet(wb: Workbook, case: dict[str, Any], lang: Lang) -> None:
    """Add the standard Rules sheet in ``lang`` and apply the case's ``rules_edits``."""
    ws = wb.create_sheet(SHEETS["rules"](lang))
    render_sheet(ws, rules_plan(load_ruleset(), lang, ws.title).plan)
    for edit in case.get("rules_edits") or []:
        block = next(b for b in BLOCKS if b.table == edit["table"])
        names = [c.name for c in block.columns]
        min_col, min_row, _, max_row = range_boundaries(ws.tables[block.table].ref)
        key_col = min_col + names.index(_key_column(names))
        row = next(
            r for r in range(min_row + 1, max_row + 1) if ws.cell(r, key_col).value == edit["key"]
        )
        ws.cell(row, min_col + names.index(edit["column"])).value = edit["value"]


def _key_column(names: list[str]) -> str:
    return next(n for n in ("key", "grade", "code") if n in names)


HOOKS["rules_sheet"] = rules_sheet
