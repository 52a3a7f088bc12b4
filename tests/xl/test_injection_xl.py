"""The ribbon (xlwings renderer) writes hostile text as text, like ``excelflow bid`` and
``annotate`` do with openpyxl: every formula-like value goes out behind Excel's apostrophe, the
sheet's own formulas stay formulas (issue 15 item 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from annotate_support import AS_OF, sample_book
from xl.macro_support import payload_of, run

DAY = AS_OF.isoformat()

HOSTILE = {
    "Customer": '=HYPERLINK("http://x","id")',
    "Project": "cmd|' /C calc'!A0",
    "Owner": "+1+1",
    "Probability": "@SUM(1)+cmd|' /C calc'!A0",  # not a probability: a finding shows it
}


def hostile_sample(tmp_path: Path) -> Path:
    """The sample with hostile text (kept as text in the file) in row 5's deal (D-00004)."""
    path = sample_book(tmp_path, "en", n=20)
    wb = load_workbook(path)
    ws = wb["Deals"]
    headers = [c.value for c in ws[1]]
    for header, text in HOSTILE.items():
        cell = ws.cell(5, headers.index(header) + 1)
        cell.value = text
        cell.data_type = "s"
    wb.save(path)
    return path


def sent_values(actions: list[dict[str, Any]]) -> list[Any]:
    """Every value the actions wrote (setValues / setFormula payloads), flattened."""
    out: list[Any] = []
    for a in actions:
        if a["func"] in ("setValues", "setFormula"):
            out.extend(v for row in a["values"] for v in row)
    return out


def test_bid_analysis_sends_hostile_text_behind_an_apostrophe(tmp_path: Path) -> None:
    src = hostile_sample(tmp_path)
    actions, book = run("bid_analysis", payload_of(src, selection="C5:F5"), None, DAY)
    sent = sent_values(actions)
    for text in ('=HYPERLINK("http://x","id")', "cmd|' /C calc'!A0"):
        assert "'" + text in sent, text
        assert text not in sent, text  # never bare, where Excel would parse it
    sheet = book[book.names[-1]]
    shown = {sheet.value(k) for k in sheet.values}
    assert {HOSTILE["Customer"], HOSTILE["Project"]} <= shown
    assert any(isinstance(v, str) and v.startswith("=SUM(") for v in sent)  # real formulas


def test_validate_button_sends_hostile_text_behind_an_apostrophe(tmp_path: Path) -> None:
    src = hostile_sample(tmp_path)
    actions, _ = run("validate_pipeline", payload_of(src), None, DAY)
    sent = [v for v in sent_values(actions) if isinstance(v, str)]
    assert "'" + HOSTILE["Probability"] in sent  # the Findings sheet's value column
    assert not any(v.startswith(("@SUM", '=HYPERLINK("http', "+1+1", "cmd|")) for v in sent)
