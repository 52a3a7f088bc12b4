"""Issue 12: a Bid sheet's empty states say what to fill in (LibreOffice renders them).

A freshly seeded sheet (no costs, no competitor data) shows no empty chart and no #N/A: where
the chart would be, it says what P(win) needs; above it a live line asks for the costs until the
total cost is positive. With a win model but no budget or quote, the chart lines' #N/A (which
keeps those lines off the chart) is written white on white.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bid.bid_helpers import bid_book, example
from bid.test_bid_agreement import recalculate
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.bid.seed import SEED_MIN_MARGIN, SEED_TARGET_MARGIN
from excelflow.bid.sheet.chart import EMPTY_CHART, NO_COST
from excelflow.pipeline.ruleset import Lang

pytestmark = pytest.mark.libreoffice
LANGS: tuple[Lang, ...] = ("zh", "en")


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which("soffice")
    if found is None or shutil.which("pdftotext") is None:
        pytest.skip("soffice or pdftotext not on PATH")
    return found


def _seeded() -> BidModel:
    """What `excelflow bid` seeds for a deal: placeholder cost lines, no competitor data."""
    return BidModel(
        deal_id="D-1002",
        customer="Helios Pharma",
        project="Line automation",
        cost_lines=tuple(CostLine(c, "", 1.0, None) for c in CostCategory),
        target_margin=SEED_TARGET_MARGIN,
        min_margin=SEED_MIN_MARGIN,
    )


def _pdf_text(soffice: str, path: Path) -> str:
    profile = f"file:///tmp/lo-excelflow-empty-{uuid.uuid4().hex}"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(path.parent), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    pdf = path.with_suffix(".pdf")
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return " ".join(out.stdout.split())  # wrapped lines joined


@pytest.mark.parametrize("lang", LANGS)
def test_a_fresh_sheet_says_what_to_fill_in(tmp_path: Path, soffice: str, lang: Lang) -> None:
    path = tmp_path / f"seeded_{lang}.xlsx"
    (layout,) = bid_book(path, _seeded(), lang=lang)
    ws = load_workbook(path)[layout.sheet]
    assert ws._charts == []  # type: ignore[attr-defined]  # no empty chart
    text = _pdf_text(soffice, path)
    assert "#N/A" not in text and "#NA" not in text
    flat = text.replace(" ", "")
    for line in (EMPTY_CHART[0], NO_COST):
        assert line(lang).replace(" ", "") in flat, line(lang)
    # the longer lines wrap inside their merged cells: their key phrases
    phrases = {
        "zh": ("胜过对手的历史概率", "最低竞争加价率", "再次运行excelflowbid"),
        "en": ("P(beat)history", "lowestcompetingmarkup", "runexcelflowbidagain"),
    }[lang]
    for phrase in phrases:
        assert phrase in flat, phrase


@pytest.mark.parametrize("lang", LANGS)
def test_the_cost_line_goes_once_costs_are_entered(
    tmp_path: Path, soffice: str, lang: Lang
) -> None:
    path = tmp_path / f"seeded_{lang}.xlsx"
    (layout,) = bid_book(path, _seeded(), lang=lang)
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws[layout.cells["line.0.unit_cost"]] = 120_000  # the user types a unit cost in Excel
    filled = tmp_path / f"filled_{lang}.xlsx"
    wb.save(filled)
    before, after = recalculate(soffice, path, filled)
    cell = layout.cells["empty.cost"]
    assert load_workbook(before, data_only=True)[layout.sheet][cell].value == NO_COST(lang)
    assert load_workbook(after, data_only=True)[layout.sheet][cell].value in (None, "")


def test_no_budget_or_quote_hides_the_chart_lines_na(tmp_path: Path, soffice: str) -> None:
    """With a win model the chart is drawn; the budget and quote lines have nothing to draw
    (#N/A), and those cells are white on white: a conditional format on the block."""
    path = tmp_path / "model.xlsx"
    (layout,) = bid_book(path, example(budget=None, quoted_price=None))
    ws = load_workbook(path)[layout.sheet]
    assert len(ws._charts) == 1  # type: ignore[attr-defined]
    x = layout.cells["chart.budget.x"]
    rules = [
        (str(cf.sqref), r)
        for cf in ws.conditional_formatting
        for r in cf.rules
        if any("ISNA(" in f for f in r.formula)
    ]
    assert len(rules) == 1
    area, rule = rules[0]
    assert x in _cells(area)
    assert rule.dxf.font.color.rgb.endswith("FFFFFF")
    (recalculated,) = recalculate(soffice, path)
    got = load_workbook(recalculated, data_only=True)[layout.sheet][x].value
    assert got == "#N/A"


def _cells(area: str) -> set[str]:
    from openpyxl.utils import range_boundaries
    from openpyxl.utils.cell import get_column_letter

    c1, r1, c2, r2 = range_boundaries(area.split()[0])
    return {f"{get_column_letter(c)}{r}" for c in range(c1, c2 + 1) for r in range(r1, r2 + 1)}
