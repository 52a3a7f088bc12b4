"""The consolidated report of a batch run as plain data: a Summary sheet (the totals; findings
by code and severity, by owner and by file, each with a native chart) and an All findings table
whose File column links to the workbook (at the cell) each finding came from.

Built by :func:`book_plan` from :class:`ReportData`; drawn by
:func:`excelflow.workbook.render.render_book`. Labels in Chinese or English.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from excelflow.pipeline.ruleset import Lang
from excelflow.sheets.book import BookPlan, DocProperties
from excelflow.sheets.parts import Axis, Chart, DataLabels, Link, Series, Table
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Align, Fill, Style, body_font

EXCEL_ROWS = 1_048_576
CHART_ITEMS = 15
"""Bars a chart shows at most (the largest); its table lists them all."""
INK = "1F4E78"

STYLES: dict[str, Style] = {
    "title": Style(font=body_font(bold=True, size=16, color=INK)),
    "subtitle": Style(font=body_font(italic=True, size=9, color="595959")),
    "header": Style(font=body_font(bold=True, color="FFFFFF"), fill=Fill(INK)),
    "table title": Style(font=body_font(bold=True, size=12, color=INK)),
    "kpi label": Style(font=body_font(size=9, color="595959")),
    "kpi value": Style(font=body_font(bold=True, size=14, color=INK), align=Align("left")),
    "link": Style(font=body_font(color="0563C1", underline="single")),
    "money": Style(number_format="#,##0"),
    "error": Style(font=body_font(color="9C0006"), fill=Fill("FFC7CE")),
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "summary": "Summary",
        "findings": "All findings",
        "title": "ExcelFlow batch report",
        "subtitle": "As of {as_of} · rule set {ruleset} · {files} files",
        "files": "Files",
        "checked": "Checked",
        "failed": "Could not be read",
        "skipped": "Skipped (no pipeline)",
        "deals": "Deals",
        "error": "Errors",
        "warning": "Warnings",
        "info": "Info",
        "weighted": "Weighted pipeline",
        "by_code": "Findings by code and severity",
        "by_owner": "Findings by owner",
        "by_file": "Findings by file",
        "code": "Code",
        "severity": "Severity",
        "count": "Findings",
        "rule": "Rule",
        "owner": "Owner",
        "total": "Total",
        "file": "File",
        "status": "Status",
        "reason": "Reason",
        "deal": "Deal",
        "sheet": "Sheet",
        "cell": "Cell",
        "message": "Message",
        "no_owner": "(no owner)",
        "none": "no findings",
        "cut": "Only the first {n:,} findings fit on this sheet; the JSON report has all "
        "{total:,}.",
        "sev_error": "error",
        "sev_warning": "warning",
        "sev_info": "info",
        "st_ok": "ok",
        "st_error": "could not be read",
        "st_skipped": "skipped",
    },
    "zh": {
        "summary": "汇总",
        "findings": "全部问题",
        "title": "ExcelFlow 批量检查报告",
        "subtitle": "基准日 {as_of} · 规则集 {ruleset} · {files} 个文件",
        "files": "文件",
        "checked": "已检查",
        "failed": "无法读取",
        "skipped": "已跳过（非商机表）",
        "deals": "商机",
        "error": "错误",
        "warning": "警告",
        "info": "提示",
        "weighted": "加权管道金额",
        "by_code": "按代码和级别",
        "by_owner": "按负责人",
        "by_file": "按文件",
        "code": "代码",
        "severity": "级别",
        "count": "问题数",
        "rule": "规则",
        "owner": "负责人",
        "total": "合计",
        "file": "文件",
        "status": "状态",
        "reason": "原因",
        "deal": "商机",
        "sheet": "工作表",
        "cell": "单元格",
        "message": "说明",
        "no_owner": "（无负责人）",
        "none": "未发现问题",
        "cut": "本表只容纳前 {n:,} 条问题；JSON 报告含全部 {total:,} 条。",
        "sev_error": "错误",
        "sev_warning": "警告",
        "sev_info": "提示",
        "st_ok": "已检查",
        "st_error": "无法读取",
        "st_skipped": "已跳过",
    },
}


@dataclass(frozen=True)
class FileLine:
    """One file of the run: its path, the link to it (None: no link), status and counts."""

    path: str
    link: str | None
    status: str
    deals: int
    errors: int
    warnings: int
    infos: int
    reason: str | None


@dataclass(frozen=True)
class FindingLine:
    """One finding of the All findings table; ``file_link``/``cell_link`` as in
    :class:`FileLine`."""

    path: str
    file_link: str | None
    deal_id: str | None
    owner: str | None
    code: str
    severity: str
    sheet: str | None
    cell: str | None
    cell_link: str | None
    message: str


@dataclass
class ReportData:
    """What the consolidated report shows.

    ``totals`` is the JSON report's ``summary``; ``by_code`` rows are (code, severity, count,
    rule description), ``by_owner`` rows (owner or None, errors, warnings, infos); ``findings``
    is consumed once, in file order; ``finding_count`` is how many it holds."""

    as_of: str
    ruleset: str
    totals: dict[str, Any]
    by_code: list[tuple[str, str, int, str]] = field(default_factory=list)
    by_owner: list[tuple[str | None, int, int, int]] = field(default_factory=list)
    files: list[FileLine] = field(default_factory=list)
    findings: Iterable[FindingLine] = ()
    finding_count: int = 0


def book_plan(data: ReportData, lang: Lang) -> BookPlan:
    """The report workbook: Summary, then All findings."""
    lab = LABELS[lang]
    book = BookPlan(
        theme_hans_font="等线",
        properties=DocProperties(creator="ExcelFlow", title=lab["title"]),
    )
    book.sheets[lab["summary"]] = summary_plan(data, lang)
    book.sheets[lab["findings"]] = findings_plan(data, lang)
    return book


def _plan() -> SheetPlan:
    plan = SheetPlan()
    for name, style in STYLES.items():
        plan.define(name, style)
    return plan


def _block(
    plan: SheetPlan, row: int, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[int, int]:
    """A titled table at ``row``; returns (header row, last data row)."""
    plan.put(row, 1, title, "table title")
    head = row + 1
    plan.put_rows(head, 1, [headers])
    plan.style((head, 1, head, len(headers)), "header")
    _extend(plan, head + 1, rows)
    return head, head + len(rows)


def _extend(plan: SheetPlan, row: int, rows: Iterable[Sequence[Any]]) -> int:
    """Write rows from ``row`` on (column A): straight into the grid, not cell by cell, so a
    table of 100,000 rows costs one list per row. Returns the rows written."""
    width = plan.shape[1]
    while len(plan.values) < row - 1:
        plan.values.append([None] * width)
    n = 0
    for values in rows:
        line = list(values)
        if len(line) > width:
            for r in plan.values:
                r.extend([None] * (len(line) - width))
            width = len(line)
        line.extend([None] * (width - len(line)))
        if len(plan.values) >= row + n:
            plan.values[row + n - 1] = line
        else:
            plan.values.append(line)
        n += 1
    return n


def _bars(title: str, head: int, last: int, cols: Sequence[int], anchor: tuple[int, int]) -> Chart:
    last = min(last, head + CHART_ITEMS)
    series = tuple(
        Series((head + 1, c, last, c), (head + 1, 1, last, 1), title_cell=(head, c)) for c in cols
    )
    return Chart(
        "column",
        series,
        anchor,
        16.0,
        7.5,
        title=title,
        legend="b" if len(cols) > 1 else None,
        style=10,
        gap_width=60,
        x_axis=Axis(visible=True),
        y_axis=Axis(visible=True, number_format="0"),
    )


def summary_plan(data: ReportData, lang: Lang) -> SheetPlan:
    """The Summary sheet: totals, then the tables by code and severity, by owner and by file,
    each with its chart to the right."""
    lab = LABELS[lang]
    plan = _plan()
    t = data.totals
    plan.put(1, 1, lab["title"], "title")
    plan.put(
        2,
        1,
        lab["subtitle"].format(as_of=data.as_of, ruleset=data.ruleset, files=t["files"]),
        "subtitle",
    )
    kpis = [
        ("files", t["files"]),
        ("checked", t["files"] - t["files_failed"] - t["files_skipped"]),
        ("failed", t["files_failed"]),
        ("skipped", t["files_skipped"]),
        ("deals", t["deals"]),
        ("error", t["errors"]),
        ("warning", t["warnings"]),
        ("info", t["infos"]),
        ("weighted", t["weighted_pipeline"]),
    ]
    for j, (key, value) in enumerate(kpis, start=1):
        plan.put(4, j, lab[key], "kpi label")
        plan.put(5, j, value, "kpi value", *(("money",) if key == "weighted" else ()))
    chart_col = 10
    row = 8
    # by code and severity, with a pie of the severities beside the bars
    code_rows = [(c, lab[f"sev_{s}"], n, d) for c, s, n, d in data.by_code]
    head, last = _block(
        plan, row, lab["by_code"], [lab["code"], lab["severity"], lab["count"], lab["rule"]],
        code_rows,
    )  # fmt: skip
    if code_rows:
        plan.charts.append(_bars(lab["by_code"], head, last, [3], (row, chart_col)))
    sev_col = chart_col + 10
    plan.put(row, sev_col, lab["severity"], "table title")
    plan.put_rows(row + 1, sev_col, [[lab["severity"], lab["count"]]])
    plan.style((row + 1, sev_col, row + 1, sev_col + 1), "header")
    for i, key in enumerate(("error", "warning", "info")):
        plan.put(row + 2 + i, sev_col, lab[f"sev_{key}"])
        plan.put(row + 2 + i, sev_col + 1, t[f"{key}s"])
    plan.charts.append(
        Chart(
            "pie",
            (Series((row + 2, sev_col + 1, row + 4, sev_col + 1),
                    (row + 2, sev_col, row + 4, sev_col)),),
            (row + 6, sev_col),
            10.0,
            7.5,
            title=lab["severity"],
            data_labels=DataLabels(value=True, category=True, series_name=False, percent=False,
                                   legend_key=False),
        )
    )  # fmt: skip
    row = max(last, row + 16) + 2
    owners = sorted(data.by_owner, key=lambda o: (-(o[1] + o[2] + o[3]), o[0] or ""))
    owner_rows = [(o or lab["no_owner"], e, w, i, e + w + i) for o, e, w, i in owners]
    head, last = _block(
        plan,
        row,
        lab["by_owner"],
        [lab["owner"], lab["error"], lab["warning"], lab["info"], lab["total"]],
        owner_rows,
    )
    if owner_rows:
        plan.charts.append(_bars(lab["by_owner"], head, last, [2, 3, 4], (row, chart_col)))
    row = max(last, row + 16) + 2
    order = {"ok": 0, "error": 1, "skipped": 2}  # the charted files first, then the failures
    files = sorted(
        data.files, key=lambda f: (order[f.status], -(f.errors + f.warnings + f.infos), f.path)
    )
    file_rows = [
        (f.path, lab[f"st_{f.status}"], f.deals, f.errors, f.warnings, f.infos, f.reason)
        for f in files
    ]
    headers = [lab[k] for k in ("file", "status", "deals", "error", "warning", "info", "reason")]
    head, last = _block(plan, row, lab["by_file"], headers, file_rows)
    for i, f in enumerate(files):
        if f.link is not None:
            plan.links[(head + 1 + i, 1)] = Link(target=f.link, tooltip=f.path)
            plan.style((head + 1 + i, 1), "link")
        if f.status == "error":
            plan.style((head + 1 + i, 2), "error")
    ok = sum(f.status == "ok" for f in files)
    if ok:
        plan.charts.append(_bars(lab["by_file"], head, head + ok, [4, 5, 6], (row, chart_col)))
    plan.widths.update({1: 40.0, 2: 14.0, 3: 12.0, 4: 12.0, 5: 12.0, 6: 12.0, 7: 40.0})
    plan.widths.update({9: 12.0, sev_col: 12.0})
    return plan


def findings_plan(data: ReportData, lang: Lang) -> SheetPlan:
    """All findings: one row per finding in an Excel table (filter buttons), the File column
    linking to the workbook, at the finding's cell when it has one."""
    lab = LABELS[lang]
    plan = _plan()
    headers = [lab[k] for k in ("file", "deal", "owner", "code", "severity", "sheet", "cell",
                                "message")]  # fmt: skip
    plan.put_rows(1, 1, [headers])
    plan.style((1, 1, 1, len(headers)), "header")
    room = EXCEL_ROWS - 2  # the header, and a line saying the table was cut
    rows: list[list[Any]] = []
    n = 0
    for f in data.findings:
        if n >= room:
            break
        r = n + 2
        rows.append([f.path, f.deal_id, f.owner, f.code, lab[f"sev_{f.severity}"], f.sheet,
                     f.cell, f.message])  # fmt: skip
        target = f.cell_link or f.file_link  # one link a row: a row costs less memory
        if target is not None:
            plan.links[(r, 1)] = Link(target=target)
        n += 1
    if not rows:
        rows.append([None] * (len(headers) - 1) + [lab["none"]])
    _extend(plan, 2, rows)
    last = 1 + len(rows)
    plan.tables.append(Table((1, 1, last, len(headers)), "efBatchFindings"))
    if data.finding_count > n and n >= room:
        plan.put(last + 1, 1, lab["cut"].format(n=n, total=data.finding_count))
    plan.freeze = (2, 1)
    plan.widths.update({1: 40.0, 2: 12.0, 3: 14.0, 4: 8.0, 5: 9.0, 6: 12.0, 7: 8.0, 8: 90.0})
    return plan
