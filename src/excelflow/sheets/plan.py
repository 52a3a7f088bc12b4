"""A worksheet as plain data: values from A1, formulas, styles, tables and charts, cell by cell.

:class:`SheetGrid` is what a writer needs to draw one sheet, with no openpyxl or xlwings in it:
the Findings and Dashboard sheets of an annotated workbook (:mod:`excelflow.annotate.sheets`)
and, converted from openpyxl, the Bid and template sheets (:mod:`excelflow.xl.from_openpyxl`) are
written through xlwings from it by :mod:`excelflow.xl.render`.

Rows and columns are 1-based like Excel's. Styles are kept per cell; :func:`rectangles` groups
equal neighbours into as few rectangles as possible, so a writer issues one call per rectangle,
never one per cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from excelflow.pipeline.normalize import column_letter

Cell = tuple[int, int]
"""(row, column), 1-based."""
Area = tuple[int, int, int, int]
"""(first row, first column, last row, last column), 1-based and inclusive."""

V = TypeVar("V")


@dataclass(frozen=True)
class Formula:
    """A formula cell (``text`` starts with ``=``), as opposed to text that happens to."""

    text: str


@dataclass(frozen=True)
class Font:
    """The font attributes ExcelFlow sets; None leaves an attribute as it is."""

    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None
    color: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """An Excel Table over ``area`` (header row first)."""

    area: Area
    name: str
    style: str = "TableStyleLight9"


@dataclass(frozen=True)
class ChartSpec:
    """A native chart: series from ``data`` (by column, header row = series names), category
    labels from ``categories``, top-left corner at the ``anchor`` cell; size in points."""

    name: str
    kind: str
    title: str
    data: Area
    categories: Area | None
    anchor: Cell
    width: float
    height: float


@dataclass(frozen=True)
class Validation:
    """A data-validation rule on ``area`` that rejects other input (Excel's "stop" alert).

    ``kind`` is ``list``, ``whole_number``, ``decimal``, ``date``, ``time``, ``text_length`` or
    ``custom``. A list takes its ``choices`` literally or from ``source`` (a defined name such
    as ``lstStages``, or a reference such as ``Rules!$B$5:$B$10``); the others compare with
    ``operator`` (xlwings' names: ``between``, ``greater_than_or_equal``, …) against
    ``formula1``/``formula2``; ``custom`` tests ``formula1``.
    """

    area: Area
    kind: str
    choices: tuple[str, ...] = ()
    source: str | None = None
    operator: str | None = None
    formula1: str | None = None
    formula2: str | None = None


@dataclass(frozen=True)
class CondFormat:
    """A formula-based conditional format on ``area`` (formula relative to its top-left)."""

    area: Area
    formula: str
    fill: str | None = None
    font_color: str | None = None
    bold: bool | None = None
    italic: bool | None = None


@dataclass
class SheetGrid:
    """One sheet's content; see the module docstring."""

    values: list[list[Any]] = field(default_factory=list)
    fills: dict[Cell, str] = field(default_factory=dict)
    fonts: dict[Cell, Font] = field(default_factory=dict)
    formats: dict[Cell, str] = field(default_factory=dict)
    align: dict[Cell, str] = field(default_factory=dict)
    wrap: dict[Cell, bool] = field(default_factory=dict)
    merges: list[Area] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    freeze: Cell | None = None
    tables: list[TableSpec] = field(default_factory=list)
    charts: list[ChartSpec] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    conditional: list[CondFormat] = field(default_factory=list)
    notes: dict[Cell, str] = field(default_factory=dict)
    tab_color: str | None = None
    gridlines: bool | None = None

    def put(self, row: int, col: int, value: Any) -> None:
        """Set one cell's value (the grid grows as needed; new cells are None)."""
        self._grow(row, col)
        self.values[row - 1][col - 1] = value

    def put_rows(self, row: int, col: int, rows: Iterable[Iterable[Any]]) -> int:
        """Write a block of rows with its top-left at (row, col); returns the rows written."""
        n = 0
        for i, values in enumerate(rows):
            for j, value in enumerate(values):
                self.put(row + i, col + j, value)
            n += 1
        return n

    def style(self, area: Area, *, fill: str | None = None, font: Font | None = None,
              number_format: str | None = None, align: str | None = None) -> None:  # fmt: skip
        """Give every cell of ``area`` the given fill, font, number format and alignment."""
        r1, c1, r2, c2 = area
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if fill is not None:
                    self.fills[(r, c)] = fill
                if font is not None:
                    self.fonts[(r, c)] = font
                if number_format is not None:
                    self.formats[(r, c)] = number_format
                if align is not None:
                    self.align[(r, c)] = align

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the value grid."""
        return len(self.values), max((len(r) for r in self.values), default=0)

    def _grow(self, row: int, col: int) -> None:
        width = max(col, self.shape[1])
        while len(self.values) < row:
            self.values.append([])
        for r in self.values:
            if len(r) < width:
                r.extend([None] * (width - len(r)))


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
            key = (c1, c2, _key(value))
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


def _key(value: Any) -> Any:
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
