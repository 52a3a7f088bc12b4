"""The columns ExcelFlow knows: canonical keys, zh/en headers, aliases, value kinds and help text.

The base fields are fixed by the engine; milestone and evaluation-factor columns come from the rule
set (``m:<key>``, ``md:<key>`` for a milestone's date, ``f:<key>`` for a factor). Header matching
is case-, space- and punctuation-insensitive and treats full-width characters like half-width ones.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from excelflow.pipeline.ruleset import Lang, RuleSet, Text


class Kind(StrEnum):
    """How a column's values are coerced."""

    TEXT = "text"
    ID = "id"
    STATUS = "status"
    STAGE = "stage"
    DATE = "date"
    PROBABILITY = "probability"
    MONEY = "money"
    TICK = "tick"
    SCORE = "score"
    CODES = "codes"
    RESULT = "result"


@dataclass(frozen=True)
class FieldSpec:
    """A column ExcelFlow reads or writes."""

    key: str
    header: Text
    kind: Kind
    aliases: tuple[str, ...] = ()
    help: Text | None = None


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


BASE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "deal_id",
        _t("商机编号", "Deal ID"),
        Kind.ID,
        (
            "ID",
            "编号",
            "商机ID",
            "项目编号",
            "deal",
            "opportunity id",
            "opportunity_id",
            "deal no",
            "商机号",
            "项目号",
            "序号",
            "record id",
            "opportunity number",
            "deal number",
            "id",
        ),
        _t("每个商机唯一的编号", "A unique ID for each deal"),
    ),
    FieldSpec(
        "customer",
        _t("客户", "Customer"),
        Kind.TEXT,
        (
            "客户名称",
            "account",
            "account name",
            "company",
            "client",
            "客户名",
            "客户单位",
            "用户单位",
            "甲方",
            "company name",
            "organization",
            "organisation",
        ),
        _t("客户（采购方）名称", "The buying organisation"),
    ),
    FieldSpec(
        "project",
        _t("项目", "Project"),
        Kind.TEXT,
        ("项目名称", "商机名称", "opportunity", "opportunity name", "deal name"),
        _t("项目或商机名称", "Project or opportunity name"),
    ),
    FieldSpec(
        "owner",
        _t("负责人", "Owner"),
        Kind.TEXT,
        (
            "销售",
            "销售负责人",
            "销售人员",
            "sales rep",
            "salesperson",
            "account manager",
            "sales agent",
            "业务员",
            "销售代表",
            "跟进人",
            "客户经理",
            "opportunity owner",
            "deal owner",
            "owner name",
        ),
        _t("负责该商机的销售", "The salesperson who owns the deal"),
    ),
    FieldSpec(
        "status",
        _t("状态", "Status"),
        Kind.STATUS,
        (
            "商机状态",
            "deal status",
            "opportunity status",
            "结果",
            "输赢",
            "赢丢",
            "outcome",
            "result",
            "won/lost",
            "deal outcome",
        ),
        _t(
            "进行中 / 赢单 / 丢单 / 放弃；空白视为进行中",
            "open / won / lost / withdrawn; blank means open",
        ),
    ),
    FieldSpec(
        "stage",
        _t("阶段", "Stage"),
        Kind.STAGE,
        (
            "销售阶段",
            "当前阶段",
            "sales stage",
            "deal stage",
            "current stage",
            "商机阶段",
            "项目阶段",
            "pipeline stage",
            "stage name",
            "dealstage",
        ),
        _t("当前销售阶段（1–6 或阶段名称）", "Current sales stage (1-6 or the stage name)"),
    ),
    FieldSpec(
        "first_stage",
        _t("首次介入阶段", "First engaged stage"),
        Kind.STAGE,
        ("介入阶段", "首次介入", "entry stage", "engaged at stage", "first stage"),
        _t("我方首次介入项目时所处的阶段", "The stage the deal was at when we first engaged"),
    ),
    FieldSpec(
        "custom_solution",
        _t("定制方案", "Custom solution"),
        Kind.TICK,
        ("需定制", "非标", "定制/非标", "custom", "non-standard", "custom / non-standard"),
        _t(
            "客户需要个性化方案或非标产品时打勾",
            "Tick when the customer needs a custom solution or a non-standard product",
        ),
    ),
    FieldSpec(
        "expected_close",
        _t("预计成交日期", "Expected close"),
        Kind.DATE,
        (
            "预计成交",
            "成交日期",
            "预计签约日期",
            "close date",
            "expected close date",
            "close_date",
            "预计签约",
            "预计签约时间",
            "预计成交时间",
            "成交时间",
            "预计结单日期",
            "计划签约日期",
            "预计下单日期",
            "expected close",
            "est close date",
            "estimated close date",
            "closing date",
            "projected close date",
            "target close date",
            "close",
        ),
        _t("预计签约/成交的日期", "When the deal is expected to close"),
    ),
    FieldSpec(
        "probability",
        _t("赢率", "Probability"),
        Kind.PROBABILITY,
        (
            "成交概率",
            "成功率",
            "可能性",
            "win %",
            "win probability",
            "win rate",
            "probability %",
            "赢单率",
            "成交率",
            "签约概率",
            "把握",
            "把握度",
            "win chance",
            "chance of winning",
            "likelihood",
            "confidence",
            "deal probability",
        ),
        _t(
            "销售判断的成交可能性（0–100%）；空白时用阶段默认值",
            "Stated chance of winning (0-100%); blank uses the stage default",
        ),
    ),
    FieldSpec(
        "amount",
        _t("金额", "Amount"),
        Kind.MONEY,
        (
            "预计金额",
            "合同金额",
            "商机金额",
            "deal value",
            "value",
            "expected revenue",
            "close value",
            "项目金额",
            "预计合同金额",
            "合同额",
            "成交金额",
            "销售额",
            "报价金额",
            "deal amount",
            "deal size",
            "opportunity amount",
            "expected amount",
            "revenue",
            "expected value",
        ),
        _t("预计合同金额", "Expected contract value"),
    ),
    FieldSpec(
        "grade",
        _t("客户级别", "Customer grade"),
        Kind.TEXT,
        ("级别", "客户等级", "grade", "rating", "customer rating"),
        _t(
            "销售自评的客户级别 A–D（与系统评级比对）",
            "Your own A-D grading (compared with the computed grade)",
        ),
    ),
    FieldSpec(
        "ignore",
        _t("忽略规则", "ExcelFlow Ignore"),
        Kind.CODES,
        ("ignore", "忽略", "excelflow ignore codes"),
        _t(
            "本行不检查的规则代码，如 SG01, DQ05",
            "Rule codes to silence on this row, e.g. SG01, DQ05",
        ),
    ),
)

RESULT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("ef_grade", _t("系统评级", "ExcelFlow grade"), Kind.RESULT, ("computed grade",)),
    FieldSpec("ef_score", _t("评估得分", "Score"), Kind.RESULT, ("evaluation score",)),
    FieldSpec(
        "ef_adj_prob", _t("调整后赢率", "Adjusted probability"), Kind.RESULT, ("adj probability",)
    ),
    FieldSpec("ef_gate", _t("关口", "Gate"), Kind.RESULT, ("gate status",)),
    FieldSpec("ef_warnings", _t("预警", "Warnings"), Kind.RESULT, ("findings",)),
)


SHEETS: dict[str, Text] = {
    "deals": _t("商机", "Deals"),
    "rules": _t("规则", "Rules"),
    "bid": _t("投标分析", "Bid"),
    "dashboard": _t("看板", "Dashboard"),
    "findings": _t("问题清单", "Findings"),
}
"""Canonical sheet names of an ExcelFlow workbook, in both languages."""

CRITERIA_MILESTONE = "criteria"
"""The milestone whose tick says the purchasing criteria favour us (read by the BD rules and the
Bid sheet's seed; here so that a check without Bid sheets loads no bid module)."""


def milestone_key(key: str) -> str:
    """Field key of a milestone part's tick column."""
    return f"m:{key}"


def milestone_date_key(key: str) -> str:
    """Field key of a milestone part's date column."""
    return f"md:{key}"


def factor_key(key: str) -> str:
    """Field key of an evaluation factor's score column."""
    return f"f:{key}"


TYPED_MILESTONE_ALIASES: dict[str, tuple[str, ...]] = {
    "evaluated": ("评估分级完成", "已评级", "客户分级", "客户评估", "prospect graded",
                  "qualification done", "evaluation done"),
    "coach": ("找到内线", "有内线", "内线已找到", "coach identified", "inside coach"),
    "key_persons": ("关键人已接触", "决策人", "关键决策人", "key people", "decision maker",
                    "decision makers engaged"),
    "criteria": ("采购标准已影响", "影响采购标准", "buying criteria", "criteria set",
                 "specs in our favour"),
    "bid_submitted": ("投标", "投标完成", "已递标", "递标", "bid sent", "bid done", "tender"),
    "contract_approved": ("合同已审批", "审批通过", "approved", "contract approval done"),
    "contract_signed": ("已签约", "合同签署", "签署", "签约完成", "contract signed", "signature"),
    "acceptance": ("已验收", "验收完成", "工程验收完成", "final acceptance", "acceptance done",
                   "accepted by customer"),
    "project_closed": ("项目结项", "已结项", "结案", "项目关闭", "project closed out", "closeout",
                       "close-out"),
}  # fmt: skip
"""Milestone headers people type (``投标``, ``签约``, ``验收``, ``结项``, ``Bid``, ``Signed``…),
by the standard rule set's milestone keys, after a rule set's own aliases."""


def _date_aliases(column: Text, aliases: tuple[str, ...]) -> tuple[str, ...]:
    """A milestone's date column as people name it: its tick column's names + 日期/时间/date."""
    out: list[str] = []
    for name in (column.zh, column.en, *aliases):
        if has_cjk(name):
            out += [f"{name}日期", f"{name}时间"]
        elif len(name) > 3:
            out += [f"{name} date", f"date {name}"]
    return tuple(out)


def ruleset_fields(ruleset: RuleSet) -> tuple[FieldSpec, ...]:
    """The milestone and factor columns a rule set adds to the base fields."""
    out: list[FieldSpec] = []
    for ms in ruleset.milestones:
        stage = ruleset.stage(ms.stage)
        help_text = _t(
            f"{stage.name.zh}的关键节点：{ms.name.zh}。打勾（✓/是/Y）或填完成日期",
            f"Stage {stage.number} milestone: {ms.name.en}. Tick (✓/Yes/Y) or enter the date done",
        )
        typed = tuple(a for a in TYPED_MILESTONE_ALIASES.get(ms.key, ()) if a not in ms.aliases)
        aliases = (*ms.aliases, *typed)
        out.append(FieldSpec(milestone_key(ms.key), ms.column, Kind.TICK, aliases, help_text))
        if ms.date_column is not None:
            out.append(
                FieldSpec(
                    milestone_date_key(ms.key),
                    ms.date_column,
                    Kind.DATE,
                    (),
                    _t(f"{ms.name.zh}的日期", f"Date of: {ms.name.en}"),
                )
            )
    lo, hi = ruleset.scale_min, ruleset.scale_max
    for fa in ruleset.factors:
        ko = ""
        if fa.knockout_reason is not None:
            ko_zh = f"；≤{fa.knockout_at_or_below:g} 即否决（{fa.knockout_reason.zh}）"
            ko_en = (
                f"; <= {fa.knockout_at_or_below:g} knocks the deal out ({fa.knockout_reason.en})"
            )
        else:
            ko_zh = ko_en = ko
        out.append(
            FieldSpec(
                factor_key(fa.key),
                fa.column,
                Kind.SCORE,
                fa.aliases,
                _t(
                    f"评估因素「{fa.name.zh}」打分 {lo:g}–{hi:g}，权重 {fa.weight:g}{ko_zh}",
                    f"Evaluation factor '{fa.name.en}', score {lo:g}-{hi:g}, "
                    f"weight {fa.weight:g}{ko_en}",
                ),
            )
        )
    return tuple(out)


BASE_ORDER = (
    "deal_id", "customer", "project", "owner", "status", "stage", "first_stage",
    "custom_solution", "expected_close", "probability", "amount", "grade",
)  # fmt: skip
"""Template order of the base input columns (the rule set's columns follow, then Ignore)."""


def input_fields(ruleset: RuleSet) -> tuple[FieldSpec, ...]:
    """Every column a user fills in, in template order (no result columns)."""
    base = {f.key: f for f in BASE_FIELDS}
    return (*(base[k] for k in BASE_ORDER), *ruleset_fields(ruleset), base["ignore"])


def all_fields(ruleset: RuleSet) -> tuple[FieldSpec, ...]:
    """Input and result fields, in template column order."""
    return (*input_fields(ruleset), *RESULT_FIELDS)


_PUNCT_RE = re.compile(r"[\s_]+")


@cache
def fold(text: str) -> str:
    """Fold a header or value for matching: NFKC, case-fold, drop spaces and punctuation."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    norm = _PUNCT_RE.sub("", norm)
    return "".join(ch for ch in norm if not unicodedata.category(ch).startswith(("P", "S", "Z")))


_BID_SHEET_PREFIXES = tuple(fold(n) for n in (SHEETS["bid"].zh, SHEETS["bid"].en, "投标"))


def is_bid_sheet_name(name: str) -> bool:
    """True for a sheet name that may hold a Bid sheet (``Bid…`` / ``投标…``, any case); here,
    not in :mod:`excelflow.bid.sheet`, so that a workbook without one loads no bid module."""
    folded = fold(name)
    return any(folded.startswith(p) for p in _BID_SHEET_PREFIXES)


def header_index(ruleset: RuleSet) -> dict[str, str]:
    """Map folded header text to field key, for every known field of ``ruleset``.

    Exact headers win over aliases: an alias never steals a name that is some field's header.
    """
    fields = all_fields(ruleset)
    index: dict[str, str] = {}
    for spec in fields:
        for name in (spec.header.zh, spec.header.en, spec.key):
            index.setdefault(fold(name), spec.key)
    for spec in fields:
        for name in spec.aliases:
            index.setdefault(fold(name), spec.key)
    index.pop("", None)
    return index


def has_cjk(text: str) -> bool:
    """True when ``text`` contains a CJK ideograph."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def describe_columns(ruleset: RuleSet, lang: Lang = "en") -> str:
    """Every input column a rule set knows, with its header in both languages and every alias:
    what ``excelflow rules show`` prints after the rule set. Headers match ignoring case, spaces
    and punctuation; a unit in brackets (``金额(万元)``) scales the column's numbers."""
    zh = lang == "zh"
    out = ["列与别名（表头不区分大小写、空格和标点）" if zh else "Columns and their aliases "
           "(headers match ignoring case, spaces and punctuation)"]  # fmt: skip
    for spec in input_fields(ruleset):
        names = [spec.header.zh, spec.header.en, *spec.aliases]
        seen: dict[str, str] = {}
        for name in names:
            seen.setdefault(fold(name), name)
        head, *rest = seen.values()
        out.append(f"  {spec.key:<22} {head} / {spec.header.en}" if head != spec.header.en else
                   f"  {spec.key:<22} {head}")  # fmt: skip
        aliases = [n for n in rest if n != spec.header.en]
        if aliases:
            out.append(" " * 25 + ("别名：" if zh else "aliases: ") + ", ".join(aliases))
    return "\n".join(out)
