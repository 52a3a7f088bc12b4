"""The Bid sheet: written with openpyxl, read back with python-calamine, edited like a user."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bid.bid_helpers import AS_OF, bid_book, example, read_entries
from excelflow.bid.analysis import analyze_bid
from excelflow.bid.competitors import Competitor
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.bid.sheet.book import build_bid_sheet
from excelflow.bid.sheet.layout import (
    COMPETITOR_HEADERS,
    COST_HEADERS,
    HISTORY_HEADERS,
    INPUTS,
    RESULTS,
    SECTIONS,
    sheet_name,
    table_name,
)
from excelflow.bid.sheet.read import read_bid_grid
from excelflow.bid.sheet.style import STYLES
from excelflow.pipeline.fields import fold, is_bid_sheet_name


def normal_model() -> BidModel:
    """Normal lowest-bid model, custom grid, negative minimum margin, no competitors."""
    return BidModel(
        deal_id="1001",
        customer="星河制药",
        project="Line automation",
        currency="USD",
        cost_lines=(
            CostLine(CostCategory.SOFTWARE, "Licences", 12, 1234.5, supplier="Acme"),
            CostLine(CostCategory.CONTINGENCY, "", 1, None),
        ),
        target_margin=0.3,
        min_margin=-0.05,
        overhead_pct=0.0,
        lowest_bid_mean=0.12,
        lowest_bid_sd=0.04,
        markups=(0.0, 0.05, 0.1, 0.125, 0.2),
        withdraw_threshold=-1.5,
        withdraw_requires_both=True,
        criteria_favourable=None,
        our_rank=1,
        win_model="normal",
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("make", [example, normal_model], ids=["example", "normal"])
def test_round_trip_gives_the_same_model(tmp_path: Path, lang: str, make: object) -> None:
    model = make()  # type: ignore[operator]
    path = tmp_path / "bid.xlsx"
    bid_book(path, model, lang=lang)  # type: ignore[arg-type]
    [entry] = read_entries(path)
    assert entry.problems == ()
    assert entry.model == model
    assert entry.deal_id == model.deal_id
    assert entry.result is not None
    assert entry.result.total_cost == pytest.approx(analyze_bid(model).total_cost)


def test_layout_is_the_same_in_both_languages(tmp_path: Path) -> None:
    """Golden cases name Bid-sheet rows: they must not depend on the language."""
    en = bid_book(tmp_path / "en.xlsx", example(), lang="en")[0]
    zh = bid_book(tmp_path / "zh.xlsx", example(), lang="zh")[0]
    assert en.cells == zh.cells
    assert en.cells["in.quoted_price"] == "B13"
    assert en.cells["out.target_price"] == "E8"
    assert en.cells["out.withdraw"] == "E21"
    assert en.cells["line.0.unit_cost"] == "E25"


def test_sheet_written_in_chinese_reads_chinese_labels(tmp_path: Path) -> None:
    path = tmp_path / "zh.xlsx"
    bid_book(path, example(), lang="zh")
    ws = load_workbook(path)["投标分析 – OPP-2024-017"]
    assert ws["A9"].value == "目标毛利率"
    assert ws["A25"].value == "设备"
    assert ws["B14"].value == "是"


def test_a_unit_cost_edited_in_excel_changes_the_total(tmp_path: Path) -> None:
    """The user changes the switch's unit cost 180 000 -> 200 000 with openpyxl."""
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, example())[0]
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws[layout.cells["line.0.unit_cost"]] = 200_000
    wb.save(path)
    [entry] = read_entries(path)
    assert entry.problems == ()
    assert entry.result is not None
    assert entry.result.direct_cost == 598_000 + 2 * 20_000
    assert entry.result.total_cost == pytest.approx(638_000 * 1.06)


def test_rows_added_inside_the_table_and_blank_rows_are_read(tmp_path: Path) -> None:
    """Insert a row in the cost table (shifting everything below), add a line in it, leave a
    blank row, type percentages and money as text."""
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, example())[0]
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws.insert_rows(27, amount=2)  # rows 27-28 are new and blank; the rest moves down
    ws["A27"], ws["B27"], ws["D27"], ws["E27"] = "软件", "Extra licence", 2, "1,500"
    ws["B9"] = "25%"  # target margin typed as text
    ws["B12"] = "¥80万"  # budget as Chinese money text
    wb.save(path)
    [entry] = read_entries(path)
    assert entry.problems == ()
    m = entry.model
    assert m is not None
    assert len(m.cost_lines) == 9
    assert m.cost_lines[2] == CostLine(CostCategory.SOFTWARE, "Extra licence", 2, 1500.0)
    assert m.target_margin == pytest.approx(0.25)
    assert m.budget == pytest.approx(800_000)
    assert [ln.row for ln in entry.lines][:4] == [25, 26, 27, 29]
    assert entry.lines[2].unit_cost == "E27"


def test_unreadable_inputs_are_problems_not_exceptions(tmp_path: Path) -> None:
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, example())[0]
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws["B10"] = "about ten"  # minimum margin
    ws["B14"] = "perhaps"  # criteria favourable
    ws["A26"] = "Hardwre"  # unknown category
    ws["D27"] = "some"  # quantity
    ws["E28"] = "TBD"  # unit cost not priced yet: BD04, not a problem
    ws["B37"] = "first"  # competitor rank
    wb.save(path)
    [entry] = read_entries(path)
    cells = {p.cell: p for p in entry.problems}
    assert set(cells) == {"B10", "B14", "A26", "D27", "B37"}
    assert "not a number" in cells["B10"].message.en
    assert "不是数字" in cells["B10"].message.zh
    assert "counted as Other" in cells["A26"].message.en
    m = entry.model
    assert m is not None  # the fallbacks still make a model
    assert m.min_margin == 0.0 and m.criteria_favourable is None
    assert m.cost_lines[1].category is CostCategory.OTHER
    assert m.cost_lines[2].quantity == 0
    assert m.cost_lines[3].unit_cost is None
    assert {(i.code, i.line_index) for i in entry.issues} >= {("BD04", 2), ("BD04", 3)}


def test_inputs_that_make_no_model(tmp_path: Path) -> None:
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, example())[0]
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws["B9"] = 0.05  # target margin below the 8 % minimum: BidModel refuses
    wb.save(path)
    [entry] = read_entries(path)
    assert entry.model is None and entry.result is None
    [problem] = entry.problems
    assert problem.cell == "B9"
    assert "below min_margin" in problem.message.en

    ws["B9"] = None
    ws["B5"] = None
    wb.save(path)
    [entry] = read_entries(path)
    assert entry.model is None and entry.deal_id is None
    assert [p.cell for p in entry.problems] == ["B5"]


def test_competitor_errors_point_at_their_cells(tmp_path: Path) -> None:
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, example())[0]
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws["E39"] = -0.1  # ratio sd of 竞争对手丙
    ws["A47"] = "Nobody"  # a history row for a competitor not in the table
    wb.save(path)
    [entry] = read_entries(path)
    assert entry.model is None
    cells = [p.cell for p in entry.problems]
    assert "A47" in cells and "E39" in cells


def test_empty_and_seeded_cost_tables(tmp_path: Path) -> None:
    """No lines: a valid (one blank row) table, BD04 no_cost_lines; template lines: BD04 each."""
    empty = example(cost_lines=(), competitors=(), win_model=None)
    seeded = example(
        deal_id="D-2",
        cost_lines=tuple(CostLine(c, "", 1, None) for c in CostCategory),
        competitors=(),
        win_model=None,
    )
    path = tmp_path / "bid.xlsx"
    bid_book(path, empty, seeded)
    first, second = read_entries(path)
    assert first.model == empty and first.result is None and first.problems == ()
    assert [(i.code, i.line_index) for i in first.issues] == [("BD04", None)]
    assert second.model == seeded
    assert [i.line_index for i in second.issues] == list(range(8))


def test_names_are_valid_and_unique() -> None:
    name = sheet_name("OPP/2024:017*[x]?", "en")
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert name == "Bid – OPP_2024_017__x__"
    long = sheet_name("X" * 40, "zh")
    assert len(long) == 31 and long.startswith("投标分析 – ")
    taken = [sheet_name("D-1", "en")]
    assert sheet_name("D-1", "en", taken) == "Bid – D-1 (2)"
    assert len(sheet_name("X" * 40, "en", [sheet_name("X" * 40, "en")])) == 31
    assert table_name("BidCosts", "D-1 x", ["bidcosts_D_1_x"]) == "BidCosts_D_1_x_2"
    assert is_bid_sheet_name("投标分析 – D-1") and is_bid_sheet_name("bid - d1")
    assert not is_bid_sheet_name("Deals")


def test_labels_the_reader_looks_up_never_collide(tmp_path: Path) -> None:
    """No text the writer puts on the sheet, other than an input's own label, folds to an input
    label; and table headers and section titles are distinct."""
    inputs = {fold(n) for label in INPUTS for n in label.names()}
    for group in (RESULTS, COST_HEADERS, COMPETITOR_HEADERS, HISTORY_HEADERS):
        for label in group:
            assert not {fold(label.text.zh), fold(label.text.en)} & inputs, label
    titles = {fold(t.zh) for t in SECTIONS.values()} | {fold(t.en) for t in SECTIONS.values()}
    headers = {fold(n) for g in (COST_HEADERS, COMPETITOR_HEADERS) for lb in g for n in lb.names()}
    assert not titles & headers
    for lang in ("en", "zh"):
        path = tmp_path / f"{lang}.xlsx"
        layout = bid_book(path, example(customer="Acme"), lang=lang)[0]
        ws = load_workbook(path)[layout.sheet]
        found = [
            c.coordinate
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and fold(c.value) in inputs
        ]
        assert len(found) == len(INPUTS), found


def test_not_a_bid_sheet() -> None:
    assert read_bid_grid([["Deal ID", "D-1"], ["Notes", "x"]], (0, 0), "Bid notes") is None
    assert read_bid_grid([], (0, 0), "Bid") is None


def test_snapshot_values_match_the_model(tmp_path: Path) -> None:
    """P(win) and the recommended markup on the sheet are the model's (read with openpyxl)."""
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, example())[0]
    ws = load_workbook(path)[layout.sheet]
    r = analyze_bid(example())
    assert r.optimum is not None
    assert ws[layout.cells["out.rec_markup"]].value == r.optimum.point.markup
    # openpyxl writes 16 significant digits: equal to the last bit or so
    assert ws[layout.cells["out.rec_pwin"]].value == pytest.approx(r.optimum.point.p_win, 1e-15)
    for k, point in enumerate(r.sensitivity):
        assert ws[layout.cells[f"sens.{k}.markup"]].value == point.markup
        assert ws[layout.cells[f"sens.{k}.p_gates"]].value == pytest.approx(
            point.p_win_gates, 1e-15
        )
        assert ws[layout.cells[f"sens.{k}.p_normal"]].value is None
    assert math.isclose(ws[layout.cells["comp.0.median"]].value, 0.1375)
    assert layout.snapshot is not None and layout.snapshot.selected == "gates"
    assert str(AS_OF) in " ".join(
        str(c.value) for row in ws.iter_rows(min_col=1, max_col=1) for c in row if c.value
    )


def test_refresh_replaces_the_sheet_in_place(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from excelflow.workbook.bid import write_bid_sheet

    wb = Workbook()
    first = write_bid_sheet(wb, example(), "en", when=AS_OF)
    wb.create_sheet("After")
    again = write_bid_sheet(
        wb, replace(example(), quoted_price=700_000.0), "zh", replace=first.sheet
    )
    assert again.sheet == first.sheet
    assert wb.sheetnames == ["Sheet", first.sheet, "After"]
    assert wb[first.sheet]["B13"].value == 700_000.0
    assert sorted(wb[first.sheet].tables) == sorted(first.tables.values())


def test_several_deals_in_one_workbook_get_distinct_tables(tmp_path: Path) -> None:
    path = tmp_path / "bid.xlsx"
    layouts = bid_book(path, example(), example(deal_id="D-2"), example(deal_id="D/2"))
    names = [t for lay in layouts for t in lay.tables.values()]
    assert len(names) == len({n.casefold() for n in names})
    entries = read_entries(path)
    assert [e.deal_id for e in entries] == ["OPP-2024-017", "D-2", "D/2"]
    assert [e.sheet for e in entries] == ["Bid – OPP-2024-017", "Bid – D-2", "Bid – D_2"]


def test_competitor_without_win_data(tmp_path: Path) -> None:
    model = example(
        competitors=(*example().competitors, Competitor("Newcomer", expected_price=700_000.0)),
        win_model=None,
    )
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, model)[0]
    [entry] = read_entries(path)
    assert entry.model == model
    assert layout.snapshot is not None and layout.snapshot.selected is None
    ws = load_workbook(path)[layout.sheet]
    notes = " ".join(str(c.value) for row in ws.iter_rows(min_col=1, max_col=1) for c in row)
    assert "'Newcomer' has no win data" in notes


def test_the_layout_places_the_sheet_and_names_its_tables_from_the_sheets_given() -> None:
    """No workbook needed: the sheets' names and tables say where the Bid sheet goes."""
    sheets = {"Deals": [], "Bid – OPP-2024-017": ["BidCosts_OPP_2024_017"], "Notes": []}
    new = build_bid_sheet(example(), "en", sheets, when=AS_OF)
    assert (new.name, new.index) == ("Bid – OPP-2024-017 (2)", 2)  # after the other Bid sheet
    assert new.layout.tables["costs"] == "BidCosts_OPP_2024_017_2"
    again = build_bid_sheet(example(), "en", sheets, replace="Bid – OPP-2024-017", when=AS_OF)
    assert (again.name, again.index) == ("Bid – OPP-2024-017", 1)
    assert again.layout.tables["costs"] == "BidCosts_OPP_2024_017"  # its old table is free
    alone = build_bid_sheet(example(), "zh", {"商机": []}, when=AS_OF)
    assert (alone.name, alone.index) == ("投标分析 – OPP-2024-017", 1)
    plan = alone.plan
    assert [t.name for t in plan.tables] == list(alone.layout.tables.values())
    assert len(plan.charts) == 1 and len(plan.charts[0].series) == 5
    assert plan.value(1, 1).startswith("投标分析 – OPP-2024-017")
    assert set(plan.styles) == set(STYLES)  # every look is defined once, by name
