"""The Bid analysis and Insert template buttons, through xlwings' script dispatcher.

Both sheets must hold what ``excelflow bid`` / ``excelflow template`` write with openpyxl: the
same values and formulas in the same cells, the same tables; the tests compare cell by cell. The
template's sheets are the same plans, so the button also draws their borders and alignment, and
names what xlwings cannot write.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from annotate_support import AS_OF, sample_book
from excelflow.api import write_bid
from excelflow.bid.doc import load_bid
from excelflow.pipeline.fields import SHEETS, all_fields
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.template.book import template_book
from excelflow.workbook.template import template_workbook
from excelflow.xl import macro_labels as say
from excelflow.xl import macros
from xl.book_payload import VirtualSheet, apply_actions, book_payload, payload_after, run_script
from xl.macro_support import only_alert, payload_of, run

DAY = AS_OF.isoformat()


def sheet_cells(ws: Worksheet) -> dict[tuple[int, int], Any]:
    """Every non-empty cell of an openpyxl sheet (formulas as their text)."""
    out = {}
    for row in ws.iter_rows():
        for c in row:
            value = c.value
            if value is None or value == "":
                continue
            out[(c.row, c.column)] = str(value) if type(value).__name__ == "CellRichText" else value
    return out


def macro_cells(sheet: VirtualSheet) -> dict[tuple[int, int], Any]:
    """Every non-empty cell the actions left (as Excel shows them; formulas as their text)."""
    out = {}
    for key in sheet.values:
        value = sheet.value(key)
        raw = sheet.values[key]
        if isinstance(raw, str) and raw.startswith("="):
            value = raw
        if value is not None:
            out[key] = value
    return out


def assert_same_cells(theirs: dict[Any, Any], mine: dict[Any, Any]) -> None:
    assert set(theirs) == set(mine), sorted(set(theirs) ^ set(mine))[:10]
    for key, value in theirs.items():
        other = mine[key]
        if isinstance(value, float | int) and not isinstance(value, bool):
            assert other == pytest.approx(value), key
        elif hasattr(value, "isoformat"):
            assert str(other)[:10] == value.isoformat()[:10], key
        else:
            assert other == value, key


# --------------------------------------------------------------------------- bid analysis


def test_bid_analysis_builds_the_sheet_excelflow_bid_builds(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=20)
    actions, book = run("bid_analysis", payload_of(src, selection="C5:F5"), None, DAY)
    assert book.names == ["Deals", "Bid – D-00004"]
    assert book.alerts[-1][1] == "info" and "D-00004" in book.alerts[-1][0]
    assert book.active == 1  # the new sheet is shown

    out = write_bid(src, "D-00004", output=tmp_path / "bid.xlsx", as_of=AS_OF)
    ws = load_workbook(out.path)[out.sheet]
    assert isinstance(ws, Worksheet)
    assert_same_cells(sheet_cells(ws), macro_cells(book[out.sheet]))
    tables = sorted((a[3], a[0].replace("$", "")) for a in book[out.sheet].tables)
    assert tables == sorted((t.displayName, t.ref) for t in ws.tables.values())
    # a seeded sheet has no win model: its chart's place says what P(win) needs (no empty chart)
    assert book[out.sheet].charts == []
    funcs = [a["func"] for a in actions]
    assert funcs.count("setFormula") == 1  # the whole sheet in one write
    assert funcs.count("setDataValidationList") >= 3 and "addConditionalFormat" in funcs


def test_bid_analysis_draws_the_plan_excelflow_bid_draws(tmp_path: Path) -> None:
    """The ribbon renders the Bid sheet's own plan: its borders, fonts and highlight fills too,
    the profit series named by its header cell, and it names exactly what xlwings cannot draw."""
    src = sample_book(tmp_path, "en", n=20)
    model = load_bid(Path(__file__).parents[1] / "bid" / "example_bid.json")
    with_bid = write_bid(
        src, "D-00004", output=tmp_path / "with_bid.xlsx", as_of=AS_OF,
        model=replace(model, deal_id="D-00004"),
    )  # fmt: skip  # a bid with a win model: the sheet has its chart
    payload = payload_of(with_bid.path, selection="C5:F5", active=0)
    actions, book = run("bid_analysis", payload, None, DAY)
    funcs = [a["func"] for a in actions]
    assert "setBorderProperty" in funcs and "setVerticalAlignment" in funcs
    assert funcs.count("showAutofilterTable") == 1  # the cost table has no filter buttons
    fills = [a["args"][0]["fill_color"] for a in actions if a["func"] == "addConditionalFormat"]
    assert fills == ["#c6efce", None, None, "#ffc7ce", None]  # no white-on-white #N/A rule
    [chart] = [a["args"] for a in actions if a["func"] == "addChart"]
    assert chart[3].startswith("$H$")  # the header "Expected profit" names the series
    text = book.alerts[-1][0]
    assert (
        "Not carried over: calculated table columns, chart line widths and dashes, extra "
        "chart series, print settings, tab colours" in text
    )
    assert "borders" not in text


def test_bid_analysis_refreshes_an_existing_bid_sheet_in_place(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "zh", n=20)
    with_bid = write_bid(src, "D-00004", output=tmp_path / "with_bid.xlsx", as_of=AS_OF)
    wb = load_workbook(with_bid.path)
    wb.create_sheet("Other")
    wb.save(with_bid.path)
    before = wb.sheetnames
    actions, book = run(
        "bid_analysis", payload_of(with_bid.path, selection="A5", active=0), None, DAY
    )
    assert book.names == before  # same name, same position
    funcs = [a["func"] for a in actions]
    assert funcs.count("sheetDelete") == 1 and funcs.count("addSheet") == 1
    assert "刷新" in book.alerts[-1][0]


def test_bid_analysis_refuses_a_bid_sheet_with_broken_inputs(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=20)
    out = write_bid(src, "D-00004", output=tmp_path / "with_bid.xlsx", as_of=AS_OF)
    wb = load_workbook(out.path)
    ws = wb[out.sheet]
    assert isinstance(ws, Worksheet)
    label = next(c for r in ws.iter_rows() for c in r if c.value == "Target margin")
    ws.cell(label.row, label.column + 1).value = "lots"
    wb.save(out.path)
    actions, _ = run("bid_analysis", payload_of(out.path, selection="B5", active=0), "en")
    text = only_alert(actions)
    assert "cannot be used" in text and out.sheet in text


@pytest.mark.parametrize(
    ("selection", "active", "expected"),
    [
        ("B1", 0, "Row 1 of 'Deals' is not a deal"),
        ("A60", 0, "Row 60 of 'Deals' is not a deal"),
        ("", 0, "Select a cell in a deal's row"),
        ("B5", 1, "Row 5 of 'Other' is not a deal"),
    ],
)
def test_bid_analysis_needs_a_deal_row(
    tmp_path: Path, selection: str, active: int, expected: str
) -> None:
    src = sample_book(tmp_path, "en", n=20)
    wb = load_workbook(src)
    wb.create_sheet("Other")
    wb.save(src)
    actions, _ = run("bid_analysis", payload_of(src, selection=selection, active=active), "en")
    assert expected in only_alert(actions)


def test_bid_analysis_needs_a_deal_id(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=20)
    wb = load_workbook(src)
    ws = wb["Deals"]
    assert isinstance(ws, Worksheet)
    ws["A6"] = None
    wb.save(src)
    actions, _ = run("bid_analysis", payload_of(src, selection="D6"), "en")
    assert "has no deal ID" in only_alert(actions)


# --------------------------------------------------------------------------- template


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_insert_template_adds_the_templates_deals_and_rules_sheets(lang: Lang) -> None:
    payload = book_payload(Workbook(), name="Book1.xlsx")
    actions, book = run("insert_template_sheets", payload, lang)
    deals, rules = SHEETS["deals"](lang), SHEETS["rules"](lang)
    assert book.names == [deals, rules, "Sheet"]
    assert book.alerts[-1][1] == "info" and book.active == 0
    wb = template_workbook(lang)
    for name in (deals, rules):
        ws = wb[name]
        assert isinstance(ws, Worksheet)
        assert_same_cells(sheet_cells(ws), macro_cells(book[name]))
    funcs = [a["func"] for a in actions]
    names = [a["args"][0] for a in actions if a["func"] == "namesAdd"]
    assert names == list(template_book(lang).names) == list(wb.defined_names)
    assert funcs.index("namesAdd") < funcs.index("setDataValidationList", funcs.index("namesAdd"))
    assert ["$A$1" in a[0] for a in book[deals].tables] == [True]
    headers = len(all_fields(load_ruleset()))
    assert len(book[deals].notes) == headers  # the header help, as notes
    assert "setDataValidationList" in funcs and "setDataValidationRule" in funcs
    assert "setBorderProperty" in funcs and "setVerticalAlignment" in funcs  # row rules, tops
    alert = book.alerts[-1][0]
    assert "borders" not in alert and "边框" not in alert
    for missed in ("rich text", "tab colours", "print settings", "validations that only warn"):
        assert (say.FEATURES_ZH[missed] if lang == "zh" else missed) in alert


def test_the_inserted_template_validates_with_its_own_rules_sheet() -> None:
    payload = book_payload(Workbook(), name="Book1.xlsx")
    _, book = run("insert_template_sheets", payload, "en")
    filled = payload_after(payload, book)
    actions = run_script(macros, "validate_pipeline", filled, [None, DAY])
    after = apply_actions(filled, actions)
    assert after.alerts[-1][1] == "info", after.alerts
    codes = {r[1] for r in after["Findings"].rows(5, 8)}
    assert "DQ08" not in codes  # the Rules sheet was read back without a problem


def test_insert_template_defaults_to_chinese_in_an_empty_book() -> None:
    _, book = run("insert_template_sheets", book_payload(Workbook()))
    assert book.names[:2] == ["商机", "规则"]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("deals", "already has the sheet(s) 'Deals'"),
        ("rules_zh", "already has the sheet(s) '规则'"),
        ("content", "The workbook is not empty ('Sheet' has content)"),
    ],
)
def test_insert_template_refuses_a_book_in_use(setup: str, expected: str) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if setup == "deals":
        wb.create_sheet("Deals")
    elif setup == "rules_zh":
        wb.create_sheet("规则")
    else:
        ws["C3"] = "my notes"
    actions, _ = run("insert_template_sheets", book_payload(wb), "en")
    assert expected in only_alert(actions)


def test_insert_template_rejects_an_unknown_language() -> None:
    actions, _ = run("insert_template_sheets", book_payload(Workbook()), "de")
    assert "Unknown language 'de'" in only_alert(actions)
