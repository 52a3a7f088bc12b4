"""The pipeline template workbook as a :class:`~excelflow.sheets.book.BookPlan`, in Chinese or
English.

Sheets, in order: Deals / 商机 (the Excel Table ``tblDeals`` with every column of the rule set,
example deals, drop-downs and help; active, :mod:`excelflow.template.deals`), Dashboard / 看板,
Findings / 问题清单, Bid / 投标分析 (placeholders the annotate and bid commands fill) and Rules /
规则 (the rule set as editable tables, :mod:`excelflow.rulesheet.sheet`, read back by
:func:`excelflow.rulesheet.read.workbook_ruleset`). The Deals sheet's stage and grade drop-downs
take the defined names :data:`LIST_NAMES` over the Rules sheet's tables.

``excelflow template`` renders the whole book (:mod:`excelflow.workbook.template`); the ribbon's
Insert template button renders its Deals and Rules sheets and its names into the open book
(:mod:`excelflow.xl.macros_sheets`). The plan is deterministic: fixed document properties and
timestamps (:data:`STAMP`) and fixed example data.
"""

from __future__ import annotations

import datetime as dt

from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.ruleset import Lang, RuleSet, load_ruleset
from excelflow.rulesheet.sheet import rules_plan
from excelflow.sheets.book import BookPlan, DocProperties
from excelflow.sheets.look import STYLES
from excelflow.sheets.parts import PageSetup, SheetProps
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.text import wrapped_lines
from excelflow.template.deals import deals_plan

STAMP = dt.datetime(2026, 11, 28, 9, 0, 0)
"""Created/modified time written into every template."""
LIST_NAMES = {"stages": "lstStages", "grades": "lstGrades"}
"""The defined names of the Rules sheet's lists the Deals sheet's drop-downs use."""
PLACEHOLDER_WIDTH = 80.0
PLACEHOLDER_KEYS = ("dashboard", "findings", "bid")

PLACEHOLDERS: dict[str, dict[Lang, tuple[str, ...]]] = {
    "dashboard": {
        "zh": (
            "由 excelflow annotate 或功能区的「校验」按钮生成：各阶段的商机数与金额、关口状态、"
            "客户分级和问题统计。",
        ),
        "en": (
            "Filled by excelflow annotate or the ribbon's Validate button: deals and amounts by "
            "stage, gate status, grades and findings at a glance.",
        ),
    },
    "findings": {
        "zh": (
            "由 excelflow annotate 或功能区的「校验」按钮填写：每个问题一行，含规则代码、"
            "所在单元格和说明。",
        ),
        "en": (
            "Filled by excelflow annotate or the ribbon's Validate button: one row per finding, "
            "with its rule code, cell and message.",
        ),
    },
    "bid": {
        "zh": (
            "投标阶段的报价分析：成本构成、目标毛利与底价、竞争对手报价、赢标概率与期望利润，"
            "并给出建议报价或退出建议。",
            "生成方法：运行 excelflow bid，或在商机表选中一个商机后点功能区的「投标分析」；"
            "每个商机生成一张投标分析表。",
            "毛利率 =（报价 − 成本）/ 报价；加价率 =（报价 − 成本）/ 成本。",
        ),
        "en": (
            "Price analysis for the bidding stage: cost build-up, target margin and floor price, "
            "competitors' pricing, probability of winning and expected profit, with a recommended "
            "price or a withdraw recommendation.",
            "To build one: run excelflow bid, or select a deal on the Deals sheet and click the "
            "ribbon's Bid analysis; each deal gets its own Bid sheet.",
            "Margin = (price - cost) / price; markup = (price - cost) / cost.",
        ),
    },
}


def template_book(lang: Lang = "zh", ruleset: RuleSet | None = None) -> BookPlan:
    """The template workbook.

    Args:
        lang: sheet names, headers, labels and example deals in ``"zh"`` or ``"en"``.
        ruleset: the rule set whose columns and Rules sheet the template carries
            (default: the built-in standard set).
    """
    rs = ruleset or load_ruleset()
    rules_name = SHEETS["rules"](lang)
    rules = rules_plan(rs, lang, rules_name)
    names = {LIST_NAMES[key]: ref for key, ref in rules.lists.items()}
    deals = deals_plan(rs, lang, {key: LIST_NAMES[key] for key in rules.lists})
    sheets = {
        SHEETS["deals"](lang): deals,
        **{SHEETS[key](lang): placeholder_plan(key, lang) for key in PLACEHOLDER_KEYS},
        rules_name: rules.plan,
    }
    title = ("销售商机管道" if lang == "zh" else "Sales pipeline") + f" — {rs.title(lang)}"
    properties = DocProperties(
        creator="ExcelFlow",
        last_modified_by="ExcelFlow",
        title=title,
        subject="ExcelFlow pipeline template",
        keywords="ExcelFlow; pipeline; stage-gate",
        language="zh-CN" if lang == "zh" else "en-US",
        created=STAMP,
        modified=STAMP,
    )
    return BookPlan(sheets, names, active=0, theme_hans_font="等线", properties=properties)


def placeholder_plan(key: str, lang: Lang) -> SheetPlan:
    """A sheet another command fills (``dashboard``, ``findings``, ``bid``): its name as a title
    and what it will hold."""
    plan = SheetPlan(styles={k: STYLES[k] for k in ("title", "note", "wrap top")})
    plan.widths.update({1: 2.0, 2: PLACEHOLDER_WIDTH})
    plan.put(1, 2, SHEETS[key](lang), "title")
    plan.heights[1] = 26.0
    for i, line in enumerate(PLACEHOLDERS[key][lang], start=3):
        plan.put(i, 2, line, "note", "wrap top")
        plan.heights[i] = 15.0 * wrapped_lines(line, PLACEHOLDER_WIDTH) + 6
    plan.props = SheetProps(tab_color="A6A6A6", gridlines=False)
    plan.page = PageSetup(fit_to_page=True, fit_width=1, fit_height=0)
    return plan
