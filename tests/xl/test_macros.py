"""The ribbon macros run through xlwings' own script dispatcher on real workbooks' payloads.

Each test builds a workbook with openpyxl, turns it into the body the Office.js add-in posts
(``xl.book_payload``), runs a script with ``xlwings.server.custom_scripts_call`` on
``xw.Book(json=payload)`` and checks the returned actions, applied in order to a model of the
sheets (``apply_actions``): the right values in the right cells, the sheets created, the
number of calls. ``validate_pipeline`` is checked cell by cell against ``excelflow annotate``
on the same file. Bid and template buttons are in ``test_macros_sheets.py``.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from xlwings import server

from annotate_support import AS_OF, sample_book
from excelflow.annotate.labels import NOTE_MARKER, SEVERITY_FILL
from excelflow.annotate.layout import findings_plan
from excelflow.annotate.plan import build_plan
from excelflow.annotate.sheets import KEPT_TITLE
from excelflow.api import annotate, validate_file
from excelflow.pipeline.fields import RESULT_FIELDS, SHEETS
from excelflow.pipeline.ruleset import Lang
from excelflow.xl import macros
from excelflow.xl.macros_annotate import NOTES_NAME
from xl.book_payload import book_payload, payload_after, run_script
from xl.macro_support import differences, only_alert, payload_of, run, same

SCRIPTS = [
    "bid_analysis",
    "grade_deals",
    "insert_template_sheets",
    "refresh_dashboard",
    "validate_pipeline",
]
DAY = AS_OF.isoformat()


# --------------------------------------------------------------------------- registration


def test_every_script_is_registered_with_one_book_parameter_and_help() -> None:
    meta = server.custom_scripts_meta(macros)
    assert sorted(m["function_name"] for m in meta) == SCRIPTS
    for name in SCRIPTS:
        func = inspect.unwrap(getattr(macros, name))
        params = list(inspect.signature(func).parameters.values())
        assert params[0].name == "book" and params[0].default is None  # Book.caller() on desktop
        assert all(p.default is None for p in params)  # a button runs it without arguments
        doc = inspect.getdoc(func) or ""
        assert len(doc.splitlines()[0]) > 20, name


def test_the_decorator_wraps_on_the_server_and_is_a_no_op_elsewhere() -> None:
    """On xlwings Server/Lite ``@xw.script`` swaps in an async wrapper carrying the metadata;
    without ``XLWINGS_ON_SERVER`` (plain Linux/macOS) the scripts stay plain functions."""
    assert inspect.iscoroutinefunction(macros.validate_pipeline)
    assert macros.validate_pipeline.__xlscript__["name"] is None  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"}
    code = (
        "import inspect, excelflow.xl.macros as m; f = m.validate_pipeline; "
        "print(inspect.iscoroutinefunction(f), hasattr(f, '__xlscript__'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["False", "False"]


def test_a_bad_argument_count_is_refused_by_the_dispatcher() -> None:
    """Too many arguments never reach our code: xlwings raises, the server handler reports it."""
    wb = Workbook()
    with pytest.raises(Exception, match="extra argument"):
        run_script(macros, "grade_deals", book_payload(wb), ["en", DAY, "pane", "surplus"])


# --------------------------------------------------------------------------- same as annotate


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validate_writes_what_annotate_writes(tmp_path: Path, lang: Lang) -> None:
    src = sample_book(tmp_path, lang, n=60)
    payload = payload_of(src)
    out = annotate(src, as_of=AS_OF)
    actions, book = run("validate_pipeline", payload, None, DAY)
    wb = load_workbook(out.out_path)
    assert book.names == wb.sheetnames  # Dashboard and Findings added, in annotate's order
    assert book.alerts[-1][1] == "info"
    deals = SHEETS["deals"](lang)
    res = out.result
    assert res.pipeline.sheet == deals

    # every result value on every deal row, in the same column
    header = {c.value: c.column for c in wb[deals][1] if c.value is not None}
    for spec in RESULT_FIELDS:
        col = header[spec.header(lang)]
        assert book[deals].value((1, col)) == spec.header(lang)
        for row in res.pipeline.rows:
            theirs = wb[deals].cell(int(row), col).value
            assert same(theirs, book[deals].value((int(row), col))), (spec.key, row)
    # nothing else on the deals sheet changed
    assert differences(out.out_path, deals, book[deals]) == []
    # each result column as wide as annotate makes it (fitted to its header and texts)
    sized = {a["start_column"] + 1 + j: a["args"][0] for a in actions
             if a["func"] == "setColumnWidth" and a["sheet_position"] == 0
             for j in range(a["column_count"])}  # fmt: skip
    for spec in RESULT_FIELDS:
        col = header[spec.header(lang)]
        assert sized[col] == wb[deals].column_dimensions[get_column_letter(col)].width, spec.key

    # the Findings and Dashboard sheets: every cell (but the ribbon's kept-notes list, J6 on)
    kept = book[out.sheets["findings"]]
    assert kept.value("J6") == KEPT_TITLE(lang) and kept.value("J7") is None
    for key in ("findings", "dashboard"):
        name = out.sheets[key]
        below_legend = (
            (lambda r, c: c == 10 and r >= 6) if key == "findings" else (lambda r, c: False)
        )
        assert differences(out.out_path, name, book[name], below_legend) == [], key

    # every note, cell by cell, on every sheet
    for ws in wb.worksheets:
        theirs = {c.coordinate: c.comment.text for r in ws.iter_rows() for c in r if c.comment}
        assert book[ws.title].notes == theirs, ws.title
    assert len(book[deals].notes) == res.findings["cell"].nunique()

    # whole ranges: one write per block, a handful of calls besides the notes
    calls = Counter(a["func"] for a in actions)
    assert calls["setValues"] + calls["setFormula"] == 3  # results and headers, dashboard, findings
    assert calls["addNote"] == len(book[deals].notes)
    assert len(actions) - calls["addNote"] < 200
    assert calls["addChart"] == 5 and calls["addTable"] == 1
    # the forecast chart: stated and gate-adjusted, two adjacent columns with their headers
    dash = book[out.sheets["dashboard"]]
    forecast_chart = dash.charts[-1]
    assert forecast_chart[:2] == ["efChart_forecast", "ColumnClustered"]
    assert forecast_chart[3].startswith("$C$") and forecast_chart[3].split(":")[1].startswith("$D$")


def test_row_colours_mark_the_result_cells_of_each_deal(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=40)
    actions, book = run("validate_pipeline", payload_of(src), "en", DAY)
    res = validate_file(src, lang="en", as_of=AS_OF).result
    assert res is not None
    deals = book["Deals"]
    first = min(c for (r, c), v in deals.values.items() if r == 1 and v == "ExcelFlow grade")
    worst: dict[int, str] = {}
    rank = {"info": 0, "warning": 1, "error": 2}
    for pos, sev in zip(res.findings["pos"], res.findings["severity"], strict=True):
        if pos >= 0 and rank[sev] >= rank.get(worst.get(int(pos), "info"), -1):
            worst[int(pos)] = sev
    for i, row in enumerate(res.pipeline.rows):
        expected = "#" + SEVERITY_FILL[worst[i]].lower() if i in worst else None
        for col in range(first, first + 5):
            assert deals.fills[(int(row), col)] == expected, (row, col)
        assert (int(row), first - 1) not in deals.fills  # the user's own cells are untouched
    assert Counter(a["func"] for a in actions)["setRangeColors"] <= 3 + 2  # deals + 2 sheets


def test_action_count_does_not_grow_with_the_deals(tmp_path: Path) -> None:
    counts = {}
    for n in (30, 300):
        actions, _ = run(
            "validate_pipeline", payload_of(sample_book(tmp_path, "en", n=n)), None, DAY
        )
        calls = Counter(a["func"] for a in actions)
        counts[n] = (calls["setValues"], calls["setFormula"], calls["setRangeColors"])
        assert len(actions) - calls["addNote"] < 200
    assert counts[30] == counts[300]


# --------------------------------------------------------------------------- re-runs


def test_a_rerun_replaces_and_never_duplicates(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=40)
    wb = load_workbook(src)
    ws = wb["Deals"]
    res = validate_file(src, lang="en", as_of=AS_OF).result
    assert res is not None
    cells = list(dict.fromkeys(res.findings["cell"].dropna()))
    user_cell, fixed_cell = cells[0], cells[1]
    ws[user_cell].comment = Comment("my own remark", "me")
    wb.save(src)
    payload = payload_of(src)
    _, first = run("validate_pipeline", payload, None, DAY)
    assert first["Deals"].notes[user_cell] == ""  # the user's note: not rewritten (text unknown)
    assert first["Deals"].notes[fixed_cell].startswith(NOTE_MARKER)
    assert "1 cells already carry a note of your own" in first.alerts[-1][0]
    assert first["Findings"].value("J7") == f"Deals!{user_cell}"  # listed beside the table

    # second run on the result, with one offending cell's note gone stale
    again = payload_after(payload, first)
    actions, second = run("validate_pipeline", again, None, DAY)
    calls = Counter(a["func"] for a in actions)
    assert second.names == first.names == ["Deals", "Dashboard", "Findings"]
    assert calls["sheetDelete"] == 2 and calls["addSheet"] == 2  # replaced in place
    assert calls["addNote"] == 0 and calls["setNoteText"] == len(first["Deals"].notes) - 1
    deals_header = [v for (r, _), v in sorted(second["Deals"].values.items()) if r == 1]
    assert deals_header.count("ExcelFlow grade") == 1  # columns reused, not appended again
    assert second["Deals"].notes[user_cell] == ""  # still the user's own note
    for name in ("Dashboard", "Findings"):
        assert second[name].rows() == first[name].rows()


def test_notes_from_excelflow_annotate_are_left_alone(tmp_path: Path) -> None:
    """annotate may have put a user's text above ours in one comment: the ribbon, which cannot
    read note text, treats those notes as the user's and lists them as kept."""
    src = sample_book(tmp_path, "en", n=30)
    out = annotate(src, as_of=AS_OF)
    actions, book = run("validate_pipeline", payload_of(out.out_path), None, DAY)
    calls = Counter(a["func"] for a in actions)
    assert calls["setNoteText"] == calls["deleteNote"] == calls["addNote"] == 0
    assert calls["sheetDelete"] == 2  # annotate's Findings and Dashboard are ours: replaced
    wb = load_workbook(out.out_path)
    noted = {c.coordinate for r in wb["Deals"].iter_rows() for c in r if c.comment}
    listed = {v for (r, c), v in book["Findings"].values.items() if c == 10 and r >= 7}
    assert listed == {f"Deals!{cell}" for cell in noted}


def test_a_stale_note_of_ours_is_deleted(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=40)
    payload = payload_of(src)
    _, first = run("validate_pipeline", payload, None, DAY)
    again = payload_after(payload, first)
    findings = next(s for s in again["sheets"] if s["name"] == "Findings")
    findings["values"].append(["Warning", "SG01", "D-X", "Deals", "ZZ99", "", "", "gone", "", ""])
    findings["used_range_address"] = f"A1:J{len(findings['values'])}"
    again["sheets"][0]["notes"].append({"address": "ZZ99"})
    (record,) = [n for n in again["names"] if n["name"] == NOTES_NAME]
    record["refers_to"] = f"={len(first['Deals'].notes) + 1}"  # ZZ99, last in order, was ours
    actions, second = run("validate_pipeline", again, None, DAY)
    assert [a["args"] for a in actions if a["func"] == "deleteNote"] == [["$ZZ$99"]]
    assert "ZZ99" not in second["Deals"].notes


def test_without_note_support_the_findings_sheet_carries_everything(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "zh", n=30)
    actions, book = run("validate_pipeline", payload_of(src, notes_supported=False), None, DAY)
    assert not any(a["func"] in ("addNote", "setNoteText", "deleteNote") for a in actions)
    assert "批注" in book.alerts[-1][0] and book.alerts[-1][1] == "info"
    assert len(book["问题清单"].rows(5)) > 10


# --------------------------------------------------------------------------- grade, dashboard


def test_grade_deals_writes_three_columns_only(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=40)
    payload = payload_of(src)
    actions, book = run("grade_deals", payload, "en", DAY)
    funcs = {a["func"] for a in actions}
    assert funcs <= {"setValues", "setFontProperty", "setNumberFormat", "setColumnWidth",
                     "activateSheet", "alert"}  # fmt: skip
    assert book.names == ["Deals"] and book.alerts[-1][1] == "info"
    out = annotate(src, tmp_path / "annotated.xlsx", as_of=AS_OF)
    wb = load_workbook(out.out_path)
    header = {c.value: c.column for c in wb["Deals"][1] if c.value is not None}
    written = {book["Deals"].value((1, c)): c for (r, c) in book["Deals"].values if r == 1}
    for key, title in [("ef_grade", "ExcelFlow grade"), ("ef_score", "Score"),
                       ("ef_adj_prob", "Adjusted probability")]:  # fmt: skip
        assert title in written
        for row in out.result.pipeline.rows:
            theirs = wb["Deals"].cell(int(row), header[title]).value
            assert same(theirs, book["Deals"].value((int(row), written[title]))), (key, row)
    assert "Gate" not in written and "Warnings" not in written
    assert "A " in book.alerts[-1][0] or "(A" in book.alerts[-1][0]


def test_refresh_dashboard_touches_the_dashboard_only(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "zh", n=40)
    payload = payload_of(src)
    actions, book = run("refresh_dashboard", payload, None, DAY)
    assert book.names == ["商机", "看板"]
    assert {a.get("sheet_position") for a in actions if "sheet_position" in a} <= {0, 1}
    assert not any(a.get("sheet_position") == 0 and a["func"] != "activateSheet" for a in actions)
    out = annotate(src, as_of=AS_OF)
    assert differences(out.out_path, "看板", book["看板"]) == []
    charts = book["看板"].charts
    assert [c[1] for c in charts] == ["BarClustered", "Pie", *["ColumnClustered"] * 3]
    assert all(c[2] == "看板" and c[9].startswith("$G$") for c in charts)


# --------------------------------------------------------------------------- bad input


def _empty_payload() -> dict[str, Any]:
    return book_payload(Workbook(), name="Book1.xlsx")


@pytest.mark.parametrize("script", ["validate_pipeline", "grade_deals", "refresh_dashboard",
                                    "bid_analysis"])  # fmt: skip
def test_an_empty_book_gets_a_message(script: str) -> None:
    actions, _ = run(script, _empty_payload())
    text = only_alert(actions)
    assert "empty" in text or "No deal table" in text


def test_a_book_without_a_deal_table_gets_a_message(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Notes"
    ws.append(["Shopping", "Qty"])
    ws.append(["Milk", 2])
    actions, _ = run("validate_pipeline", book_payload(wb))
    assert "No deal table found" in only_alert(actions) and "Notes" in only_alert(actions)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_header_only_table_gets_a_message(lang: Lang) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEETS["deals"](lang)
    ws.append(["Deal ID", "Customer", "Stage", "Amount"] if lang == "en" else
              ["商机编号", "客户", "阶段", "金额"])  # fmt: skip
    for script in ("validate_pipeline", "grade_deals", "refresh_dashboard"):
        actions, _ = run(script, book_payload(wb), lang)
        text = only_alert(actions)
        assert ("no deals yet" in text) if lang == "en" else ("还没有商机" in text)


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["fr"], "Unknown language 'fr'"), ([None, "next week"], "'next week' is not a date")],
)
def test_bad_arguments_get_a_message(tmp_path: Path, args: list[Any], expected: str) -> None:
    payload = payload_of(sample_book(tmp_path, "en", n=10))
    for script in ("validate_pipeline", "grade_deals", "refresh_dashboard"):
        actions, _ = run(script, payload, *args)
        assert expected in only_alert(actions)


def test_an_unexpected_failure_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from excelflow.xl import macros as module

    def broken(*_: Any) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, "write_findings", broken)  # after results, colours, dashboard
    actions, _ = run("validate_pipeline", payload_of(sample_book(tmp_path, "en", n=10)))
    text = only_alert(actions)
    assert "changed nothing" in text and "RuntimeError: disk on fire" in text


# --------------------------------------------------------------------------- scale


@pytest.mark.slow
def test_five_thousand_deals(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=5000)
    payload = payload_of(src)
    start = time.perf_counter()
    actions, book = run("validate_pipeline", payload, None, DAY)
    elapsed = time.perf_counter() - start
    calls = Counter(a["func"] for a in actions)
    print(f"\n5,000 deals: {elapsed:.2f} s, {len(actions)} actions, {dict(calls.most_common(6))}")
    assert book.alerts[-1][1] == "info"
    # the rows of wrapped long messages: Excel fits them itself, one call for the lot (the
    # openpyxl renderer writes an estimated height per row instead: no file reader grows them)
    checked = validate_file(src, lang="en", as_of=AS_OF).result
    assert checked is not None
    assert findings_plan(build_plan(checked)).fit_rows
    assert calls["setAutofit"] >= 1 and calls["setRowHeight"] <= 3
    assert len(actions) - calls["addNote"] < 200
    assert calls["setValues"] + calls["setFormula"] <= 6
