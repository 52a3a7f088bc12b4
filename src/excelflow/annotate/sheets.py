"""Where an annotation plan goes in cells: the Findings and Dashboard sheets as :class:`SheetGrid`
values, and the deals sheet's result-column placement and row colours.

Pure layout, no openpyxl or xlwings: the ribbon macros (:mod:`excelflow.xl.macros`) write these
grids through xlwings. The positions, words, fills and fonts are those of the openpyxl writer
(:mod:`excelflow.workbook.dashboard`, :mod:`excelflow.workbook.annotate_deals`), so ``excelflow
annotate``
and the Validate button put the same values in the same cells; ``tests/xl/test_macros.py``
compares the two cell by cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from excelflow.annotate.labels import (
    FINDINGS_HEADERS,
    FINDINGS_LINK_COLUMN,
    FINDINGS_TITLE,
    KPI_LABEL,
    MARK,
    NO_FINDINGS,
    SEVERITY_FILL,
    SEVERITY_INK,
)
from excelflow.annotate.plan import AnnotationPlan, ResultColumn, Table
from excelflow.pipeline.fields import SHEETS, fold
from excelflow.pipeline.ruleset import Lang, Text
from excelflow.sheets.plan import ChartSpec, Font, Formula, SheetGrid, TableSpec

FINDINGS_TABLE = "tblExcelFlowFindings"
FINDINGS_HEAD = 4
HEADER_FILL = "1F4E78"
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=16, color="1F4E78")
SUBTITLE_FONT = Font(italic=True, size=9, color="595959")
KPI_LABEL_FONT = Font(size=9, color="595959")
KPI_VALUE_FONT = Font(bold=True, size=14, color="1F4E78")
TABLE_TITLE_FONT = Font(bold=True, size=12, color="1F4E78")
LINK_FONT = Font(color="0563C1")
FINDINGS_WIDTHS = (10, 8, 12, 12, 9, 22, 18, 100)
VALUE_COLUMN = 7
DASHBOARD_WIDTHS = {1: 22, 2: 17, 3: 17, 4: 17, 5: 36, 6: 3, 7: 30}
CHART_ROWS = 17
CHART_WIDTH_PT = 17 / 2.54 * 72  # 17 cm
CHART_HEIGHT_PT = 8 / 2.54 * 72  # 8 cm
FIRST_BLOCK_ROW = 10
TEXT_COLUMN = 5
KEPT_TITLE = Text(
    "ExcelFlow 未改动下列单元格上您自己的批注：",
    "ExcelFlow left your own note unchanged on these cells:",
)
"""Title of the list, below the legend, of cells whose note is the user's (written by the ribbon
macro, which cannot read note text): it tells the user where a finding is not in a note, and
the next run which listed cells carry ExcelFlow's notes."""
KEPT_OFFSET = 5
"""Rows from the Findings header row down to the kept-notes title (legend: title + 3, blank)."""
PLACEHOLDER_HINT = "excelflow annotate"
PLACEHOLDER_MAX_CELLS = 12


# --------------------------------------------------------------------------- our own sheets


@dataclass(frozen=True)
class SheetInfo:
    """What a writer knows about an existing sheet: its name, values from A1, whether it holds
    objects (charts, pictures, tables, pivots) and whether it is visible."""

    name: str
    values: Sequence[Sequence[Any]]
    has_objects: bool
    visible: bool = True


@dataclass(frozen=True)
class Claim:
    """Where ExcelFlow's sheet goes: its ``name``, 0-based ``index``, the ``replaces`` sheet
    (ours from an earlier run, deleted first) or None, and whether it is ``visible``."""

    name: str
    index: int
    replaces: str | None
    visible: bool


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
    """Where ExcelFlow's ``key`` sheet ("findings" or "dashboard") goes, like annotate's
    ``claim_sheet``: our previous sheet (either language) is replaced at its position, keeping
    its visibility; otherwise the sheet is added at the end. A user's sheet that has the name
    is never replaced: ours is then called "ExcelFlow <name>"."""
    wanted = SHEETS[key](lang)
    by_name = {s.name: (i, s) for i, s in enumerate(sheets)}
    names = [SHEETS[key].en, SHEETS[key].zh]
    old = next(
        (by_name[n] for n in [*names, *(f"{MARK} {n}" for n in names)]
         if n in by_name and sheet_is_ours(by_name[n][1])),
        None,
    )  # fmt: skip
    index, visible, replaces = len(sheets), True, None
    taken = {s.name.casefold() for s in sheets}
    if old is not None:
        index, visible, replaces = old[0], old[1].visible, old[1].name
        taken.discard(old[1].name.casefold())
    name, n = wanted, 2
    if name.casefold() in taken:
        name = f"{MARK} {wanted}"
        while name.casefold() in taken:
            name, n = f"{MARK} {wanted} {n}", n + 1
    return Claim(name, index, replaces, visible)


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


def noted_cells(values: Sequence[Sequence[Any]]) -> set[tuple[str, str]]:
    """(sheet, cell) of every note an earlier Validate from the ribbon wrote, read from its
    Findings sheet (``values`` from A1): the cells its table lists, minus those in the
    kept-notes list. Empty for a Findings sheet without that list (written by ``excelflow
    annotate``, whose notes may hold a user's text above ours: the ribbon leaves those alone).
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
        return out - kept
    return set()


# --------------------------------------------------------------------------- findings sheet


def _title(g: SheetGrid, title: str, subtitle: str) -> None:
    g.put(1, 1, title)
    g.fonts[(1, 1)] = TITLE_FONT
    g.put(2, 1, subtitle)
    g.fonts[(2, 1)] = SUBTITLE_FONT


def legend(g: SheetGrid, row: int, col: int, plan: AnnotationPlan) -> None:
    """The row-colour legend: a bold title cell, then one filled cell per severity."""
    g.put(row, col, plan.legend_title)
    g.fonts[(row, col)] = Font(bold=True)
    for i, item in enumerate(plan.legend, start=1):
        g.put(row + i, col, item.label)
        g.fills[(row + i, col)] = item.fill
        g.fonts[(row + i, col)] = Font(color=SEVERITY_INK[item.severity])


def hyperlink(target: str, text: Any) -> Formula:
    """``=HYPERLINK("#'Deals'!K14","K14")``: a link to a cell of this workbook."""

    def quoted(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    return Formula(f"=HYPERLINK({quoted('#' + target)},{quoted(str(text))})")


def findings_grid(
    plan: AnnotationPlan,
    table_name: str = FINDINGS_TABLE,
    kept: Sequence[tuple[str, str]] | None = None,
) -> SheetGrid:
    """The Findings sheet: title, one row per finding in a filterable table whose Cell column
    links to the cell (a ``HYPERLINK`` formula), severity fills, and the row-colour legend.

    ``kept`` (the ribbon's writer only): the (sheet, cell) pairs whose note is the user's, listed
    under the legend after :data:`KEPT_TITLE` (the title is written even when the list is empty).
    """
    lang = plan.lang
    g = SheetGrid()
    counts = {k.key: k.value for k in plan.dashboard.kpis}
    summary = " · ".join(f"{KPI_LABEL[s](lang)} {counts[s]}" for s in ("error", "warning", "info"))
    _title(g, FINDINGS_TITLE(lang), f"{plan.dashboard.subtitle} · {summary}")
    head = FINDINGS_HEAD
    f = plan.findings
    width = len(f.headers)
    g.put_rows(head, 1, [f.headers])
    g.style((head, 1, head, width), fill=HEADER_FILL, font=HEADER_FONT)
    link_col = FINDINGS_LINK_COLUMN + 1
    for i, (values, sev, link) in enumerate(zip(f.rows, f.severities, f.links, strict=True)):
        r = head + 1 + i
        row = list(values)
        if link is not None:
            row[link_col - 1] = hyperlink(link, values[link_col - 1])
            g.fonts[(r, link_col)] = LINK_FONT
        g.put_rows(r, 1, [row])
        g.fills[(r, 1)] = SEVERITY_FILL[sev]
        g.align[(r, VALUE_COLUMN)] = "left"
    if not f.rows:
        g.put(head + 1, width, NO_FINDINGS(lang))
    last = head + max(len(f.rows), 1)
    g.tables.append(TableSpec((head, 1, last, width), table_name, "TableStyleLight9"))
    g.widths.update({j: float(w) for j, w in enumerate(FINDINGS_WIDTHS, start=1)})
    g.freeze = (head + 1, 1)
    legend(g, head, width + 2, plan)
    g.widths[width + 2] = 30.0
    if kept is not None:
        top = head + KEPT_OFFSET
        g.put(top, width + 2, KEPT_TITLE(lang))
        g.fonts[(top, width + 2)] = SUBTITLE_FONT
        g.put_rows(top + 1, width + 2, [[f"{sheet}!{cell}"] for sheet, cell in sorted(kept)])
    return g


# --------------------------------------------------------------------------- dashboard sheet


def _table_block(g: SheetGrid, row: int, table: Table) -> tuple[int, int]:
    """A titled table at ``row``; returns (header row, last data row)."""
    g.put(row, 1, table.title)
    g.fonts[(row, 1)] = TABLE_TITLE_FONT
    head = row + 1
    g.put_rows(head, 1, [table.headers])
    for j, fmt in enumerate(table.formats, start=1):
        g.fills[(head, j)] = HEADER_FILL
        g.fonts[(head, j)] = HEADER_FONT
        g.align[(head, j)] = "right" if fmt is not None else "left"
    g.put_rows(head + 1, 1, table.rows)
    for i in range(len(table.rows)):
        for j, fmt in enumerate(table.formats, start=1):
            if fmt is not None:
                g.formats[(head + 1 + i, j)] = fmt
            if j == TEXT_COLUMN:
                g.align[(head + 1 + i, j)] = "left"
    return head, head + len(table.rows)


CHARTS: dict[str, tuple[str, tuple[int, ...]]] = {
    "by_stage": ("bar_clustered", (3, 4)),
    "by_grade": ("pie", (2,)),
    "by_code": ("column_clustered", (3,)),
    "by_owner": ("column_clustered", (4,)),
}
"""Chart type and value columns per Dashboard table (the first column holds the labels)."""


def dashboard_grid(plan: AnnotationPlan) -> SheetGrid:
    """The Dashboard sheet: title, KPIs, legend, the four tables and one chart per table."""
    dash = plan.dashboard
    g = SheetGrid()
    _title(g, dash.title, dash.subtitle)
    g.widths.update({j: float(w) for j, w in DASHBOARD_WIDTHS.items()})
    for i, kpi in enumerate(dash.kpis):
        r, c = 4 + 2 * (i // 4), 1 + i % 4
        g.put(r, c, kpi.label)
        g.fonts[(r, c)] = KPI_LABEL_FONT
        g.put(r + 1, c, kpi.value)
        g.formats[(r + 1, c)] = kpi.number_format
        g.fonts[(r + 1, c)] = KPI_VALUE_FONT
        g.align[(r + 1, c)] = "left"
    legend(g, 4, 7, plan)
    row = FIRST_BLOCK_ROW
    for key, table in dash.tables.items():
        head, last = _table_block(g, row, table)
        if table.rows:
            kind, cols = CHARTS[key]
            g.charts.append(
                ChartSpec(
                    name=f"efChart_{key}",
                    kind=kind,
                    title=table.chart_title,
                    data=(head, cols[0], last, cols[-1]),
                    categories=(head + 1, 1, last, 1),
                    anchor=(row + 1, 7),
                    width=CHART_WIDTH_PT,
                    height=CHART_HEIGHT_PT,
                )
            )
        else:
            g.put(head + 1, 1, NO_FINDINGS(plan.lang))
        row += max(len(table.rows) + 3, CHART_ROWS)
    return g


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
