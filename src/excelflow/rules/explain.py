"""What ``excelflow rules show CODE`` and ``rules list --lang zh`` say about each rule.

English comes from the rule's own docstring (its first line; then ``Bad row: …`` and
``Fix: …``), so there is one English text per rule. Here: the
Chinese of the description, bad example and fix, and the rule-set settings that change what the
rule finds. ``tests/cli/test_rules_command.py`` fails when a registered rule has no entry here
or its docstring no bad example and fix, so a new rule is explained in both languages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from excelflow.pipeline.ruleset import Lang
from excelflow.rules import Rule


@dataclass(frozen=True)
class Explanation:
    """The Chinese side of one rule and the settings it reads (its title: :mod:`.titles`)."""

    what_zh: str
    bad_zh: str
    fix_zh: str
    params: tuple[str, ...] = ()
    """Rule-set keys (dotted paths into the rule-set document) that change what the rule finds;
    ``severities``, ``disabled``, ``select`` and ``ignore`` apply to every rule and are not
    repeated."""


_BAD = re.compile(r"Bad [a-z]+:(.*?)(?=Fix:|$)", re.S)
_FIX = re.compile(r"Fix:(.*)$", re.S)
_LITERAL = re.compile(r"``(.+?)``")


def _one_line(text: str) -> str:
    return _LITERAL.sub(r"\1", " ".join(text.split()))


def what(rule: Rule, lang: Lang) -> str:
    """What the rule finds: its docstring's first line (en), or the Chinese of it."""
    return EXPLAINED[rule.code].what_zh if lang == "zh" else _one_line(rule.description)


def bad_example(rule: Rule, lang: Lang) -> str:
    """A row (or sheet) the rule flags: the docstring's ``Bad row:`` (en), or its Chinese."""
    if lang == "zh":
        return EXPLAINED[rule.code].bad_zh
    m = _BAD.search(rule.doc)
    return _one_line(m.group(1)) if m else ""


def fix(rule: Rule, lang: Lang) -> str:
    """How to fix it: the docstring's ``Fix:`` (en), or its Chinese."""
    if lang == "zh":
        return EXPLAINED[rule.code].fix_zh
    m = _FIX.search(rule.doc)
    return _one_line(m.group(1)) if m else ""


def _x(what: str, bad: str, fix: str, *params: str) -> Explanation:
    return Explanation(what, bad, fix, params)


EXPLAINED: dict[str, Explanation] = {
    "SG01": _x(
        "进行中的商机已在第 k 阶段，却缺少之前某阶段关键节点的一部分（强行推进）。",
        "第4阶段（投标）但「内线」列为空，或第5阶段但「已投标」的日期在下个月。",
        "记录该节点（打勾或填完成日期），或把商机移回它真正到达的阶段。",
        "stages",
        "forced_advance.penalty_factor",
        "forced_advance.penalty_per",
        "forced_advance.missing_milestone_column",
    ),
    "SG02": _x(
        "需要定制/非标方案的商机，首次接触时已在第3阶段或更晚。",
        "「定制方案」✓，「首次接触阶段」为 3（方案阶段）。",
        "数据无需修改——据此掂量该商机；若实际更早接触，更正首次接触阶段。",
        "late_entry.from_stage",
    ),
    "EV01": _x(
        "进行中商机的加权评估得分低于规则集的及格线。",
        "九项评分为 2、2、3、2、3、2、2、3、2（100 分制 25 分，及格线 60）。",
        "放弃或降低接触级别；若评分已过时，重新评分。",
        "evaluation.pass_mark",
        "evaluation.factors",
        "evaluation.scale",
    ),
    "EV02": _x(
        "进行中商机某个否决项的得分不高于其阈值，无论总分多少。",
        "「评估-资金」= 1。",
        "在该项情况改变之前，放弃或降低接触级别。",
        "evaluation.factors",
    ),
    "GR01": _x(
        "工作簿中进行中商机自填的评级与规则集计算出的评级不同。",
        "客户级别 A，预计 200 天后成交，概率 30%（计算结果为 C）。",
        "更新评级；若过时的是成交日期或概率，则更新它们。",
        "grades",
        "grading.probability",
    ),
    "CL01": _x(
        "最后阶段的进行中商机已具备该阶段全部关键节点（工作已完成）。",
        "状态进行中，第6阶段（工程实施），「验收」✓，「项目关闭」✓。",
        "把商机标为赢单，预测就不再把它算作进行中。",
        "stages",
    ),
    "CL02": _x(
        "标记为赢单的商机缺少合同节点（第5阶段：审批与签署）的某一部分。",
        "状态赢单，第5阶段，「合同签署」为空（或日期在下个月）。",
        "记录签署（打勾或填签署日期），或把状态改回进行中。",
        "stages",
    ),
    "CL03": _x(
        "标记为赢单的商机所在阶段早于合同阶段（第5阶段，商务谈判）。",
        "状态赢单，第3阶段（方案阶段）。",
        "把阶段改为商机真正所在的阶段（至少第5阶段且合同已签），或更正状态。",
        "stages",
    ),
    "HX01": _x(
        "自上次记录的检查以来，进行中商机推进了阶段，而它离开的某一阶段的关键节点仍缺失。",
        "上周在第2阶段且「内线」为空，本周到了第4阶段，「内线」仍为空。",
        "若节点已达成，记录它（打勾或填日期）；否则把商机退回到缺节点的阶段。",
    ),
    "HX02": _x(
        "商机的阶段低于上次记录的检查时的阶段。",
        "上周在第4阶段（投标），今天在第2阶段。",
        "若商机确实倒退，在备注中写明原因；若阶段填错，改正它。",
    ),
    "HX03": _x(
        "进行中商机在同一阶段停留的天数超过规则集 stall_days 的上限。",
        "80 天前的检查起就在第3阶段（方案），该阶段上限 45 天。",
        "推进商机，或重新评估它（降低赢率或放弃）。",
        "stall_days",
    ),
    "HX04": _x(
        "上次记录的检查时已标为赢单或输单的商机，现在又是进行中。",
        "上月状态为输单，今天为进行中。",
        "若商机确实重启，作为新商机录入（新编号）；若状态填错，改回。",
    ),
    "DQ01": _x(
        "必填字段为空（规则集 required_fields：所有商机必填，或进行中商机必填）。",
        "进行中的商机没有「预计成交日期」。",
        "填写该单元格。",
        "required_fields.always",
        "required_fields.open",
    ),
    "DQ02": _x(
        "两个商机使用同一编号；第一次之后的每次出现都会报告。",
        "第 5 行和第 40 行都是 D-017。",
        "给每个商机唯一的编号。",
    ),
    "DQ03": _x(
        "阶段单元格既不是阶段编号，也不是阶段名称。",
        "阶段为「Closing」。",
        "填 1–6 或规则集中的阶段名称（开发阶段 … 工程实施阶段 / Development … Implementation）。",
        "stages",
    ),
    "DQ04": _x(
        "单元格的值无法按该列的类型读取；引擎按空值处理。",
        "「预计成交日期」为「明年春天」，「内线」为「也许」。",
        "填写该列类型的值。",
    ),
    "DQ05": _x(
        "进行中商机的预计成交日期早于今天（或 --as-of）。",
        "状态进行中，预计成交 2025-12-31，检查日 2026-11-28。",
        "改日期，或把商机标为赢单、丢单或撤回。",
    ),
    "DQ06": _x(
        "填写的概率低于 0% 或高于 100%。",
        "概率为 150（或 -0.2）。",
        "填 0–100%（0.6、60 或 60%）。",
    ),
    "DQ07": _x(
        "规则集依赖的列在表中不存在。",
        "表中没有「内线」列。",
        "加上该列（excelflow template 生成的模板有全部列），"
        "或用 --mapping 把源表自己的列映射过来。",
        "forced_advance.missing_milestone_column",
        "stages",
        "evaluation.factors",
    ),
    "DQ08": _x(
        "工作簿的「规则」/Rules 工作表不能构成有效的规则集。",
        "第2阶段的默认概率填成了 150%。",
        "填 0%–100%（问题中指明了单元格）。",
    ),
    "DQ09": _x(
        "进行中商机的金额为零或负数。",
        "状态进行中，金额 0（或 -50,000）。",
        "填写商机的预计金额；退款或折让不是商机。",
    ),
    "DQ10": _x(
        "定制/非标方案商机没有首次介入阶段，或首次介入阶段晚于当前阶段，无法判断是否介入过晚（SG02）。",
        "「定制方案」✓，第3阶段，「首次介入阶段」为空（或为5）。",
        "填写我方首次介入该客户的阶段（1–6，不超过当前阶段）。",
    ),
    "BD01": _x(
        "商机投标表中的报价低于底价（最低毛利）。",
        "第4阶段商机，投标表总成本 633,880，最低毛利 8%（底价 689,000），报价 650,000。",
        "把报价提高到底价以上、降低成本，或在例外获批后调低表中的最低毛利。",
    ),
    "BD02": _x(
        "拟报价格（报价，否则为目标毛利下的价格）超过客户预算。",
        "预算 780,000，报价 800,000。",
        "调整范围或成本使价格落入预算，或与客户确认预算（并记录）。",
    ),
    "BD03": _x(
        "投标分析建议放弃（评标标准对我方不利，或预期利润太低）；没有投标表时，商机表中「采购标准」标为否也给出此建议。",
        "第4阶段，投标表显示评标标准不利于我方，最佳预期利润 8,000 低于放弃阈值 10,000。",
        "做出决定——放弃（设置商机状态），或记录仍投标的理由并在该行忽略 BD03。",
    ),
    "BD04": _x(
        "投标表中某成本行数量为 0 或缺单价，或根本没有成本行。",
        "第4阶段商机的投标表中「服务 / 三年维保」数量 3、单价为空。",
        "填写单价（或数量）；若该行不属于本次投标，删除它。",
    ),
    "BD05": _x(
        "投标表的某项输入无法读取或使用，或该表对应不到唯一的商机。",
        "投标表的目标毛利单元格写着「大约20」（或其商机编号不在商机表中）。",
        "填数字（20% 或 0.2），或更正商机编号。",
    ),
    "BD06": _x(
        "投标分析表与商机表对采购标准是否对我方有利的说法不一致：放弃建议随投标表，阶段关口随商机表，二者必有一处填错。",
        "投标分析表「采购标准对我方有利：否」，商机表「采购标准」✓。",
        "核对后更正填错的一处。",
    ),
}
"""Every registered rule, by code."""
