"""Write an annotation plan into the deals sheet with openpyxl: result columns, row colours, notes.

* Result columns go where the header row already has them (matched like every other header);
  missing ones are appended after the sheet's last used column, and an Excel Table whose header
  row is the deals header and whose right edge is that last column grows to include them.
* Row colours are conditional formats, not cell fills, so the user's own fills and styles stay
  untouched underneath. One rule per severity, formula ``LEN("ExcelFlow error")>0`` (always true,
  and it names its owner), applied to the rows of that severity; a re-run deletes exactly the
  rules whose formula names ExcelFlow and adds fresh ones.
* Notes are legacy comments by author "ExcelFlow". A cell that already carries someone else's
  comment keeps it; our text is appended below a ``── ExcelFlow ──`` line, and a re-run cuts
  everything from that line on before writing again.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Alignment, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import (
    column_index_from_string,
    coordinate_to_tuple,
    get_column_letter,
    range_boundaries,
)
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.annotate.labels import MARK, NOTE_MARKER, SEVERITIES, SEVERITY_FILL
from excelflow.annotate.plan import AnnotationPlan, Note
from excelflow.sheets.guard import legal_text
from excelflow.sheets.text import EXCEL_TEXT_LIMIT, clip, text_width
from excelflow.workbook.render import put_text

NOTE_JOIN = "\n\n"
NOTE_MAX_WIDTH_PX = 420
NOTE_CHAR_PX = 7


def put(cell: Cell | MergedCell, value: Any) -> bool:
    """Set a cell's value; text passes the one guard (:func:`~excelflow.workbook.render.put_text`:
    formula-like text stays text, characters XML cannot hold become visible). False for a merged
    cell."""
    if isinstance(cell, MergedCell):
        return False
    if isinstance(value, str):
        put_text(cell, value)
    else:
        cell.value = value
        if cell.quotePrefix:  # an earlier run's text
            cell.quotePrefix = False
    return True


def copy_style(src: Cell | MergedCell, dst: Cell | MergedCell) -> bool:
    """Give ``dst`` the look of ``src`` (font, fill, border, format); False when nothing to copy."""
    if not isinstance(src, Cell) or not isinstance(dst, Cell) or not src.has_style:
        return False
    dst._style = copy(src._style)  # type: ignore[attr-defined]  # the style array, shared
    return True


def last_used_column(ws: Worksheet) -> int:
    """1-based index of the rightmost column holding a value (0 for an empty sheet)."""
    return max((c for (_r, c), cell in ws._cells.items() if cell.value is not None), default=0)


def _header_span(ws: Worksheet, header_row: int) -> tuple[int, int]:
    cols = [c for (r, c), cell in ws._cells.items() if r == header_row and cell.value is not None]
    return (min(cols), max(cols)) if cols else (1, 1)


def place_result_columns(ws: Worksheet, plan: AnnotationPlan) -> tuple[dict[str, int], list[str]]:
    """Column index (1-based) of every result column, appending the missing ones; plus warnings."""
    warnings: list[str] = []
    placed: dict[str, int] = {}
    missing = []
    for col in plan.result_columns:
        if col.letter is not None:
            placed[col.key] = column_index_from_string(col.letter)
        else:
            missing.append(col)
    if not missing:
        return placed, warnings
    last = last_used_column(ws)
    first_new = last + 1
    header = plan.header_row
    table = next(
        (t for t in ws.tables.values() if range_boundaries(t.ref)[1] == header),
        None,
    )
    if table is not None:
        min_col, min_row, max_col, max_row = (int(b or 0) for b in range_boundaries(table.ref))
        if max_col == last:
            new_max = last + len(missing)
            table.ref = (
                f"{get_column_letter(min_col)}{min_row}:{get_column_letter(new_max)}{max_row}"
            )
            if table.autoFilter is not None:
                table.autoFilter.ref = table.ref
            next_id = max((tc.id for tc in table.tableColumns), default=0) + 1
            for i, col in enumerate(missing):
                table.tableColumns.append(TableColumn(id=next_id + i, name=col.header))
        else:
            warnings.append(
                f"table {table.displayName} ends before the last used column: the result "
                "columns were added to the right of the data, outside the table"
            )
    left = ws.cell(header, max(first_new - 1, 1))
    # each row's left neighbour (the last used column), read once for all new columns
    lefts = [] if first_new <= 1 else [(row, ws.cell(row, first_new - 1)) for row in plan.rows]
    for i, col in enumerate(missing):
        idx = first_new + i
        placed[col.key] = idx
        cell = ws.cell(header, idx)
        copy_style(left, cell)
        put(cell, col.header)
        ws.column_dimensions[get_column_letter(idx)].width = col.width
        looks: dict[tuple[int, ...], StyleArray] = {}  # left neighbour's look -> the new one
        for row, left_cell in lefts:  # new column: take the row's look from its left neighbour
            new_cell = ws.cell(row, idx)
            if not isinstance(left_cell, Cell) or not isinstance(new_cell, Cell):
                continue
            if not left_cell.has_style:
                continue
            src: Any = left_cell  # openpyxl's style ids (StyleArray), untyped in its stubs
            dst: Any = new_cell
            key = tuple(src._style)
            shared = looks.get(key)
            if shared is None:
                copy_style(src, dst)
                dst.number_format = col.number_format
                shared = looks[key] = StyleArray(dst._style)
            dst._style = StyleArray(shared)
    return placed, warnings


def write_result_values(ws: Worksheet, plan: AnnotationPlan, placed: dict[str, int]) -> int:
    """Write every deal's result values, size each result column to the plan's width (fitted to
    its header and values) and wrap its text when the plan says so; returns how many cells
    could not be written (merged)."""
    skipped = 0
    for col in plan.result_columns:
        j = placed[col.key]
        ws.column_dimensions[get_column_letter(j)].width = col.width
        # a cell's new look depends only on its look before and on whether it gets a value:
        # worked out once per distinct pair, then shared (openpyxl hashes every format and
        # alignment it is given to find its id)
        looks: dict[tuple[tuple[int, ...] | None, bool], StyleArray] = {}
        for row, value in zip(plan.rows, col.values, strict=True):
            cell = ws.cell(row, j)
            if not put(cell, value):
                skipped += 1
                continue
            styled: Any = cell  # openpyxl's style ids (StyleArray), untyped in its stubs
            start = None if styled._style is None else tuple(styled._style)
            key = (start, value is not None)
            shared = looks.get(key)
            if shared is not None:
                styled._style = StyleArray(shared)
                continue
            if cell.number_format == "General" and value is not None:
                cell.number_format = col.number_format
            if col.wrap and isinstance(cell, Cell) and not cell.alignment.wrap_text:
                old = cell.alignment
                cell.alignment = Alignment(horizontal=old.horizontal, vertical="top",
                                           wrap_text=True, indent=old.indent)  # fmt: skip
            if styled._style is not None:
                looks[key] = StyleArray(styled._style)
    return skipped


def _is_ours(rule: Rule) -> bool:
    return rule.type == "expression" and any(MARK in str(f) for f in (rule.formula or ()))


def _row_ranges(rows: list[int], first: str, last: str) -> str:
    runs: list[tuple[int, int]] = []
    for r in sorted(rows):
        if runs and r == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return " ".join(f"{first}{a}:{last}{b}" for a, b in runs)


def write_row_colours(ws: Worksheet, plan: AnnotationPlan, placed: dict[str, int]) -> None:
    """Replace ExcelFlow's conditional formats on the deals sheet with the plan's row colours."""
    kept = ConditionalFormattingList()
    top = 0
    for cf in ws.conditional_formatting:
        rules = [r for r in cf.rules if not _is_ours(r)]
        for rule in rules:
            kept.add(cf, rule)
            top = max(top, rule.priority or 0)
    lo, hi = _header_span(ws, plan.header_row)
    lo = min([lo, *placed.values()])
    hi = max([hi, *placed.values()])
    first, last = get_column_letter(lo), get_column_letter(hi)
    by_sev = plan.rows_by_severity()
    for i, sev in enumerate(SEVERITIES):
        if not by_sev[sev]:
            continue
        rule = Rule(
            type="expression",
            formula=[f'LEN("{MARK} {sev}")>0'],
            dxf=DifferentialStyle(fill=PatternFill(fill_type="solid", bgColor=SEVERITY_FILL[sev])),
            priority=top + 1 + i,
        )
        kept.add(_row_ranges(by_sev[sev], first, last), rule)
    kept.max_priority = top + len(SEVERITIES)
    ws.conditional_formatting = kept


def _display_width(text: str) -> int:
    return text_width(text)


def note_size(text: str) -> tuple[int, int]:
    """(width, height) in pixels for a comment box that shows ``text`` without scrolling."""
    per_line = NOTE_MAX_WIDTH_PX // NOTE_CHAR_PX
    lines = 0
    widest = 0
    for line in text.split("\n"):
        w = _display_width(line)
        shown = w if w < per_line else per_line
        if shown > widest:
            widest = shown
        lines += -(-w // per_line) or 1
    width = max(160, min(NOTE_MAX_WIDTH_PX, widest * NOTE_CHAR_PX + 16))
    return width, lines * 16 + 12


def strip_our_notes(wb: Workbook) -> None:
    """Remove ExcelFlow's notes everywhere; a user's comment loses only our appended part."""
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):
            comment = cell.comment
            if comment is None:
                continue
            text = comment.text or ""
            if comment.author == MARK or text.startswith(NOTE_MARKER):
                cell.comment = None
            elif NOTE_MARKER in text:
                mine = text.split(NOTE_JOIN + NOTE_MARKER)[0].split(NOTE_MARKER)[0].rstrip("\n")
                cell.comment = Comment(mine, comment.author, comment.height, comment.width)


def write_notes(wb: Workbook, notes: list[Note]) -> list[str]:
    """Put every note on its cell (after :func:`strip_our_notes`); returns warnings."""
    warnings: list[str] = []
    sheets = {name: wb[name] for name in wb.sheetnames}
    for note in notes:
        ws = sheets.get(note.sheet)
        if ws is None:
            warnings.append(f"no sheet {note.sheet!r} for the note on {note.cell}")
            continue
        cell = ws.cell(*coordinate_to_tuple(note.cell.replace("$", "").upper()))
        if isinstance(cell, MergedCell):
            warnings.append(f"{note.sheet}!{note.cell} is inside a merged range: note skipped")
            continue
        body = NOTE_MARKER + "\n" + legal_text(note.text)
        old = cell.comment
        if old is not None:
            text, author = (old.text or "").rstrip("\n") + NOTE_JOIN + body, old.author
        else:
            text, author = body, MARK
        text = clip(text, EXCEL_TEXT_LIMIT)  # a 40,000-character cell value in the message
        width, height = note_size(text)
        cell.comment = Comment(text, author, height=height, width=width)
    return warnings


def write_deals_sheet(wb: Workbook, plan: AnnotationPlan) -> list[str]:
    """Result columns, row colours and notes; returns warnings for the user."""
    ws = wb[plan.deals_sheet]
    placed, warnings = place_result_columns(ws, plan)
    skipped = write_result_values(ws, plan, placed)
    if skipped:
        warnings.append(f"{skipped} result cells are inside merged ranges and were left as is")
    write_row_colours(ws, plan, placed)
    strip_our_notes(wb)
    warnings.extend(write_notes(wb, plan.notes))
    return warnings
