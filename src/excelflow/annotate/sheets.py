"""Where ExcelFlow's sheets go and what an annotation changes on the deals sheet: claiming the
Findings and Dashboard sheets' names and places, unique table names, the notes an earlier ribbon
run owns, and the result columns' placement and row colours.

Pure decisions, no openpyxl or xlwings: ``excelflow annotate`` (:mod:`excelflow.workbook.dashboard`,
:mod:`excelflow.workbook.annotate_deals`) and the ribbon (:mod:`excelflow.xl.macros_annotate`)
both ask these functions, so they put ExcelFlow's sheets in the same place under the same names.
The two sheets themselves are laid out in :mod:`excelflow.annotate.layout`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from excelflow.annotate.labels import (
    FINDINGS_HEADERS,
    FINDINGS_LINK_COLUMN,
    MARK,
    SEVERITY_FILL,
)
from excelflow.annotate.plan import AnnotationPlan, ResultColumn
from excelflow.pipeline.fields import SHEETS, fold
from excelflow.pipeline.ruleset import Lang, Text

FINDINGS_TABLE = "tblExcelFlowFindings"
_CELL_RE = re.compile(r"([A-Z]{1,3})([0-9]+)")
KEPT_TITLE = Text(
    "ExcelFlow 未改动下列单元格上您自己的批注：",
    "ExcelFlow left your own note unchanged on these cells:",
)
"""Title of the list, below the legend, of cells whose note is the user's (written by the ribbon
macro, which cannot read note text): it tells the user where a finding is not in a note, and
the next run which listed cells carry ExcelFlow's notes."""
KEPT_OFFSET = 1
"""Rows from the Findings header row down to the kept-notes title (the legend is above it)."""
RIBBON_NOTES = 100
"""How many flagged cells the ribbon's Validate gives a note by default: the first ones in sheet
order (top rows first). Excel takes one call per note, so on thousands of flagged cells notes
would outnumber every other write of the run; every finding stays on the Findings sheet, with a
link to its cell. ``$EXCELFLOW_RIBBON_NOTES`` (read by the ribbon on the server) changes it."""
RIBBON_NOTES_ENV = "EXCELFLOW_RIBBON_NOTES"
PLACEHOLDER_HINT = "excelflow annotate"
PLACEHOLDER_MAX_CELLS = 12


# --------------------------------------------------------------------------- our own sheets


@dataclass(frozen=True)
class SheetInfo:
    """What a writer knows about an existing sheet: its name, its values (rows from A1; only
    A1's place matters, the other values may come in any arrangement), whether it holds objects
    (charts, pictures, tables, pivots), whether it is visible, its ``state`` when known
    (``visible``, ``hidden``, ``veryHidden``) and whether its tab is selected."""

    name: str
    values: Sequence[Sequence[Any]]
    has_objects: bool
    visible: bool = True
    state: str | None = None
    selected: bool = False


@dataclass(frozen=True)
class Claim:
    """Where ExcelFlow's sheet goes: its ``name``, 0-based ``index``, the ``replaces`` sheet
    (ours from an earlier run, deleted first) or None, whether it is ``visible``, and the
    replaced sheet's ``state`` and tab selection, which the new sheet keeps."""

    name: str
    index: int
    replaces: str | None
    visible: bool
    state: str = "visible"
    selected: bool = False


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def sheet_is_ours(sheet: SheetInfo) -> bool:
    """Our sheet from an earlier run (A1 starts with "ExcelFlow"), an empty sheet, or the
    template's placeholder (a few text cells mentioning ``excelflow annotate``)."""
    top = sheet.values[0][0] if sheet.values and sheet.values[0] else None
    if isinstance(top, str) and top.startswith(MARK):
        return True
    if sheet.has_objects:
        return False
    filled = [v for row in sheet.values for v in row if not _blank(v)]
    if not filled:
        return True
    return len(filled) <= PLACEHOLDER_MAX_CELLS and any(
        isinstance(v, str) and PLACEHOLDER_HINT in v.casefold() for v in filled
    )


def claim(sheets: Sequence[SheetInfo], key: str, lang: Lang) -> Claim:
    """Where ExcelFlow's ``key`` sheet ("findings" or "dashboard") goes: our previous sheet
    (either language) is replaced at its position, keeping its visibility and tab selection;
    otherwise the sheet is added at the end. A user's sheet that has the name (in any case) is
    never replaced: ours is then called "ExcelFlow <name>"."""
    wanted = SHEETS[key](lang)
    by_name = {s.name: (i, s) for i, s in enumerate(sheets)}
    names = [SHEETS[key].en, SHEETS[key].zh]
    old = next(
        (by_name[n] for n in [*names, *(f"{MARK} {n}" for n in names)]
         if n in by_name and sheet_is_ours(by_name[n][1])),
        None,
    )  # fmt: skip
    index, visible, replaces, state, selected = len(sheets), True, None, "visible", False
    taken = {s.name.casefold() for s in sheets}
    if old is not None:
        index, replaces, info = old[0], old[1].name, old[1]
        visible, selected = info.visible, info.selected
        state = info.state or ("visible" if info.visible else "hidden")
        taken.discard(old[1].name.casefold())
    name, n = wanted, 2
    if name.casefold() in taken:
        name = f"{MARK} {wanted}"
        while name.casefold() in taken:
            name, n = f"{MARK} {wanted} {n}", n + 1
    return Claim(name, index, replaces, visible, state, selected)


def unique_table_name(taken: Sequence[str], base: str = FINDINGS_TABLE) -> str:
    """``base``, or ``base2``, ``base3``… when a table of the book already has the name."""
    used = {t.casefold() for t in taken}
    name, n = base, 2
    while name.casefold() in used:
        name, n = f"{base}{n}", n + 1
    return name


def _kept_list(values: Sequence[Sequence[Any]]) -> tuple[bool, set[tuple[str, str]]]:
    """(whether the grid has the kept-notes list, the (sheet, cell) pairs it names)."""
    titles = {KEPT_TITLE.zh, KEPT_TITLE.en}
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value in titles:
                kept: set[tuple[str, str]] = set()
                for below in values[i + 1 :]:
                    ref = below[j] if j < len(below) else None
                    if not isinstance(ref, str) or "!" not in ref:
                        break
                    sheet, cell = ref.rsplit("!", 1)
                    kept.add((sheet, cell.replace("$", "").upper()))
                return True, kept
    return False, set()


def sheet_order(cells: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(sheet, cell) pairs sorted by sheet name, then row, then column (``"B10"`` after
    ``"AA9"``): the order in which the ribbon hands out its capped notes."""

    def key(item: tuple[str, str]) -> tuple[str, int, int]:
        sheet, cell = item
        m = _CELL_RE.fullmatch(cell.replace("$", "").upper())
        if m is None:
            return sheet, 0, 0
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        return sheet, int(m.group(2)), col

    return sorted(set(cells), key=key)


def capped(cells: Iterable[tuple[str, str]], cap: int | None) -> list[tuple[str, str]]:
    """The first ``cap`` of ``cells`` in :func:`sheet_order` (all of them when None)."""
    ordered = sheet_order(cells)
    return ordered if cap is None else ordered[: max(cap, 0)]


def noted_cells(values: Sequence[Sequence[Any]], cap: int | None = None) -> set[tuple[str, str]]:
    """(sheet, cell) of every note an earlier Validate from the ribbon wrote, read from its
    Findings sheet (``values`` from A1): the cells its table lists, minus those in the
    kept-notes list, and of those only the first ``cap`` in sheet order (the ribbon notes at
    most that many cells). Empty for a Findings sheet without that list (written by
    ``excelflow annotate``, whose notes may hold a user's text above ours: the ribbon leaves
    those alone).
    """
    marked, kept = _kept_list(values)
    if not marked:
        return set()
    sheet_words = {fold(FINDINGS_HEADERS[3].zh), fold(FINDINGS_HEADERS[3].en)}
    cell_words = {fold(FINDINGS_HEADERS[FINDINGS_LINK_COLUMN].zh),
                  fold(FINDINGS_HEADERS[FINDINGS_LINK_COLUMN].en)}  # fmt: skip
    for i, row in enumerate(values[:20]):
        folded = [fold(v) if isinstance(v, str) else "" for v in row]
        js = [j for j, v in enumerate(folded) if v in sheet_words]
        jc = [j for j, v in enumerate(folded) if v in cell_words]
        if not js or not jc:
            continue
        out: set[tuple[str, str]] = set()
        for body in values[i + 1 :]:
            sheet = body[js[0]] if js[0] < len(body) else None
            cell = body[jc[0]] if jc[0] < len(body) else None
            if all(_blank(v) for v in body[: max(js[0], jc[0]) + 1]):
                break
            if isinstance(sheet, str) and isinstance(cell, str) and sheet and cell:
                out.add((sheet, cell.replace("$", "").upper()))
        return set(capped(out - kept, cap))
    return set()


# --------------------------------------------------------------------------- the deals sheet


@dataclass(frozen=True)
class Placement:
    """1-based column of every result column, and those appended after the last used column
    (their header is written by the writer)."""

    columns: dict[str, int]
    appended: list[ResultColumn]


def last_used_column(values: Sequence[Sequence[Any]]) -> int:
    """1-based index of the rightmost column holding a value (0 for an empty sheet)."""
    last = 0
    for row in values:
        for j in range(len(row), last, -1):
            if not _blank(row[j - 1]):
                last = j
                break
    return last


def column_number(letters: str) -> int:
    """Excel column letters -> 1-based index (A -> 1, AA -> 27)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def place_result_columns(
    plan: AnnotationPlan, last_used: int, only: Sequence[str] = ()
) -> Placement:
    """Where each result column goes: its existing column, else appended after ``last_used``
    (in plan order). ``only`` limits the columns placed (default: all five)."""
    placed: dict[str, int] = {}
    appended: list[ResultColumn] = []
    for col in plan.result_columns:
        if only and col.key not in only:
            continue
        if col.letter is not None:
            placed[col.key] = column_number(col.letter)
        else:
            appended.append(col)
            placed[col.key] = last_used + len(appended)
    return Placement(placed, appended)


def severity_colours(plan: AnnotationPlan, first_row: int, last_row: int) -> list[str | None]:
    """``#RRGGBB`` fill of every sheet row from ``first_row`` to ``last_row``: the row's worst
    severity, None (no fill) for a deal without findings and for rows that are not deals."""
    out: list[str | None] = [None] * (last_row - first_row + 1)
    for row, sev in zip(plan.rows, plan.row_severity, strict=True):
        if sev is not None and first_row <= row <= last_row:
            out[row - first_row] = "#" + SEVERITY_FILL[sev]
    return out
