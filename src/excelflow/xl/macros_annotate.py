"""The work behind the Validate, Grade and Dashboard buttons, as plain functions on an xw.Book.

The plan is :func:`excelflow.annotate.plan.build_plan`, the same one ``excelflow annotate`` writes
with openpyxl; where things go comes from :mod:`excelflow.annotate.sheets`, the Findings and
Dashboard sheets from :mod:`excelflow.annotate.layout`. What differs is only how a
live workbook can be written through xlwings (Server, Lite or classic desktop):

* **Result columns** are written into their existing columns or appended after the last used
  column, one 2-D write per run of adjacent columns and deal rows; a table whose header row is
  the deals header and whose right edge is the last column grows to take the new columns.
* **Row colours** are direct fills on ExcelFlow's own result cells, written as colour matrices
  (``Range.set_colors``) covering every row below the header: the severity colour on a deal with
  findings, no fill elsewhere. Each run therefore replaces the previous run's colours and never
  touches the user's own cells. (annotate uses conditional formats across the whole row; the
  remote interpreter can add conditional formats but cannot list them, so a re-run could not
  find and remove its old ones.)
* **Notes**: one call per cell is unavoidable (Excel has no bulk note API), and a run stays
  under 200 actions (:data:`ACTION_LIMIT`): the notes go on the first flagged cells in sheet
  order, at most :data:`~excelflow.annotate.sheets.RIBBON_NOTES`, as many as the other writes
  leave room for (:func:`notes_budget`; ``$EXCELFLOW_RIBBON_NOTES`` sets the number outright),
  the message says so, and every finding stays on the Findings sheet with a link to its cell
  (``excelflow annotate`` writes every note into the file). The remote interpreter cannot read a
  note's text, so the notes ExcelFlow owns are those on the first N cells the previous Findings
  sheet lists, minus the cells its "kept" list names, N as that sheet's local name
  :data:`NOTES_NAME` records it (else the cap): those are updated or deleted. A cell carrying
  somebody else's note keeps it untouched, goes on the kept list, and its finding stays on the
  Findings sheet. Notes from ``excelflow annotate`` (whose Findings sheet has no kept list, and
  whose comments may hold the user's text above ours) are treated as the user's.
* **Findings and Dashboard** sheets: our previous sheet is deleted and a new one added at its
  position (charts, tables and notes go with it), then drawn from the same
  :class:`~excelflow.sheets.plan.SheetPlan` annotate draws (:mod:`excelflow.annotate.layout`).
  What xlwings cannot draw of them is fixed and not repeated in every message: the link
  underline, the print settings besides the print area, the chart style number, the pie's data
  labels and the bars' gap and overlap (``tests/xl`` pins this list); what the calling Excel
  refuses is reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xlwings as xw

from excelflow.annotate.labels import NOTE_MARKER
from excelflow.annotate.layout import dashboard_plan, findings_plan
from excelflow.annotate.plan import AnnotationPlan, build_plan
from excelflow.annotate.sheets import (
    RIBBON_NOTES,
    RIBBON_NOTES_ENV,
    Claim,
    SheetInfo,
    capped,
    claim,
    last_used_column,
    noted_cells,
    place_result_columns,
    severity_colours,
    sheet_order,
    unique_table_name,
)
from excelflow.engine import Result
from excelflow.pipeline import arguments
from excelflow.pipeline.fields import has_cjk
from excelflow.pipeline.read import ReadError
from excelflow.pipeline.ruleset import Lang, Text
from excelflow.sheets.guard import legal_text
from excelflow.sheets.plan import runs
from excelflow.xl import macro_labels as say
from excelflow.xl.book_source import BookSource, check_book
from excelflow.xl.render import equal_runs, notes_supported, paint, render, write_block

GRADE_COLUMNS = ("ef_grade", "ef_score", "ef_adj_prob")
"""What the Grade button writes: grade, evaluation score, adjusted probability."""


class MacroError(Exception):
    """Input the macro cannot work with; ``text`` says why, in both languages."""

    def __init__(self, text: Text, **values: Any) -> None:
        super().__init__(text.en.format(**values))
        self.text = text
        self.values = values

    def message(self, lang: Lang) -> str:
        """The message in ``lang``."""
        return self.text(lang).format(**self.values)


def parse_lang(value: Any) -> Lang | None:
    """A script's ``lang`` (:func:`excelflow.pipeline.arguments.parse_lang`), None for blank.

    Raises:
        MacroError: not a language.
    """
    try:
        return arguments.parse_lang(value)
    except ValueError:
        raise MacroError(say.BAD_LANG, value=value) from None


def parse_date(value: Any) -> dt.date | None:
    """A script's ``as_of`` (:func:`excelflow.pipeline.arguments.parse_as_of`), None for blank.

    Raises:
        MacroError: not a date.
    """
    try:
        day = arguments.parse_as_of(value)
    except ValueError:
        raise MacroError(say.BAD_DATE, value=value) from None
    return None if day is None else day.date()


def guess_lang(book: xw.Book) -> Lang:
    """Chinese when a sheet name has CJK characters, else English (for early messages)."""
    return "zh" if any(has_cjk(s.name) for s in book.sheets) else "en"


@dataclass
class Checked:
    """A checked book: its source, the engine's result and the annotation plan."""

    source: BookSource
    result: Result
    plan: AnnotationPlan
    active: str = ""
    notes: list[str] = field(default_factory=list)
    changes: dict[str, object] | None = None
    """What changed since the book's last recorded check (history on the server), for the pane."""

    @property
    def sheet(self) -> xw.Sheet:
        """The deals sheet."""
        return self.source.book.sheets[self.plan.deals_sheet]


def check(
    book: xw.Book,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    previous: pd.DataFrame | None = None,
) -> Checked:
    """Read the book and run the engine on its deal table (``previous``: the book's last
    recorded snapshot, for the HX rules).

    Raises:
        MacroError: the book is empty, has no deal table, or the table has no deals.
    """
    source = BookSource(book)
    if all(source.sheet(n).grid == [[""]] for n in source.sheet_names):
        raise MacroError(say.EMPTY_BOOK)
    try:
        result = check_book(source, lang=lang, as_of=as_of, previous=previous)
    except ReadError:
        raise MacroError(say.NO_TABLE, sheets=", ".join(source.sheet_names)) from None
    pipeline = result.pipeline
    if len(result.deals) == 0:
        raise MacroError(say.NO_DEALS, sheet=pipeline.sheet, row=pipeline.header_row)
    return Checked(source, result, build_plan(result, lang), str(book.sheets.active.name))


# --------------------------------------------------------------------------- the deals sheet


def write_results(checked: Checked, only: Sequence[str] = ()) -> dict[str, int]:
    """Write the result columns (``only`` those keys when given); returns key -> column."""
    plan = checked.plan
    sheet = checked.sheet
    area = checked.source.sheet(plan.deals_sheet)
    last_used = area.origin[1] + last_used_column(area.grid)
    placement = place_result_columns(plan, last_used, only)
    header = plan.header_row
    top, bottom = plan.rows[0], plan.rows[-1]
    appended = {placement.columns[c.key]: c for c in placement.appended}
    if appended:
        first = min(appended)
        sheet.range((header, first), (header, first + len(appended) - 1)).font.bold = True
        # formats first (text stays text when written), one call per run of equal formats
        for (c1, c2), fmt in equal_runs({j: c.number_format for j, c in appended.items()}):
            sheet.range((top, c1), (bottom, c2)).number_format = fmt
    by_key = {c.key: c for c in plan.result_columns}
    shown = {placement.columns[c.key]: c for c in plan.result_columns if c.key in placement.columns}
    for (c1, c2), width in equal_runs({j: c.width for j, c in shown.items()}):
        sheet.range((1, c1), (1, c2)).column_width = width  # fitted like annotate's
    for c1, c2 in runs(j for j, c in shown.items() if c.wrap):
        sheet.range((top, c1), (bottom, c2)).wrap_text = True
    key_at = {col: key for key, col in placement.columns.items()}
    index = {row: i for i, row in enumerate(plan.rows)}
    headed: set[int] = set()
    for c1, c2 in runs(placement.columns.values()):
        for r1, r2 in runs(plan.rows):
            block = [
                [by_key[key_at[c]].values[index[r]] for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)
            ]
            if r1 == header + 1 and all(c in appended for c in range(c1, c2 + 1)):
                block.insert(0, [appended[c].header for c in range(c1, c2 + 1)])
                headed.update(range(c1, c2 + 1))
                r1 = header  # the new headers go with the values: one write
            write_block(sheet, r1, c1, block)
    for c1, c2 in runs(set(appended) - headed):
        write_block(sheet, header, c1, [[appended[j].header for j in range(c1, c2 + 1)]])
    if appended:  # once the new headers are in: Excel names blank header cells itself
        _grow_table(checked, last_used, len(appended))
    return placement.columns


def _grow_table(checked: Checked, last_used: int, added: int) -> None:
    """A table whose header row is the deals header takes the appended columns when it ends at
    the last used column (like annotate); otherwise the user is told."""
    sheet = checked.sheet
    header = checked.plan.header_row
    for table in sheet.tables:
        rng = table.range
        if rng.row != header:
            continue
        right = rng.last_cell.column
        if right == last_used:
            bottom = rng.last_cell.row
            table.resize(sheet.range((rng.row, rng.column), (bottom, right + added)))
        else:
            checked.notes.append(say.TABLE_OUTSIDE(checked.plan.lang).format(table=table.name))
        return


def write_colours(checked: Checked, columns: dict[str, int]) -> None:
    """Severity fills on the result cells of every row below the header (see module doc)."""
    plan = checked.plan
    area = checked.source.sheet(plan.deals_sheet)
    first = plan.header_row + 1
    last = max(plan.rows[-1], area.origin[0] + len(area.grid))
    colours = severity_colours(plan, first, last)
    for c1, c2 in runs(columns.values()):
        width = c2 - c1 + 1
        paint(checked.sheet, (first, c1, last, c2), [[c] * width for c in colours])


@dataclass
class NoteCount:
    """What :func:`write_notes` did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0
    supported: bool = True


def _note_index(sheet: xw.Sheet) -> dict[str, xw.main.Note] | None:
    """Cell address (``"B2"``) -> the note on it; None when the client cannot write notes.

    On xlwings Server/Lite the sheet's ``api`` is the snapshot Excel sent: its ``notes`` list
    and ``sheet.notes`` come in the same order, which gives every note's cell without a
    per-note lookup. Classic desktop xlwings reads ``note.location``.
    """
    api = sheet.api
    if isinstance(api, dict):
        if not notes_supported(sheet.book):
            return None
        return {
            str(entry["address"]).replace("$", "").upper(): note
            for entry, note in zip(api["notes"], sheet.notes, strict=True)
        }
    return {note.location.address.replace("$", "").upper(): note for note in sheet.notes}


@dataclass
class NoteWork:
    """The notes to write: per sheet, the existing notes by cell, the texts wanted (at most the
    cap's number of cells) and the cells whose note is ours (from the previous Findings sheet);
    the flagged cells whose note is the user's; how many cells are flagged. Built before
    anything is written."""

    index: dict[str, dict[str, xw.main.Note]]
    wanted: dict[str, dict[str, str]]
    ours: dict[str, set[str]]
    supported: bool
    users: list[tuple[str, str]] = field(default_factory=list)
    flagged: int = 0
    order: list[tuple[str, str]] = field(default_factory=list)
    """The (sheet, cell) of :attr:`wanted` in sheet order."""

    def calls(self, n: int) -> int:
        """How many calls notes on the first ``n`` cells of :attr:`order` take: one per note
        added or rewritten, one per note of ours deleted."""
        keep = set(self.order[:n])
        deletes = sum(
            1
            for name, index in self.index.items()
            for cell in self.ours.get(name, set())
            if cell in index and (name, cell) not in keep
        )
        return min(n, len(self.order)) + deletes

    def limit(self, budget: int) -> None:
        """Keep the notes on the first cells of :attr:`order` that :meth:`calls` fit in
        ``budget`` (at least none: deleting our old notes is never skipped)."""
        n = len(self.order)
        while n > 0 and self.calls(n) > budget:
            n -= 1
        dropped = self.order[n:]
        for name, cell in dropped:
            del self.wanted[name][cell]
        self.order = self.order[:n]

    def kept(self) -> list[tuple[str, str]]:
        """(sheet, cell) where a finding meets a note of the user's: left as it is."""
        return self.users

    @property
    def noted(self) -> int:
        """How many cells get one of our notes."""
        return sum(len(texts) for texts in self.wanted.values())

    def apply(self, book: xw.Book) -> NoteCount:
        """Add, update and delete notes; returns what was done."""
        count = NoteCount(supported=self.supported, kept=len(self.users))
        for name, index in self.index.items():
            sheet = book.sheets[name]
            mine = self.ours.get(name, set())
            texts = self.wanted.get(name, {})
            for cell in [c for c in index if c in mine and c not in texts]:
                index[cell].delete()
                count.removed += 1
            for cell, text in texts.items():
                if cell not in index:
                    sheet.range(cell).impl.add_note(text)  # free cell: skip xlwings' O(n) check
                    count.added += 1
                elif cell in mine:
                    index[cell].text = text
                    count.updated += 1
        return count


def note_cap() -> tuple[int | None, str | None]:
    """How many flagged cells get a note (:data:`~excelflow.annotate.sheets.RIBBON_NOTES`, or
    ``$EXCELFLOW_RIBBON_NOTES``: a whole number, or ``all``), and a warning when the variable
    holds something else (the default is used)."""
    raw = os.environ.get(RIBBON_NOTES_ENV, "").strip()
    if not raw:
        return RIBBON_NOTES, None
    if raw.casefold() == "all":
        return None, None
    if raw.isdigit():
        return int(raw), None
    return RIBBON_NOTES, f"{RIBBON_NOTES_ENV}={raw!r} (→ {RIBBON_NOTES})"


def cap_is_set() -> bool:
    """Whether ``$EXCELFLOW_RIBBON_NOTES`` sets the cap (a whole number or ``all``): then it is
    kept as it is, whatever the action budget."""
    raw = os.environ.get(RIBBON_NOTES_ENV, "").strip()
    return raw.casefold() == "all" or raw.isdigit()


ACTION_LIMIT = 199
"""Most actions one Validate hands Excel on xlwings Server and Lite (issue 16: fewer than 200).
With the default cap the notes take what the other writes leave (:func:`notes_budget`)."""
TAIL_ACTIONS = 4
"""Actions queued after the notes: the notes' record, showing the sheet that was active, the
task pane's report and the alert."""
NOTES_NAME = "ExcelFlowNotes"
"""A name local to the Findings sheet Validate writes, ``=N``: its notes are on the first N
cells that sheet lists (without the kept ones), so the next run knows which notes are its own
whatever the cap was then."""


def queued(book: xw.Book) -> int | None:
    """How many actions are queued for Excel (xlwings Server and Lite); None on classic
    desktop, which writes at once."""
    try:
        return len(book.json()["actions"])
    except (AttributeError, NotImplementedError, KeyError, TypeError):
        return None


def notes_budget(book: xw.Book) -> int | None:
    """How many note calls fit under :data:`ACTION_LIMIT` after the writes queued so far
    (None: no limit, on classic desktop)."""
    done = queued(book)
    return None if done is None else max(0, ACTION_LIMIT - done - TAIL_ACTIONS)


def record_notes(sheet: xw.Sheet, noted: int) -> None:
    """Name on the Findings ``sheet`` how many cells got one of our notes (:data:`NOTES_NAME`);
    a client without names just goes without (the next run then assumes the cap)."""
    with contextlib.suppress(NotImplementedError, AttributeError):
        sheet.names.add(NOTES_NAME, f"={noted}")


def recorded_notes(sheet: xw.Sheet) -> int | None:
    """What :func:`record_notes` named on ``sheet``, or None."""
    with contextlib.suppress(NotImplementedError, AttributeError, KeyError, TypeError):
        for name in sheet.names:
            if str(name.name).rsplit("!", 1)[-1] == NOTES_NAME:
                text = str(name.refers_to or "").lstrip("=").strip()
                return int(text) if text.isdigit() else None
    return None


def note_work(
    checked: Checked, previous: set[tuple[str, str]], cap: int | None = RIBBON_NOTES
) -> NoteWork:
    """What :meth:`NoteWork.apply` will do (see the module doc for whose notes are whose):
    notes on the first ``cap`` flagged cells in sheet order that carry no note of the user's
    (None: every flagged cell)."""
    book = checked.source.book
    texts: dict[tuple[str, str], str] = {}
    for note in checked.plan.notes:
        texts[(note.sheet, note.cell.upper())] = NOTE_MARKER + "\n" + legal_text(note.text)
    ours: dict[str, set[str]] = {}
    for sheet_name, cell in previous:
        ours.setdefault(sheet_name, set()).add(cell)
    names = {s.name for s in book.sheets}
    index: dict[str, dict[str, xw.main.Note]] = {}
    supported = True
    for name in sorted(({s for s, _ in texts} | set(ours)) & names):
        notes = _note_index(book.sheets[name])
        if notes is None:
            supported = False
        else:
            index[name] = notes
    users = sheet_order(
        (name, cell) for name, cell in texts
        if cell in index.get(name, {}) and cell not in ours.get(name, set())
    )  # fmt: skip
    wanted: dict[str, dict[str, str]] = {}
    order = capped(set(texts) - set(users), cap)
    for key in order:
        wanted.setdefault(key[0], {})[key[1]] = texts[key]
    return NoteWork(index, wanted, ours, supported, users, len(texts), order)


# --------------------------------------------------------------------------- our own sheets


def sheet_infos(book: xw.Book, source: BookSource) -> list[SheetInfo]:
    """What :func:`excelflow.annotate.sheets.claim` needs to know about each sheet."""
    out = []
    for sheet in book.sheets:
        area = source.sheet(sheet.name) if sheet.name in source.sheet_names else None
        values: list[list[Any]] = [[""]]
        if area is not None:
            values = area.grid if area.origin == (0, 0) else [[None], *area.grid]
        objects = len(sheet.tables) + len(sheet.charts) + len(sheet.pictures) + len(sheet.shapes)
        with contextlib.suppress(NotImplementedError, KeyError):
            objects += len(sheet.pivot_tables)
        visible = sheet.name in source.visible or sheet.name not in source.sheet_names
        out.append(SheetInfo(sheet.name, values, objects > 0, visible))
    return out


def replace_sheet(book: xw.Book, source: BookSource, key: str, lang: Lang) -> xw.Sheet:
    """Delete our previous ``key`` sheet (if any) and add a blank one in its place."""
    where: Claim = claim(sheet_infos(book, source), key, lang)
    if where.replaces is not None:
        book.sheets[where.replaces].delete()
    sheets = book.sheets
    if where.index == 0:
        new = sheets.add(where.name, before=sheets[0])
    else:
        new = sheets.add(where.name, after=sheets[min(where.index, len(sheets)) - 1])
    if not where.visible:
        new.visible = False
    return new


def previous_notes(
    book: xw.Book, source: BookSource, lang: Lang, cap: int | None = RIBBON_NOTES
) -> set[tuple[str, str]]:
    """The cells of our previous notes: those our previous Findings sheet lists, but for the
    user's, the first N in sheet order, N as that sheet records it (:func:`record_notes`), else
    ``cap`` (the same cap as this run's)."""
    where = claim(sheet_infos(book, source), "findings", lang)
    if where.replaces is None:
        return set()
    recorded = recorded_notes(book.sheets[where.replaces])
    return noted_cells(source.sheet(where.replaces).grid, cap if recorded is None else recorded)


def write_dashboard(checked: Checked) -> str:
    """Replace the Dashboard sheet; returns its name."""
    book = checked.source.book
    sheet = replace_sheet(book, checked.source, "dashboard", checked.plan.lang)
    _skipped(checked, render(sheet, dashboard_plan(checked.plan)).refused)
    return str(sheet.name)


def write_findings(checked: Checked, kept: Sequence[tuple[str, str]] | None = None) -> str:
    """Replace the Findings sheet; returns its name. ``kept``: see
    :func:`~excelflow.annotate.layout.findings_plan`."""
    book = checked.source.book
    sheet = replace_sheet(book, checked.source, "findings", checked.plan.lang)
    taken = [t.name for s in book.sheets if s.name != sheet.name for t in s.tables]
    plan = findings_plan(checked.plan, unique_table_name(taken), kept)
    _skipped(checked, render(sheet, plan).refused)
    return str(sheet.name)


def _skipped(checked: Checked, items: list[str]) -> None:
    if items:
        lang = checked.plan.lang
        checked.notes.append(say.NOT_WRITTEN(lang).format(items=say.features(items, lang)))
