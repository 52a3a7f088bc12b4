"""A sheet plan written in bulk (``render.add_sheet(..., bulk=True)``: its cells go into the file
as XML at save time, never as openpyxl cells) gives the same file as the cell-by-cell renderer:
every part of the package is compared after XML canonicalisation (only the save time differs),
on annotate's real Findings plan with hostile values added. Read back by python-calamine and
openpyxl too. The annotated workbooks of ``tests/io`` (LibreOffice renders, the ribbon compared
cell by cell with annotate) all go through this path for their Findings sheet.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment

from annotate_support import AS_OF, calamine_rows, sample_book
from excelflow.annotate.layout import findings_plan
from excelflow.annotate.plan import build_plan
from excelflow.api import validate_file
from excelflow.sheets.parts import Formula, Link
from excelflow.sheets.plan import SheetPlan
from excelflow.workbook.render import add_sheet, bulk_ready, save_workbook

HOSTILE = [
    "=cmd|' /C calc'!A0",  # formula-like: stays text (quote prefix)
    "  spaced  ",
    'a\rb\nc _x0041_ & <x> "q"',
    "#N/A",  # stored as an error value, as the cell renderer stores it
    "\x07bell",  # a character XML cannot hold: shown, not dropped
    "中文 与 English",
]


def _plan(tmp_path: Path) -> SheetPlan:
    src = sample_book(tmp_path, "zh", n=80)
    result = validate_file(src, lang="zh", as_of=AS_OF).result
    assert result is not None
    plan = findings_plan(build_plan(result))
    for j, text in enumerate(HOSTILE, start=1):
        plan.put(3, j, text)
    extra = [dt.date(2027, 1, 2), dt.datetime(2027, 1, 2, 3, 4), True, 1.5e-7, float("nan"),
             12345678901234567890, -3]  # fmt: skip
    for j, value in enumerate(extra, start=1):
        plan.put(4, j, value)
    plan.links[(3, 1)] = Link(location="'商机'!A1", tooltip='say "hi" & <go>')
    plan.heights[4] = 40.0
    return plan


def _parts(path: Path) -> dict[str, str | bytes]:
    with zipfile.ZipFile(path) as z:
        out: dict[str, str | bytes] = {}
        for name in z.namelist():
            data = z.read(name)
            is_xml = name.endswith((".xml", ".rels"))
            out[name] = ET.canonicalize(data.decode()) if is_xml else data
        return out


def _save(plan: SheetPlan, path: Path, bulk: bool) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "商机"
    wb.active["A1"] = "deal"
    add_sheet(wb, "问题清单", plan, bulk=bulk)
    save_workbook(wb, path)
    return path


def test_bulk_cells_write_the_same_file_as_the_cell_renderer(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert bulk_ready(plan)
    cells = _parts(_save(plan, tmp_path / "cells.xlsx", bulk=False))
    bulk = _parts(_save(plan, tmp_path / "bulk.xlsx", bulk=True))
    assert cells.keys() == bulk.keys()
    differ = [name for name in cells if cells[name] != bulk[name]]
    assert set(differ) <= {"docProps/core.xml"}  # the save time


def test_bulk_cells_read_back(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    path = _save(plan, tmp_path / "bulk.xlsx", bulk=True)
    rows = calamine_rows(path, "问题清单")
    shown = rows[2][: len(HOSTILE)]
    assert shown[:3] + shown[4:] == [
        "=cmd|' /C calc'!A0", "  spaced  ", "a\rb\nc _x0041_ & <x> \"q\"", "\u2407bell",
        "中文 与 English"]  # fmt: skip
    assert rows[4][:8] == [v if v is not None else "" for v in plan.values[4][:8]]
    ws = load_workbook(path)["问题清单"]
    assert ws["A3"].quotePrefix and ws["A3"].data_type == "s"
    assert ws["A3"].hyperlink.location == "'商机'!A1"
    assert ws["A4"].value == dt.datetime(2027, 1, 2) and ws["A4"].number_format == "yyyy-mm-dd"
    assert ws["C4"].value is True and ws["F4"].value == pytest.approx(1.2345678901234567e19)
    assert ws.row_dimensions[4].height == 40
    assert ws.tables  # the filterable table, its columns named from the header cells


def test_plans_that_cannot_go_in_bulk_are_drawn_cell_by_cell(tmp_path: Path) -> None:
    merged = SheetPlan()
    merged.put(1, 1, "title")
    merged.merges.append((1, 1, 1, 3))
    formula = SheetPlan()
    formula.put(1, 1, Formula("=1+1"))
    for plan in (merged, formula):
        assert not bulk_ready(plan)
        wb = Workbook()
        ws = add_sheet(wb, "S", plan, bulk=True)
        assert ws["A1"].value in ("title", "=1+1")  # real openpyxl cells


@pytest.mark.parametrize("use_wb_save", [True, False])
def test_saving_a_book_with_a_bulk_sheet_writes_its_cells(
    tmp_path: Path, use_wb_save: bool
) -> None:
    plan = SheetPlan()
    plan.put_rows(1, 1, [["a", 1], ["b", 2]])
    wb = Workbook()
    add_sheet(wb, "S", plan, bulk=True)
    path = tmp_path / "x.xlsx"
    if use_wb_save:
        wb.save(path)  # routed to save_workbook: the cells are not openpyxl's
    else:
        save_workbook(wb, path)
    assert calamine_rows(path, "S") == [["a", 1], ["b", 2]]


def _tree(data: bytes) -> object:
    """An XML document as nested tuples (namespaces expanded: prefixes do not matter)."""

    def walk(el: ET.Element) -> object:
        text = (el.text or "").strip() or None
        return (el.tag, sorted(el.attrib.items()), text, [walk(child) for child in el])

    return walk(ET.fromstring(data))


def test_notes_are_written_as_openpyxl_writes_them(tmp_path: Path) -> None:
    """The comments part and its VML shapes come from strings (openpyxl builds ~15 elements
    per note): the same documents as openpyxl's own writer, read back with openpyxl."""
    texts = ["plain", "  lead and trail  ", "a & <b>\nline 2", "中文批注", "x\ty"]

    def book() -> Workbook:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        for i, text in enumerate(texts, start=2):
            ws.cell(i, i, i).comment = Comment(text, "ExcelFlow" if i % 2 else "me", 90, 300)
        wb.create_sheet("empty")
        return wb

    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    save_workbook(book(), ours)
    book().save(theirs)  # openpyxl's own writer
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(theirs) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "docProps/core.xml":
                assert _tree(a.read(name)) == _tree(b.read(name)), name
    ws = load_workbook(ours).active
    assert ws is not None
    got = {c.coordinate: (c.comment.text, c.comment.author) for r in ws.iter_rows() for c in r
           if c.comment}  # fmt: skip
    assert got == {ws.cell(i, i).coordinate: (t, "ExcelFlow" if i % 2 else "me")
                   for i, t in enumerate(texts, start=2)}  # fmt: skip
