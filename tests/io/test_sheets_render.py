"""The sheets read well when LibreOffice draws them (issue 13): the Dashboard and Findings sheets
of the annotated template and of the annotated Maven CRM export (8,800 deals, no open amounts),
in Chinese and English, plus the result columns of the CRM copy's deals sheet, converted to PDF
in one LibreOffice run and read back from the PDF text layer with ``pdftotext``:

* no rule id (``evaluation.below_pass_mark``) shows: rules are named by their translated title;
* no header is cut: LibreOffice leaves a clipped word out of the text layer, so every header,
  KPI label and result header must be found whole (whitespace aside: a wrapped header breaks
  lines);
* no ``#N/A`` (or other error value) shows;
* the CRM Dashboard says why it has no "open amount by stage" chart.

Page 1 of each PDF is also drawn as a PNG into ``out/render/`` for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from annotate_support import AS_OF
from conftest import REPO, shared_data_dir
from excelflow.annotate.labels import (
    COLUMNS_HEADERS,
    FINDINGS_HEADERS,
    KPI_LABEL,
    NO_AMOUNT_CHART,
    TABLE_HEADERS,
)
from excelflow.api import annotate
from excelflow.pipeline.fields import RESULT_FIELDS, SHEETS
from excelflow.pipeline.mapping import load_mapping
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.rules import load_all
from excelflow.workbook.annotate import AnnotateOutcome
from excelflow.workbook.template import build_template

PNG_DIR = REPO / "out" / "render"
LANGS: tuple[Lang, ...] = ("zh", "en")
ERROR_VALUES = ("#N/A", "#VALUE!", "#REF!", "#NAME?", "#DIV/0!", "Err:")

pytestmark = pytest.mark.libreoffice


def _only_sheet(out: AnnotateOutcome, key: str, folder: Path, stem: str) -> Path:
    """A copy holding only our ``key`` sheet (``deals``: the deals sheet's result columns and
    first rows, on one page width), so the PDF is that sheet alone."""
    wb = load_workbook(out.out_path)
    lang = out.result.lang
    name = (
        (out.result.pipeline.sheet or SHEETS["deals"](lang)) if key == "deals" else out.sheets[key]
    )
    for ws in list(wb.worksheets):
        if ws.title != name:
            wb.remove(ws)
    ws = wb[name]
    ws.sheet_view.tabSelected = True
    if key == "deals":
        last = ws.max_column
        first = last - len(RESULT_FIELDS) + 1
        ws.print_area = f"{get_column_letter(first)}1:{get_column_letter(last)}40"
        ws.page_setup.orientation = "landscape"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    path = folder / f"{stem}_{key}.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def pdf_text(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Lang]]:
    """Per copy (``tpl_zh_dashboard``, ``crm_en_deals``…), its PDF text and language."""
    for tool in ("soffice", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not on PATH (make test installs LibreOffice and poppler-utils)")
        csv = shared_data_dir() / "crm-sales-opportunities" / "sales_pipeline.csv"
    if not csv.is_file():
        pytest.skip(f"the CRM export is not at {csv}")
    folder = tmp_path_factory.mktemp("sheets_render")
    rs = load_ruleset()
    mapping = load_mapping(REPO / "examples" / "mappings" / "maven-crm.json", rs)
    copies: dict[str, tuple[Path, Lang]] = {}
    for lang in LANGS:
        template = build_template(folder / f"pipeline_{lang}.xlsx", lang=lang)
        tpl = annotate(template, as_of=AS_OF)
        crm = annotate(csv, folder / f"crm_{lang}.xlsx", mapping=mapping, lang=lang, as_of=AS_OF)
        for stem, out, keys in (
            (f"tpl_{lang}", tpl, ("dashboard", "findings")),
            (f"crm_{lang}", crm, ("dashboard", "findings", "deals")),
        ):
            for key in keys:
                copies[f"{stem}_{key}"] = (_only_sheet(out, key, folder, stem), lang)
    profile = folder / f"lo-sheets-{os.getpid()}"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(folder), *(str(p) for p, _ in copies.values())],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    texts: dict[str, tuple[str, Lang]] = {}
    draw = shutil.which("pdftoppm") is not None
    if draw:
        PNG_DIR.mkdir(parents=True, exist_ok=True)
    for key, (path, lang) in copies.items():
        pdf = path.with_suffix(".pdf")
        assert pdf.is_file(), f"{key}: no PDF ({proc.stderr})"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
        texts[key] = (text, lang)
        if draw:
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",
                            "-singlefile", str(pdf), str(PNG_DIR / key)], check=True)  # fmt: skip
    return texts


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _missing(text: str, words: list[str]) -> list[str]:
    """The ``words`` not found whole in ``text`` (whitespace ignored)."""
    flat = _squeezed(text)
    return [w for w in words if _squeezed(w) not in flat]


KEYS = [
    *(f"{src}_{lang}_{sheet}" for src in ("tpl", "crm") for lang in LANGS
      for sheet in ("dashboard", "findings")),
    *(f"crm_{lang}_deals" for lang in LANGS),
]  # fmt: skip


@pytest.mark.parametrize("key", KEYS)
def test_no_rule_id_and_no_error_value(pdf_text: dict[str, tuple[str, Lang]], key: str) -> None:
    text, _ = pdf_text[key]
    assert text.strip(), f"{key}: empty text layer"
    ids = [r.name for r in load_all().values() if r.name in text]
    assert ids == [], f"{key} shows rule ids {ids}"
    errors = [e for e in ERROR_VALUES if e in text]
    assert errors == [], f"{key} shows {errors}"


@pytest.mark.parametrize("key", KEYS)
def test_no_header_is_cut(pdf_text: dict[str, tuple[str, Lang]], key: str) -> None:
    text, lang = pdf_text[key]
    sheet = key.rsplit("_", 1)[1]
    if sheet == "dashboard":
        words = [KPI_LABEL[k](lang) for k in KPI_LABEL]
        words += [h(lang) for heads in TABLE_HEADERS.values() for h in heads]
        if key.startswith("crm"):  # the header report is shown for a sheet with ignored columns
            words += [h(lang) for h in COLUMNS_HEADERS]
    elif sheet == "findings":
        words = [h(lang) for h in FINDINGS_HEADERS]
    else:
        words = [f.header(lang) for f in RESULT_FIELDS]
    assert _missing(text, words) == [], f"{key}: cut or missing headers"


@pytest.mark.parametrize("lang", LANGS)
def test_rules_are_named_by_title_and_empty_charts_explained(
    pdf_text: dict[str, tuple[str, Lang]], lang: Lang
) -> None:
    registry = load_all()
    tpl, _ = pdf_text[f"tpl_{lang}_dashboard"]
    shown = [code for code in registry if re.search(rf"\b{code}\b", tpl)]
    assert shown and _missing(tpl, [registry[c].title(lang) for c in shown]) == []
    crm, _ = pdf_text[f"crm_{lang}_dashboard"]
    assert _missing(crm, [NO_AMOUNT_CHART["blank"](lang)]) == []
    deals, _ = pdf_text[f"crm_{lang}_deals"]
    assert "DQ01" in deals and registry["DQ01"].title(lang) in deals  # code with its title
