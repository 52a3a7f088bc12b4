"""What a Bid sheet says, in both languages: labels, table headers, section titles, sheet names.

The layout (:mod:`excelflow.bid.sheet.blocks`) and the reader (:mod:`excelflow.bid.sheet.read`)
share this vocabulary. The reader finds everything by these labels (Chinese or English, compared
with :func:`excelflow.pipeline.fields.fold`), never by fixed cell positions, so inserted rows,
moved blocks and a sheet written in the other language still read. No two labels that the reader
looks up fold to the same text (a test holds us to it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from excelflow.bid.model import CATEGORY_LABELS, CostCategory
from excelflow.pipeline.fields import SHEETS, fold
from excelflow.pipeline.ruleset import Lang, Text


@dataclass(frozen=True)
class Label:
    """One label or column header: its key, its text in both languages, and accepted aliases."""

    key: str
    text: Text
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every text that names this label (both languages, the key and the aliases)."""
        return (self.text.zh, self.text.en, self.key, *self.aliases)


def _l(key: str, zh: str, en: str, *aliases: str) -> Label:
    return Label(key, Text(zh, en), aliases)


INPUTS: tuple[Label, ...] = (
    _l("deal_id", "商机编号", "Deal ID", "deal", "商机ID", "opportunity id"),
    _l("customer", "客户", "Customer", "客户名称"),
    _l("project", "项目", "Project", "项目名称"),
    _l("currency", "币种", "Currency", "货币"),
    _l("target_margin", "目标毛利率", "Target margin", "目标毛利"),
    _l("min_margin", "最低毛利率", "Minimum margin", "floor margin", "底线毛利率", "最低毛利"),
    _l("overhead_pct", "管理费用率", "Overhead rate", "overhead pct", "间接费用率"),
    _l("budget", "客户预算", "Customer budget", "budget", "预算"),
    _l("quoted_price", "报价", "Quoted price", "our price", "投标报价", "quote"),
    _l("criteria_favourable", "采购标准对我方有利", "Criteria favour us", "criteria favourable"),
    _l("our_rank", "客户对我方排名", "Our rank with the customer", "our rank", "我方排名"),
    _l(
        "withdraw_threshold",
        "放弃阈值（期望利润）",
        "Withdraw threshold (expected profit)",
        "withdraw threshold",
        "放弃阈值",
    ),
    _l(
        "withdraw_requires_both",
        "两项理由同时成立才放弃",
        "Withdraw only if both reasons hold",
        "withdraw requires both",
    ),
    _l("win_model", "赢率模型", "Win-probability model", "win model"),
    _l(
        "lowest_bid_mean",
        "最低竞争加价率均值",
        "Lowest competing markup: mean",
        "lowest bid mean",
    ),
    _l("lowest_bid_sd", "最低竞争加价率标准差", "Lowest competing markup: sd", "lowest bid sd"),
    _l("markups", "加价率网格", "Markup grid", "markups"),
)
"""The input block, top to bottom (label in one column, value in the next)."""

RESULTS: tuple[Label, ...] = (
    _l("direct_cost", "直接成本", "Direct cost"),
    _l("overhead", "管理费用额", "Overhead amount"),
    _l("total_cost", "总成本 C", "Total cost C"),
    _l("target_price", "目标毛利率价格 C/(1−目标)", "Price at target margin C/(1−target)"),
    _l("floor_price", "底价 C/(1−最低毛利率)", "Floor price C/(1−minimum margin)"),
    _l("quote_margin", "报价毛利率 (P−C)/P", "Quoted margin (P−C)/P"),
    _l("quote_markup", "报价加价率 (P−C)/C", "Quoted markup (P−C)/C"),
    _l("quote_amount", "报价毛利额 P−C", "Quoted margin amount P−C"),
    _l("proposed_price", "拟报价格（报价，否则目标价）", "Proposed price (quoted, else target)"),
    _l("budget_headroom", "预算余量（预算−拟报价格）", "Budget headroom (budget − proposed)"),
    _l("budget_margin", "按预算报价的毛利率", "Margin if priced at the budget"),
    _l("rec_markup", "推荐加价率（快照）", "Recommended markup (snapshot)"),
    _l("rec_price", "推荐报价", "Recommended price"),
    _l("rec_margin", "推荐报价毛利率", "Recommended price margin"),
    _l("rec_pwin", "推荐报价赢率（快照）", "P(win) at recommended (snapshot)"),
    _l("rec_profit", "推荐报价期望利润", "Expected profit at recommended"),
    _l("withdraw", "投标建议", "Bid or withdraw"),
)
"""The result block, beside the inputs (label, then a live formula or a snapshot)."""

COST_HEADERS: tuple[Label, ...] = (
    _l("category", "类别", "Category", "成本类别", "cost category"),
    _l("description", "说明", "Description", "描述", "项目说明"),
    _l("supplier", "供应商", "Supplier", "vendor"),
    _l("quantity", "数量", "Quantity", "qty"),
    _l("unit_cost", "单价", "Unit cost", "单位成本", "unit price"),
    _l("amount", "金额", "Line total", "amount", "合计"),
)
SUBTOTAL_HEADERS: tuple[Label, ...] = (
    _l("sub_category", "分类", "By category"),
    _l("subtotal", "小计", "Subtotal"),
    _l("share", "占比", "Share"),
)
COMPETITOR_HEADERS: tuple[Label, ...] = (
    _l("name", "竞争对手", "Competitor", "对手"),
    _l("rank", "客户排名", "Rank", "排名"),
    _l("expected_price", "预计报价", "Expected price"),
    _l("ratio_mean", "报价/我方成本 均值", "Price ÷ our cost: mean", "ratio mean"),
    _l("ratio_sd", "报价/我方成本 标准差", "Price ÷ our cost: sd", "ratio sd"),
    _l("median", "历史中位加价率（快照）", "History median markup (snapshot)"),
    _l("implied", "估计报价", "Implied price"),
    _l("basis", "依据", "Basis"),
    _l("difference", "我方−对方", "Ours − theirs"),
    _l("difference_pct", "差额比例", "Difference %"),
    _l("position", "我方价格位置", "Our position"),
)
HISTORY_HEADERS: tuple[Label, ...] = (
    _l("h_name", "对手", "Against", "competitor name"),
    _l("h_markup", "我方加价率", "Our markup"),
    _l("h_probability", "胜过该对手的概率", "P(beat)", "p beat", "probability"),
)
SENSITIVITY_HEADERS: tuple[Label, ...] = (
    _l("s_markup", "加价率", "Markup"),
    _l("s_price", "价格", "Price"),
    _l("s_margin", "毛利率", "Margin"),
    _l("s_amount", "毛利额", "Margin amount"),
    _l("p_friedman", "赢率 Friedman", "P(win) Friedman"),
    _l("p_gates", "赢率 Gates", "P(win) Gates"),
    _l("p_normal", "赢率 正态", "P(win) normal"),
    _l("s_profit", "期望利润", "Expected profit"),
    _l("s_below", "低于底价", "Below floor"),
    _l("s_outside", "超出历史数据", "Outside history"),
)
CHART_HEADERS: tuple[Label, ...] = (
    _l("c_line", "辅助线", "Line"),
    _l("c_markup", "横轴：加价率", "x: markup"),
    _l("c_value", "纵轴：期望利润", "y: expected profit"),
)

SECTIONS: Mapping[str, Text] = {
    "inputs": Text("输入（黄色单元格）", "Inputs (yellow cells)"),
    "results": Text("计算结果", "Results"),
    "costs": Text("成本明细", "Cost lines"),
    "subtotals": Text("分类小计", "Subtotals by category"),
    "competitors": Text("竞争对手与价格位置", "Competitors and price position"),
    "history": Text("胜过对手的历史概率", "P(beat) history"),
    "sensitivity": Text("赢率与期望利润（按加价率）", "P(win) and expected profit by markup"),
    "chart": Text("图表辅助线", "Chart lines"),
    "notes": Text("附注", "Notes"),
}

WORDS: Mapping[str, Text] = {
    "yes": Text("是", "Yes"),
    "no": Text("否", "No"),
    "withdraw": Text("建议放弃", "Withdraw"),
    "bid": Text("建议投标", "Bid"),
    "below": Text("低于", "below"),
    "equal": Text("持平", "equal"),
    "above": Text("高于", "above"),
    "stated": Text("给定", "stated"),
    "ratio_mean": Text("比值均值", "ratio mean"),
    "history_median": Text("历史中位", "history median"),
    "floor": Text("底价线", "Floor line"),
    "budget": Text("预算线", "Budget line"),
    "quote": Text("报价线", "Quote line"),
    "recommended": Text("推荐点", "Recommended point"),
    "no_budget": Text("无预算", "no budget"),
    "no_quote": Text("未报价", "no quote"),
    "tick": Text("✓", "✓"),
    "used": Text("（采用）", " (used)"),
    "our_position": Text("我方价格排名（1 = 最低）", "Our price position (1 = cheapest)"),
    "title": Text("投标分析", "Bid analysis"),
    "chart_title": Text("期望利润与加价率", "Expected profit against markup"),
    "chart_x": Text("加价率（相对成本）", "Markup on cost"),
    "chart_y": Text("期望利润", "Expected profit"),
    "total": Text("合计", "Total"),
}

WIN_MODEL_NAMES: Mapping[str, Text] = {
    "friedman": Text("Friedman", "Friedman"),
    "gates": Text("Gates", "Gates"),
    "normal": Text("正态", "Normal"),
}
WIN_MODEL_ALIASES: Mapping[str, str] = {
    **{fold(n): k for k, t in WIN_MODEL_NAMES.items() for n in (k, t.zh, t.en)},
    fold("正态分布"): "normal",
    fold("normal lowest bid"): "normal",
}
AUTO_WORDS = frozenset(fold(w) for w in ("auto", "自动", "default", "默认"))


def category_label(category: CostCategory, lang: Lang) -> str:
    """The category as the sheet shows it (``设备`` / ``Equipment``)."""
    return CATEGORY_LABELS[category](lang)


def lookup(labels: Iterable[Label]) -> dict[str, str]:
    """Folded name -> key for every name of ``labels`` (first one wins)."""
    out: dict[str, str] = {}
    for label in labels:
        for name in label.names():
            out.setdefault(fold(name), label.key)
    out.pop("", None)
    return out


SECTION_LOOKUP = {fold(n): k for k, t in SECTIONS.items() for n in (t.zh, t.en)}

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
MAX_SHEET_NAME = 31


def sheet_name(deal_id: str, lang: Lang, taken: Iterable[str] = ()) -> str:
    """``Bid – <deal>`` / ``投标分析 – <deal>``, made a valid, unused Excel sheet name.

    Excel allows 31 characters and none of ``[]:*?/\\`` nor control characters, and no leading
    or trailing apostrophe; names compare case-insensitively. A clash gets `` (2)``, `` (3)``…
    (the deal ID inside is shortened to make room; the reader takes the deal from the Deal ID
    cell, not the name).
    """
    base = f"{SHEETS['bid'](lang)} – "
    ident = _BAD_SHEET_CHARS.sub("_", str(deal_id)).strip().strip("'") or "_"
    used = {t.casefold() for t in taken}
    n = 1
    while True:
        suffix = "" if n == 1 else f" ({n})"
        name = (base + ident)[: MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
        if name.casefold() not in used:
            return name
        n += 1


def table_name(prefix: str, deal_id: str, taken: Iterable[str] = ()) -> str:
    """A workbook-unique Excel table name such as ``BidCosts_D_00001``.

    Table names may hold letters, digits, ``_`` and ``.``, must start with a letter or ``_`` and
    must not look like a cell reference; clashes (case-insensitive) get ``_2``, ``_3``…
    """
    ident = re.sub(r"[^0-9A-Za-z_.]", "_", str(deal_id))[:40]
    base = f"{prefix}_{ident}"
    used = {t.casefold() for t in taken}
    name, n = base, 1
    while name.casefold() in used:
        n += 1
        name = f"{base}_{n}"
    return name
