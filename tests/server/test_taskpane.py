"""The task pane in a real browser: headless Chromium (the Debian package, driven by Playwright)
loads ``/taskpane`` from a real ``excelflow serve`` with a stand-in for office.js.

* ``test_every_button_round_trip``: the stand-in is a whole workbook (``officejs_workbook.js``)
  holding ``templates/pipeline.xlsx``; each button runs xlwings' own client (getBookData, the
  HTTPS call with the signed-in token, runActions, the runMacro of the pane's report) against
  it. Validate: the deals sheet receives the result columns, the pane shows the deal count,
  grade mix and stated vs gate-adjusted pipeline with the gap, and lists the Findings sheet the
  script wrote; the filter narrows it by severity, code and text. Grade rewrites exactly the
  three grade columns; Dashboard adds its charts to the Dashboard sheet; Bid, on a deal row,
  adds that deal's Bid sheet. Screenshots: ``out/taskpane.png``, ``out/taskpane-filtered.png``,
  ``out/taskpane-bid.png``.
* ``test_findings_list_with_office_addin_mock``: Microsoft's Office.js mock (npm
  ``office-addin-mock``, ``make officemock``) holds the Findings table ``excelflow annotate``
  writes; the pane groups it by severity and code, a click selects the cell, the report the
  real Validate script queues is shown and the code filter works. office-addin-mock cannot
  stand in for the round trips: xlwings' client loads whole collections (``items/name``), adds
  sheets, tables and charts and reads back what it wrote, none of which the mock models.
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
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from annotate_support import AS_OF, sample_book
from excelflow.api import validate_file
from excelflow.engine.forecast import forecast, forecast_dict
from server.test_serve import Server, server  # the module's real server

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
MOCK_LIB = REPO / "node_modules" / "office-addin-mock" / "lib"
CHROMIUM = shutil.which("chromium")
OUT = REPO / "out"
TEMPLATE = REPO / "templates" / "pipeline.xlsx"

__all__ = ["server"]


def officejs_mock(sheets: dict[str, dict[str, object]]) -> str:
    """The office.js stand-in: office-addin-mock's lib files and the mock workbook."""
    sources = {p.stem: p.read_text() for p in MOCK_LIB.glob("*.js")}
    text = (Path(__file__).parent / "officejs_mock.js").read_text()
    return text.replace("__EF_MOCK_SOURCES__", json.dumps(sources)).replace(
        "__EF_SHEETS__", json.dumps(sheets, ensure_ascii=False)
    )


def annotated(tmp: Path, as_of: str = "2026-01-15", src: Path = TEMPLATE) -> Path:
    """The template (or ``src``) as ``excelflow annotate`` writes it."""
    out = tmp / f"annotated-{src.stem}-{as_of}.xlsx"
    if out.exists():  # written once per test; annotate refuses to overwrite without --force
        return out
    command = [sys.executable, "-m", "excelflow.cli", "annotate", str(src),
               "-o", str(out), "--as-of", as_of]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return out


def template_findings(
    tmp: Path, as_of: str = "2026-01-15", src: Path = TEMPLATE
) -> dict[str, dict[str, object]]:
    """The Findings table of the template (or ``src``) as ``excelflow annotate`` writes it."""
    book = load_workbook(annotated(tmp, as_of, src))
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
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_findings_list_with_office_addin_mock(server: Server, tmp_path: Path, lang: str) -> None:
    """zh: the template; en: a generated English pipeline. The pane speaks the book's language."""
    sync_api = pytest.importorskip("playwright.sync_api")
    as_of = "2026-01-15" if lang == "zh" else AS_OF.isoformat()
    src = TEMPLATE if lang == "zh" else sample_book(tmp_path, "en", n=30)
    sheets = template_findings(tmp_path, as_of, src)
    ((_title, table),) = sheets.items()
    rows = table["values"][1:]  # type: ignore[index]
    mock = officejs_mock(sheets)
    report = script_report(as_of, src)  # before Playwright's event loop runs
    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    failed = script_report(as_of, empty)
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
            assert f"{len(rows)} {'问题' if lang == 'zh' else 'findings'}" in summary
            page.locator("details.ef-group").first.evaluate("d => d.open = true")
            page.locator(".ef-finding").first.click()
            page.wait_for_function("efMockLog.selected.length > 0")
            first = next(r for r in rows if [str(r[0]), str(r[1])] == groups[0])
            assert page.evaluate("efMockLog.selected") == [f"{first[3]}!{first[4]}"]
            # the report the real Validate script queues for the pane, handed to its callback
            page.evaluate("text => excelflowPane.report(null, text)", report)
            shown = pane_summary(page)
            page.select_option("#ef-filter-code", groups[-1][1])
            by_code = visible_findings(page)
            html_lang = page.evaluate("document.documentElement.lang")
            gap_text = shown["gapText"]
            # on a server with a history database the report also carries what changed since
            # the book's last check (tests/history/test_ribbon_history.py computes it for real)
            changed = {**json.loads(report), "changes": CHANGES}
            page.evaluate("text => excelflowPane.report(null, text)", json.dumps(changed))
            changes_text = page.text_content(".ef-changes") or ""
            page.screenshot(path=str(OUT / f"taskpane-findings-{lang}.png"), full_page=True)
            # then Validate on an emptied book: the reason in red, the old numbers gone
            page.evaluate("text => excelflowPane.report(null, text)", failed)
            after_failure = pane_summary(page)
            failure_class = page.get_attribute("#ef-message", "class") or ""
            OUT.mkdir(exist_ok=True)
        finally:
            browser.close()
    assert errors == []
    want = expected_summary(tmp_path, as_of, src)
    assert shown["grades"] == want["grades"] and shown["script"] == "validate_pipeline"
    assert shown["deals"] == want["deals_text"]
    assert html_lang == ("zh-CN" if lang == "zh" else "en")
    assert gap_text.startswith("差额" if lang == "zh" else "Gap")
    fc = want["forecast"]
    assert (shown["stated"], shown["adjusted"], shown["gap"]) == (
        fc["stated"],
        fc["adjusted"],
        fc["gap"],
    )
    assert changes_text == (
        "自上次检查（2026-09-01）以来：推进 3，倒退 1，新增 2，新的强行推进 1，停滞 0，重开 1"
        if lang == "zh"
        else "Since the last check (2026-09-01): 3 advanced, 1 went back, 2 new, "
        "1 newly forced, 0 stalled, 1 re-opened"
    )
    assert len(by_code) == sum(1 for r in rows if [str(r[0]), str(r[1])] == groups[-1])
    assert after_failure["ok"] == "false" and "text-danger" in failure_class
    assert after_failure["deals"] is None and after_failure["grades"] == {}


CHANGES = {
    "since": "2026-09-01",
    "advanced": 3,
    "went_back": 1,
    "new": 2,
    "newly_forced": 1,
    "stalled": 0,
    "reopened": 1,
}


def script_report(as_of: str, src: Path = TEMPLATE) -> str:
    """The JSON the Validate script hands the pane for the template (``report="pane"``), run
    through xlwings' own dispatcher as the server runs it."""
    from excelflow.xl import macros, pane
    from xl.book_payload import book_payload, run_script

    book = load_workbook(src, data_only=True)
    actions = run_script(macros, "validate_pipeline", book_payload(book), [None, as_of, "pane"])
    ((name, text),) = [a["args"] for a in actions if a["func"] == "runMacro"]
    assert name == pane.CALLBACK
    return str(text)


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


def expected_summary(tmp: Path, as_of: str, src: Path = TEMPLATE) -> dict[str, Any]:
    """What the pane must show after a run on the template (or ``src``): the deal count and
    grade mix as the annotated file holds them (read back with openpyxl), the engine's open
    count and forecast of the file."""
    ws = load_workbook(annotated(tmp, as_of, src), data_only=True).worksheets[0]
    header = [c.value for c in ws[1]]
    column = header.index("系统评级" if "系统评级" in header else "ExcelFlow grade")
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    grades = [r[column] for r in rows if r[column] is not None]
    result = validate_file(src, as_of=dt.date.fromisoformat(as_of))
    assert result.result is not None
    n, n_open = len(rows), int(result.result.deals["is_open"].sum())
    zh = "系统评级" in header
    return {
        "deals_text": f"商机 {n} 个（进行中 {n_open} 个）" if zh else f"{n} deals ({n_open} open)",
        "grades": {g: grades.count(g) for g in "ABCD"},
        "forecast": forecast_dict(forecast(result.result.deals)),
    }


def pane_summary(page: Any) -> dict[str, Any]:
    """The numbers the pane's summary shows (its DOM; None where it shows none)."""
    return dict(
        page.evaluate("""() => ({
        deals: document.querySelector(".ef-deals")?.textContent ?? null,
        grades: Object.fromEntries([...document.querySelectorAll(".ef-grade")].map(
            (e) => [e.dataset.grade, Number(e.dataset.count)])),
        stated: Number(document.querySelector("[data-forecast=stated]")?.dataset.value),
        adjusted: Number(document.querySelector("[data-forecast=adjusted]")?.dataset.value),
        gap: Number(document.querySelector(".ef-gap")?.dataset.value),
        gapText: document.querySelector(".ef-gap")?.textContent ?? null,
        message: document.querySelector("#ef-message").textContent,
        script: document.querySelector("#ef-message").dataset.script,
        ok: document.querySelector("#ef-message").dataset.ok,
    })""")
    )


def visible_findings(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            ".ef-finding", "els => els.filter(e => !e.parentElement.hidden).map(e => e.textContent)"
        )
    )


def click_and_wait(page: Any, label: str, runs: int) -> None:
    """Click a pane button and wait until the run (script, report, findings refresh) is over."""
    page.get_by_role("button", name=label).click()
    page.wait_for_selector(f"#ef-actions[data-runs='{runs}']", timeout=90_000)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make chromium, as root)")
def test_every_button_round_trip(server: Server, tmp_path: Path) -> None:
    """Validate, the filter, Grade, Dashboard and Bid clicked in one pane on one workbook."""
    sync_api = pytest.importorskip("playwright.sync_api")
    data = workbook_data()
    deals = data["sheets"][0]
    assert deals["name"] == "商机"
    mock = (Path(__file__).parent / "officejs_workbook.js").read_text()
    mock = mock.replace("__EF_BOOK__", json.dumps(data, ensure_ascii=False))
    errors: list[str] = []
    today = dt.date.today().isoformat()  # the scripts check as of today
    want = expected_summary(tmp_path, today)
    findings = template_findings(tmp_path, today)
    ((_title, table),) = findings.items()
    rows = table["values"][1:]  # type: ignore[index]
    expected = load_workbook(annotated(tmp_path, today), data_only=True).worksheets[0]
    expected_rows = [list(r) for r in expected.iter_rows(min_row=2, max_row=13, values_only=True)]
    results = slice(len(expected_rows[0]) - 5, len(expected_rows[0]))  # 系统评级 … 预警
    graded = slice(results.start, results.start + 3)  # 系统评级, 评估得分, 调整后赢率
    OUT.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # the server's certificate is from the test's own CA, which Chromium does not know
            size = {"width": 360, "height": 1100}
            page = browser.new_page(ignore_https_errors=True, viewport=size)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/office-js/**/office.js", lambda r: r.fulfill(
                body=mock, content_type="application/javascript"))  # fmt: skip
            page.goto(server.url + "/taskpane")
            page.fill("#excelflow-token", server.token)
            page.click("#excelflow-signin button[type=submit]")

            # ---- Validate: result columns, Findings and Dashboard sheets, summary, findings list
            click_and_wait(page, "Validate", 1)
            grid = page.evaluate("efBookLog.grid('商机')")[0]
            alerts = list(page.evaluate("efBookLog.alerts"))
            after_validate = list(page.evaluate("efBookLog.sheets()"))
            groups = page.eval_on_selector_all(
                ".ef-group", "els => els.map(e => [e.dataset.severity, e.dataset.code])"
            )
            validated = pane_summary(page)
            page.screenshot(path=str(OUT / "taskpane.png"), full_page=True)

            # ---- the filter: severity, code and text narrow the list; cleared, all come back
            first_severity, first_code = groups[0]
            page.select_option("#ef-filter-severity", first_severity)
            by_severity = visible_findings(page)
            page.select_option("#ef-filter-code", first_code)
            by_code = visible_findings(page)
            count_text = page.text_content("#ef-filter-count")
            deal = str(rows[-1][2])
            page.select_option("#ef-filter-severity", "")
            page.select_option("#ef-filter-code", "")
            page.fill("#ef-filter-text", deal)
            by_text = visible_findings(page)
            hidden_groups = page.locator(".ef-group[hidden]").count()
            page.screenshot(path=str(OUT / "taskpane-filtered.png"), full_page=True)
            page.fill("#ef-filter-text", "")
            all_again = visible_findings(page)

            # ---- Grade: blank the result columns, the grade columns come back (only those)
            page.evaluate(
                """([from, to]) => efBookLog.grid('商机')[0].forEach((row, i) => {
                    if (i > 0 && i < 13) for (let c = from; c < to; c++) row[c] = ""; })""",
                [results.start, results.stop],
            )
            click_and_wait(page, "Grade", 2)
            regraded = page.evaluate("efBookLog.grid('商机')")[0]
            graded_summary = pane_summary(page)

            # ---- Dashboard: the Dashboard sheet is rebuilt with its charts
            charts_before = page.evaluate(
                "efBookLog.calls.filter(c => c.startsWith('charts.add')).length"
            )
            click_and_wait(page, "Dashboard", 3)
            charts_after = list(
                page.evaluate("efBookLog.calls.filter(c => c.startsWith('charts.add'))")
            )
            dashboard_summary = pane_summary(page)

            # ---- Bid on the header row: refused, the pane says why and drops the numbers
            sheets_before = list(page.evaluate("efBookLog.sheets()"))
            click_and_wait(page, "Bid", 4)
            refused = pane_summary(page)
            refused_class = page.get_attribute("#ef-message", "class") or ""
            sheets_refused = list(page.evaluate("efBookLog.sheets()"))

            # ---- Bid: on the third deal's row, its Bid sheet is seeded from the row
            page.evaluate("efBookLog.selection = 'C4'")
            click_and_wait(page, "Bid", 5)
            after_bid = list(page.evaluate("efBookLog.sheets()"))
            bid_summary = pane_summary(page)
            new_sheets = [s for s in after_bid if s not in after_validate]
            bid_grid = page.evaluate(f"efBookLog.grid({json.dumps(new_sheets[:1] or [''])}[0])")
            page.screenshot(path=str(OUT / "taskpane-bid.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []

    # Validate: the deals sheet received the result columns, as `excelflow annotate` writes them
    assert alerts and "12 个商机" in alerts[-1]
    for r, row in enumerate(expected_rows, 1):
        assert deals["values"][r][results] == [""] * 5  # empty in the template
        assert grid[r][results] == ["" if v is None else v for v in row[results]], r
    assert groups == severity_groups(rows)
    assert validated["script"] == "validate_pipeline" and validated["ok"] == "true"
    assert "prompt=" + validated["message"] + "&title" in alerts[-1]
    assert validated["deals"] == want["deals_text"] == "商机 12 个（进行中 9 个）"
    assert validated["grades"] == want["grades"]
    fc = want["forecast"]
    assert (validated["stated"], validated["adjusted"]) == (fc["stated"], fc["adjusted"])
    assert validated["gap"] == fc["gap"] > 0
    assert "差额" in validated["gapText"]

    # the filter
    assert len(by_severity) == sum(1 for r in rows if str(r[0]) == first_severity)
    assert len(by_code) == sum(1 for r in rows if [str(r[0]), str(r[1])] == groups[0])
    assert count_text == f"显示 {len(by_code)} / {len(rows)} 条"
    assert len(by_text) == sum(1 for r in rows if deal in " ".join(map(str, r))) > 0
    assert all(deal in t for t in by_text) and hidden_groups > 0
    assert len(all_again) == len(rows)

    # Grade wrote back exactly the three grade columns
    for r, row in enumerate(expected_rows, 1):
        assert regraded[r][graded] == ["" if v is None else v for v in row[graded]], r
        assert regraded[r][graded.stop : results.stop] == ["", ""], r
    assert graded_summary["script"] == "grade_deals" and graded_summary["ok"] == "true"
    assert graded_summary["grades"] == want["grades"]
    mix = want["grades"]
    assert "（A {A}，B {B}，C {C}，D {D}）".format(**mix) in graded_summary["message"]

    # Dashboard: a new set of charts on the Dashboard sheet
    assert dashboard_summary["script"] == "refresh_dashboard" and dashboard_summary["ok"] == "true"
    new_charts = charts_after[charts_before:]
    assert new_charts and all(c == "charts.add 看板" for c in new_charts)
    assert (dashboard_summary["stated"], dashboard_summary["adjusted"]) == (
        fc["stated"],
        fc["adjusted"],
    )

    # Bid refused on the header row: nothing written, the reason in red, the numbers kept
    assert refused["script"] == "bid_analysis" and refused["ok"] == "false"
    assert "第 1 行" in refused["message"] and "text-danger" in refused_class
    assert refused["grades"] == want["grades"] and sheets_refused == sheets_before

    # Bid: a new sheet for the deal on row 4, seeded from its row
    bid_deal = str(expected_rows[2][0])
    assert bid_summary["script"] == "bid_analysis" and bid_summary["ok"] == "true", bid_summary
    assert len(new_sheets) == 1 and bid_deal in new_sheets[0], (new_sheets, bid_deal)
    cells = [str(v) for row in bid_grid[0] for v in row]
    assert str(expected_rows[2][1]) in cells  # the customer
    assert bid_deal in bid_summary["message"]
    assert bid_summary["grades"] == want["grades"]  # Bid checks nothing: the numbers stay
