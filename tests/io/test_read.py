"""The reader: every kind of bad file gets one clear line; good files of every shape are read."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

import hostile_corpus as corpus
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
    assert "password-protected" in _reason(corpus.encrypted(tmp_path / "locked.xlsx", plain))


def test_corrupt_and_foreign_files(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "good.xlsx", [["Deal ID", "Stage"], ["D1", 2]])
    assert "corrupt" in _reason(corpus.truncated(tmp_path / "truncated.xlsx", good))
    assert "not a valid .xlsx" in _reason(corpus.png_named_xlsx(tmp_path / "photo.xlsx"))
    assert "unsupported type .pdf" in _reason(corpus.pdf_bytes(tmp_path / "report.pdf"))
    assert "binary" in _reason(corpus.binary_csv(tmp_path / "data.csv"))
    assert "not an Excel" in _reason(corpus.zip_without_workbook(tmp_path / "archive.xlsx"))
    assert "old binary Office" in _reason(corpus.ole_bytes(tmp_path / "old.xlsx"))


def test_zip_bombs_are_refused_before_parsing(tmp_path: Path) -> None:
    bomb = corpus.honest_bomb(tmp_path / "bomb.xlsx")  # 150 MiB of zeros, honest headers
    assert bomb.stat().st_size < 2_000_000
    assert "zip bomb" in _reason(bomb)
    liar = corpus.lying_bomb(tmp_path / "liar.xlsx")  # the headers claim 1,000 bytes
    assert "corrupt" in _reason(liar)


def test_special_files_are_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert "not a regular file" in _reason(fifo)
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    assert "loops" in _reason(loop)
    dangling = tmp_path / "gone.xlsx"
    dangling.symlink_to("missing.xlsx")
    assert "target is missing" in _reason(dangling)
    assert api.expand_paths([tmp_path]) == [dangling, loop, fifo]  # listed, each one line


def test_xml_entities_are_never_expanded(tmp_path: Path) -> None:
    assert "entity" in _reason(corpus.entity_expansion(tmp_path / "laughs.xlsx"))
    secret = tmp_path / "secret.dat"
    secret.write_text("XXE-SECRET", encoding="utf-8")
    reason = _reason(corpus.xxe(tmp_path / "xxe.xlsx", secret))
    assert "entity" in reason and "XXE-SECRET" not in reason


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
