"""The task pane in a real browser: headless Chromium (the Debian package, driven by Playwright)
loads ``/taskpane`` from a real ``excelflow serve`` with a stand-in for office.js.

* ``test_validate_click_round_trip``: the stand-in is a whole workbook (``officejs_workbook.js``)
  holding ``templates/pipeline.xlsx``; clicking Validate runs xlwings' own client (getBookData,
  the HTTPS call with the signed-in token, runActions) against it, the deals sheet receives the
  result columns and the pane lists the Findings sheet the script wrote, as the engine finds
  them. Screenshot: ``out/taskpane.png``.
* ``test_findings_list_with_office_addin_mock``: Microsoft's Office.js mock (npm
  ``office-addin-mock``, ``make officemock``) holds the Findings table ``excelflow annotate``
  writes; the pane groups it by severity and code and a click selects the cell.
  Screenshot: ``out/taskpane-findings.png``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from server.test_serve import Server, server  # the module's real server

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
MOCK_LIB = REPO / "node_modules" / "office-addin-mock" / "lib"
CHROMIUM = shutil.which("chromium")
OUT = REPO / "out"

__all__ = ["server"]


def officejs_mock(sheets: dict[str, dict[str, object]]) -> str:
    """The office.js stand-in: office-addin-mock's lib files and the mock workbook."""
    sources = {p.stem: p.read_text() for p in MOCK_LIB.glob("*.js")}
    text = (Path(__file__).parent / "officejs_mock.js").read_text()
    return text.replace("__EF_MOCK_SOURCES__", json.dumps(sources)).replace(
        "__EF_SHEETS__", json.dumps(sheets, ensure_ascii=False)
    )


def annotated(tmp: Path, as_of: str = "2026-01-15") -> Path:
    """The template as ``excelflow annotate`` writes it."""
    out = tmp / f"annotated-{as_of}.xlsx"
    if out.exists():  # written once per test; annotate refuses to overwrite without --force
        return out
    template = REPO / "templates" / "pipeline.xlsx"
    command = [sys.executable, "-m", "excelflow.cli", "annotate", str(template),
               "-o", str(out), "--as-of", as_of]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return out


def template_findings(tmp: Path, as_of: str = "2026-01-15") -> dict[str, dict[str, object]]:
    """The Findings table of the template as ``excelflow annotate`` writes it."""
    book = load_workbook(annotated(tmp, as_of))
    for sheet in book:
        for name, ref in sheet.tables.items():
            if name.startswith("tblExcelFlowFindings"):
                values = [["" if c.value is None else c.value for c in row] for row in sheet[ref]]
                return {sheet.title: {"table": name, "values": values}}
    raise AssertionError("no Findings table")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make chromium, as root)")
@pytest.mark.skipif(
    not MOCK_LIB.is_dir(), reason="no office-addin-mock (make officemock, needs npm)"
)
def test_findings_list_with_office_addin_mock(server: Server, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    sheets = template_findings(tmp_path)
    ((_title, table),) = sheets.items()
    rows = table["values"][1:]  # type: ignore[index]
    mock = officejs_mock(sheets)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # the server's certificate is from the test's own CA, which Chromium does not know
            size = {"width": 360, "height": 900}
            page = browser.new_page(ignore_https_errors=True, viewport=size)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/office-js/**/office.js", lambda r: r.fulfill(
                body=mock, content_type="application/javascript"))  # fmt: skip
            page.goto(server.url + "/taskpane")
            for label in ("Validate", "Grade", "Dashboard", "Bid"):
                assert page.get_by_role("button", name=label).count() == 1
            page.fill("#excelflow-token", server.token)
            page.click("#excelflow-signin button[type=submit]")
            assert page.text_content("#excelflow-signin-state") == "Signed in · 已登录"
            page.evaluate("excelflowPane.refresh()")
            page.wait_for_selector(".ef-group")
            groups = page.eval_on_selector_all(
                ".ef-group", "els => els.map(e => [e.dataset.severity, e.dataset.code])"
            )
            assert groups == severity_groups(rows)
            assert page.locator(".ef-finding").count() == len(rows)
            summary = page.text_content("#ef-summary") or ""
            assert f"{len(rows)} 问题" in summary
            page.locator("details.ef-group").first.evaluate("d => d.open = true")
            page.locator(".ef-finding").first.click()
            page.wait_for_function("efMockLog.selected.length > 0")
            first = next(r for r in rows if [str(r[0]), str(r[1])] == groups[0])
            assert page.evaluate("efMockLog.selected") == [f"{first[3]}!{first[4]}"]
            OUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUT / "taskpane-findings.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []


def severity_groups(rows: list[list[Any]]) -> list[list[str]]:
    """(severity, code) pairs in the Findings order, most severe first, as the pane groups them."""
    rank = {"错误": 0, "Error": 0, "警告": 1, "Warning": 1, "提示": 2, "Info": 2}
    pairs = dict.fromkeys((str(r[0]), str(r[1])) for r in rows)
    return [list(p) for p in sorted(pairs, key=lambda p: rank.get(p[0], 3))]


def excel_serial(value: dt.datetime) -> float:
    return (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400


def workbook_data() -> dict[str, Any]:
    """``templates/pipeline.xlsx`` for ``officejs_workbook.js``: each sheet's values (dates as
    serials with a date format, as Excel gives them) and tables."""
    book = load_workbook(REPO / "templates" / "pipeline.xlsx", data_only=True)
    sheets = []
    for ws in book.worksheets:
        values: list[list[Any]] = []
        formats: list[list[str]] = []
        for row in ws.iter_rows(max_row=ws.max_row, max_col=ws.max_column):
            values.append([])
            formats.append([])
            for c in row:
                v = c.value
                if isinstance(v, dt.date):
                    day = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
                    values[-1].append(excel_serial(day))
                    formats[-1].append("yyyy-mm-dd")
                else:
                    values[-1].append("" if v is None else v)
                    formats[-1].append("General")
        tables = []
        for name, ref in ws.tables.items():
            c1, r1, c2, r2 = range_boundaries(ref)
            first, last = get_column_letter(c1), get_column_letter(c2)
            tables.append({
                "name": name, "ref": ref, "rows": r2 - r1 + 1,
                "columns": [str(ws.cell(r1, c).value) for c in range(c1, c2 + 1)],
                "header": f"{first}{r1}:{last}{r1}", "body": f"{first}{r1 + 1}:{last}{r2}",
            })  # fmt: skip
        sheets.append(
            {"name": ws.title, "values": values, "numberFormat": formats, "tables": tables}
        )
    return {"name": "pipeline.xlsx", "sheets": sheets}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make chromium, as root)")
def test_validate_click_round_trip(server: Server, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    data = workbook_data()
    deals = data["sheets"][0]
    assert deals["name"] == "商机"
    mock = (Path(__file__).parent / "officejs_workbook.js").read_text()
    mock = mock.replace("__EF_BOOK__", json.dumps(data, ensure_ascii=False))
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # the server's certificate is from the test's own CA, which Chromium does not know
            size = {"width": 360, "height": 900}
            page = browser.new_page(ignore_https_errors=True, viewport=size)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/office-js/**/office.js", lambda r: r.fulfill(
                body=mock, content_type="application/javascript"))  # fmt: skip
            page.goto(server.url + "/taskpane")
            page.fill("#excelflow-token", server.token)
            page.click("#excelflow-signin button[type=submit]")
            today = dt.date.today().isoformat()  # the script checks as of today
            page.get_by_role("button", name="Validate").click()
            page.wait_for_selector(".ef-group", timeout=60_000)
            grid = page.evaluate("efBookLog.grid('商机')")[0]
            alerts = page.evaluate("efBookLog.alerts")
            groups = page.eval_on_selector_all(
                ".ef-group", "els => els.map(e => [e.dataset.severity, e.dataset.code])"
            )
            items = page.locator(".ef-finding").count()
            OUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUT / "taskpane.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert alerts and "12 个商机" in alerts[-1]
    # the deals sheet received the result columns, as `excelflow annotate` writes them
    expected = load_workbook(annotated(tmp_path, today), data_only=True).worksheets[0]
    for r, row in enumerate(expected.iter_rows(min_row=2, max_row=13, values_only=True), 1):
        results = slice(len(row) - 5, len(row))  # 系统评级 … 预警, empty in the template
        assert deals["values"][r][results] == [""] * 5
        assert grid[r][results] == ["" if v is None else v for v in row[results]], r
    findings = template_findings(tmp_path, today)
    ((_title, table),) = findings.items()
    rows = table["values"][1:]  # type: ignore[index]
    assert groups == severity_groups(rows)
    assert items == len(rows)
