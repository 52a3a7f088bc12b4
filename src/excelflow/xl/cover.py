"""Fewer format calls for the xlwings renderer: rectangles of equal cells that may also span
cells where the format cannot be seen.

On xlwings Server and Lite every format call is one action the add-in applies, for one
rectangle (an action addresses its range by row, column and size, so a call cannot take several
areas). Many formats are invisible on some cells: bold, italics, a font colour or an alignment on
a blank cell, a number format without a text section on a cell holding text. :func:`cover`
groups the cells that need a value into rectangles that may run over such cells, so a table's
title and its header row, or a column's numbers interrupted by text headers, take one call.
Cells that need another value, or no value at all (Excel's default), are never covered.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from excelflow.sheets.parts import Formula, RichText
from excelflow.sheets.plan import Area, SheetPlan, hashable

V = TypeVar("V")
Cell = tuple[int, int]


def blank_cells(plan: SheetPlan) -> Callable[[int, int], bool]:
    """Whether a cell of ``plan`` shows nothing: no value (None, empty text, NaN) and no link."""

    def blank(r: int, c: int) -> bool:
        if (r, c) in plan.links:
            return False
        v = plan.value(r, c)
        return v is None or v == "" or (isinstance(v, float) and math.isnan(v))

    return blank


def text_cells(plan: SheetPlan) -> Callable[[int, int], bool]:
    """Whether a cell of ``plan`` holds text (a number format without a text section leaves
    text as it is)."""

    def text(r: int, c: int) -> bool:
        v = plan.value(r, c)
        return isinstance(v, str | RichText) and not isinstance(v, Formula)

    return text


def number_cells(plan: SheetPlan) -> Callable[[int, int], bool]:
    """Whether a cell of ``plan`` holds a number or a date (Excel's default alignment: right)."""

    def number(r: int, c: int) -> bool:
        v = plan.value(r, c)
        if isinstance(v, float) and math.isnan(v):
            return False
        return isinstance(v, int | float | dt.date | dt.time) and not isinstance(v, bool)

    return number


def numeric_only(number_format: str) -> bool:
    """Whether ``number_format`` leaves text as it is: no ``@`` and no fourth (text) section."""
    return "@" not in number_format and number_format.count(";") < 3


def cover(
    cells: Mapping[Cell, V],
    unseen: Callable[[int, int], bool],
    bounds: tuple[int, int],
    once: bool = False,
    as_default: Callable[[int, int, Any], bool] | None = None,
) -> list[tuple[Area, V]]:
    """``(area, value)`` writes that give every cell of ``cells`` on which the value is seen
    (``unseen(r, c)`` false) its value, each area holding only cells that need that value or
    cells where it is unseen and no other value is needed. ``bounds``: (last row, last column)
    an area may reach. Cells where the value is unseen need no write of their own. ``once``:
    no cell that needs a value is in two areas (for writes that add, like an indent).
    ``as_default(r, c, value)``: the value looks on that cell as Excel's default does (text
    aligned left, numbers right): such a cell needs no write, and may be spanned."""
    same = as_default or (lambda r, c, v: False)
    needed = {k: v for k, v in cells.items() if not unseen(*k) and not same(*k, v)}
    if not needed:
        return []
    last_r, last_c = bounds
    groups: dict[Any, list[Cell]] = {}
    values: dict[Any, V] = {}
    for cell in sorted(needed):
        key = hashable(needed[cell])
        groups.setdefault(key, []).append(cell)
        values.setdefault(key, needed[cell])
    keys = {k: hashable(v) for k, v in needed.items()}
    out: list[tuple[Area, V]] = []
    for key, members in groups.items():
        left: dict[int, set[int]] = {}
        for r, c in members:
            left.setdefault(r, set()).add(c)

        def ok(r: int, c: int, key: Any = key, left: dict[int, set[int]] = left) -> bool:
            have = keys.get((r, c), _NONE)
            if have is _NONE:
                return unseen(r, c) or (cells.get((r, c), _NONE) in (_NONE, values[key])
                                        and same(r, c, values[key]))  # fmt: skip
            return have == key and (not once or c in left.get(r, ()))

        for r, c in members:
            if c not in left.get(r, ()):
                continue
            best: list[Cell] = []
            for across_first in (True, False):
                r1, c1, r2, c2 = _grow(r, c, ok, last_r, last_c, across_first)
                got = [(i, j) for i in range(r1, r2 + 1) for j in left.get(i, ()) if c1 <= j <= c2]
                if len(got) > len(best):
                    best = got
            for i, j in best:
                left[i].discard(j)
            out.append((_box(best), values[key]))
    out.sort(key=lambda t: (t[0][0], t[0][1]))
    return out


_NONE = object()


def _grow(
    r: int, c: int, ok: Callable[[int, int], bool], last_r: int, last_c: int, across_first: bool
) -> Area:
    r2, c2 = r, c

    def across() -> int:
        end = c2
        while end < last_c and all(ok(i, end + 1) for i in range(r, r2 + 1)):
            end += 1
        return end

    def down() -> int:
        end = r2
        while end < last_r and all(ok(end + 1, j) for j in range(c, c2 + 1)):
            end += 1
        return end

    if across_first:
        c2 = across()
        r2 = down()
    else:
        r2 = down()
        c2 = across()
    return r, c, r2, c2


def _box(cells: list[Cell]) -> Area:
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    return min(rows), min(cols), max(rows), max(cols)


KEYED_MIN_AREAS = 4
"""A column's values go by its text (:func:`by_text`) only when they would take at least this
many rectangles."""


def by_text(
    cells: Mapping[Cell, V],
    unseen: Callable[[int, int], bool],
    value: Callable[[int, int], Any],
) -> tuple[list[tuple[Area, str, V]], dict[Cell, V]]:
    """Columns where a value follows the cell's text (a Findings sheet's severity colour:
    "Error" red, "Warning" amber, alternating row by row): ``(area, text, value)`` rules, one per
    distinct text, for a conditional format ``=A6="Error"`` over a span of adjacent cells of a
    column that all need a value, instead of a rectangle per run; and the cells left to
    :func:`cover`. A span qualifies when its cells hold plain text, cells with the same text
    (Excel compares text without case) need the same value, and the rules are fewer than the
    runs."""
    seen = {k: v for k, v in cells.items() if not unseen(*k)}
    rules: list[tuple[Area, str, V]] = []
    rest = dict(seen)
    columns: dict[int, list[int]] = {}
    for r, c in seen:
        columns.setdefault(c, []).append(r)
    spans = [(c, r1, r2) for c, rows in columns.items() for r1, r2 in _row_runs(rows)]
    for c, r1, r2 in spans:
        runs = 0
        last: Any = _NONE
        for r in range(r1, r2 + 1):
            now = hashable(seen[(r, c)]) if (r, c) in seen else _NONE
            runs += now is not _NONE and now != last
            last = now
        if runs < KEYED_MIN_AREAS:
            continue
        wants: dict[str, Any] = {}
        texts: dict[str, str] = {}
        fits = True
        for r in range(r1, r2 + 1):
            v = value(r, c)
            need = seen.get((r, c), _NONE)
            if not _plain(v):
                fits = need is _NONE
            else:
                key = v.casefold()
                known = wants.setdefault(key, need)
                if known is not need and hashable(known) != hashable(need):
                    fits = False
                texts.setdefault(key, v)
            if not fits:
                break
        found = [(k, w) for k, w in wants.items() if w is not _NONE]
        if not fits or len(found) >= runs:
            continue
        rules += [((r1, c, r2, c), texts[k], w) for k, w in found]
        for r in range(r1, r2 + 1):
            del rest[(r, c)]
    return rules, rest


def _row_runs(rows: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for r in sorted(rows):
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _plain(value: Any) -> bool:
    return (
        type(value) is str
        and 0 < len(value) <= 200
        and value.isprintable()
        and not value.startswith(("=", "+", "-", "@", "'"))
    )
