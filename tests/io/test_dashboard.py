"""The Dashboard and Findings sheets: numbers equal pandas aggregations of the engine's deals,
charts are native Excel charts, links reach their cells, and LibreOffice renders it all."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, PieChart

from annotate_support import AS_OF, calamine_rows, sample_book, table_after
from excelflow.annotate.labels import (
    CHART_TITLE,
    FORECAST_CHART,
    FORECAST_HEADERS,
    FORECAST_TITLE,
    NO_OWNER,
    TABLE_TITLE,
)
from excelflow.api import annotate, validate_file
from excelflow.engine.forecast import forecast, headline
from excelflow.pipeline.normalize import find_header
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.sheets.text import text_width
from excelflow.workbook.annotate import AnnotateOutcome
from excelflow.workbook.sample import sample_deals, write_sample

RENDER_DIR = Path("/tmp/annotate_render")
PDFTOPPM = ("pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile")
LANGS: tuple[Lang, ...] = ("en", "zh")


@pytest.fixture(scope="module", params=["en", "zh"])
def annotated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AnnotateOutcome:
    lang: Lang = request.param
    src = sample_book(tmp_path_factory.mktemp(f"dash_{lang}"), lang, n=120)
    return annotate(src, as_of=AS_OF)


def _block(out: AnnotateOutcome, key: str) -> pd.DataFrame:
    rows = calamine_rows(out.out_path, out.sheets["dashboard"])
    header, body = table_after(rows, TABLE_TITLE[key](out.result.lang))
    width = len([h for h in header if h != ""])
    return pd.DataFrame([r[:width] for r in body], columns=header[:width])


def test_stage_and_grade_tables_equal_pandas(annotated: AnnotateOutcome) -> None:
    res = annotated.result
    d = res.deals[res.deals["is_open"]]
    stage = _block(annotated, "by_stage")
    for st in res.ruleset.stages:
        mine = d[d["stage"].astype("Float64") == st.number]
        row = stage.iloc[st.number - 1]
        assert row.iloc[0] == f"{st.number} {st.name(res.lang)}"
        assert row.iloc[1] == len(mine)
        assert row.iloc[2] == pytest.approx(mine["amount"].sum())
        assert row.iloc[3] == pytest.approx(mine["weighted_amount"].sum())
    unknown = d["stage"].isna().sum()
    assert len(stage) == len(res.ruleset.stages) + (1 if unknown else 0)
    assert stage.iloc[:, 1].sum() == len(d)

    grade = _block(annotated, "by_grade")
    expected = d.groupby("grade")[["amount", "weighted_amount"]].sum()
    counts = d["grade"].value_counts()
    for _, row in grade.iterrows():
        g = row.iloc[0]
        assert row.iloc[1] == counts.get(g, 0)
        if g in expected.index:
            assert row.iloc[2] == pytest.approx(expected.loc[g, "amount"])
            assert row.iloc[3] == pytest.approx(expected.loc[g, "weighted_amount"])


def test_kpis_codes_and_owners_equal_pandas(annotated: AnnotateOutcome) -> None:
    res = annotated.result
    rows = calamine_rows(annotated.out_path, annotated.sheets["dashboard"])
    kpis = {rows[r][c]: rows[r + 1][c] for r in (3, 5) for c in range(4)}
    open_ = res.deals[res.deals["is_open"]]
    weighted_label = "加权管道金额" if res.lang == "zh" else "Weighted pipeline"
    assert kpis[weighted_label] == pytest.approx(open_["weighted_amount"].sum())

    codes = _block(annotated, "by_code")
    counts = res.findings["code"].value_counts()
    assert dict(zip(codes.iloc[:, 0], codes.iloc[:, 2], strict=True)) == counts.to_dict()
    hit = res.findings[res.findings["pos"] >= 0].groupby("code")["pos"].nunique()
    assert dict(zip(codes.iloc[:, 0], codes.iloc[:, 3], strict=True)) == hit.to_dict()

    owners = _block(annotated, "by_owner")
    gated = res.deals["gate"].notna().to_numpy()
    frame = pd.DataFrame(
        {
            "owner": res.pipeline.frame["owner"].fillna(NO_OWNER(res.lang)).to_numpy()[gated],
            "forced": (res.deals["gate"] == "forced").to_numpy()[gated],
        }
    )
    rate = frame.groupby("owner")["forced"].mean()
    got = dict(zip(owners.iloc[:, 0], owners.iloc[:, 3], strict=True))
    assert got.keys() == rate.to_dict().keys()
    for owner, value in rate.items():
        assert got[owner] == pytest.approx(value)
    assert list(owners.iloc[:, 3]) == sorted(owners.iloc[:, 3], reverse=True)


def test_forecast_block_equals_the_engine(annotated: AnnotateOutcome) -> None:
    """Stated beside gate-adjusted per salesperson, read back by calamine; the line under it
    gives the totals and says what the gap is."""
    res = annotated.result
    lang = res.lang
    rows = calamine_rows(annotated.out_path, annotated.sheets["dashboard"])
    header, body = table_after(rows, FORECAST_TITLE(lang))
    assert header[:4] == [h(lang) for h in FORECAST_HEADERS]
    body, note = body[:-1], body[-1][0]  # the line right under the table
    f = forecast(res.deals)
    assert len(body) == len(f.by_owner) > 1
    for got, want in zip(body, f.by_owner, strict=True):
        assert got[0] == (want.key or NO_OWNER(lang))
        assert got[1] == want.deals
        assert got[2] == pytest.approx(want.stated)
        assert got[3] == pytest.approx(want.adjusted)
    open_ = res.deals[res.deals["is_open"]]
    assert sum(r[3] for r in body) == pytest.approx(open_["weighted_amount"].sum())
    assert sum(r[2] for r in body) == pytest.approx((open_["amount"] * open_["probability"]).sum())
    assert note == headline(f, lang)
    assert {"zh": "差额就是强行推进的代价", "en": "The gap is the cost of forced advances"}[
        lang
    ] in note
    assert f"{f.gap:,.0f}" in note and f.gap > 0  # the sample has forced advances


def test_charts_are_native_excel_charts(annotated: AnnotateOutcome) -> None:
    lang = annotated.result.lang
    wb = load_workbook(annotated.out_path)
    ws = wb[annotated.sheets["dashboard"]]
    charts = ws._charts  # type: ignore[attr-defined]
    assert [type(c) for c in charts] == [BarChart, PieChart, BarChart, BarChart, BarChart]
    assert charts[0].type == "bar" and charts[2].type == "col"
    forecast_chart = charts[4]  # clustered: stated beside gate-adjusted, per salesperson
    assert forecast_chart.type == "col" and forecast_chart.grouping == "clustered"
    assert len(forecast_chart.series) == 2 and forecast_chart.legend.position == "b"
    with zipfile.ZipFile(annotated.out_path) as zf:
        names = zf.namelist()
        assert sum(n.startswith("xl/charts/chart") for n in names) == 5
        assert not any(n.startswith("xl/media/") for n in names)  # no pictures of charts
        xml = "".join(zf.read(n).decode("utf-8") for n in names if n.startswith("xl/charts/chart"))
    for key in ("by_stage", "by_grade", "by_code", "by_owner"):
        assert CHART_TITLE[key](lang) in xml
    assert FORECAST_CHART(lang) in xml
    sheet = annotated.sheets["dashboard"]
    assert f"'{sheet}'!$C$" in xml or f"{sheet}!$C$" in xml  # fed from the sheet's own tables


def test_findings_sheet_is_a_linked_filterable_table(annotated: AnnotateOutcome) -> None:
    res = annotated.result
    wb = load_workbook(annotated.out_path)
    ws = wb[annotated.sheets["findings"]]
    (table,) = ws.tables.values()
    assert table.ref == f"A5:H{5 + len(res.findings)}"
    assert ws.freeze_panes == "A6"
    sheet = res.pipeline.sheet
    for i, (_, f) in enumerate(res.findings.iterrows()):
        cell = ws.cell(6 + i, 5)
        assert cell.value == f["cell"]
        assert cell.hyperlink is not None and cell.hyperlink.location == f"'{sheet}'!{f['cell']}"
    # the legend sits above the table's rows (J1:J4): a filter never hides it, nothing runs under
    legend = [ws.cell(1 + i, 10).fill.fgColor.rgb for i in range(1, 4)]
    assert legend == ["00FFC7CE", "00FFEB9C", "00DDEBF7"]
    # columns fit their text (CJK counted double, capped); a longer message wraps
    message = [ws.cell(6 + i, 8) for i in range(len(res.findings))]
    width = ws.column_dimensions["H"].width
    assert 40 <= width <= 90
    too_long = any(text_width(c.value) > width - 1 for c in message)
    assert all(bool(c.alignment.wrap_text) == too_long for c in message)


def test_our_sheets_are_never_taken_for_the_pipeline(tmp_path: Path) -> None:
    headers, rows = sample_deals(40, lang="zh", as_of=AS_OF)
    src = write_sample(tmp_path / "q4.xlsx", headers, rows, sheet="Q4")  # not a Deals name
    out = annotate(src, as_of=AS_OF)
    grid = calamine_rows(out.out_path, out.sheets["dashboard"])
    assert find_header(grid, load_ruleset()) is None  # no Stage header next to a known one
    wb = load_workbook(out.out_path)
    wb.move_sheet("Q4", offset=2)  # the user puts the pipeline after our sheets
    wb.save(tmp_path / "moved.xlsx")
    assert load_workbook(tmp_path / "moved.xlsx").sheetnames == ["看板", "问题清单", "Q4"]
    again = validate_file(tmp_path / "moved.xlsx", as_of=AS_OF).result
    assert again is not None and again.pipeline.sheet == "Q4"
    assert again.flat() == out.result.flat()


# --------------------------------------------------------------------------- LibreOffice


def _soffice(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


Rendered = tuple[AnnotateOutcome, dict[str, Path], subprocess.CompletedProcess[str]]


def _first_page_copy(out: AnnotateOutcome, key: str, folder: Path) -> Path:
    """A copy whose first (and active) sheet is our ``key`` sheet, so page 1 of its PDF is that
    sheet's page 1."""
    wb = load_workbook(out.out_path)
    ws = wb[out.sheets[key]]
    wb.move_sheet(ws, offset=-wb.index(ws))
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    wb.active = 0
    ws.sheet_view.tabSelected = True
    first = folder / f"{key}_{out.result.lang}.xlsx"
    wb.save(first)
    return first


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[Lang, Rendered]:
    """Per language, the annotated copy and copies whose first sheet is the Dashboard and the
    Findings sheet; all converted to PDF in one LibreOffice run (starting it is most of the
    time)."""
    if shutil.which("soffice") is None:
        pytest.skip("soffice not on PATH")
    tmp_path = tmp_path_factory.mktemp("render")
    profile = tmp_path / f"lo-annotate-{os.getpid()}"
    books: dict[Lang, tuple[AnnotateOutcome, dict[str, Path]]] = {}
    for lang in LANGS:
        out = annotate(sample_book(tmp_path, lang, n=60), as_of=AS_OF)
        books[lang] = (
            out,
            {k: _first_page_copy(out, k, tmp_path) for k in ("dashboard", "findings")},
        )
    files = [str(p) for out, firsts in books.values() for p in (out.out_path, *firsts.values())]
    proc = _soffice(["--convert-to", "pdf", "--outdir", str(tmp_path), *files], profile)
    return {
        lang: (out, {k: f.with_suffix(".pdf") for k, f in firsts.items()}, proc)
        for lang, (out, firsts) in books.items()
    }


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", LANGS)
def test_libreoffice_converts_and_renders_the_dashboard(
    rendered: dict[Lang, Rendered], lang: Lang
) -> None:
    out, pages, proc = rendered[lang]
    pdf = out.out_path.with_suffix(".pdf")
    assert proc.returncode == 0 and pdf.exists() and pdf.stat().st_size > 10_000, proc.stderr
    assert all(page.exists() for page in pages.values()), proc.stderr
    if shutil.which("pdftotext") is not None:
        text = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(pages["dashboard"]), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        title = "销售漏斗看板" if lang == "zh" else "Pipeline dashboard"
        assert title in text and TABLE_TITLE["by_grade"](lang) in text
    if shutil.which("pdftoppm") is None:
        return
    RENDER_DIR.mkdir(parents=True, exist_ok=True)
    for key, page in pages.items():
        stem = RENDER_DIR / (key if lang == "en" else f"{key}_{lang}")
        subprocess.run([*PDFTOPPM, str(page), str(stem)], check=True)
        png = stem.with_suffix(".png")
        assert png.exists() and png.stat().st_size > 20_000
        assert np.frombuffer(png.read_bytes()[:8], dtype=np.uint8).tolist() == [
            137, 80, 78, 71, 13, 10, 26, 10,
        ]  # fmt: skip


def test_a_users_sheet_named_like_ours_in_another_case_is_never_taken(tmp_path: Path) -> None:
    """Claiming compares names as Excel does (ignoring case), for annotate as for the ribbon:
    a user's "dashboard" keeps its name and ours goes to "ExcelFlow Dashboard"."""
    src = sample_book(tmp_path, "en", n=20)
    wb = load_workbook(src)
    wb.create_sheet("dashboard")["A1"] = "my own numbers"
    wb.save(src)
    out = annotate(src, as_of=AS_OF)
    assert out.sheets["dashboard"] == "ExcelFlow Dashboard"
    assert load_workbook(out.out_path).sheetnames == [
        "Deals", "dashboard", "ExcelFlow Dashboard", "Findings",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "amounts", "why"),
    [
        ("", ["", ""], "no_column"),  # no amount column at all
        (",close_value", [",", ",5000"], "blank"),  # an amount only on the closed deal
    ],
)
def test_no_amount_gives_a_sentence_not_an_empty_chart(
    tmp_path: Path, header: str, amounts: list[str], why: str
) -> None:
    """The Maven CRM export has no amount on its open deals: the Dashboard says so where the
    'open amount by stage' chart would stand, and keeps its other charts."""
    from excelflow.annotate.labels import NO_AMOUNT_CHART

    csv = tmp_path / "crm.csv"
    csv.write_text(
        f"Deal ID,Stage,Status{header}\nO-1,2,open{amounts[0]}\nO-2,3,won{amounts[1]}\n",
        encoding="utf-8",
    )
    for lang in LANGS:
        out = annotate(csv, tmp_path / f"crm_{lang}.xlsx", lang=lang, as_of=AS_OF)
        ws = load_workbook(out.out_path)[out.sheets["dashboard"]]
        charts = ws._charts  # type: ignore[attr-defined]
        titles = [c.title.tx.rich.p[0].r[0].t for c in charts]
        assert (
            CHART_TITLE["by_stage"](lang) not in titles and CHART_TITLE["by_grade"](lang) in titles
        )
        cells = [c for row in ws.iter_rows() for c in row if c.value == NO_AMOUNT_CHART[why](lang)]
        assert [c.coordinate for c in cells] == ["G11"]
        assert "G11:K13" in {str(m) for m in ws.merged_cells.ranges}
