"""The Validate button on 5,000 deals through xlwings' own dispatcher (``custom_scripts_call``
on ``xw.Book(json=...)``): how many actions Excel has to apply (issue 16).

Values go in one write per block, fills as colour matrices over ranges, so everything but the
notes is a fixed number of actions, whatever the number of deals. Notes are one action per
flagged cell (Excel and xlwings have no bulk note call), so the ribbon notes only the first
``RIBBON_NOTES`` flagged cells in sheet order (``$EXCELFLOW_RIBBON_NOTES`` changes it) and says
so; every finding stays on the Findings sheet. No timing is asserted here (``make bench``
measures); the counts are what this test pins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from excelflow.annotate.sheets import RIBBON_NOTES, RIBBON_NOTES_ENV, sheet_order
from excelflow.pipeline.fields import SHEETS
from excelflow.workbook.sample import sample_deals, write_sample
from xl.book_payload import VirtualSheet, payload_after
from xl.macro_support import payload_of, run

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    headers, rows = sample_deals(5000, as_of=AS_OF)
    path = tmp_path_factory.mktemp("scale") / "big.xlsx"
    return write_sample(path, headers, rows, sheet=SHEETS["deals"]("en"))


def _flagged(findings: VirtualSheet) -> list[tuple[str, str]]:
    """(sheet, cell) of every finding the Findings sheet lists (columns D and E, from row 6)."""
    rows = {r for r, _ in findings.values if r >= 6}
    cells = ((findings.value((r, 4)), findings.value((r, 5))) for r in rows)
    return sheet_order((s, c) for s, c in cells if isinstance(s, str) and isinstance(c, str))


def test_validate_on_5000_deals_sends_a_bounded_number_of_actions(
    big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(RIBBON_NOTES_ENV, raising=False)
    actions, book = run("validate_pipeline", payload_of(big), None, AS_OF.isoformat())
    funcs = Counter(a["func"] for a in actions)
    notes = funcs.pop("addNote", 0)
    assert sum(funcs.values()) < 200, funcs.most_common()
    assert funcs["setValues"] <= 5  # result columns, Findings, Dashboard: one block each
    assert funcs["setRangeColors"] <= 10  # fills as matrices, not per cell
    assert "Findings" in book.names and "Dashboard" in book.names
    # notes on the first RIBBON_NOTES flagged cells, top rows first, one each
    flagged = _flagged(book["Findings"])
    assert len(flagged) > 500
    noted = [("Deals", a["args"][0].replace("$", "")) for a in actions if a["func"] == "addNote"]
    assert notes == RIBBON_NOTES
    assert sorted(noted) == sorted(flagged[:RIBBON_NOTES])
    assert set(book["Deals"].notes) == {cell for _, cell in flagged[:RIBBON_NOTES]}
    message = book.alerts[-1][0]
    assert f"Notes on the first {RIBBON_NOTES} of {len(flagged)} flagged cells" in message
    assert "every finding is on the 'Findings' sheet" in message


def test_a_rerun_updates_the_same_capped_notes_and_leaves_a_users_note_alone(
    big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ribbon cannot read note text: the notes it owns are the first cells (same cap, same
    order) of the previous Findings sheet. A note the user put on a flagged cell past the cap is
    the user's: the next run keeps it and lists it."""
    monkeypatch.setenv(RIBBON_NOTES_ENV, "30")
    payload = payload_of(big)
    _, first = run("validate_pipeline", payload, None, AS_OF.isoformat())
    flagged = _flagged(first["Findings"])
    assert len(first["Deals"].notes) == 30
    users = flagged[40][1]  # flagged, past the cap: no note of ours there
    again = payload_after(payload, first)
    again["sheets"][0]["notes"].append({"address": users})
    actions, second = run("validate_pipeline", again, None, AS_OF.isoformat())
    calls = Counter(a["func"] for a in actions)
    assert calls["addNote"] == calls["deleteNote"] == 0
    assert calls["setNoteText"] == 30  # ours, rewritten in place
    assert second["Findings"].value("J7") == f"Deals!{users}"  # kept, listed beside the table
    assert "1 cells already carry a note of your own" in second.alerts[-1][0]


@pytest.mark.parametrize(("setting", "expected"), [("all", None), ("7", 7), ("lots", RIBBON_NOTES)])
def test_the_note_cap_is_a_server_setting(
    big: Path, monkeypatch: pytest.MonkeyPatch, setting: str, expected: int | None
) -> None:
    monkeypatch.setenv(RIBBON_NOTES_ENV, setting)
    actions, book = run("validate_pipeline", payload_of(big), "zh", AS_OF.isoformat())
    notes = sum(a["func"] == "addNote" for a in actions)
    flagged = len(_flagged(book["问题清单"]))
    message = book.alerts[-1][0]
    assert notes == (flagged if expected is None else expected)
    if expected is None:
        assert "批注只写在前" not in message
    else:
        assert re.search(rf"批注只写在前 {expected} 个有问题的单元格上（共 {flagged} 个", message)
    assert ("服务器设置无效" in message) == (setting == "lots")
