"""A short title per rule code, in Chinese and English: what a sheet shows beside a code (the
Dashboard's findings table, the deals sheet's warnings column) where the dotted rule name
(``stage_gate.milestone_missing``) would be an untranslated identifier.

Kept apart from the rule modules so a title is one line here; ``tests/rules`` checks that every
registered rule has one.
"""

from __future__ import annotations

from excelflow.pipeline.ruleset import Lang, Text

TITLES: dict[str, Text] = {
    "SG01": Text("跳过节点", "Skipped milestone"),
    "SG02": Text("介入过晚", "Late entry"),
    "EV01": Text("评估未达及格线", "Evaluation below pass mark"),
    "EV02": Text("否决项", "Knock-out factor"),
    "GR01": Text("评级不一致", "Grade mismatch"),
    "CL01": Text("已完成仍未关闭", "Finished but still open"),
    "CL02": Text("赢单缺合同节点", "Won without contract"),
    "CL03": Text("赢单过早", "Won too early"),
    "DQ01": Text("必填项为空", "Required field blank"),
    "DQ02": Text("商机编号重复", "Duplicate deal ID"),
    "DQ03": Text("阶段无法识别", "Unknown stage"),
    "DQ04": Text("值无法识别", "Value not understood"),
    "DQ05": Text("成交日期已过", "Close date passed"),
    "DQ06": Text("赢率超出范围", "Probability out of range"),
    "DQ07": Text("缺少列", "Column missing"),
    "DQ08": Text("规则表有误", "Rules sheet invalid"),
    "DQ09": Text("金额非正数", "Amount not positive"),
    "DQ10": Text("首次介入阶段无效", "First stage unusable"),
    "BD01": Text("报价低于底价", "Quote below floor"),
    "BD02": Text("超出预算", "Over budget"),
    "BD03": Text("建议放弃投标", "Withdrawal advised"),
    "BD04": Text("成本明细不全", "Cost lines incomplete"),
    "BD05": Text("投标表有问题", "Bid sheet problem"),
    "BD06": Text("采购标准说法不一", "Criteria disagree"),
    "HX01": Text("推进时缺节点", "Advanced without milestone"),
    "HX02": Text("阶段倒退", "Stage went back"),
    "HX03": Text("阶段停滞", "Stalled in stage"),
    "HX04": Text("输赢后重开", "Re-opened after won/lost"),
}


def rule_title(code: str, lang: Lang) -> str:
    """The short title of rule ``code`` in ``lang``; the code itself for an unknown code."""
    text = TITLES.get(code)
    return code if text is None else text(lang)
