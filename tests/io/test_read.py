"""The reader: every kind of bad file gets one clear line; good files of every shape are read."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
import pytest
from openpyxl import Workbook

from excelflow import api
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.read import Source
from excelflow.pipeline.ruleset import load_ruleset

RS = load_ruleset()


def _workbook(path: Path, rows: list[list[object]], *, title: str = "Deals") -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _reason(path: Path) -> str:
    rep = api.validate_file(path, RS)
    assert rep.result is None and rep.error is not None
    text = rep.error
    assert "\n" not in text and text.startswith(str(path)), text
    return text


def _pipeline(path: Path) -> Pipeline:
    rep = api.validate_file(path, RS)
    assert rep.result is not None, rep.error
    return rep.result.pipeline


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    assert "file not found" in _reason(tmp_path / "nope.xlsx")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert "empty" in _reason(tmp_path / "empty.xlsx")
    (tmp_path / "dir.xlsx").mkdir()
    assert "folder" in _reason(tmp_path / "dir.xlsx")


def test_password_protected_workbook(tmp_path: Path) -> None:
    plain = _workbook(tmp_path / "plain.xlsx", [["Deal ID", "Stage"], ["D1", 2]])
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, locked.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("secret", out)
    assert "password-protected" in _reason(locked)


def test_corrupt_and_foreign_files(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", [["Deal ID", "Stage"], ["D1", 2]])
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "corrupt" in _reason(truncated)
    png = tmp_path / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert "not a valid .xlsx" in _reason(png)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%...")
    assert "unsupported type .pdf" in _reason(pdf)
    binary_csv = tmp_path / "data.csv"
    binary_csv.write_bytes(b"a,b\x00\x01\x02")
    assert "binary" in _reason(binary_csv)
    other_zip = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    assert "not an Excel" in _reason(other_zip)


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"0" * (1 << 20)
            for _ in range(150):  # 150 MiB of zeros: a few hundred KiB on disk
                fh.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    assert "zip bomb" in _reason(bomb)


def test_sheet_without_pipeline_names_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "notes.xlsx", [["Meeting notes"], ["Call Acme on Monday"]])
    reason = _reason(path)
    assert "no pipeline table found" in reason and "Deals" in reason


def test_real_excel_dashboard_has_no_pipeline(shared_data: Path) -> None:
    dashboard = shared_data / "real-workbooks" / "crm-analysis-dashboard.xlsx"
    reason = _reason(dashboard)
    assert "no pipeline table found" in reason
    assert "Dashboard" in reason  # the sheets looked at are named


def test_header_below_a_title_and_offset_columns_give_right_cells(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "商机"
    ws["B2"] = "2027 年销售漏斗"
    for col, header in zip("CDEF", ["商机编号", "客户", "阶段", "内线"], strict=True):
        ws[f"{col}4"] = header
    ws["C5"], ws["D5"], ws["E5"], ws["F5"] = "D-1", "华东电网", "投标阶段", None
    ws["C7"], ws["D7"], ws["E7"] = "D-2", "星河制药", "无此阶段"
    wb.save(tmp_path / "offset.xlsx")
    report = api.validate_file(tmp_path / "offset.xlsx", as_of=dt.date(2026, 11, 28))
    assert report.result is not None
    p = report.result.pipeline
    assert (p.header_row, list(p.rows), p.lang) == (4, [5, 7], "zh")  # the blank row 6 is skipped
    flat = {(f.cell, f.code) for f in report.result.finding_list()}
    assert ("F5", "SG01") in flat and ("E7", "DQ03") in flat


def test_deals_sheet_is_preferred_and_hidden_sheets_come_last(tmp_path: Path) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "Summary"
    first.append(["Stage", "Deal ID"])
    first.append([1, "S-1"])
    deals = wb.create_sheet("Deals")
    deals.append(["Deal ID", "Stage"])
    deals.append(["D-1", 2])
    wb.save(tmp_path / "two.xlsx")
    assert _pipeline(tmp_path / "two.xlsx").sheet == "Deals"
    source = Source(tmp_path / "two.xlsx")
    assert source.find_sheet("deals") == "Deals" and source.find_sheet("nope") is None
    source.close()


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("gb18030", ","), ("utf-8", ";"), ("utf-8", "\t")],
)
def test_csv_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    rows = [
        ["商机编号", "客户", "阶段", "预计成交日期"],
        ["D-1", "华东电网", "提案阶段", "2027/3/1"],
        ["D-2", "星河制药", "2", "2027年4月1日"],
    ]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    path = tmp_path / "deals.csv"
    path.write_bytes(text.encode(encoding))
    p = _pipeline(path)
    assert p.sheet is None and len(p) == 2 and p.lang == "zh"
    assert list(p.frame["stage"]) == [3, 2]
    assert list(p.frame["expected_close"].dt.strftime("%Y-%m-%d")) == ["2027-03-01", "2027-04-01"]


def test_ragged_csv_rows_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("Deal ID,Stage,Customer\nD-1,2\nD-2,3,Acme,extra\n", encoding="utf-8")
    p = _pipeline(path)
    assert list(p.frame["deal_id"]) == ["D-1", "D-2"]
    assert list(p.frame["customer"]) == [None, "Acme"]


def test_tab_separated_txt_export(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("Stage\tDeal ID\n1\tD-9\n", encoding="utf-8")
    assert list(_pipeline(path).frame["deal_id"]) == ["D-9"]
