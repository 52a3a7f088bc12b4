"""The Validate button on 5,000 deals through xlwings' own dispatcher (``custom_scripts_call``
on ``xw.Book(json=...)``): how many actions Excel has to apply (issue 16).

Values go in one write per block, fills as colour matrices over ranges, formats one call per
rectangle, so everything but the notes is a fixed number of actions, whatever the number of
deals. Notes are one action per flagged cell (Excel and xlwings have no bulk note call), so the
ribbon notes only the first flagged cells in sheet order, as many as keep the run under 200
actions (at most ``RIBBON_NOTES``; ``$EXCELFLOW_RIBBON_NOTES`` sets the number outright), and
says so; every finding stays on the Findings sheet. No timing is asserted here (``make bench``
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
from excelflow.xl.macros_annotate import NOTES_NAME
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


@pytest.mark.parametrize("report", [None, "pane"])
def test_validate_on_5000_deals_sends_fewer_than_200_actions(
    big: Path, monkeypatch: pytest.MonkeyPatch, report: str | None
) -> None:
    """Every write but the notes is a fixed number of actions; the notes take what is left of
    the 199 (at most RIBBON_NOTES), on the first flagged cells in sheet order, and the Findings
    sheet names how many (for the next run)."""
    monkeypatch.delenv(RIBBON_NOTES_ENV, raising=False)
    actions, book = run("validate_pipeline", payload_of(big), None, AS_OF.isoformat(), report)
    funcs = Counter(a["func"] for a in actions)
    notes = funcs["addNote"]
    assert len(actions) < 200, funcs.most_common()
    assert len(actions) >= 195  # the budget is used, not wasted
    assert funcs["setValues"] + funcs["setFormula"] <= 3  # results, Findings, Dashboard
    assert funcs["setRangeColors"] <= 5  # fills as matrices, not per cell
    assert "Findings" in book.names and "Dashboard" in book.names
    assert ("runMacro" in funcs) == (report == "pane")
    flagged = _flagged(book["Findings"])
    assert len(flagged) > 500
    assert 20 <= notes <= RIBBON_NOTES
    noted = [("Deals", a["args"][0].replace("$", "")) for a in actions if a["func"] == "addNote"]
    assert sorted(noted) == sorted(flagged[:notes])
    assert set(book["Deals"].notes) == {cell for _, cell in flagged[:notes]}
    assert book["Findings"].names == {NOTES_NAME: f"={notes}"}
    message = book.alerts[-1][0]
    assert f"Notes on the first {notes} of {len(flagged)} flagged cells" in message
    assert "every finding is on the 'Findings' sheet" in message


def test_a_rerun_knows_its_notes_from_the_findings_sheet(
    big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The number of notes follows the budget, so the next run reads it from the name on the
    Findings sheet: it rewrites exactly those notes, and a note the user put on the very next
    flagged cell stays the user's (kept and listed)."""
    monkeypatch.delenv(RIBBON_NOTES_ENV, raising=False)
    payload = payload_of(big)
    _, first = run("validate_pipeline", payload, None, AS_OF.isoformat())
    n = len(first["Deals"].notes)
    flagged = _flagged(first["Findings"])
    users = flagged[n][1]  # the first flagged cell past our notes
    again = payload_after(payload, first)
    again["sheets"][0]["notes"].append({"address": users})
    actions, second = run("validate_pipeline", again, None, AS_OF.isoformat())
    calls = Counter(a["func"] for a in actions)
    assert len(actions) < 200
    assert calls["setNoteText"] == n and calls["deleteNote"] == 0  # ours, rewritten in place
    touched = {a["args"][0].replace("$", "") for a in actions if "Note" in a["func"]}
    assert users in second["Deals"].notes and users not in touched
    assert second["Findings"].names == {NOTES_NAME: f"={n + calls['addNote']}"}
    assert second["Findings"].value("J7") == f"Deals!{users}"  # kept, listed beside the table
    assert "1 cells already carry a note of your own" in second.alerts[-1][0]


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


@pytest.mark.parametrize(("setting", "expected"), [("all", None), ("7", 7), ("lots", 0)])
def test_the_note_cap_is_a_server_setting(
    big: Path, monkeypatch: pytest.MonkeyPatch, setting: str, expected: int | None
) -> None:
    monkeypatch.setenv(RIBBON_NOTES_ENV, setting)
    actions, book = run("validate_pipeline", payload_of(big), "zh", AS_OF.isoformat())
    notes = sum(a["func"] == "addNote" for a in actions)
    flagged = len(_flagged(book["问题清单"]))
    message = book.alerts[-1][0]
    if expected == 0:  # a bad setting: the default, the budget's share
        expected = notes
        assert 20 <= notes <= RIBBON_NOTES and len(actions) < 200
    assert notes == (flagged if expected is None else expected)
    if expected is None:
        assert "批注只写在前" not in message
    else:
        assert re.search(rf"批注只写在前 {expected} 个有问题的单元格上（共 {flagged} 个", message)
    assert ("服务器设置无效" in message) == (setting == "lots")


def test_a_messy_export_stays_under_200_actions_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 deals of the benchmarks' messy export: 2,462 flagged cells whose errors and
    warnings alternate row by row on the Findings sheet (severity colours by text, not a call
    per run), Chinese sheets."""
    from xl.test_render_looks import _messy

    monkeypatch.delenv(RIBBON_NOTES_ENV, raising=False)
    actions, book = run("validate_pipeline", payload_of(_messy(tmp_path, 1000)), None, "2026-11-28")
    funcs = Counter(a["func"] for a in actions)
    assert len(actions) < 200, funcs.most_common()
    assert funcs["addNote"] >= 20 and "问题清单" in book.names
