"""Control characters in cell text (ESC, BEL, NUL, ``_x001B_`` cells): never sent to the terminal
(issue 15 item 9: one boundary, ``cli.common.terminal_safe``), never a traceback when annotate or
bid writes them into a workbook (item 8: they become visible Control Pictures)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from cli.cli_helpers import AS_OF, run
from excelflow.cli.common import visible
from excelflow.workbook.sample import sample_deals, write_sample

RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What must never reach the terminal."""

ESC_ID = "D-1\x1b[2J"
"""A deal ID that clears the screen."""

AS_OF_DATE = dt.date(2026, 11, 28)


def hostile_book(path: Path) -> Path:
    """A pipeline whose cells hold ESC and BEL (stored as ``_x001B_`` / ``_x0007_``, the form
    Excel writes them in; calamine reads them back as the characters)."""
    headers, rows = sample_deals(6, lang="en", as_of=AS_OF_DATE)
    rows[0][headers.index("Deal ID")] = "D-1_x001B_[2J"
    rows[0][headers.index("Customer")] = "ACME_x001B_]0;pwned_x0007_"
    rows[1][headers.index("Probability")] = "bad_x001B_[31mred_x0007_\x9b"
    rows[2][headers.index("Customer")] = "=cmd|' /C calc'!A0 _x0000_"
    return write_sample(path, headers, rows, sheet="Deals")


def no_raw_controls(*texts: str) -> None:
    for text in texts:
        assert RAW.search(text) is None, repr(RAW.findall(text))


def test_visible_escapes_controls_but_keeps_lines_and_tabs() -> None:
    assert visible("a\x1b]0;x\x07b") == "a\\x1b]0;x\\x07b"
    assert visible("nul\x00 cr\r del\x7f csi\x9b") == "nul\\x00 cr\\x0d del\\u007f csi\\u009b"
    assert visible("line\n\tindented 中文 ␛") == "line\n\tindented 中文 ␛"
    doc = json.dumps({"v": "\x1b\x7f\x9b\n"}, ensure_ascii=False)
    assert json.loads(visible(doc)) == {"v": "\x1b\x7f\x9b\n"}  # JSON stays valid and equal


def test_validate_text_report_shows_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile_book(tmp_path / "ctl.xlsx")
    code, out, err = run(capsys, "validate", str(path), *AS_OF)
    assert code == 1
    no_raw_controls(out, err)
    assert "D-1\\x1b[2J" in out and "bad\\x1b[31mred\\x07\\u009b" in out


def test_validate_json_report_stays_valid_and_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile_book(tmp_path / "ctl.xlsx")
    code, out, err = run(capsys, "validate", str(path), "--format", "json", *AS_OF)
    assert code == 1
    no_raw_controls(out, err)
    assert ESC_ID in {f["deal_id"] for f in json.loads(out)["files"][0]["findings"]}


def test_a_file_name_with_controls_is_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hostile_book(tmp_path / "x\x1b]0;title\x07.xlsx")
    code, out, err = run(capsys, "validate", str(path), *AS_OF)
    assert code == 1
    no_raw_controls(out, err)
    assert "x\\x1b]0;title\\x07.xlsx" in out
    code, out, err = run(capsys, "validate", str(tmp_path / "missing\x1b[2J.xlsx"), *AS_OF)
    assert code == 2
    no_raw_controls(out, err)


@pytest.mark.parametrize("in_place", [False, True])
def test_annotate_writes_controls_as_visible_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], in_place: bool
) -> None:
    path = hostile_book(tmp_path / "ctl\x07.xlsx")
    argv = ["annotate", str(path), *AS_OF, *(["--in-place"] if in_place else [])]
    code, out, err = run(capsys, *argv)
    assert code in (0, 1), err
    no_raw_controls(out, err)
    target = path if in_place else path.with_name("ctl\x07.checked.xlsx")
    wb = load_workbook(target)
    texts = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any("D-1␛[2J" in t for t in texts)
    assert any("bad␛[31mred␇" in t for t in texts)
    notes = [c.comment.text for row in wb["Deals"].iter_rows() for c in row if c.comment]
    assert any("␛" in n for n in notes)
    CalamineWorkbook.from_path(str(target)).get_sheet_by_name("Deals").to_python()


def test_annotate_a_csv_with_controls_and_formula_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers, rows = sample_deals(4, lang="en", as_of=AS_OF_DATE)
    rows[0][headers.index("Customer")] = '=HYPERLINK("http://x","id")'
    rows[1][headers.index("Customer")] = "ACME\x1b]0;pwned\x07"
    rows[2][headers.index("Project")] = "+1+1"
    path = write_sample(tmp_path / "deals.csv", headers, rows)
    code, out, err = run(capsys, "annotate", str(path), *AS_OF)
    assert code in (0, 1), err
    no_raw_controls(out, err)
    ws = load_workbook(path.with_name("deals.checked.xlsx")).worksheets[0]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://x","id")', "+1+1"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix
    assert "ACME␛]0;pwned␇" in cells


def test_bid_from_a_deal_with_controls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = hostile_book(tmp_path / "ctl.xlsx")
    code, out, err = run(capsys, "bid", str(path), "--deal", ESC_ID, *AS_OF)
    assert code in (0, 1), err
    no_raw_controls(out, err)
    wb = load_workbook(path.with_name("ctl.bid.xlsx"))
    [bid] = [n for n in wb.sheetnames if n.startswith("Bid")]
    assert RAW.search(bid) is None
    texts = [c.value for row in wb[bid].iter_rows() for c in row if isinstance(c.value, str)]
    assert "D-1␛[2J" in texts and "ACME␛]0;pwned␇" in texts


def test_bid_json_with_controls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[1] / "bid" / "example_bid.json"
    doc = json.loads(example.read_text(encoding="utf-8"))
    doc["deal_id"] = ESC_ID
    doc["customer"] = "ACME\x1b]0;pwned\x07\x00"
    doc["cost_lines"][0]["description"] = "switch\x1b[31m"
    src = tmp_path / "b.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "bid", "--json", str(src), *AS_OF)
    assert code in (0, 1), err
    no_raw_controls(out, err)
    ws = load_workbook(tmp_path / "b.bid.xlsx").active
    assert ws is not None
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "ACME␛]0;pwned␇␀" in texts and "switch␛[31m" in texts


def test_bid_json_with_lone_surrogates_writes_a_readable_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON may escape a lone surrogate (``"\\ud800"``); openpyxl would write it as ``&#55296;``
    and no reader could open the file again."""
    example = Path(__file__).resolve().parents[1] / "bid" / "example_bid.json"
    doc = json.loads(example.read_text(encoding="utf-8"))
    doc["deal_id"] = "D\ud800\uffff"
    doc["customer"] = "A\ud800B"
    src = tmp_path / "b.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    code, _out, err = run(capsys, "bid", "--json", str(src), *AS_OF)
    assert code in (0, 1), err
    path = tmp_path / "b.bid.xlsx"
    ws = load_workbook(path).active
    assert ws is not None and ws.title == "Bid – D__"
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "A\ufffdB" in texts and "D\ufffd\ufffd" in texts
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(ws.title).to_python()
    assert any("A\ufffdB" in row for row in rows)
    assert visible("x\ud800") == "x\\ud800"  # the terminal boundary never fails to encode
