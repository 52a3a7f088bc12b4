"""A Bid sheet's cells as python-calamine hands them over, searched by label and header.

Labels and headers are compared folded (:func:`excelflow.pipeline.fields.fold`), so either language,
case, spacing and punctuation do not matter; positions are absolute and 0-based.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from excelflow.bid.sheet import values as bv
from excelflow.bid.sheet.layout import SECTION_LOOKUP, WORDS
from excelflow.pipeline.fields import fold
from excelflow.pipeline.normalize import column_letter

STOP = {*SECTION_LOOKUP, fold(WORDS["our_position"].zh), fold(WORDS["our_position"].en)}
"""Texts that end a table: section titles and the line under the competitor table."""


class LabelGrid:
    """A calamine grid with absolute 0-based coordinates, searched by label."""

    def __init__(self, grid: Sequence[Sequence[Any]], origin: tuple[int, int]) -> None:
        self.grid, (self.r0, self.c0) = grid, origin

    def rows(self) -> range:
        """The sheet rows the grid covers (0-based)."""
        return range(self.r0, self.r0 + len(self.grid))

    def get(self, r: int, c: int) -> Any:
        """The value at (r, c); None when blank or outside the grid."""
        row = r - self.r0
        col = c - self.c0
        if 0 <= row < len(self.grid) and 0 <= col < len(self.grid[row]):
            value = self.grid[row][col]
            return None if bv.is_blank(value) else value
        return None

    def width(self, r: int) -> range:
        """The columns row ``r`` has (0-based)."""
        row = r - self.r0
        n = len(self.grid[row]) if 0 <= row < len(self.grid) else 0
        return range(self.c0, self.c0 + n)

    @staticmethod
    def coord(r: int, c: int) -> str:
        """``"B13"`` for (12, 1)."""
        return f"{column_letter(c)}{r + 1}"

    def labels(self, table: Mapping[str, str]) -> dict[str, tuple[int, int]]:
        """Label key -> (row, col) of the value cell right of its first label."""
        found: dict[str, tuple[int, int]] = {}
        for r in self.rows():
            for c in self.width(r):
                text = self.get(r, c)
                if isinstance(text, str):
                    key = table.get(fold(text))
                    if key is not None and key not in found:
                        found[key] = (r, c + 1)
        return found

    def header(
        self, table: Mapping[str, str], required: set[str], at_least: int
    ) -> tuple[int, dict[str, int]] | None:
        """The first row naming every ``required`` header and ``at_least`` known ones."""
        for r in self.rows():
            cols: dict[str, int] = {}
            for c in self.width(r):
                text = self.get(r, c)
                key = table.get(fold(text)) if isinstance(text, str) else None
                if key is not None:
                    cols.setdefault(key, c)
            if required <= set(cols) and len(cols) >= at_least:
                return r, cols
        return None

    def body(self, head: int, cols: Mapping[str, int]) -> list[tuple[int, dict[str, Any]]]:
        """Non-blank rows under a header until the next section title in the table's first
        column; blank rows are skipped."""
        out = []
        first = min(cols.values())
        for r in range(head + 1, self.r0 + len(self.grid)):
            lead = self.get(r, first)
            if isinstance(lead, str) and fold(lead) in STOP:
                break  # the next section's title (or the line under the competitor table)
            values = {k: self.get(r, c) for k, c in cols.items()}
            if any(v is not None for v in values.values()):
                out.append((r, values))
        return out
