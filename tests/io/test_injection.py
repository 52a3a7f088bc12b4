"""The one text guard (``sheets.guard``): formula-like text stays text in every sheet ExcelFlow
writes (openpyxl and xlwings), characters XML cannot hold become visible, real formulas stay
formulas and numbers stay numbers. Issue 15, items 1 and 8 (control characters)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from python_calamine import CalamineWorkbook

from excelflow.cli import main
from excelflow.sheets.guard import ILLEGAL_XML, cell_text, formula_like, legal_text
from excelflow.sheets.parts import Formula
from excelflow.sheets.plan import SheetPlan
from excelflow.workbook.annotate_deals import put
from excelflow.workbook.formula_cache import ooxml_escape, restore_cached_values
from excelflow.workbook.render import add_sheet
from excelflow.xl.render import excel_value

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "bid" / "example_bid.json"

HOSTILE = {
    "deal_id": '=HYPERLINK("http://x","id")',
    "customer": "cmd|' /C calc'!A0",
    "project": "+1+1",
    "description": "-2+3",
    "supplier": "@SUM(1)",
    "description2": "\t=1+1",
    "supplier2": "=cmd|'/C notepad'!'A1'",
    "competitor": "=1+1",
    "competitor2": "＝SUM(1,2)",
}
"""Where a hostile bid JSON puts each string (every text field the Bid sheet writes)."""

FORMULA_LIKE = [
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "\tplain",
    "  =1+1",
    "\n=1+1",
    "＝SUM(1)",
    "cmd|' /C calc'!A0",
    "MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc.exe'!''",
    '=HYPERLINK("http://x","id")',
]
PLAIN = ["D-1011", "华为", "核心交换机", "1+1", "a-b", "x@y.z", "", "Price | margin", "50%"]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_is_recognised(text: str) -> None:
    assert formula_like(text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_left_alone(text: str) -> None:
    assert not formula_like(text)
    assert cell_text(text) == (text, False)


def test_illegal_characters_are_exactly_openpyxls_and_become_visible() -> None:
    for n in range(0x20):
        ch = chr(n)
        assert bool(ILLEGAL_XML.match(ch)) == bool(ILLEGAL_CHARACTERS_RE.match(ch)), hex(n)
    assert legal_text("a\x1b]0;pwned\x07b\x00") == "a␛]0;pwned␇b␀"
    assert legal_text("tab\tline\ncr\r") == "tab\tline\ncr\r"  # XML holds these
    assert cell_text("=\x1b") == ("=␛", True)
    assert legal_text("a\ud800b\uffffc\ufffed") == "a\ufffdb\ufffdc\ufffdd"  # XML cannot hold


# --------------------------------------------------------------------------- the renderers


def test_openpyxl_renderer_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    plan = SheetPlan()
    for i, text in enumerate(FORMULA_LIKE, 1):
        plan.put(i, 1, text)
    plan.put(1, 2, Formula("=1+1"))
    plan.put(2, 2, -5)
    plan.put(3, 2, -2.5)
    plan.put(4, 2, "plain")
    wb = Workbook()
    add_sheet(wb, "S", plan)
    path = tmp_path / "s.xlsx"
    wb.save(path)
    ws = load_workbook(path)["S"]
    for i, text in enumerate(FORMULA_LIKE, 1):
        cell = ws.cell(i, 1)
        assert cell.data_type == "s" and cell.quotePrefix, text
        if not text.startswith("\r"):  # XML reads a raw CR back as LF (openpyxl writes it raw)
            assert cell.value == text
    assert ws["B1"].data_type == "f" and ws["B1"].value == "=1+1"
    assert ws["B2"].value == -5 and ws["B2"].data_type == "n" and not ws["B2"].quotePrefix
    assert ws["B3"].value == -2.5 and ws["B3"].data_type == "n"
    assert ws["B4"].value == "plain" and not ws["B4"].quotePrefix


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_xlwings_renderer_writes_formula_like_text_behind_an_apostrophe(text: str) -> None:
    assert excel_value(text) == "'" + text


def test_xlwings_renderer_keeps_numbers_and_formulas() -> None:
    assert excel_value(-5) == -5
    assert excel_value(-2.5) == -2.5
    assert excel_value(Formula("=SUM(A1:A2)")) == "=SUM(A1:A2)"
    assert excel_value("plain") == "plain"
    assert excel_value("x\x1by") == "x␛y"


# --------------------------------------------------------------------------- the Bid sheet


def hostile_bid(tmp_path: Path, extra: str = "") -> Path:
    """The example bid with a hostile string in every text field (``extra`` appended)."""
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    h = {k: v + extra for k, v in HOSTILE.items()}
    doc["deal_id"], doc["customer"], doc["project"] = h["deal_id"], h["customer"], h["project"]
    lines = doc["cost_lines"]
    lines[0]["description"], lines[0]["supplier"] = h["description"], h["supplier"]
    lines[1]["description"], lines[1]["supplier"] = h["description2"], h["supplier2"]
    doc["competitors"][0]["name"] = h["competitor"]
    doc["competitors"][1]["name"] = h["competitor2"]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def write_bid(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str = "") -> Path:
    src = hostile_bid(tmp_path, extra)
    code = main(["bid", "--json", str(src), "--lang", "en", "--as-of", "2026-11-28"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code in (0, 1), err
    path = src.with_name("hostile.bid.xlsx")
    assert path.is_file()
    return path


def test_bid_sheet_writes_every_hostile_string_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bid(tmp_path, capsys)
    wb = load_workbook(path)
    found: dict[str, list[Any]] = {}
    formulas = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in HOSTILE.values():
                    found.setdefault(cell.value, []).append(cell)
                if cell.data_type == "f":
                    formulas += 1
                    assert not any(h in str(cell.value) for h in HOSTILE.values()), cell.value
    assert set(found) == set(HOSTILE.values())
    for cells in found.values():
        assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert formulas > 50  # the sheet's own formulas are still formulas
    calamine = CalamineWorkbook.from_path(str(path))
    texts = {
        v for name in calamine.sheet_names for row in calamine.get_sheet_by_name(name).to_python()
        for v in row if isinstance(v, str)
    }  # fmt: skip
    assert set(HOSTILE.values()) <= texts


def test_bid_with_control_characters_writes_visible_placeholders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bid(tmp_path, capsys, extra="\x1b]0;pwned\x07\x00")
    ws = load_workbook(path).active
    assert ws is not None
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "+1+1␛]0;pwned␇␀" in texts
    assert not any(ILLEGAL_CHARACTERS_RE.search(t) for t in texts)


@pytest.mark.libreoffice
def test_libreoffice_does_not_evaluate_hostile_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("soffice not on PATH")
    path = write_bid(tmp_path, capsys)
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    out = tmp_path / "csv"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    [csv_path] = out.glob("*.csv")
    with csv_path.open(encoding="utf-8", newline="") as f:
        cells = {c for row in csv.reader(f) for c in row}
    for text in HOSTILE.values():
        assert text in cells, text  # literally, not its result ("id", 2, 1, ...)
    # the sheet's own formulas were computed: a money figure, not a formula text
    assert any(re.fullmatch(r"598,?000(\.0+)?", c) for c in cells)


def test_cached_formula_text_with_control_characters_stays_exact(tmp_path: Path) -> None:
    """A formula's cached text holding ESC (stored as ``_x001B_``) is put back in the copy the
    way Excel stores it, not raw (which made the sheet part unreadable XML)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title, ws["A1"], ws["B1"], ws["C1"] = "S", "x", '=A1&"y"', "=A1"
    original = tmp_path / "original.xlsx"
    wb.save(original)
    with zipfile.ZipFile(original) as zf:
        parts = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    cached = {"B1": "ab_x001B_c", "C1": "lit_x005F_x0041_"}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, v in cached.items():
        xml = re.sub(rf'<c r="{ref}"><f>(.*?)</f><v ?/></c>',
                     rf'<c r="{ref}" t="str"><f>\1</f><v>{v}</v></c>', xml)  # fmt: skip
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(original, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    expected = [["x", "ab\x1bc", "lit_x0041_"]]
    assert CalamineWorkbook.from_path(str(original)).get_sheet_by_name("S").to_python() == expected
    written = tmp_path / "written.xlsx"
    load_workbook(original).save(written)
    assert restore_cached_values(original, written) == 2
    assert CalamineWorkbook.from_path(str(written)).get_sheet_by_name("S").to_python() == expected
    load_workbook(written)  # well-formed XML
    assert ooxml_escape("a\x1b_x0041_\x00") == "a_x001B__x005F_x0041__x0000_"


def test_annotate_writer_guards_and_a_rerun_takes_the_quote_prefix_off() -> None:
    ws = Workbook().active
    assert ws is not None
    cell = ws["A1"]
    assert put(cell, "=cmd|' /C calc'!A0")
    assert cell.data_type == "s" and cell.quotePrefix and cell.value == "=cmd|' /C calc'!A0"
    assert put(cell, "OK")
    assert cell.value == "OK" and not cell.quotePrefix
    assert put(cell, "@x") and cell.quotePrefix
    assert put(cell, -3)
    assert cell.value == -3 and cell.data_type == "n" and not cell.quotePrefix
    assert put(cell, "bell\x07") and cell.value == "bell␇"
