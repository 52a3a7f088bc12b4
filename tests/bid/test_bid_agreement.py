"""The Bid sheet's formulas agree with the Python model: LibreOffice recalculates, we compare.

The sheet is written with openpyxl (formulas without cached values), converted by LibreOffice
headless to .xlsx — which computes every formula — and read back with python-calamine. Every
formula cell of the sheet must be one the test knows, and each must equal what
:func:`excelflow.bid.analysis.analyze_bid` computes, to 1e-6 relative; no cell holds an error
value (python-calamine reads an error as an empty string, so the sheet's XML is read for them).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import python_calamine as pc
from openpyxl import load_workbook

from bid.bid_helpers import bid_book, error_cells, example
from excelflow.bid.analysis import analyze_bid
from excelflow.bid.model import BidModel, CostCategory
from excelflow.bid.result import BidResult
from excelflow.bid.sheet.book import BidSheetLayout
from excelflow.bid.sheet.layout import WORDS, category_label
from excelflow.pipeline.ruleset import Lang

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        pytest.skip("soffice not on PATH")
    return found


def recalculate(soffice: str, *paths: Path) -> list[Path]:
    """LibreOffice opens each path, computes every formula and saves a copy; return the copies.
    One run for all of them: starting LibreOffice is most of the time."""
    out = paths[0].parent / "recalculated"
    profile = f"file:///tmp/lo-excelflow-bid-{uuid.uuid4().hex}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            *map(str, paths),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    return [out / path.name for path in paths]


def expected(model: BidModel, r: BidResult, lang: Lang) -> dict[str, Any]:
    """Every formula cell's value, by layout key, from the Python analysis."""
    w = {k: t(lang) for k, t in WORDS.items()}
    cost = r.total_cost
    proposed = (r.quote or r.target).price
    assert r.optimum is not None
    quote, fit = r.quote, r.budget_fit
    opt = r.optimum.point
    out: dict[str, Any] = {
        "out.direct_cost": r.direct_cost,
        "out.overhead": r.overhead,
        "out.total_cost": cost,
        "out.target_price": r.target.price,
        "out.floor_price": r.floor.price,
        "out.quote_margin": None if quote is None else quote.margin,
        "out.quote_markup": None if quote is None else quote.markup,
        "out.quote_amount": None if quote is None else quote.margin_amount,
        "out.proposed_price": proposed,
        "out.budget_headroom": None if fit is None else fit.headroom,
        "out.budget_margin": None if fit is None else fit.margin_at_budget,
        "out.rec_price": r.recommended_price,
        "out.rec_margin": opt.margin,
        "out.rec_profit": opt.expected_profit,
        "out.withdraw": w["withdraw"] if r.withdraw.recommended else w["bid"],
        "sub.total": r.direct_cost,
        "our_position": r.our_position,
        "empty.cost": None,  # the costs are there: the "enter costs" line is blank
    }
    for i, amount in enumerate(r.line_amounts):
        out[f"line.{i}.amount"] = amount
    for sub in r.subtotals:
        out[f"sub.{sub.category.value}"] = sub.amount
        out[f"share.{sub.category.value}"] = sub.share
    positions = {p.name: p for p in r.positions}
    for i, comp in enumerate(model.competitors):
        p = positions.get(comp.name)
        out[f"comp.{i}.implied"] = None if p is None else p.expected_price
        out[f"comp.{i}.basis"] = None if p is None else w[p.basis]
        out[f"comp.{i}.difference"] = None if p is None else p.difference
        out[f"comp.{i}.difference_pct"] = None if p is None else p.difference_pct
        out[f"comp.{i}.position"] = None if p is None else w[p.position]
    profits = []
    for k, point in enumerate(r.sensitivity):
        out[f"sens.{k}.price"] = point.price
        out[f"sens.{k}.margin"] = point.margin
        out[f"sens.{k}.amount"] = point.margin_amount
        out[f"sens.{k}.profit"] = point.expected_profit
        out[f"sens.{k}.below"] = w["tick"] if point.below_floor else None
        profits.append(point.expected_profit)
    lines = {
        "floor": (r.floor.markup, None),
        "budget": (None, w["no_budget"]) if fit is None else (fit.budget / cost - 1, None),
        "quote": (None, w["no_quote"]) if quote is None else (quote.markup, None),
    }
    for key, (x, missing) in lines.items():  # a line without its price: words, then blanks
        out[f"chart.{key}.x"] = missing if x is None else x
        out[f"chart.{key}.x1"] = x
        out[f"chart.{key}.y0"] = None if x is None else min(0.0, *profits)
        out[f"chart.{key}.y1"] = None if x is None else max(profits)
    out["chart.recommended.x"] = opt.markup
    out["chart.recommended.y"] = opt.expected_profit
    return out


def compare(
    path: Path, layout: BidSheetLayout, model: BidModel, lang: Lang, recalculated: Path
) -> int:
    """Assert every formula cell of ``path`` agrees in its ``recalculated`` copy; return how many
    were checked."""
    assert error_cells(recalculated) == []
    want = expected(model, analyze_bid(model), lang)
    key_of = {cell: key for key, cell in layout.cells.items()}
    ws = load_workbook(path)[layout.sheet]
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    unknown = [c for c in formulas if key_of.get(c) not in want]
    assert not unknown, f"formula cells the test does not check: {unknown}"
    book = pc.CalamineWorkbook.from_path(str(recalculated))
    grid = book.get_sheet_by_name(layout.sheet).to_python(skip_empty_area=False)
    for coord in formulas:
        cell = ws[coord]
        got = grid[cell.row - 1][cell.column - 1]
        value = want[key_of[coord]]
        where = f"{coord} ({key_of[coord]}): got {got!r}, want {value!r}"
        if value is None:
            assert got == "", where
        elif isinstance(value, str):
            assert got == value, where
        else:
            assert isinstance(got, float), where
            assert math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-6), where
    return len(formulas)


def test_example_bid_agrees_with_python(tmp_path: Path, soffice: str) -> None:
    model = example()
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, model)[0]
    (recalculated,) = recalculate(soffice, path)
    assert compare(path, layout, model, "en", recalculated) > 150


def test_after_user_edits_the_sheet_still_agrees(tmp_path: Path, soffice: str) -> None:
    """Chinese sheet, normal model, withdraw advised; then the user edits costs in Excel
    (openpyxl): unit cost, quantity, overhead; LibreOffice's numbers follow the edited model."""
    model = example(
        win_model="normal",
        lowest_bid_mean=0.1,
        lowest_bid_sd=0.05,
        criteria_favourable=False,
        quoted_price=820_000.0,
        budget=900_000.0,
    )
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, model, lang="zh")[0]

    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws[layout.cells["line.1.unit_cost"]] = 75_000
    ws[layout.cells["line.7.quantity"]] = 4
    ws[layout.cells["in.overhead_pct"]] = 0.1
    ws[layout.cells["line.3.category"]] = category_label(CostCategory.LOGISTICS, "zh")
    edited_path = tmp_path / "edited.xlsx"
    wb.save(edited_path)
    lines = list(model.cost_lines)
    lines[1] = replace(lines[1], unit_cost=75_000.0)
    lines[7] = replace(lines[7], quantity=4.0)
    lines[3] = replace(lines[3], category=CostCategory.LOGISTICS)
    edited = replace(model, cost_lines=tuple(lines), overhead_pct=0.1)

    before, after = recalculate(soffice, path, edited_path)
    assert compare(path, layout, model, "zh", before) > 150
    compare(edited_path, layout, edited, "zh", after)


def test_position_against_the_recommended_price_and_history_medians(
    tmp_path: Path, soffice: str
) -> None:
    """Issue 12: without a quote the competitors are compared with the recommended price (not
    the price at target margin), and a competitor with both an expected price and a P(beat)
    history keeps its history median markup as the snapshot (not its price − 1)."""
    base = example()
    first = replace(base.competitors[0], expected_price=700_000.0)
    model = replace(base, quoted_price=None, competitors=(first, *base.competitors[1:]))
    r = analyze_bid(model)
    assert r.optimum is not None and r.recommended_price < r.target.price
    path = tmp_path / "bid.xlsx"
    layout = bid_book(path, model)[0]
    ws = load_workbook(path)[layout.sheet]
    assert math.isclose(ws[layout.cells["comp.0.median"]].value, 0.1375)
    (recalculated,) = recalculate(soffice, path)
    assert compare(path, layout, model, "en", recalculated) > 150
