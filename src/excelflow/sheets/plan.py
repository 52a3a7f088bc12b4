"""A worksheet as plain data: values from A1, formulas, styles by name, tables, charts and notes.

:class:`SheetPlan` is everything a writer needs to draw one sheet, with no openpyxl or xlwings in
it. A layout builds it once; :func:`excelflow.workbook.render.render_sheet` draws it with
openpyxl (``excelflow annotate``, ``bid``, ``template``) and :func:`excelflow.xl.render.render`
through xlwings (the ribbon). The parts are in :mod:`excelflow.sheets.parts`, the styles in
:mod:`excelflow.sheets.style`, the workbook around the sheets in :mod:`excelflow.sheets.book`.

Styles are by name: :attr:`SheetPlan.styles` defines each once (``"header"`` ->
``Style(font=…, fill=…)``) and a cell lists the names it wears (layered, see
:func:`~excelflow.sheets.style.layered`). Rows and columns are 1-based like Excel's;
:func:`rectangles` groups equal neighbours into as few rectangles as possible, so a writer can
issue one call per rectangle, never one per cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from excelflow.pipeline.normalize import column_letter
from excelflow.sheets.parts import (
    Area,
    Cell,
    Chart,
    CondFormat,
    Formula,
    Link,
    Note,
    PageSetup,
    RichText,
    SheetProps,
    Table,
    Validation,
)
from excelflow.sheets.style import Style, layered
from excelflow.sheets.text import shown, text_width, wrapped_lines

__all__ = [
    "Area",
    "Cell",
    "Formula",
    "RichText",
    "SheetPlan",
    "address",
    "rectangles",
    "runs",
]

V = TypeVar("V")
_MEMO = (str, int, float, dt.date, type(None))
"""Values whose measured width is remembered per distinct value (hashable, compared by value)."""
LINE_HEIGHT = 15.0
"""Points per line of 11 pt text: a wrapped cell's row is this times its line count."""


@dataclass
class SheetPlan:
    """One sheet's content; see the module docstring.

    Attributes:
        values: rows of cell values from A1: None (blank), text, numbers, booleans, dates,
            :class:`~excelflow.sheets.parts.Formula`, :class:`~excelflow.sheets.parts.RichText`.
            Text is always text, even when it starts with ``=``.
        styles: style name -> definition (cells and conditional formats refer to these).
        cell_styles: cell -> the names of its styles, first to last.
        links, notes: per cell.
        merges, widths (column -> width in characters), heights (row -> points), freeze (the
            first cell below and right of the frozen panes), tables, validations, conditional
            formats, charts: as named.
        page: print settings; props: tab colour, gridlines, selection, visibility.
    """

    values: list[list[Any]] = field(default_factory=list)
    styles: dict[str, Style] = field(default_factory=dict)
    cell_styles: dict[Cell, tuple[str, ...]] = field(default_factory=dict)
    links: dict[Cell, Link] = field(default_factory=dict)
    notes: dict[Cell, Note] = field(default_factory=dict)
    merges: list[Area] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    fit_rows: set[int] = field(default_factory=set)
    """Rows whose entry in :attr:`heights` only estimates the height of their wrapped text: a
    file's reader may not grow such a row (LibreOffice does not), so the openpyxl renderer writes
    the estimate; a live Excel fits them itself, so the xlwings renderer asks it to (one call,
    not one per row)."""
    freeze: Cell | None = None
    tables: list[Table] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    conditional: list[CondFormat] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    page: PageSetup = field(default_factory=PageSetup)
    props: SheetProps = field(default_factory=SheetProps)

    def put(self, row: int, col: int, value: Any, *styles: str) -> None:
        """Set one cell's value (the grid grows as needed; new cells are None) and, when
        ``styles`` are given, its styles."""
        self._grow(row, col)
        self.values[row - 1][col - 1] = value
        if styles:
            self.style((row, col), *styles)

    def put_rows(self, row: int, col: int, rows: Iterable[Iterable[Any]]) -> int:
        """Write a block of rows with its top-left at (row, col); returns the rows written."""
        n = 0
        grid = self.values
        for i, values in enumerate(rows):
            r = row + i
            cells = list(values)
            if col == 1 and r == len(grid) + 1 and 0 < len(cells) <= self._width:
                grid.append(cells + [None] * (self._width - len(cells)))  # a new row, at once
            else:
                for j, value in enumerate(cells):
                    self.put(r, col + j, value)
            n += 1
        return n

    def value(self, row: int, col: int) -> Any:
        """The value at (row, col); None outside the grid."""
        if 0 < row <= len(self.values) and 0 < col <= len(self.values[row - 1]):
            return self.values[row - 1][col - 1]
        return None

    def define(self, name: str, style: Style) -> str:
        """Define (or redefine) the style ``name``; returns the name."""
        self.styles[name] = style
        return name

    def style(self, where: Area | Cell, *names: str, add: bool = False) -> None:
        """Give every cell of ``where`` (an area or one cell) the styles ``names`` (after its
        current ones when ``add``).

        Raises:
            KeyError: a name the plan does not define.
        """
        for name in names:
            if name not in self.styles:
                raise KeyError(f"undefined style {name!r}")
        styles = self.cell_styles
        r1, c1, r2, c2 = where if len(where) == 4 else (*where, *where)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                old = styles.get((r, c)) if add else None
                styles[(r, c)] = names if not old else old + names

    def resolved(self, cell: Cell) -> Style | None:
        """The cell's styles layered into one (None for an unstyled cell)."""
        names = self.cell_styles.get(cell)
        return None if not names else self.layer(names)

    def layer(self, names: tuple[str, ...]) -> Style:
        """The named styles layered into one."""
        return layered(self.styles[n] for n in names)

    def shown_width(self, row: int, col: int) -> float:
        """How wide the cell's value shows, in column units: wide (CJK) characters count two,
        a font larger than 11 pt scales it, bold adds a tenth; formulas count as 10."""
        return self._widths(col, [row], {}, {})[0]

    def _widths(
        self,
        col: int,
        rows: list[int],
        by_value: dict[Any, float],
        by_names: dict[tuple[str, ...], float],
    ) -> list[float]:
        """:meth:`shown_width` of ``rows`` in column ``col``, each distinct value measured and
        each distinct combination of styles layered once (``by_value``, ``by_names``: caches
        kept by the caller)."""
        out = []
        grid, n = self.values, len(self.values)
        for r in rows:
            row = grid[r - 1] if 0 < r <= n else ()
            value = row[col - 1] if 0 < col <= len(row) else None
            if type(value) is str:  # the common case: text, remembered by itself
                width = by_value.get(value)
                if width is None:
                    width = by_value[value] = float(text_width(value))
            else:
                if isinstance(value, Formula):
                    out.append(10.0)
                    continue
                plain = str(value) if isinstance(value, RichText) else value
                key = (type(plain), plain) if isinstance(plain, _MEMO) else None
                width = None if key is None else by_value.get(key)
                if width is None:
                    width = float(text_width(shown(plain)))
                    if key is not None:
                        by_value[key] = width
            names = self.cell_styles.get((r, col))
            if names:
                scale = by_names.get(names)
                if scale is None:
                    font = self.layer(names).font
                    scale = (
                        1.0
                        if font is None
                        else (max(1.0, (font.size or 11.0) / 11.0) * (1.1 if font.bold else 1.0))
                    )
                    by_names[names] = scale
                width *= scale
            out.append(width)
        return out

    def _measured(self, col: int, first_row: int, ignore: Collection[str]) -> list[int]:
        """Rows of column ``col`` from ``first_row`` down whose cell counts for its width: not
        blank, and wearing none of the ``ignore`` styles (a title meant to overflow)."""
        skip = set(ignore)
        styles = self.cell_styles
        return [r for r, row in enumerate(self.values[first_row - 1:], first_row)
                if col <= len(row) and row[col - 1] is not None
                and not (skip and skip.intersection(styles.get((r, col), ())))]  # fmt: skip

    def fit_widths(
        self,
        columns: Iterable[int],
        *,
        first_row: int = 1,
        high: float = 50.0,
        pad: float = 2.0,
        ignore: Collection[str] = (),
    ) -> None:
        """Widen each of ``columns`` to fit its cells from ``first_row`` down (plus ``pad``),
        at most to ``high``; a column is never narrowed below its width in :attr:`widths`.
        Cells wearing an ``ignore`` style do not count."""
        for col in columns:
            rows = self._measured(col, first_row, ignore)
            need = max(self._widths(col, rows, self._value_widths, {}), default=0.0)
            self.widths[col] = max(self.widths.get(col, 0.0), min(high, need + pad))

    def wrap_long(
        self, columns: Iterable[int], style: str, *, first_row: int = 1,
        ignore: Collection[str] = (),
    ) -> list[int]:  # fmt: skip
        """Add ``style`` (a wrapping one) to the counted cells (see :meth:`fit_widths`) of each
        of ``columns`` from ``first_row`` down when one of its text cells is wider than the
        column: the whole column, so the wrapped cells form few rectangles (one renderer call
        each). Returns the columns that wrap."""
        if style not in self.styles:
            raise KeyError(f"undefined style {style!r}")
        wrapped = []
        for col in columns:
            limit = self.widths.get(col, 8.43) - 1.0
            rows = self._measured(col, first_row, ignore)
            widths = self._widths(col, rows, self._value_widths, {})
            if any(isinstance(self.values[r - 1][col - 1], str) and w > limit
                   for r, w in zip(rows, widths, strict=True)):  # fmt: skip
                line_counts: dict[str, int] = {}
                for r in rows:
                    names = self.cell_styles.get((r, col), ())
                    self.cell_styles[(r, col)] = (*names, style)
                    value = self.values[r - 1][col - 1]
                    if not isinstance(value, str):
                        continue
                    lines = line_counts.get(value)
                    if lines is None:
                        lines = line_counts[value] = wrapped_lines(value, limit + 1.0)
                    if lines > 1:  # no reader may be trusted to grow the row itself
                        self.heights[r] = max(self.heights.get(r, 0.0), LINE_HEIGHT * lines)
                        self.fit_rows.add(r)
                wrapped.append(col)
        return wrapped

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the value grid."""
        return len(self.values), max((len(r) for r in self.values), default=0)

    _value_widths: dict[Any, float] = field(default_factory=dict, init=False, repr=False,
                                            compare=False)  # fmt: skip
    """The measured width of every distinct value met (a pure function of the value), shared by
    :meth:`fit_widths` and :meth:`wrap_long` on all columns."""

    _width: int = field(default=-1, init=False, repr=False, compare=False)
    """The grid's width once :meth:`_grow` has made it rectangular (-1: not yet known)."""

    def _grow(self, row: int, col: int) -> None:
        """Make (row, col) a cell of the grid, keeping it rectangular. Amortized O(1) for a new
        row: only a wider grid pads every row (a sheet is written top to bottom)."""
        values = self.values
        if row <= len(values) and col <= len(values[row - 1]):
            return
        known = self._width >= 0
        current = self._width if known else self.shape[1]
        width = max(col, current)
        if width > current or not known:
            for r in values:
                if len(r) < width:
                    r.extend([None] * (width - len(r)))
        while len(values) < row:
            values.append([None] * width)
        self._width = width


def runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted numbers as inclusive runs of consecutive values: 1,2,3,7 -> (1,3),(7,7)."""
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def rectangles(cells: Mapping[Cell, V]) -> list[tuple[Area, V]]:
    """Group cells with equal values into rectangles: runs along each row first, then equal
    runs in consecutive rows stacked. Every cell lands in exactly one rectangle."""
    by_row: dict[int, list[tuple[int, V]]] = {}
    for (r, c), value in cells.items():
        by_row.setdefault(r, []).append((c, value))
    open_: dict[tuple[int, int, Any], list[int]] = {}  # (c1, c2, value) -> [r1, r2]
    done: list[tuple[Area, V]] = []
    values: dict[tuple[int, int, Any], V] = {}
    for r in sorted(by_row):
        spans: list[tuple[int, int, V]] = []
        for c, value in sorted(by_row[r], key=lambda t: t[0]):
            if spans and c == spans[-1][1] + 1 and spans[-1][2] == value:
                spans[-1] = (spans[-1][0], c, value)
            else:
                spans.append((c, c, value))
        seen = set()
        for c1, c2, value in spans:
            key = (c1, c2, hashable(value))
            seen.add(key)
            if key in open_ and open_[key][1] == r - 1:
                open_[key][1] = r
            else:
                if key in open_:
                    r1, r2 = open_[key]
                    done.append(((r1, c1, r2, c2), values[key]))
                open_[key] = [r, r]
                values[key] = value
        for key in [k for k, (_, r2) in open_.items() if k not in seen and r2 < r]:
            r1, r2 = open_.pop(key)
            done.append(((r1, key[0], r2, key[1]), values[key]))
    for key, (r1, r2) in open_.items():
        done.append(((r1, key[0], r2, key[1]), values[key]))
    done.sort(key=lambda t: (t[0][0], t[0][1]))
    return done


def hashable(value: Any) -> Any:
    """``value`` itself when it can be a dict key, else its ``repr`` (a list, a dict): for
    grouping cells by value."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def address(area: Area | Cell) -> str:
    """``"A1:C4"`` for an area, ``"B2"`` for a cell (or a one-cell area)."""
    if len(area) == 2:
        return f"{column_letter(area[1] - 1)}{area[0]}"
    r1, c1, r2, c2 = area
    first = f"{column_letter(c1 - 1)}{r1}"
    return first if (r1, c1) == (r2, c2) else f"{first}:{column_letter(c2 - 1)}{r2}"
