"""``render.save_workbook`` writes the rows of ordinary openpyxl sheets as strings (the user's
deals sheet that ``annotate`` updates, every other sheet of their workbook): the same file as
openpyxl's own writer. Every part of the package is compared after XML canonicalisation (only the
save time differs) on a sheet holding every kind of cell value, on the sample pipeline and on the
real workbooks, each loaded the way ``annotate`` loads it; then read back by python-calamine.
"""

from __future__ import annotations

import datetime as dt
import decimal
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.formula import ArrayFormula

from annotate_support import CRM_DASHBOARD, SHARED, calamine_rows, sample_book
from excelflow.workbook.render import save_workbook

TEXTS = ["plain", "  spaced  ", "a\rb\nc _x0041_ & <x> \"q\" 'a'", "中文 与 English", "", " ", "\t"]
NUMBERS = [0, -3, 1.5e-7, 12345678901234567890, float("nan"), float("inf"), 2.0**53 + 1,
           decimal.Decimal("1.10"), True, False]  # fmt: skip
TIMES = [dt.date(2027, 1, 2), dt.datetime(2027, 1, 2, 3, 4, 5, 6000), dt.time(13, 30),
         dt.timedelta(days=1, hours=2), dt.datetime(1900, 1, 1)]  # fmt: skip


def _tree(data: bytes) -> object:
    def walk(el: ET.Element) -> object:
        text = (el.text or "").strip() or None
        return (el.tag, sorted(el.attrib.items()), text, [walk(child) for child in el])

    return walk(ET.fromstring(data))


def _parts(path: Path) -> dict[str, str | bytes]:
    with zipfile.ZipFile(path) as z:
        out: dict[str, str | bytes] = {}
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".vml"):  # as in test_bulk_render: prefixes and layout may differ
                out[name] = repr(_tree(data))
            elif name.endswith((".xml", ".rels")):
                out[name] = ET.canonicalize(data.decode())
            else:
                out[name] = data
        return out


def _same_files(ours: Path, theirs: Path) -> None:
    a, b = _parts(ours), _parts(theirs)
    assert a.keys() == b.keys()
    differ = [name for name in a if a[name] != b[name]]
    assert set(differ) <= {"docProps/core.xml"}  # the save time


def _every_kind() -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Kinds"
    for j, value in enumerate([*TEXTS, *NUMBERS, *TIMES], start=1):
        ws.cell(1, j, value)
        ws.cell(2, j, value).font = Font(bold=True)  # styled: a style id per distinct look
    ws["A3"] = "=SUM(B1:C1)"
    ws["B3"] = ArrayFormula("B3:B4", "=A1:A2*2")
    ws["C3"] = CellRichText("plain ", TextBlock(InlineFont(b=True, color="FF0000"), "bold red"))
    ws["D3"] = "#N/A"  # an error value
    ws["E3"] = "linked"
    ws["E3"].hyperlink = "https://example.com/?a=1&b=2"
    ws["F3"] = "inside"
    ws["F3"].hyperlink = "#Kinds!A1"
    ws["G3"].hyperlink = "https://example.com/empty"  # no value, no style: not written
    ws["H3"].fill = PatternFill("solid", fgColor="FFFF00")  # styled, no value
    ws["I3"].alignment = Alignment(wrap_text=True)
    ws["J3"] = "quoted"
    ws["J3"].quotePrefix = True
    ws["K3"].comment = Comment("a note on an empty cell", "me", 90, 300)
    ws["L3"] = 7
    ws["L3"].comment = Comment("  lead and trail  & <x>", "ExcelFlow")
    ws["N3"] = "merged, bordered"
    ws.merge_cells("N3:P5")  # styled merged cells (openpyxl's MergedCell) are written too
    ws["N3"].border = ws["O4"].border = Border(top=Side("thin"), left=Side("thin"))
    ws.cell(2000, 3, "far down")
    ws.row_dimensions[10].height = 30  # a row with no cells
    ws.row_dimensions[2].hidden = True
    other = wb.create_sheet("Dates ISO")
    wb.create_sheet("empty")
    other["A1"] = dt.datetime(2027, 5, 6)
    return wb


def test_every_kind_of_cell_is_written_as_openpyxl_writes_it(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    save_workbook(_every_kind(), ours)
    _every_kind().save(theirs)  # openpyxl's own writer
    _same_files(ours, theirs)
    ws = load_workbook(ours, rich_text=True)["Kinds"]
    assert isinstance(ws["C3"].value, CellRichText)
    assert ws["E3"].hyperlink.target == "https://example.com/?a=1&b=2"
    assert ws["B3"].value.text == "=A1:A2*2"
    assert ws["L3"].comment.text == "  lead and trail  & <x>"
    assert ws.row_dimensions[10].height == 30
    rows = calamine_rows(ours, "Kinds")
    assert rows == calamine_rows(theirs, "Kinds")
    assert rows[0][:2] + rows[0][3:4] == ["plain", "  spaced  ", "中文 与 English"]
    assert rows[1999][2] == "far down"


def test_iso_dates_go_through_openpyxl(tmp_path: Path) -> None:
    def book() -> Workbook:
        wb = _every_kind()
        wb.iso_dates = True
        return wb

    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    save_workbook(book(), ours)
    book().save(theirs)
    _same_files(ours, theirs)


def _loaded_the_annotate_way(path: Path) -> Workbook:
    return load_workbook(path, rich_text=True, keep_links=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_loaded_pipeline_is_written_as_openpyxl_writes_it(tmp_path: Path, lang: str) -> None:
    src = sample_book(tmp_path, lang, n=300)
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    save_workbook(_loaded_the_annotate_way(src), ours)
    _loaded_the_annotate_way(src).save(theirs)
    _same_files(ours, theirs)
    sheet = "商机" if lang == "zh" else "Deals"
    assert calamine_rows(ours, sheet) == calamine_rows(src, sheet)


def test_real_workbooks_are_written_as_openpyxl_writes_them(tmp_path: Path) -> None:
    real = [CRM_DASHBOARD, SHARED / "real-workbooks" / "sales_pipeline.xlsx"]
    real = [p for p in real if p.exists()]
    if not real:
        pytest.skip(f"no real workbooks under {SHARED}")
    for src in real:
        ours, theirs = tmp_path / f"ours_{src.name}", tmp_path / f"theirs_{src.name}"
        save_workbook(_loaded_the_annotate_way(src), ours)
        _loaded_the_annotate_way(src).save(theirs)
        _same_files(ours, theirs)
