"""Reading a Rules sheet's cells back into a rule set: find the tables by their header rows,
turn them into a rule-set document, validate it (:mod:`excelflow.rulesheet.read` calls this only
when a workbook has a Rules sheet, so that a check without one loads none of it).

Tables are found by their header rows (in either language, anywhere on the sheet), so inserted
rows, extra columns and moved tables are fine. A table's rows run from its header row to the
next table's title; blank rows are skipped, so clearing a row removes that item. A sheet called
Rules that holds none of the tables is somebody else's sheet and is left alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from excelflow.pipeline.fields import fold
from excelflow.pipeline.normalize import column_letter
from excelflow.pipeline.ruleset import RuleSet, RuleSetError, ruleset_from_document
from excelflow.rulesheet.check import (
    Cell,
    Problem,
    schema_problems,
    semantic_problems,
    t,
)
from excelflow.rulesheet.doc import DocumentBuilder, RulesTable
from excelflow.rulesheet.layout import BLOCKS, OPTIONAL_BLOCKS, Block

_TITLES = tuple(fold(title) for block in BLOCKS for title in block.title)


def read_rules_grid(
    grid: Sequence[Sequence[Any]],
    origin: tuple[int, int],
    sheet: str,
    default: RuleSet,
    *,
    source: str,
) -> tuple[RuleSet, list[dict[str, Any]]]:
    """Read a Rules sheet's cells (``grid``, whose top-left is the 0-based ``origin``).

    Returns ``(ruleset, [])`` when the tables make a valid rule set, else ``(default, problems)``.
    A sheet without a single rule table is somebody else's sheet that happens to be called
    Rules: ``(default, [])``.
    """
    reader = _Reader(grid, origin, sheet)
    tables = reader.tables()
    if not tables:
        return default, []
    builder = DocumentBuilder(sheet, problems=reader.problems)
    doc = builder.document(tables)
    problems = list(builder.problems)
    flagged = {p.cell for p in problems}
    problems += [p for p in schema_problems(doc, builder.cells, sheet) if p.cell not in flagged]
    if not problems:
        try:
            return ruleset_from_document(doc, source), []
        except RuleSetError as exc:
            problems = semantic_problems(exc.errors, builder.cells, sheet)
    return default, [p.as_dict() for p in problems]


@dataclass
class _Reader:
    grid: Sequence[Sequence[Any]]
    origin: tuple[int, int]
    sheet: str
    problems: list[Problem] = field(default_factory=list)

    def _value(self, i: int, j: int) -> Any:
        row = self.grid[i]
        value = row[j] if j < len(row) else None
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, float) and math.isnan(value):
            return None
        return value

    def _cell(self, i: int, j: int, column: str | None, subject: Any, kind: str) -> Cell:
        row = self.origin[0] + i + 1
        address = f"{column_letter(self.origin[1] + j)}{row}"
        return Cell(address, row, column, self._value(i, j), subject, kind)

    def _header(self, i: int) -> tuple[Block, dict[str, int]] | None:
        folded: dict[str, int] = {}
        for j in range(len(self.grid[i])):
            value = self._value(i, j)
            if isinstance(value, str):
                folded.setdefault(fold(value), j)
        best: tuple[int, Block, dict[str, int]] | None = None
        for block in BLOCKS:
            cols = {
                c.name: folded[name]
                for c in block.columns
                for name in (fold(c.header.zh), fold(c.header.en))
                if name in folded
            }
            complete = all(c.name in cols for c in block.columns if c.required)
            if complete and (best is None or len(cols) > best[0]):
                best = (len(cols), block, cols)
        return None if best is None else (best[1], best[2])

    def _skip(self, k: int, end: int, cols: dict[str, int]) -> bool:
        """Blank rows, table titles, and the title line right above the next table."""
        if all(self._value(k, j) is None for j in cols.values()):
            return True
        filled = [v for j in range(len(self.grid[k])) if (v := self._value(k, j)) is not None]
        texts = all(isinstance(v, str) for v in filled)
        if len(filled) <= 2 and texts and any(fold(v).startswith(_TITLES) for v in filled):
            return True
        return k == end - 1 and end < len(self.grid) and len(filled) <= 2 and texts

    def tables(self) -> dict[str, RulesTable]:
        """Every table found, by block key; a missing table is a problem (unless none is found:
        then the sheet is not an ExcelFlow Rules sheet at all)."""
        headers = [(i, *hit) for i in range(len(self.grid)) if (hit := self._header(i))]
        found: dict[str, RulesTable] = {}
        if not headers:
            return found
        for n, (i, block, cols) in enumerate(headers):
            texts = {name: str(self._value(i, j)) for name, j in cols.items()}
            header = {
                c.name: self._cell(i, cols[c.name], texts[c.name], c.header, "header")
                for c in block.columns
                if c.name in cols
            }
            if block.key in found:
                first = header[min(header, key=lambda k: cols[k])]
                self.problems.append(
                    Problem.at(
                        self.sheet,
                        first,
                        t(
                            f"「{block.title.zh}」表出现了两次，只使用第一个",
                            f"the table '{block.title.en}' appears twice; only the first is used",
                        ),
                    )
                )
                continue
            end = headers[n + 1][0] if n + 1 < len(headers) else len(self.grid)
            rows = [
                {
                    c.name: self._cell(k, cols[c.name], texts[c.name], c.header, c.kind)
                    for c in block.columns
                    if c.name in cols
                }
                for k in range(i + 1, end)
                if not self._skip(k, end, cols)
            ]
            found[block.key] = RulesTable(header, rows)
        for block in BLOCKS:
            if block.key not in found and block.key not in OPTIONAL_BLOCKS:
                message = t(
                    f"找不到「{block.title.zh}」表（表头行被改动或删除了）",
                    f"the table '{block.title.en}' is missing (its header row was changed or "
                    "deleted)",
                )
                self.problems.append(Problem(self.sheet, "A1", 1, None, None, message))
        return found
