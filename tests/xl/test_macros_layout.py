"""Validate on less tidy books (a table below a title, an Excel Table, a user's own Findings
sheet, a client without notes or alignment), and the pure layout helpers the macros use."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.table import Table
from openpyxl.worksheet.worksheet import Worksheet

from annotate_support import AS_OF, sample_book
from excelflow.annotate.sheets import SheetInfo, claim, noted_cells
from excelflow.api import annotate
from excelflow.sheets.plan import Formula, rectangles, runs
from excelflow.workbook.sample import sample_deals
from excelflow.xl.book_source import cell_value, used_area
from excelflow.xl.render import excel_value, frozen
from xl.macro_support import differences, payload_of, run

DAY = AS_OF.isoformat()


def _offset_book(path: Path) -> Path:
    """Deals starting at B4, under a title, with a user's own "Findings" sheet and an Excel
    Table over the deals."""
    headers, rows = sample_deals(25, lang="en", as_of=AS_OF)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "Deals"
    ws["B1"] = "Q4 pipeline (owner: sales ops)"
    for j, h in enumerate(headers):
        ws.cell(4, 2 + j, h)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            ws.cell(5 + i, 2 + j, v)
    last = ws.cell(4 + len(rows), 1 + len(headers)).coordinate
    ws.add_table(Table(displayName="tblPipe", ref=f"B4:{last}"))
    mine = wb.create_sheet("Findings")
    mine["A1"] = "my audit findings"
    mine["A2"] = "call the bank"
    wb.save(path)
    return path


def test_an_offset_table_with_a_users_findings_sheet_matches_annotate(tmp_path: Path) -> None:
    src = _offset_book(tmp_path / "offset.xlsx")
    actions, book = run("validate_pipeline", payload_of(src), None, DAY)
    out = annotate(src, as_of=AS_OF)
    wb = load_workbook(out.out_path)
    assert book.names == wb.sheetnames == ["Deals", "Findings", "Dashboard", "ExcelFlow Findings"]
    assert differences(out.out_path, "Deals", book["Deals"]) == []
    assert differences(out.out_path, "Findings", book["Findings"]) == []  # the user's, untouched
    kept_list = lambda r, c: c == 10 and r >= 6  # noqa: E731 - the ribbon's kept-notes list
    assert (
        differences(out.out_path, "ExcelFlow Findings", book["ExcelFlow Findings"], kept_list) == []
    )
    assert differences(out.out_path, "Dashboard", book["Dashboard"]) == []
    for ws in wb.worksheets:
        theirs = {c.coordinate: c.comment.text for r in ws.iter_rows() for c in r if c.comment}
        assert book[ws.title].notes == theirs
    # the Excel Table grows to take the appended result columns, like annotate's
    resize = [a["args"] for a in actions if a["func"] == "resizeTable"]
    ref = wb["Deals"].tables["tblPipe"].ref
    assert [r[1].replace("$", "") for r in resize] == [ref]


def test_a_client_without_notes_or_alignment_still_validates(tmp_path: Path) -> None:
    """The Office Scripts client has no notes and no alignment setters: both are skipped and
    named in the message; everything else is written."""
    src = sample_book(tmp_path, "en", n=20)
    payload = payload_of(src, client="Microsoft Office Scripts")
    actions, book = run("validate_pipeline", payload, None, DAY)
    text, mode = book.alerts[-1]
    assert mode == "info"
    assert "cannot write notes" in text and "could not take (skipped): alignment" in text
    calls = Counter(a["func"] for a in actions)
    assert calls["addNote"] == 0 and calls["setHorizontalAlignment"] == 0
    assert book.names == ["Deals", "Dashboard", "Findings"]


def test_a_hidden_dashboard_stays_hidden(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=20)
    _, first = run("validate_pipeline", payload_of(src), None, DAY)
    wb = load_workbook(src)
    wb.create_sheet("Dashboard").sheet_state = "hidden"
    wb["Dashboard"]["A1"] = "ExcelFlow · Pipeline dashboard"
    wb.save(src)
    actions, book = run("refresh_dashboard", payload_of(src), None, DAY)
    assert book.names == ["Deals", "Dashboard"] and not book["Dashboard"].visible
    assert [a["func"] for a in actions].count("sheetDelete") == 1
    assert first["Dashboard"].rows() == book["Dashboard"].rows()


# --------------------------------------------------------------------------- pure helpers


def test_rectangles_cover_every_cell_once_with_few_rectangles() -> None:
    cells = {(r, c): "x" for r in range(1, 11) for c in range(1, 4)}
    cells.update({(r, 5): "y" for r in range(1, 11)})
    cells[(4, 2)] = "z"
    rects = rectangles(cells)
    covered = Counter(
        (r, c)
        for (r1, c1, r2, c2), _ in rects
        for r in range(r1, r2 + 1)
        for c in range(c1, c2 + 1)
    )
    assert set(covered) == set(cells) and max(covered.values()) == 1
    for (r1, c1, r2, c2), value in rects:
        assert {cells[(r, c)] for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} == {value}
    assert len(rects) <= 6
    assert runs([7, 1, 2, 3, 9, 8]) == [(1, 3), (7, 9)]


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("Forced: M2", "Forced: M2"),
        ("2024-01", "'2024-01"),
        ("=SUM(A1)", "'=SUM(A1)"),
        ("'quoted'", "''quoted'"),
        ("TRUE", "'TRUE"),
        (Formula("=A1*2"), "=A1*2"),
        (None, ""),
        (float("nan"), ""),
        (dt.date(2026, 11, 28), "2026-11-28"),
        (dt.datetime(2026, 11, 28, 9, 30), "2026-11-28 09:30:00"),
        (True, True),
        (3.5, 3.5),
    ],
)
def test_values_are_sent_the_way_excel_keeps_them(value: object, sent: object) -> None:
    assert excel_value(value) == sent


def test_snapshot_cells_read_like_python_calamine_reads_the_file() -> None:
    assert cell_value("2026-01-31T00:00:00.000Z") == dt.date(2026, 1, 31)
    assert cell_value("2026-01-31T13:30:00.000Z") == dt.datetime(2026, 1, 31, 13, 30)
    assert cell_value(5) == 5.0 and isinstance(cell_value(5), float)
    assert cell_value(True) is True and cell_value("#N/A") == "" and cell_value(None) == ""
    area = used_area([["", "", ""], ["", "Stage", 1], ["", "", ""]], 1, 1)
    assert area is not None and area.origin == (1, 1) and area.grid == [["Stage", 1.0]]
    assert used_area([["", ""]], 1, 1) is None


def test_frozen_ranges() -> None:
    assert frozen(5, 1) == "1:4"
    assert frozen(2, 3) == "A1:B1"
    assert frozen(1, 3) == "A:B"


def test_claim_replaces_ours_and_never_a_users_sheet() -> None:
    ours = SheetInfo("看板", [["ExcelFlow · 销售漏斗看板"]], has_objects=True, visible=False)
    users = SheetInfo("Dashboard", [["my numbers", 1]], has_objects=False)
    got = claim([SheetInfo("Deals", [["Stage"]], False), ours, users], "dashboard", "en")
    assert (got.name, got.index, got.replaces, got.visible) == (
        "ExcelFlow Dashboard",
        1,
        "看板",
        False,
    )
    fresh = claim([SheetInfo("Deals", [["Stage"]], False)], "findings", "zh")
    assert (fresh.name, fresh.index, fresh.replaces) == ("问题清单", 1, None)


def test_noted_cells_reads_only_the_ribbons_findings_sheet() -> None:
    head = ["Severity", "Code", "Deal", "Sheet", "Cell", "Column", "Value", "Message", "", ""]
    rows = [
        ["ExcelFlow · Findings"],
        [],
        [],
        head,
        ["Error", "DQ01", "D-1", "Deals", "B7", "Customer", "", "empty"],
        ["Warning", "SG01", "D-2", "Deals", "N2", "Coach", "", "forced"],
    ]
    assert noted_cells(rows) == set()  # annotate's sheet: no kept list, nothing is ours
    rows[5] += ["", "ExcelFlow left your own note unchanged on these cells:"]
    rows.append([""] * 9 + ["Deals!N2"])
    assert noted_cells(rows) == {("Deals", "B7")}
