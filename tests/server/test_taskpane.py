"""The task pane in a real browser: headless Chromium (the Debian package, driven by Playwright)
loads ``/taskpane`` from a real ``excelflow serve`` with Microsoft's Office.js mock
(npm ``office-addin-mock``, installed by ``make officemock``) standing in for Excel.

The mock workbook holds the Findings table the engine writes for ``templates/pipeline.xlsx``; the
pane lists it grouped by severity and code, in the workbook's language, and a click selects the
cell. A screenshot is kept in ``out/taskpane.png``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

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


def template_findings(tmp: Path) -> dict[str, dict[str, object]]:
    """The Findings table of the template as ``excelflow annotate`` writes it."""
    out = tmp / "annotated.xlsx"
    template = REPO / "templates" / "pipeline.xlsx"
    command = [sys.executable, "-m", "excelflow.cli", "annotate", str(template),
               "-o", str(out), "--as-of", "2026-01-15"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    book = load_workbook(out)
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
def test_taskpane_lists_the_findings_in_a_browser(server: Server, tmp_path: Path) -> None:
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
            expected = list(dict.fromkeys((str(r[0]), str(r[1])) for r in rows))
            assert groups == [list(g) for g in expected]
            assert page.locator(".ef-finding").count() == len(rows)
            summary = page.text_content("#ef-summary") or ""
            assert f"{len(rows)} 问题" in summary
            page.locator("details.ef-group").first.evaluate("d => d.open = true")
            page.locator(".ef-finding").first.click()
            page.wait_for_function("efMockLog.selected.length > 0")
            assert page.evaluate("efMockLog.selected") == [f"{rows[0][3]}!{rows[0][4]}"]
            OUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUT / "taskpane.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
