"""A sheet's cells hashed while they are new: the grid, its 2-D object array and each
column's codes, built a block of rows at a time from python-calamine's ``iter_rows``.

Hashing a column of a big grid (``coerce.factorize``) is bound by cache misses: python-calamine
makes the cells row by row, so a column's cells lie far apart once the whole sheet is read (at
100,000 messy deals hashing took ~0.45 s, the same values laid out together 0.15 s). Here each
block of 1,024 rows is laid into the cell array and hashed column by column right after
calamine made it, into one table per column. :meth:`Prepared.factorized` then answers what
``coerce.factorize`` would for a body column (codes -1 for blanks, the distinct values in the
order they first appear), from integers alone.

Used where a sheet of at most ``halves.PREPARE_MAX_ROWS`` rows is read in halves: the first
half is prepared while the second is still parsed. Needs pandas (its object hash table): only
when pandas is already loaded.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

BLOCK = 1024
hashtable: Any = importlib.import_module("pandas._libs.hashtable")  # the table pd.factorize uses


class Prepared:
    """Rows of ``width`` cells: ``cells`` (a 2-D object array), per column a hash table, the
    codes of every cell in it (-1: None or NaN) and the distinct values in order."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows = 0
        self.cells = np.empty((0, width), dtype=object)
        self._tables = [hashtable.PyObjectHashTable(64) for _ in range(width)]
        self._counts = [0] * width
        self._uniques: list[list[np.ndarray]] = [[] for _ in range(width)]
        self._codes: list[np.ndarray] = []
        self.codes = np.empty((width, 0), dtype=np.int32)

    def add(self, rows: Iterable[list[Any]], grid: list[list[Any]], expected: int) -> None:
        """Append ``rows`` (each of ``width`` cells) to ``grid`` and hash them, a block at a
        time; ``expected``: how many rows will come in all (the arrays are made that big)."""
        if self.rows == 0:
            self.cells = np.empty((expected, self.width), dtype=object)
            self.codes = np.empty((self.width, expected), dtype=np.int32)
        it = iter(rows)
        while block := list(itertools.islice(it, BLOCK)):
            m = len(block)
            if self.rows + m > len(self.cells):
                self._grow(self.rows + m)
            if any(len(row) != self.width for row in block):
                raise ValueError("rows of another width")
            grid.extend(block)
            cells = np.fromiter(
                itertools.chain.from_iterable(block), dtype=object, count=m * self.width
            ).reshape(m, self.width)
            self.cells[self.rows : self.rows + m] = cells
            for j in range(self.width):
                found = hashtable.ObjectVector()
                self.codes[j, self.rows : self.rows + m] = self._tables[j].get_labels(
                    cells[:, j], found, self._counts[j], -1, None
                )
                new = found.to_array()
                if len(new):
                    self._uniques[j].append(new)
                    self._counts[j] += len(new)
            self.rows += m

    def _grow(self, at_least: int) -> None:
        size = max(at_least, len(self.cells) + len(self.cells) // 4)
        cells = np.empty((size, self.width), dtype=object)
        cells[: self.rows] = self.cells[: self.rows]
        codes = np.empty((self.width, size), dtype=np.int32)
        codes[:, : self.rows] = self.codes[:, : self.rows]
        self.cells, self.codes = cells, codes

    def finish(self) -> None:
        """Trim the arrays to the rows added."""
        if len(self.cells) != self.rows:
            self.cells = self.cells[: self.rows]
            self.codes = self.codes[:, : self.rows]

    def uniques(self, j: int) -> np.ndarray:
        parts = self._uniques[j]
        if len(parts) > 1:
            self._uniques[j] = parts = [np.concatenate(parts)]
        return parts[0] if parts else np.empty(0, dtype=object)

    def factorized(
        self, j: int, first: int, keep: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``coerce.factorize`` of column ``j``'s rows from ``first`` on (those ``keep`` marks),
        or None where it could differ: a value above ``first`` (the header, the rows before
        it) or in a row ``keep`` drops, equal to one kept, would have been taken as that
        value's first form (1, 1.0 and True are one value to a hash table)."""
        codes = self.codes[j, first:]
        above = self.codes[j, :first]
        if keep is not None:
            above = np.concatenate([above, codes[~keep]])  # rows dropped as blank count too
            codes = codes[keep]
        uniques = self.uniques(j)
        blank = self._tables[j].get_item("") if "" in self._tables[j] else -1
        above = above[(above >= 0) & (above != blank)]
        if len(above) and np.isin(above, codes).any():
            return None
        filled = (codes >= 0) & (codes != blank)
        out = np.full(len(codes), -1, dtype=np.intp)
        if not filled.any():
            return out, np.empty(0, dtype=object)
        sub, order = pd.factorize(codes[filled])
        out[filled] = sub
        return out, uniques[np.asarray(order, dtype=np.intp)]


def widths_match(grid: Sequence[Sequence[Any]], prepared: Prepared) -> bool:
    """Whether ``prepared`` describes ``grid`` (same rows, all of its width)."""
    return prepared.rows == len(grid) and all(len(r) == prepared.width for r in grid[:1])
