"""Labels of an annotated workbook (result values, Findings and Dashboard sheets) in zh and en.

Kept apart from :mod:`excelflow.annotate.plan` so the plan stays short; every writer (openpyxl,
xlwings) shows exactly these words. Dashboard table headers deliberately avoid the pipeline's
own column headers ("Amount", "Owner", …) so a Dashboard sheet is never mistaken for a deal table.
"""

from __future__ import annotations

from excelflow.pipeline.ruleset import Lang, Text

MARK = "ExcelFlow"
"""Author of our comments, first word of our sheets' A1 title: how a re-run finds what it wrote."""

NOTE_MARKER = "── ExcelFlow ──"
"""First line of our part of a comment; a user's comment keeps its text above this line."""

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 2, "warning": 1, "info": 0}
SEVERITY_FILL = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
"""Row fill (RGB hex) per worst severity: Excel's light red, yellow and blue."""
SEVERITY_INK = {"error": "9C0006", "warning": "7F6000", "info": "1F4E78"}
"""Text colour that reads well on the matching fill (legend, Findings severity cells)."""

_T = Text

SEVERITY_LABEL: dict[str, Text] = {
    "error": _T("错误", "Error"),
    "warning": _T("警告", "Warning"),
    "info": _T("提示", "Info"),
}
LEGEND_LABEL: dict[str, Text] = {
    "error": _T("该行有错误", "Row has an error"),
    "warning": _T("该行有警告（无错误）", "Row has a warning (no error)"),
    "info": _T("该行仅有提示", "Row has info findings only"),
}
LEGEND_TITLE = _T("行底色图例（ExcelFlow）", "Row colours (ExcelFlow)")

GATE_LABEL: dict[str, Text] = {
    "pass": _T("通过", "Pass"),
    "forced": _T("强行推进", "Forced"),
    "unknown": _T("未知（缺少关键节点列）", "Unknown (milestone column missing)"),
}
NOT_AVAILABLE = _T("不适用", "n/a")
"""A rate with nothing to count (no deal's milestones could be checked)."""

FINDINGS_HEADERS: tuple[Text, ...] = (
    _T("级别", "Severity"),
    _T("代码", "Code"),
    _T("商机", "Deal"),
    _T("工作表", "Sheet"),
    _T("单元格", "Cell"),
    _T("列", "Column"),
    _T("值", "Value"),
    _T("说明", "Message"),
)
FINDINGS_LINK_COLUMN = 4
"""0-based position of the Cell column, the one that carries the hyperlink."""

DASHBOARD_TITLE = _T("ExcelFlow · 销售漏斗看板", "ExcelFlow · Pipeline dashboard")
FINDINGS_TITLE = _T("ExcelFlow · 问题清单", "ExcelFlow · Findings")
SUBTITLE = _T(
    "文件 {file} · 截至 {as_of} · 规则集 {ruleset} {version}",
    "File {file} · as of {as_of} · rule set {ruleset} {version}",
)

KPI_LABEL: dict[str, Text] = {
    "open_deals": _T("进行中商机", "Open deals"),
    "open_amount": _T("进行中金额", "Open pipeline"),
    "weighted": _T("加权管道金额", "Weighted pipeline"),
    "forced_rate": _T("强行推进比例", "Forced-advance rate"),
    "error": _T("错误", "Errors"),
    "warning": _T("警告", "Warnings"),
    "info": _T("提示", "Info"),
    "flagged": _T("有问题的商机", "Deals with findings"),
}

TABLE_TITLE: dict[str, Text] = {
    "by_stage": _T("按阶段（进行中商机，漏斗）", "By stage (open deals, funnel)"),
    "by_grade": _T("按系统评级（进行中商机）", "By ExcelFlow grade (open deals)"),
    "by_code": _T("按规则代码的问题数", "Findings by rule code"),
    "by_owner": _T("按负责人的关口违规率", "Gate-violation rate by owner"),
}
TABLE_HEADERS: dict[str, tuple[Text, ...]] = {
    "by_stage": (
        _T("阶段", "Stage"),
        _T("商机数", "Deals (n)"),
        _T("金额合计", "Total amount"),
        _T("加权金额", "Weighted amount"),
    ),
    "by_grade": (
        _T("评级", "Grade"),
        _T("商机数", "Deals (n)"),
        _T("金额合计", "Total amount"),
        _T("加权金额", "Weighted amount"),
        _T("资源投入", "Action"),
    ),
    "by_code": (
        _T("代码", "Code"),
        _T("级别", "Severity"),
        _T("问题数", "Findings (n)"),
        _T("涉及商机", "Deals hit (n)"),
        _T("规则", "Rule"),
    ),
    "by_owner": (
        _T("销售", "Salesperson"),
        _T("过关口商机", "Gated deals (n)"),
        _T("强行推进", "Forced (n)"),
        _T("违规率", "Violation rate"),
    ),
}
CHART_TITLE: dict[str, Text] = {
    "by_stage": _T("各阶段金额（进行中）", "Open amount by stage"),
    "by_grade": _T("各评级商机数", "Open deals by grade"),
    "by_code": _T("各规则问题数", "Findings by code"),
    "by_owner": _T("各负责人强行推进比例", "Forced-advance rate by owner"),
}
COLUMNS_TITLE = _T("表头读取情况（列 → 字段）", "Headers read (column → field)")
COLUMNS_HEADERS: tuple[Text, ...] = (
    _T("列", "Column"),
    _T("表头", "Header"),
    _T("读作字段", "Read as"),
    _T("未读取；最接近的字段", "Ignored; closest known field"),
    _T("单位", "Unit"),
)
IGNORED = _T("（未读取）", "(ignored)")
UNKNOWN_STAGE = _T("阶段不明", "Unknown stage")
NO_OWNER = _T("（无负责人）", "(no owner)")
NO_FINDINGS = _T("未发现问题", "No findings")
NO_AMOUNT_CHART: dict[str, Text] = {
    "no_column": _T(
        "未识别到金额列：没有可按阶段绘制的金额（检查表头或映射）",
        "No amount column was recognised: there are no amounts to chart by stage "
        "(check the headers or the mapping)",
    ),
    "blank": _T(
        "进行中的商机均未填写金额：没有可按阶段绘制的金额",
        "No open deal has an amount: there are no amounts to chart by stage",
    ),
}
"""What the Dashboard shows in place of the empty "open amount by stage" chart."""

LOST_INTRO = _T("副本缺少", "the copy lacks")


def label(text: Text, lang: Lang) -> str:
    """``text`` in ``lang`` (a readable alias of ``text(lang)``)."""
    return text(lang)


# the stated vs gate-adjusted forecast block (its headline is engine.forecast.headline)
FORECAST_TITLE = _T(
    "预测：按填报赢率 vs 按关口调整赢率（进行中商机，按负责人）",
    "Forecast: stated vs gate-adjusted (open deals, by salesperson)",
)
FORECAST_HEADERS: tuple[Text, ...] = (
    _T("销售", "Salesperson"),
    _T("商机数", "Deals (n)"),
    _T("按填报赢率加权", "Stated weighted"),
    _T("按关口调整加权", "Gate-adjusted weighted"),
)
FORECAST_CHART = _T("各负责人：填报 vs 关口调整", "Stated vs gate-adjusted by salesperson")
