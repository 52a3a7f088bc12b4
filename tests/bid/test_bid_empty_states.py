"""Issue 12: a Bid sheet's empty states say what to fill in (LibreOffice renders them).

A freshly seeded sheet (no costs, no competitor data) shows no empty chart and no #N/A: where
the chart would be, it says what P(win) needs; above it a live line asks for the costs until the
total cost is positive. A sheet with inputs missing (no budget, no quote, no cost lines, an input
cleared in Excel) holds no error value anywhere: a chart line without its price says so in words
("无预算" / "no budget") and is left off the chart.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import python_calamine as pc
from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from bid.bid_helpers import AS_OF, bid_book, error_cells, example
from bid.test_bid_agreement import compare, recalculate
from conftest import REPO
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.bid.seed import SEED_MIN_MARGIN, SEED_TARGET_MARGIN
from excelflow.bid.sheet.book import BidSheetLayout, build_bid_sheet
from excelflow.bid.sheet.chart import EMPTY_CHART, NO_COST
from excelflow.bid.sheet.layout import WORDS
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


PNG_DIR = REPO / "out" / "render"
ERROR_VALUES = ("#N/A", "#VALUE!", "#REF!", "#NAME?", "#DIV/0!", "#NUM!", "#NULL!", "Err:")


def test_a_line_without_its_price_is_left_off_the_chart() -> None:
    """No budget: the chart draws the floor and quote lines and the recommended point, not a
    budget line fed by error values; no look hides anything white on white."""
    titles = {}
    for lang in LANGS:
        for name, model in (("full", example()), ("no budget", example(budget=None))):
            sheet = build_bid_sheet(model, lang, {}, when=AS_OF)
            (chart,) = sheet.plan.charts
            titles[lang, name] = [s.title for s in chart.series]
            assert not any("ISNA(" in c.formula for c in sheet.plan.conditional)
            fonts = [s.font for s in sheet.plan.styles.values() if s.font is not None]
            assert not any((f.color or "").upper().endswith("FFFFFF") for f in fonts)
        assert len(titles[lang, "full"]) == 5
        budget = WORDS["budget"](lang)
        assert titles[lang, "no budget"] == [t for t in titles[lang, "full"] if t != budget]
    no_cost = build_bid_sheet(example(cost_lines=()), "en", {}, when=AS_OF)
    no_lines = [s.title for s in no_cost.plan.charts[0].series][1:]
    assert no_lines == ["Floor line", "Recommended point"]  # no costs: no budget or quote line


def _partial_cases(folder: Path) -> dict[str, tuple[Path, BidSheetLayout, Lang]]:
    """Workbooks with inputs missing: the bid built so, and the complete bid with one input
    cell cleared in Excel (openpyxl) after it was built."""
    cases: dict[str, tuple[Path, BidSheetLayout, Lang]] = {}
    models: dict[str, tuple[BidModel, Lang]] = {
        "full_en": (example(), "en"),
        "full_zh": (example(), "zh"),
        "no_budget_en": (example(budget=None), "en"),
        "no_budget_zh": (example(budget=None), "zh"),
        "no_budget_no_quote_zh": (example(budget=None, quoted_price=None), "zh"),
        "no_cost_lines_en": (example(cost_lines=()), "en"),
        "no_competitors_zh": (example(competitors=()), "zh"),
        "seeded_zh": (_seeded(), "zh"),
        "seeded_en": (_seeded(), "en"),
    }
    for name, (model, lang) in models.items():
        path = folder / f"{name}.xlsx"
        (layout,) = bid_book(path, model, lang=lang)
        cases[name] = (path, layout, lang)
    full, layout, _ = cases["full_en"]
    cleared = [k for k in layout.cells if k.startswith("in.")]
    cleared += [f"line.0.{k}" for k in ("quantity", "unit_cost")]
    cleared += [f"comp.0.{k}" for k in ("name", "rank", "expected_price", "ratio_mean")]
    cleared += [f"hist.0.{k}" for k in ("markup", "probability")]
    for key in cleared:
        wb = load_workbook(full)
        wb[layout.sheet][layout.cells[key]] = None
        path = folder / f"cleared_{key}.xlsx"
        wb.save(path)
        cases[path.stem] = (path, layout, "en")
    return cases


def test_missing_inputs_give_words_or_blanks_never_an_error(tmp_path: Path, soffice: str) -> None:
    """LibreOffice recalculates every partial sheet: no cell holds an error value (the XML says
    so; python-calamine reads no error text either); without a budget the budget line says so in
    words, and every other number is what the Python analysis says."""
    cases = _partial_cases(tmp_path)
    recalculated = recalculate(soffice, *(p for p, _, _ in cases.values()))
    for (name, (_, layout, _lang)), done in zip(cases.items(), recalculated, strict=True):
        assert error_cells(done) == [], name
        texts = [v for row in _grid(done, layout) for v in row if isinstance(v, str)]
        assert not [t for t in texts if t.startswith(ERROR_VALUES)], name
    done_of = dict(zip(cases, recalculated, strict=True))
    for lang in LANGS:
        path, layout, _ = cases[f"no_budget_{lang}"]
        done = done_of[f"no_budget_{lang}"]
        assert compare(path, layout, example(budget=None), lang, done) > 150
        values = _grid(done, layout)
        assert _at(values, layout, "chart.budget.x") == WORDS["no_budget"](lang)
        for key in ("x1", "y0", "y1"):
            assert _at(values, layout, f"chart.budget.{key}") == "", key
        for key in ("budget_headroom", "budget_margin"):
            assert _at(values, layout, f"out.{key}") == "", key
    path, layout, lang = cases["no_budget_no_quote_zh"]
    neither = example(budget=None, quoted_price=None)
    assert compare(path, layout, neither, lang, done_of["no_budget_no_quote_zh"]) > 150


def _grid(path: Path, layout: BidSheetLayout) -> list[list[object]]:
    sheet = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.sheet)
    return sheet.to_python(skip_empty_area=False)  # type: ignore[return-value]


def _at(values: list[list[object]], layout: BidSheetLayout, key: str) -> object:
    letters, row = coordinate_from_string(layout.cells[key])
    return values[row - 1][column_index_from_string(letters) - 1]


def test_the_sheet_drawn_complete_and_without_a_budget(tmp_path: Path, soffice: str) -> None:
    """LibreOffice draws the complete sheet and the one without a budget, in both languages, into
    out/render/bid_*.png for a person to look at; the PDF text shows no error value, says "no
    budget" where the budget line would be, and holds every label of the chart-lines block."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not on PATH")
    paths = {}
    for lang in LANGS:
        for name, model in (("full", example()), ("no_budget", example(budget=None))):
            path = tmp_path / f"bid_{name}_{lang}.xlsx"
            bid_book(path, model, lang=lang)
            paths[path.stem] = (path, lang)
    profile = f"file:///tmp/lo-excelflow-bidpng-{uuid.uuid4().hex}"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), *(str(p) for p, _ in paths.values())],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    for stem, (path, lang) in paths.items():
        pdf = path.with_suffix(".pdf")
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(PNG_DIR / stem)], check=True)  # fmt: skip
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
        flat = "".join(text.split())
        assert not [e for e in ERROR_VALUES if e in text], stem
        for label in (WORDS["floor"], WORDS["budget"], WORDS["quote"], WORDS["recommended"]):
            assert label(lang).replace(" ", "") in flat, (stem, label(lang))
        no_budget = WORDS["no_budget"](lang).replace(" ", "")
        assert (no_budget in flat) == ("no_budget" in stem), stem
