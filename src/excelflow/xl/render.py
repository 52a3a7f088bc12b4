"""Draw a :class:`~excelflow.sheets.plan.SheetPlan` into an xlwings sheet in whole ranges: the
one xlwings renderer (:func:`render`).

Everything goes out as range-wide calls, never cell by cell: the values as one 2-D write (split
into row chunks of at most :data:`MAX_CELLS` cells, the size xlwings itself splits at), fills,
fonts, number formats, alignment, wrapping and borders grouped into rectangles of equal cells
(one call per rectangle and attribute), and fills that would need many rectangles as one colour
matrix per :data:`MAX_COLOURS` cells (``Range.set_colors``). On xlwings Server and Lite each call
becomes one action the add-in's JavaScript applies; on classic desktop xlwings the same calls go
to Excel through COM.

Cell values are made safe for Excel on the way: ``None``/NaN become blank, dates ISO text (which
Excel reads as dates), and text passes the one guard of :mod:`excelflow.sheets.guard` (characters
XML cannot hold become visible); text that Excel would otherwise turn into a number, date, boolean
or formula (``"2024-01"``, ``"=x"``, ``"+1"``, a leading tab, a DDE call), or that starts with an
apostrophe itself, gets a leading apostrophe, Excel's own "this is text" prefix that is not part
of the value. A link becomes a
``HYPERLINK`` formula (written with the values, so still one call per block).

What xlwings cannot write is never dropped silently: :attr:`Rendered.missed` names it
(:func:`excelflow.xl.render_objects.missed`: rich text runs, underlines, validation alert styles
and texts, some chart formatting, note authors and sizes, tab colours, print settings besides the
print area), and :attr:`Rendered.refused` names what the calling Excel refused at run time (the
Office Scripts client has no alignment and no notes, classic desktop no frozen panes, …). Input
messages of prompt-only validations become notes on their cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import xlwings as xw

from excelflow.sheets.guard import cell_text, legal_text
from excelflow.sheets.parts import Link, Table
from excelflow.sheets.plan import Area, Formula, RichText, SheetPlan, address, rectangles, runs
from excelflow.sheets.style import SIDES, Style
from excelflow.xl.cover import (
    blank_cells,
    by_text,
    cover,
    number_cells,
    numeric_only,
    text_cells,
)
from excelflow.xl.render_objects import (
    add_chart,
    missed,
    named_by_cells,
    prompt_notes,
    rng,
    validate,
    written,
)

T = TypeVar("T")
MAX_CELLS = 100_000
"""Cells per value write (xlwings' own ``DEFAULT_MAX_CELLS_PER_WRITE``)."""
MAX_COLOURS = 10_000
"""Cells per ``Range.set_colors`` call (xlwings' limit)."""
_COERCIBLE = re.compile(r"^(')|^\s*([=+\-@]|[\d.,$€¥£(]|#[A-Z/]|(true|false)\s*$)", re.IGNORECASE)


def excel_value(value: Any) -> Any:
    """A cell value as a write sends it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, RichText):
        value = str(value)
    if isinstance(value, str):
        text, force = cell_text(value)
        return "'" + text if force or _COERCIBLE.match(text) else text
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def write_block(sheet: xw.Sheet, row: int, col: int, rows: Sequence[Sequence[Any]]) -> int:
    """Write a rectangular block of values (formulas included) with its top-left at (row, col).

    One call per chunk of at most :data:`MAX_CELLS` cells; a chunk holding a formula is written
    as formulas (constants in it stay constants). Returns the number of calls.
    """
    if not rows:
        return 0
    width = max(len(r) for r in rows)
    if not width:
        return 0
    step = max(1, MAX_CELLS // width)
    calls = 0
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        formulas = any(isinstance(v, Formula) for r in chunk for v in r)
        data = [[excel_value(v) for v in r] + [""] * (width - len(r)) for r in chunk]
        # The corners given (no .resize) and raw values (excel_value has prepared each cell):
        # xlwings' converter pipeline and resize would each copy the whole sheet snapshot to
        # find the target's shape on Server/Lite (~0.1 s a write on a 5,000-deal sheet).
        target = sheet.range((row + start, col), (row + start + len(data) - 1, col + width - 1))
        if formulas:
            target.formula = data
        else:
            target.raw_value = data
        calls += 1
    return calls


def paint(sheet: xw.Sheet, area: Area, colours: Sequence[Sequence[Any]]) -> int:
    """Set per-cell fills on ``area`` from a matrix (``"#RRGGBB"``, None = no fill, ``...`` =
    leave as is), in chunks of whole rows of at most :data:`MAX_COLOURS` cells."""
    r1, c1, r2, c2 = area
    width = c2 - c1 + 1
    step = max(1, MAX_COLOURS // width)
    calls = 0
    for start in range(0, r2 - r1 + 1, step):
        chunk = [list(r) for r in colours[start : start + step]]
        rng(sheet, (r1 + start, c1, r1 + start + len(chunk) - 1, c2)).set_colors(chunk)
        calls += 1
    return calls


def write_fills(sheet: xw.Sheet, fills: dict[tuple[int, int], str]) -> int:
    """Fills of single cells: one call per rectangle of equal fills, or colour matrices (cells
    left as they are where no fill is asked) when that takes fewer calls, over the bounding box
    of all fills when it fits :data:`MAX_COLOURS`, else per band of adjacent filled columns.
    Returns the number of calls."""
    if not fills:
        return 0
    rows = [r for r, _ in fills]
    cols = [c for _, c in fills]
    box = (min(rows), min(cols), max(rows), max(cols))
    if (box[2] - box[0] + 1) * (box[3] - box[1] + 1) <= MAX_COLOURS:
        bands = [(box[1], box[3])]
    else:
        bands = runs(cols)
    calls = 0
    for c1, c2 in bands:
        band = {k: v for k, v in fills.items() if c1 <= k[1] <= c2}
        rects = rectangles(band)
        rows = [r for r, _ in band]
        box = (min(rows), c1, max(rows), c2)
        width = c2 - c1 + 1
        chunks = math.ceil((box[2] - box[0] + 1) / max(1, MAX_COLOURS // width))
        if len(rects) <= chunks:
            for area, colour in rects:
                rng(sheet, area).color = "#" + colour
            calls += len(rects)
            continue
        matrix: list[list[Any]] = [[...] * width for _ in range(box[2] - box[0] + 1)]
        for (r, c), colour in band.items():
            matrix[r - box[0]][c - c1] = "#" + colour
        calls += paint(sheet, box, matrix)
    return calls


class Skipped:
    """Collects the features the calling Excel could not take (:meth:`guard`)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    @contextlib.contextmanager
    def guard(self, label: str) -> Iterator[None]:
        """Run a block of optional writes; an engine without the feature (classic desktop lacks
        frozen panes, the Office Scripts client alignment and notes, ...) skips it instead of
        failing the whole script."""
        try:
            yield
        except (NotImplementedError, AttributeError):
            if label not in self.items:
                self.items.append(label)


@dataclass
class Rendered:
    """What :func:`render` could not write: ``missed``, what the plan holds that xlwings cannot
    express (sorted, English), and ``refused``, what the calling Excel refused."""

    missed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def hyperlink(link: Link, text: Any) -> Formula:
    """``=HYPERLINK("#'Deals'!K14","K14")``: the link as a formula showing ``text``."""

    def quoted(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    target = "#" + link.location if link.location is not None else link.target or ""
    return Formula(f"=HYPERLINK({quoted(target)},{quoted(legal_text(str(text)))})")


def _values(plan: SheetPlan) -> list[list[Any]]:
    """The value grid, links as ``HYPERLINK`` formulas."""
    if not plan.links:
        return plan.values
    rows = [list(r) for r in plan.values]
    for (r, c), link in plan.links.items():
        rows[r - 1][c - 1] = hyperlink(link, plan.value(r, c))
    return rows


def _looks(plan: SheetPlan) -> dict[tuple[int, int], Style]:
    cache: dict[tuple[str, ...], Style] = {}
    out = {}
    for cell, names in plan.cell_styles.items():
        if names not in cache:
            cache[names] = plan.layer(names)
        out[cell] = cache[names]
    return out


BORDER_LINES = {
    "thin": ("continuous", "thin"), "medium": ("continuous", "medium"),
    "thick": ("continuous", "thick"), "hair": ("continuous", "hairline"),
    "dashed": ("dash", "thin"), "mediumDashed": ("dash", "medium"),
    "dotted": ("dot", "thin"), "double": ("double", "thick"),
    "dashDot": ("dash_dot", "thin"), "mediumDashDot": ("dash_dot", "medium"),
    "dashDotDot": ("dash_dot_dot", "thin"), "mediumDashDotDot": ("dash_dot_dot", "medium"),
    "slantDashDot": ("slant_dash_dot", "medium"),
}  # fmt: skip
"""Excel's border styles -> xlwings' (line style, weight)."""
_EDGES = {"left": ("edge_left", "inside_vertical"), "right": ("edge_right", "inside_vertical"),
          "top": ("edge_top", "inside_horizontal"),
          "bottom": ("edge_bottom", "inside_horizontal")}  # fmt: skip


def write_borders(sheet: xw.Sheet, looks: dict[tuple[int, int], Style]) -> None:
    """Per side, one call per rectangle of cells with the same line (a side of every cell of a
    rectangle is its edge plus the inside lines between its cells)."""
    for side in SIDES:
        cells = {k: getattr(s.border, side) for k, s in looks.items()
                 if s.border is not None and getattr(s.border, side) is not None}  # fmt: skip
        for area, line in rectangles(cells):
            edge, inside = _EDGES[side]
            r1, c1, r2, c2 = area
            across = c2 > c1 if inside == "inside_vertical" else r2 > r1
            style, weight = BORDER_LINES.get(line.style, ("continuous", "thin"))
            kw: dict[str, Any] = {"line_style": style, "weight": weight}
            if line.color is not None:
                kw["color"] = "#" + line.color
            rng(sheet, area).borders.set([edge, inside] if across else [edge], **kw)


def write_styles(
    sheet: xw.Sheet, looks: dict[tuple[int, int], Style], skipped: Skipped, plan: SheetPlan
) -> None:
    """Fonts, number formats, alignment, wrapping and borders, one call per rectangle and
    attribute (fills: :func:`write_fills`). Bold, italics, font colours and alignment are not
    seen on blank cells, nor a number format without a text section on text: their rectangles
    may span such cells (:func:`excelflow.xl.cover.cover`), which saves calls, not looks."""
    blank = blank_cells(plan)
    text = text_cells(plan)
    width = max((len(r) for r in plan.values), default=0)
    bounds = (max(len(plan.values), *(r for r, _ in looks)), max(width, *(c for _, c in looks)))
    with skipped.guard("fonts"):
        for attr in ("bold", "italic", "size", "color", "name"):
            cells = {k: getattr(s.font, attr) for k, s in looks.items()
                     if s.font is not None and getattr(s.font, attr) is not None
                     and not (attr == "name" and s.font.scheme == "minor")}  # fmt: skip
            # a blank cell's size and font still set its row's height
            unseen = blank if attr in ("bold", "italic", "color") else _seen
            if attr == "color":
                cells = _colours_by_text(sheet, plan, cells, blank)
            for area, value in cover(cells, unseen, bounds):
                font = rng(sheet, area).font
                setattr(font, attr, "#" + value if attr == "color" else value)
    with skipped.guard("number formats"):
        formats = {k: s.number_format for k, s in looks.items() if s.number_format is not None}
        numeric = {k: f for k, f in formats.items() if numeric_only(f)}
        for area, fmt in cover(formats, blank, bounds):
            if not numeric_only(fmt):  # text sections: spans blank cells only
                rng(sheet, area).number_format = fmt
        textual = formats.keys() - numeric.keys()
        for area, fmt in cover(
            numeric, lambda r, c: blank(r, c) or (text(r, c) and (r, c) not in textual), bounds
        ):
            rng(sheet, area).number_format = fmt
    aligned = {k: s.align for k, s in looks.items() if s.align is not None}
    with skipped.guard("alignment"):
        indents = {k: a.indent for k, a in aligned.items() if a.indent}
        number = number_cells(plan)

        def general(r: int, c: int, how: Any) -> bool:  # how Excel aligns a cell by default
            if how == "left":
                return text(r, c) and (r, c) not in indents
            return how == "right" and number(r, c)

        for attr, setter in (("horizontal", "horizontal_alignment"),
                             ("vertical", "vertical_alignment")):  # fmt: skip
            cells = {k: getattr(a, attr) for k, a in aligned.items() if getattr(a, attr)}
            like = general if attr == "horizontal" else None
            for area, how in cover(cells, blank, bounds, as_default=like):
                setattr(rng(sheet, area), setter, how)
        for area, amount in cover(indents, blank, bounds, once=True):
            rng(sheet, area).adjust_indent(amount)
    with skipped.guard("wrapped text"):
        wraps = {k: a.wrap for k, a in aligned.items() if a.wrap is not None}
        for area, on in rectangles(wraps):
            rng(sheet, area).wrap_text = on
    with skipped.guard("borders"):
        write_borders(sheet, looks)


def _colours_by_text(
    sheet: xw.Sheet,
    plan: SheetPlan,
    cells: dict[tuple[int, int], str],
    blank: Any,
) -> dict[tuple[int, int], str]:
    """Font colours that follow a column's text row by row (:func:`excelflow.xl.cover.by_text`)
    as one conditional format per text; returns the cells left to draw directly (all of them
    when the calling Excel takes no conditional formats)."""
    rules, rest = by_text(cells, blank, plan.value)
    if not rules:
        return cells
    try:
        for area, text, colour in rules:
            top = address((area[0], area[1]))
            formula = f'={top}="{text.replace(chr(34), chr(34) * 2)}"'
            rng(sheet, area).conditional_formats.add_custom(formula, font_color="#" + colour)
    except (NotImplementedError, AttributeError):
        return cells  # drawn directly as well: the same colours
    return rest


def _seen(r: int, c: int) -> bool:
    return False


def _notes(plan: SheetPlan) -> dict[tuple[int, int], str]:
    notes = {cell: legal_text(n.text) for cell, n in plan.notes.items()}
    for cell, text in prompt_notes(plan).items():
        notes.setdefault(cell, text)
    return notes


def render(sheet: xw.Sheet, plan: SheetPlan, *, notes: bool = True) -> Rendered:
    """Draw ``plan`` on ``sheet`` (normally a new, empty sheet): values, styles, merges, sizes,
    frozen panes, tables, validations, conditional formats, charts, (when ``notes``) cell notes,
    gridlines, visibility and the print area. Returns what was not written (:class:`Rendered`).
    """
    skipped = Skipped()
    write_block(sheet, 1, 1, _values(plan))
    looks = _looks(plan)
    with skipped.guard("fills"):
        fills = {k: s.fill.color for k, s in looks.items() if s.fill and s.fill.color}
        write_fills(sheet, fills)
    if looks:
        write_styles(sheet, looks, skipped, plan)
    with skipped.guard("merged cells"):
        for area in plan.merges:
            rng(sheet, area).merge()
    with skipped.guard("column widths and row heights"):
        for (c1, c2), width in equal_runs(plan.widths):
            sheet.range((1, c1), (1, c2)).column_width = width
        if plan.fit_rows:  # Excel fits wrapped rows itself: one call for their whole span
            sheet.range((min(plan.fit_rows), 1), (max(plan.fit_rows), 1)).rows.autofit()
        fixed = {r: h for r, h in plan.heights.items() if r not in plan.fit_rows}
        for (r1, r2), height in equal_runs(fixed):
            sheet.range((r1, 1), (r2, 1)).row_height = height
    if plan.freeze is not None and plan.freeze != (1, 1):
        with skipped.guard("frozen panes"):
            sheet.freeze_panes.freeze_at(frozen(*plan.freeze))
    with skipped.guard("tables"):
        for table in plan.tables:
            xt = sheet.tables.add(rng(sheet, table.area), name=table.name,
                                  table_style_name=table.style)  # fmt: skip
            _table_options(xt, table)
    with skipped.guard("data validation"):
        for v in plan.validations:
            if written(v):
                validate(sheet, v)
    with skipped.guard("conditional formats"):
        for cf in plan.conditional:
            look = plan.styles[cf.style]
            font, fill = look.font, look.fill
            formula = cf.formula if cf.formula.startswith("=") else "=" + cf.formula
            for area in cf.ranges:
                rng(sheet, area).conditional_formats.add_custom(
                    formula,
                    fill_color=None if fill is None else _hex(fill.background or fill.color),
                    font_color=None if font is None else _hex(font.color),
                    font_bold=None if font is None else font.bold,
                    font_italic=None if font is None else font.italic,
                    **({} if cf.stop_if_true is None else {"stop_if_true": cf.stop_if_true}),
                )
    with skipped.guard("charts"):
        for i, chart in enumerate(plan.charts, start=1):
            add_chart(sheet, named_by_cells(plan, chart), i, skipped.guard)
    texts = _notes(plan)
    if notes and texts:
        with skipped.guard("notes"):
            if not notes_supported(sheet.book):
                raise NotImplementedError("notes")
            for (r, c), text in sorted(texts.items()):
                sheet.range((r, c)).impl.add_note(text)  # a new sheet: no note to collide with
    _sheet_settings(sheet, plan, skipped)
    return Rendered(missed(plan), skipped.items)


def _hex(color: str | None) -> str | None:
    return None if color is None else "#" + color


def _table_options(xt: Any, table: Table) -> None:
    """Table style options that differ from a new table's (banded rows only), and no filter
    buttons when the table has none."""
    for attr, value, default in (
        ("show_table_style_row_stripes", table.row_stripes, True),
        ("show_table_style_column_stripes", table.column_stripes, False),
        ("show_table_style_first_column", table.first_column, False),
        ("show_table_style_last_column", table.last_column, False),
    ):
        if value is not None and value != default:
            setattr(xt, attr, value)
    if not table.autofilter:
        xt.show_autofilter = False


def _sheet_settings(sheet: xw.Sheet, plan: SheetPlan, skipped: Skipped) -> None:
    if plan.props.gridlines is False:
        with skipped.guard("hidden gridlines"):
            sheet.show_gridlines = False
    if plan.props.state in ("hidden", "veryHidden"):
        with skipped.guard("hidden sheets"):
            sheet.visible = False
    if plan.page.print_area is not None:
        with skipped.guard("print area"):
            sheet.page_setup.print_area = address(plan.page.print_area)


def equal_runs(sizes: Mapping[int, T]) -> list[tuple[tuple[int, int], T]]:
    """Adjacent columns (or rows) of equal size (or any equal value) as ``((first, last),
    size)`` runs."""
    out: list[tuple[tuple[int, int], T]] = []
    for i, size in sorted(sizes.items()):
        if out and out[-1][0][1] == i - 1 and out[-1][1] == size:
            out[-1] = ((out[-1][0][0], i), size)
        else:
            out.append(((i, i), size))
    return out


def notes_supported(book: xw.Book) -> bool:
    """Whether the calling Excel can take notes: always on classic desktop; on Server/Lite only
    from the Office.js client on ExcelApi 1.18+ (the snapshot then lists every sheet's notes)."""
    api = book.api
    if not isinstance(api, dict):
        return True
    sheets = api.get("sheets") or []
    return api.get("client") == "Office.js" and all(
        s.get("notes") is not None and s.get("notes_supported") is not False for s in sheets
    )


def frozen(row: int, col: int) -> str:
    """The range Excel freezes for a split above ``row`` and left of ``col`` (openpyxl's
    ``freeze_panes = "C2"`` is ``frozen(2, 3)`` = ``"A1:B1"``; rows only: ``"1:4"``)."""
    if col == 1:
        return f"1:{row - 1}"
    letters = address((1, col - 1)).rstrip("0123456789")
    return f"A:{letters}" if row == 1 else address((1, 1, row - 1, col - 1))
