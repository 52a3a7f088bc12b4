"""What ``excelflow rules show CODE`` and ``rules list --lang zh`` say about each rule, in both
languages: a short title, what it finds, a bad example, the fix, and the rule-set settings that
change what it finds. ``tests/cli/test_rules_command.py`` fails when a registered rule has no
entry here, so a new rule is explained in both languages when it is added."""

from __future__ import annotations

from dataclasses import dataclass

from excelflow.pipeline.ruleset import Text


@dataclass(frozen=True)
class Explanation:
    """One rule explained in both languages."""

    title: Text
    what: Text
    bad: Text
    fix: Text
    params: tuple[str, ...] = ()
    """Rule-set keys (dotted paths into the rule-set document) that change what the rule finds;
    ``severities`` and ``disabled`` apply to every rule and are not repeated."""


def _x(
    title: tuple[str, str],
    what: tuple[str, str],
    bad: tuple[str, str],
    fix: tuple[str, str],
    *params: str,
) -> Explanation:
    return Explanation(Text(*title), Text(*what), Text(*bad), Text(*fix), params)


EXPLAINED: dict[str, Explanation] = {
    "SG01": _x(
        ("强行推进", "Forced advance"),
        (
            "进行中的商机已到第 k 阶段，但之前某阶段的关键节点还没完成。",
            "An open deal at stage k lacks a milestone part of an earlier stage.",
        ),
        (
            "商机在第4阶段（投标），但「内线」一栏为空或为「否」。",
            "A deal at stage 4 (Bidding) whose Coach cell is blank or 'No'.",
        ),
        (
            "补上该节点（填「是」或完成日期），或把阶段改回实际所在阶段。",
            "Complete the milestone (Yes, or the date it was reached), or set the stage back to "
            "where the deal really is.",
        ),
        "stages",
        "forced_advance.penalty_factor",
        "forced_advance.penalty_per",
        "forced_advance.missing_milestone_column",
    ),
    "SG02": _x(
        ("进入过晚", "Late entry"),
        (
            "需要定制/非标方案的商机，第一次接触时已在第3阶段或更晚。",
            "A deal needing a custom / non-standard solution was first engaged at stage 3 or "
            "later.",
        ),
        (
            "「定制方案」为「是」，「首次接触阶段」为 3（方案阶段）。",
            "Custom solution is 'Yes' and First engaged stage is 3 (Proposal).",
        ),
        (
            "此类商机应在第3阶段之前进入；复核是否继续投入，或更正首次接触阶段。",
            "Enter such deals before stage 3: review whether to pursue it, or correct the first "
            "engaged stage.",
        ),
        "late_entry.from_stage",
    ),
    "EV01": _x(
        ("评估未达标", "Below the pass mark"),
        (
            "进行中商机的加权评估得分低于规则集的及格线。",
            "An open deal's weighted evaluation score is below the rule set's pass mark.",
        ),
        (
            "九项评估得分加权后为 52 分，及格线为 60 分。",
            "The nine evaluation scores weigh in at 52 while the pass mark is 60.",
        ),
        (
            "按建议放弃或降低接触级别，或在情况变化后重新评分。",
            "Give up or lower the contact level as advised, or re-score when the facts change.",
        ),
        "evaluation.pass_mark",
        "evaluation.factors",
        "evaluation.scale",
    ),
    "EV02": _x(
        ("一票否决", "Knock-out"),
        (
            "某个否决项得分不高于其阈值，无论总分多少。",
            "An open deal scores at or below a knock-out factor's threshold, whatever its total.",
        ),
        ("「评估-资金」为 1 分（资金无保障）。", "Eval: funding scored 1 (funding at risk)."),
        (
            "放弃或降低接触级别；若情况已改善，更新该项评分。",
            "Give up or lower the contact level; if things have improved, update the score.",
        ),
        "evaluation.factors",
    ),
    "GR01": _x(
        ("评级不一致", "Grade mismatch"),
        (
            "工作簿中自填的商机评级与规则集计算出的评级不同。",
            "The workbook's own grade for an open deal differs from the one the rule set computes.",
        ),
        (
            "表中评级为 A，但距成交 306 天、调整后概率 40%，按规则为 C。",
            "The sheet says A, but 306 days to close at 40% adjusted probability make it C.",
        ),
        (
            "采用计算出的评级（或更正成交日期/概率），并按该级别分配投入。",
            "Use the computed grade (or correct the close date / probability) and spend effort "
            "by it.",
        ),
        "grades",
        "grading.probability",
    ),
    "CL01": _x(
        ("已完成仍在进行", "Finished but open"),
        (
            "最后阶段的进行中商机已完成该阶段全部节点。",
            "An open deal at the last stage has every milestone part of that stage.",
        ),
        (
            "第6阶段，「验收」「项目关闭」均为「是」，状态仍为进行中。",
            "Stage 6 with Acceptance and Project closed both 'Yes', status still open.",
        ),
        ("把状态改为赢单（已完成）。", "Set the status to won (finished)."),
        "stages",
    ),
    "CL02": _x(
        ("赢单无合同", "Won without a contract"),
        (
            "标记为赢单的商机缺少合同节点（第5阶段：审批与签署）的某一部分。",
            "A deal marked won lacks a part of the contract milestone (stage 5: approved and "
            "signed).",
        ),
        ("状态为赢单，「合同签署」为空。", "Status won, Contract signed blank."),
        (
            "补录合同审批/签署；若尚未签约，状态应保持进行中。",
            "Record the contract approval / signature; if it is not signed, keep the deal open.",
        ),
        "stages",
    ),
    "CL03": _x(
        ("过早赢单", "Won too early"),
        (
            "标记为赢单的商机所在阶段早于合同阶段（第5阶段）。",
            "A deal marked won is at a stage before the contract stage (stage 5, Negotiation).",
        ),
        ("状态为赢单，阶段为 3（方案阶段）。", "Status won at stage 3 (Proposal)."),
        (
            "把阶段更正为实际阶段（赢单通常在第5阶段之后），或更正状态。",
            "Correct the stage (a won deal is at stage 5 or later), or the status.",
        ),
        "stages",
    ),
    "DQ01": _x(
        ("必填项为空", "Required field blank"),
        (
            "必填字段为空（规则集 required_fields：所有商机必填，或进行中商机必填）。",
            "A required field is blank (rule set required_fields: on every deal, or on open "
            "deals).",
        ),
        ("进行中商机的「金额」为空。", "An open deal with no Amount."),
        ("填写该字段。", "Fill in the field."),
        "required_fields.always",
        "required_fields.open",
    ),
    "DQ02": _x(
        ("商机编号重复", "Duplicate deal ID"),
        (
            "两个商机使用同一编号；第一次之后的每次出现都会报告。",
            "Two deals share a deal ID; every occurrence after the first is flagged.",
        ),
        ("第 5 行和第 9 行的商机编号都是 D-1002。", "Rows 5 and 9 both have deal ID D-1002."),
        (
            "给每个商机唯一编号，或删除重复行。",
            "Give every deal its own ID, or delete the duplicate row.",
        ),
    ),
    "DQ03": _x(
        ("阶段无法识别", "Unknown stage"),
        (
            "阶段单元格既不是阶段编号，也不是阶段名称。",
            "The Stage cell holds something that is neither a stage number nor a stage name.",
        ),
        ("阶段为「Won」或「7」。", "Stage is 'Won' or '7'."),
        (
            "填 1–6 或阶段名称；外部 CRM 导出请用 --mapping 映射其阶段值。",
            "Use 1-6 or a stage name; map a CRM export's stage values with --mapping.",
        ),
        "stages",
    ),
    "DQ04": _x(
        ("值无法读取", "Value not understood"),
        (
            "单元格的值无法按该列类型读取，按空值处理。",
            "A cell's value cannot be read as its column's type; it is treated as blank.",
        ),
        ("「预计成交日期」填了「下个月」。", "Expected close holds 'next month'."),
        (
            "改为该列能读取的值（日期、数字、是/否）。",
            "Enter a value of the column's type (a date, a number, yes/no).",
        ),
    ),
    "DQ05": _x(
        ("成交日期已过", "Close date in the past"),
        (
            "进行中商机的预计成交日期早于今天（或 --as-of）。",
            "An open deal's expected close date is before today (or --as-of).",
        ),
        ("进行中商机的预计成交日期为去年。", "An open deal expected to close last year."),
        (
            "更新预计成交日期，或把已结束的商机标为赢单/丢单。",
            "Update the expected close date, or mark a finished deal won or lost.",
        ),
    ),
    "DQ06": _x(
        ("概率超出范围", "Probability out of range"),
        ("填写的概率低于 0% 或高于 100%。", "A stated probability is below 0 % or above 100 %."),
        ("概率为 120%。", "Probability 120%."),
        ("填 0–100% 之间的值，或留空以用阶段默认概率。", "Use 0-100 %, or leave it blank."),
    ),
    "DQ07": _x(
        ("缺少列", "Column missing"),
        (
            "规则集依赖的列在表中不存在。",
            "A column the rule set relies on is absent from the sheet.",
        ),
        ("表中没有「内线」列。", "The sheet has no Coach column."),
        (
            "加上该列（excelflow template 生成带全部列的模板），或用 --mapping 指向已有列。",
            "Add the column (excelflow template writes every column), or point --mapping at the "
            "column that holds it.",
        ),
        "forced_advance.missing_milestone_column",
        "stages",
        "evaluation.factors",
    ),
    "DQ08": _x(
        ("规则表无效", "Rules sheet invalid"),
        (
            "工作簿的「规则」/Rules 工作表不能构成有效的规则集。",
            "The workbook's Rules / 规则 sheet does not make a valid rule set.",
        ),
        (
            "规则表里 A 级的最长天数填了「九十」。",
            "The Rules sheet gives grade A max days 'ninety'.",
        ),
        (
            "按批注更正规则表中标出的单元格；在修好之前使用标准规则集。",
            "Correct the cells the notes point to; the standard rule set applies until then.",
        ),
    ),
    "DQ09": _x(
        ("金额非正数", "Amount not positive"),
        ("进行中商机的金额为零或负数。", "An open deal's amount is zero or negative."),
        ("进行中商机的金额为 -5。", "An open deal with amount -5."),
        ("填写预计合同金额。", "Enter the expected contract amount."),
    ),
    "BD01": _x(
        ("报价低于底价", "Below the floor price"),
        (
            "商机投标表中的报价低于底价（最低毛利）。",
            "The quoted price on the deal's Bid sheet is below the floor price (the minimum "
            "margin).",
        ),
        (
            "成本 90 万，最低毛利 15%，报价 100 万。",
            "Cost 900k at a 15 % floor margin, quote 1.0M.",
        ),
        (
            "提高报价或降低成本；确需低价时需审批。",
            "Raise the quote or cut cost; a price below the floor needs approval.",
        ),
    ),
    "BD02": _x(
        ("超出预算", "Over budget"),
        (
            "拟报价格（报价，否则按目标毛利计算的价格）超过客户预算。",
            "The proposed price (the quote, else the price at target margin) exceeds the budget.",
        ),
        ("客户预算 200 万，目标毛利价 230 万。", "Budget 2.0M, price at target margin 2.3M."),
        (
            "调整方案范围或成本，或与客户确认预算。",
            "Adjust the scope or the cost, or confirm the budget with the customer.",
        ),
    ),
    "BD03": _x(
        ("建议放弃投标", "Withdrawal advised"),
        (
            "投标分析建议放弃（评标标准不利或预期利润差）。",
            "The bid analysis advises withdrawing (criteria against us, or poor expected profit).",
        ),
        (
            "评标标准偏向竞争对手，预期利润为负。",
            "The criteria favour a competitor and the expected profit is negative.",
        ),
        (
            "复核评标标准和竞争对手假设；决定放弃或改变方案。",
            "Review the criteria and competitor assumptions; withdraw or change the offer.",
        ),
    ),
    "BD04": _x(
        ("成本明细不完整", "Cost lines incomplete"),
        (
            "投标表中某成本行数量为 0 或缺单价，或没有成本行。",
            "A cost line of the Bid sheet has quantity 0 or no unit cost, or there are no lines.",
        ),
        ("「服务器」一行数量为 0。", "The 'Servers' line has quantity 0."),
        (
            "补全数量和单价，或删除该行。",
            "Complete the quantity and unit cost, or delete the line.",
        ),
    ),
    "BD05": _x(
        ("投标表有问题", "Bid sheet problem"),
        (
            "投标表的某项输入无法读取或使用，或该表对应不到唯一的商机。",
            "A Bid sheet input cannot be read or used, or the sheet matches no single deal.",
        ),
        (
            "投标表的商机编号在商机表中不存在。",
            "The Bid sheet's deal ID is not on the Deals sheet.",
        ),
        (
            "按说明更正投标表（商机编号、数字单元格）。",
            "Correct the Bid sheet as the message says (deal ID, number cells).",
        ),
    ),
}
"""Every registered rule explained, by code."""
