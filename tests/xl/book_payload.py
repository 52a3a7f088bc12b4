"""An openpyxl workbook as the JSON body xlwings' Office.js client posts for a script call.

xlwings' ``getBookData()`` (xlwingsjs) sends, per sheet, the used range's values from A1 as a
2-D list (empty cells as ``""``; cells formatted as a date or time as
``new Date(...).toISOString()``, e.g. ``"2026-01-31T00:00:00.000Z"``; whole numbers as JSON
integers because JavaScript has one number type), plus the book's name, active sheet index,
selection (an address without the sheet), defined names, tables, pictures, charts, notes and the
flags newer clients add (``notes_supported``, ``visibility``, ``used_range_address``…). Formulas
arrive as their computed values: load the workbook with ``data_only=True`` to get the cached
ones; a formula never calculated by Excel has no cached value and is sent as ``""``.

:func:`book_payload` builds that body; :func:`run_script` runs one of our ``@xw.script``
functions through xlwings' own dispatcher on it and returns the actions Excel would apply.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import importlib.metadata
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

XLWINGS_VERSION = importlib.metadata.version("xlwings")


def iso(value: dt.datetime | dt.date | dt.time) -> str:
    """A date/time the way JavaScript's ``Date.toISOString()`` writes it (ms precision, Z)."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    else:
        stamp = dt.datetime(1899, 12, 30, value.hour, value.minute, value.second, value.microsecond)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def cell_json(value: Any, data_type: str = "n") -> Any:
    """One cell value as the client sends it."""
    if value is None or data_type == "f":  # an uncalculated formula has no value to send
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return iso(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON.stringify(5.0) is "5"
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _address(ref: str) -> str:
    return ref.split("!")[-1].replace("$", "")


def sheet_values(ws: Worksheet) -> list[list[Any]]:
    """The sheet's values from A1 to its last used cell (``[[""]]`` for an empty sheet)."""
    cells = [(r, c) for (r, c), cell in ws._cells.items() if cell.value is not None]  # type: ignore[attr-defined]
    if not cells:
        return [[""]]
    rows = max(r for r, _ in cells)
    cols = max(c for _, c in cells)
    out = [[""] * cols for _ in range(rows)]
    for (r, c), cell in ws._cells.items():  # type: ignore[attr-defined]
        if r <= rows and c <= cols and cell.value is not None:
            out[r - 1][c - 1] = cell_json(cell.value, cell.data_type)
    return out


def _table(t: Any) -> dict[str, Any]:
    min_c, min_r, max_c, max_r = (int(b) for b in range_boundaries(t.ref))
    header = bool(t.headerRowCount if t.headerRowCount is not None else 1)
    totals = bool(t.totalsRowCount)
    first = min_r + (1 if header else 0)
    last = max_r - (1 if totals else 0)
    a, b = get_column_letter(min_c), get_column_letter(max_c)
    return {
        "name": t.displayName,
        "range_address": t.ref,
        "header_row_range_address": f"{a}{min_r}:{b}{min_r}" if header else None,
        "data_body_range_address": f"{a}{first}:{b}{last}",
        "total_row_range_address": f"{a}{max_r}:{b}{max_r}" if totals else None,
        "show_headers": header,
        "show_totals": totals,
        "table_style": t.tableStyleInfo.name if t.tableStyleInfo else None,
        "show_autofilter": t.autoFilter is not None,
    }


def _sheet(ws: Worksheet, notes_supported: bool) -> dict[str, Any]:
    values = sheet_values(ws)
    used = None if values == [[""]] else f"A1:{get_column_letter(len(values[0]))}{len(values)}"
    charts = getattr(ws, "_charts", [])
    images = getattr(ws, "_images", [])
    return {
        "name": ws.title,
        "values": values,
        "pictures": [
            {"name": f"Picture {i + 1}", "width": 1, "height": 1} for i in range(len(images))
        ],
        "tables": [_table(t) for t in ws.tables.values()],
        "visibility": {"visible": "Visible", "hidden": "Hidden"}.get(ws.sheet_state, "VeryHidden"),
        "show_gridlines": ws.sheet_view.showGridLines is not False,
        "used_range_address": used,
        "notes": [
            {"address": c.coordinate}
            for row in ws.iter_rows()
            for c in row
            if c.comment is not None
        ],
        "notes_supported": notes_supported,
        "shapes": [],
        "charts": [{"name": f"Chart {i + 1}"} for i in range(len(charts))],
        "pivot_tables": [],
    }


def book_payload(
    wb: Workbook,
    *,
    name: str = "Book1.xlsx",
    selection: str | None = None,
    active: int | str | None = None,
    notes_supported: bool = True,
    client: str = "Office.js",
) -> dict[str, Any]:
    """The script-call body for ``wb`` (see the module docstring).

    Args:
        wb: the workbook (load with ``data_only=True`` for formulas' cached values).
        name: the book's name as Excel reports it (the file name).
        selection: the selected address on the active sheet (default: the sheet's own).
        active: the active sheet, by 0-based index or name (default: the workbook's).
        notes_supported: False mimics Excel without ExcelApi 1.18 (no notes).
        client: the ``client`` key ("Office.js" for the add-in).
    """
    sheets = wb.worksheets
    if active is None:
        index = wb.index(wb.active) if wb.active is not None else 0
    elif isinstance(active, str):
        index = wb.sheetnames.index(active)
    else:
        index = active
    if selection is None:
        views = sheets[index].sheet_view.selection
        selection = (views[0].sqref if views and views[0].sqref else "A1").split()[0]
    by_title = {ws.title: i for i, ws in enumerate(sheets)}
    names = []
    for key, defined in wb.defined_names.items():
        dests = list(defined.destinations)
        if len(dests) == 1 and dests[0][0] in by_title:
            names.append(
                {
                    "name": key,
                    "sheet_index": by_title[dests[0][0]],
                    "address": _address(dests[0][1]),
                    "scope_sheet_name": None,
                    "scope_sheet_index": None,
                    "book_scope": True,
                }
            )
    return {
        "client": client,
        "version": XLWINGS_VERSION,
        "book": {
            "name": name,
            "active_sheet_index": index,
            "selection": None if selection == "" else _address(str(selection)),
        },
        "names": names,
        "sheets": [_sheet(ws, notes_supported) for ws in sheets],
    }


def run_script(
    module: ModuleType, script: str, payload: dict[str, Any], args: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Run ``module.script`` through ``xlwings.server.custom_scripts_call`` on ``payload``.

    The book is built the way xlwings Server and Lite build it (``xw.Book(json=...)`` on a copy,
    since it mutates its input) and closed afterwards (it would otherwise stay in xlwings' global
    remote app). Returns the queued actions, ``None`` fields dropped.
    """
    import xlwings as xw
    from xlwings import server

    book = xw.Book(json=copy.deepcopy(payload))
    try:
        out = asyncio.run(
            server.custom_scripts_call(
                module, script, typehint_to_value={xw.Book: book}, args=list(args or [])
            )
        )
        actions = out.json()["actions"]
    finally:
        book.close()
    return [{k: v for k, v in a.items() if v is not None} for a in actions]


# --------------------------------------------------------------------------- applying actions

_HYPERLINK = re.compile(r'^=HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)$')


def shown(value: Any) -> Any:
    """What a cell written with ``value`` holds once Excel has parsed it: a leading apostrophe
    marks text (and is not part of it), ``=HYPERLINK(link, text)`` shows ``text``, ISO dates
    become dates, ``""`` is an empty cell (None)."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    if value.startswith("'"):
        return value[1:]
    link = _HYPERLINK.match(value)
    if link:
        return link.group(2).replace('""', '"')
    if re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000Z", value):  # a date cell of the payload
        return dt.date.fromisoformat(value[:10])
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value):
        return dt.datetime.fromisoformat(value[:19])
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return dt.date.fromisoformat(value)
    if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", value):
        return dt.datetime.fromisoformat(value)
    return value


@dataclass
class VirtualSheet:
    """One sheet of :class:`VirtualBook`: what the actions left in it (1-based cells)."""

    name: str
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    fills: dict[tuple[int, int], str | None] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    tables: list[list[Any]] = field(default_factory=list)
    charts: list[list[Any]] = field(default_factory=list)
    visible: bool = True
    names: dict[str, str] = field(default_factory=dict)
    """Names local to the sheet: name -> what it refers to."""

    def value(self, cell: str | tuple[int, int]) -> Any:
        """The cell's value as Excel shows it (see :func:`shown`)."""
        if isinstance(cell, str):
            col, row = coordinate_from_string(cell)
            cell = (row, column_index_from_string(col))
        return shown(self.values.get(cell))

    def rows(self, first: int = 1, width: int | None = None) -> list[list[Any]]:
        """Rows from ``first`` down to the last used row, each ``width`` cells wide."""
        if not self.values:
            return []
        last = max(r for r, _ in self.values)
        cols = width or max(c for _, c in self.values)
        return [[self.value((r, c)) for c in range(1, cols + 1)] for r in range(first, last + 1)]


@dataclass
class VirtualBook:
    """The sheets of a payload after applying a script's actions in order, like the add-in's
    JavaScript would; ``alerts`` collects the alert texts and ``active`` the active sheet."""

    sheets: list[VirtualSheet]
    alerts: list[tuple[str, str]] = field(default_factory=list)
    active: int = 0

    def __getitem__(self, name: str) -> VirtualSheet:
        return next(s for s in self.sheets if s.name == name)

    @property
    def names(self) -> list[str]:
        """Sheet names in order."""
        return [s.name for s in self.sheets]


def apply_actions(payload: dict[str, Any], actions: Sequence[dict[str, Any]]) -> VirtualBook:
    """Apply ``actions`` to the payload's sheets (values only; formats, fills, notes, tables,
    charts and sheet-local names recorded). Unknown actions are ignored."""
    sheets = []
    for s in payload["sheets"]:
        vs = VirtualSheet(s["name"], visible=s.get("visibility", "Visible") == "Visible")
        for i, row in enumerate(s["values"]):
            for j, v in enumerate(row):
                if v != "":
                    vs.values[(i + 1, j + 1)] = v
        vs.notes = {n["address"].replace("$", ""): "" for n in s.get("notes") or []}
        local = [n for n in payload.get("names", []) if not n.get("book_scope", True)]
        vs.names = {n["name"]: n.get("refers_to") or "" for n in local
                    if n.get("scope_sheet_name") == s["name"]}  # fmt: skip
        sheets.append(vs)
    book = VirtualBook(sheets, active=payload["book"]["active_sheet_index"])
    for a in actions:
        func = a["func"]
        pos = a.get("sheet_position")
        sheet = book.sheets[pos] if pos is not None and pos < len(book.sheets) else None
        r0, c0 = a.get("start_row", 0), a.get("start_column", 0)
        cells = [
            (r0 + i + 1, c0 + j + 1)
            for i in range(a.get("row_count") or 0)
            for j in range(a.get("column_count") or 0)
        ]
        if func == "addSheet":
            book.sheets.insert(a["args"][0], VirtualSheet(a["args"][1]))
            book.active = a["args"][0]
        elif func == "sheetDelete" and sheet is not None:
            book.sheets.remove(sheet)
        elif func in ("setValues", "setFormula") and sheet is not None:
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    sheet.values[(r0 + i + 1, c0 + j + 1)] = v
        elif func == "setRangeColor" and sheet is not None:
            for cell in cells:
                sheet.fills[cell] = a["args"][0]
        elif func == "setRangeColors" and sheet is not None:
            for i, row in enumerate(a["args"][0]):
                for j, colour in enumerate(row):
                    if colour != "keep":
                        sheet.fills[(r0 + i + 1, c0 + j + 1)] = colour
        elif func == "setNumberFormat" and sheet is not None:
            for cell in cells:
                sheet.formats[cell] = a["args"][0]
        elif func in ("addNote", "setNoteText") and sheet is not None:
            sheet.notes[a["args"][0].replace("$", "")] = a["args"][1]
        elif func == "deleteNote" and sheet is not None:
            del sheet.notes[a["args"][0].replace("$", "")]
        elif func == "addTable" and sheet is not None:
            sheet.tables.append(a["args"])
        elif func == "namesAdd" and sheet is not None:
            sheet.names[a["args"][0]] = a["args"][1]
        elif func == "addChart" and sheet is not None:
            sheet.charts.append(a["args"])
        elif func == "setSheetVisibility" and sheet is not None:
            sheet.visible = a["args"][0] == "Visible"
        elif func == "activateSheet":
            book.active = a["args"][0]
        elif func == "alert":
            book.alerts.append((a["args"][0], a["args"][3]))
    return book


def payload_after(payload: dict[str, Any], book: VirtualBook) -> dict[str, Any]:
    """The body Excel would send for the next call, once ``book``'s actions are applied:
    values as computed (formulas shown by their result), notes, tables and charts."""
    sheets = []
    old = {s["name"]: s for s in payload["sheets"]}
    names = [n for n in payload.get("names", []) if n.get("book_scope", True)]
    for index, vs in enumerate(book.sheets):
        names += [
            {
                "name": name,
                "refers_to": refers_to,
                "sheet_index": None,
                "address": None,
                "scope_sheet_name": vs.name,
                "scope_sheet_index": index,
                "book_scope": False,
            }
            for name, refers_to in vs.names.items()
        ]
        last_r = max((r for r, _ in vs.values), default=1)
        last_c = max((c for _, c in vs.values), default=1)
        values: list[list[Any]] = [[""] * last_c for _ in range(last_r)]
        for (r, c), v in vs.values.items():
            shown_value = shown(v)
            if isinstance(shown_value, dt.datetime | dt.date):
                shown_value = iso(shown_value)
            values[r - 1][c - 1] = "" if shown_value is None else shown_value
        before = old.get(vs.name, {})
        tables = list(before.get("tables", []))
        for args in vs.tables:
            ref = args[0].replace("$", "")
            tables.append(
                {
                    "name": args[3],
                    "range_address": ref,
                    "header_row_range_address": None,
                    "data_body_range_address": ref,
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": args[2],
                    "show_autofilter": True,
                }
            )
        sheets.append(
            {
                **{k: v for k, v in before.items() if k not in ("values", "notes", "tables")},
                "name": vs.name,
                "values": values,
                "pictures": before.get("pictures", []),
                "tables": tables,
                "charts": before.get("charts", []) + [{"name": a[0]} for a in vs.charts],
                "notes": [{"address": a} for a in vs.notes],
                "notes_supported": before.get("notes_supported", True),
                "visibility": "Visible" if vs.visible else "Hidden",
                "used_range_address": None
                if values == [[""]]
                else f"A1:{get_column_letter(last_c)}{last_r}",
            }
        )
    book_meta = {**payload["book"], "active_sheet_index": book.active}
    return {**payload, "book": book_meta, "names": names, "sheets": sheets}
