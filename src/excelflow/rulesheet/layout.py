"""The layout of the Rules / 规则 sheet, shared by its writer and its reader so they never drift.

The sheet holds the rule set as stacked tables: stages, milestones, grade bands, evaluation
factors, parameters and rule overrides. Each table has a title row, a header row (recognised in
either language, whatever the sheet's language) and one row per item. Values a cell shows in the
sheet's language (factor groups, penalty unit, severities) are mapped back to the rule-set keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from excelflow.pipeline.fields import BASE_FIELDS
from excelflow.pipeline.ruleset import Lang, RuleSet, Text


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


@dataclass(frozen=True)
class Col:
    """One column of a Rules table.

    ``kind``: ``int``, ``number``, ``percent``, ``text``, ``aliases``, ``param`` (the type comes
    from the row's :class:`Param`), ``tick`` or ``enum:<name>`` (see :data:`ENUMS`).
    """

    name: str
    kind: str
    required: bool
    header: Text
    help: Text


@dataclass(frozen=True)
class Block:
    """One table of the Rules sheet."""

    key: str
    table: str
    title: Text
    note: Text
    columns: tuple[Col, ...]


@dataclass(frozen=True)
class Param:
    """A scalar of the rule set: one row of the parameters table, stored at ``path``."""

    key: str
    kind: str
    path: tuple[str, ...]
    required: bool
    label: Text
    note: Text


ENUMS: dict[str, dict[str, Text]] = {
    "group": {"project": _t("项目因素", "project"), "competition": _t("竞争因素", "competition")},
    "penalty_per": {"milestone": _t("关键节点", "milestone"), "part": _t("节点部分", "part")},
    "grading": {"adjusted": _t("调整后赢率", "adjusted"), "stated": _t("填报赢率", "stated")},
    "fail_action": {
        "cap": _t("改为下方建议", "replace it"),
        "keep": _t("保留评级建议", "keep the grade's"),
    },
    "severity": {
        "error": _t("错误", "error"),
        "warning": _t("警告", "warning"),
        "info": _t("提示", "info"),
    },
}
TICK = "✓"
REQ, OPT = True, False


# fmt: off
def _c(name: str, kind: str, required: bool, zh: str, en: str, help_zh: str, help_en: str) -> Col:
    return Col(name, kind, required, _t(zh, en), _t(help_zh, help_en))


_KEY = _c("key", "text", REQ, "键", "Key",
          "内部键：小写英文字母、数字和下划线，以字母开头；请谨慎修改",
          "Internal key: lower-case letters, digits and _, starting with a letter; edit with care")
_ALIASES = _c("aliases", "aliases", OPT, "别名", "Aliases",
              "其他可识别的表头或取值写法，用顿号或逗号分隔（可空）",
              "Other spellings ExcelFlow should recognise, separated by commas (optional)")
_DEALS_HEADER = ("商机表中该列的{}表头；改动后请同步修改商机表的表头",
                 "The column's {} header in the Deals sheet; rename it there too")


def _pair(name: str, zh: str, en: str, what_zh: str, what_en: str,
          required: bool = REQ) -> tuple[Col, Col]:
    return (
        _c(f"{name}_zh", "text", required, f"中文{zh}", f"{en} (Chinese)",
           what_zh.format("中文"), what_en.format("Chinese")),
        _c(f"{name}_en", "text", required, f"英文{zh}", f"{en} (English)",
           what_zh.format("英文"), what_en.format("English")),
    )


STAGES = Block("stages", "tblStages", _t("1. 阶段", "1. Stages"), _t(
    "销售阶段及其默认赢率（商机未填赢率时使用）",
    "The sales stages and the probability used when a deal states none"), (
    _c("number", "int", REQ, "编号", "No.",
       "阶段编号，从 1 起依次排列", "Stage number: 1, 2, 3… in order"),
    _KEY,
    *_pair("name", "名称", "Name", "阶段的{}名称", "The stage's {} name"),
    _c("probability", "percent", OPT, "默认赢率", "Default probability",
       "该阶段商机的默认赢率，0%–100%", "Default win probability at this stage, 0%-100%"),
    _c("stall_days", "int", OPT, "停滞天数", "Stall days",
       "商机在该阶段停留超过此天数即为停滞（HX03，需记录历史；空白：不限）",
       "Days a deal may stay at this stage before HX03 calls it stalled (needs recorded "
       "history; blank: no limit)"),
    _ALIASES,
))
MILESTONES = Block("milestones", "tblMilestones", _t(
    "2. 关键节点（离开该阶段前必须达成）", "2. Milestones (the gate to leave a stage)"), _t(
    "每个部分在商机表中各占一列；缺少任何部分即为强行推进",
    "Each part is its own Deals column; a missing part is a forced advance"), (
    _c("stage", "int", REQ, "阶段", "Stage",
       "该关键节点所属阶段的编号", "Number of the stage this milestone gates"),
    _KEY,
    *_pair("name", "名称", "Name", "关键节点的{}名称", "The milestone's {} name"),
    *_pair("column", "列名", "Column", *_DEALS_HEADER),
    *_pair("date", "日期列", "Date column",
           "需要记录日期时，日期列的{}表头（可空）", "The {} header of its date column (optional)",
           OPT),
    _ALIASES,
    _c("proof", "aliases", OPT, "证明列", "Proof columns",
       "这些列都已填写即视为达成该节点（可空）：evaluation factors（全部评估因素已打分）、grade、"
       "customer、project、owner、amount 等字段键，用顿号或逗号分隔",
       "When these are all filled, the milestone counts as done (optional): evaluation factors "
       "(every factor scored), grade, customer, project, owner, amount or another field key, "
       "separated by commas"),
))
GRADES = Block("grades", "tblGrades", _t("3. 客户分级", "3. Grades"), _t(
    "按顺序取第一个满足条件的级别；最后一级不设条件（其余）",
    "A deal takes the first band it meets; the last band has no limits"), (
    _c("grade", "text", REQ, "级别", "Grade", "一个大写字母，如 A", "One capital letter, e.g. A"),
    _c("max_days", "int", OPT, "最长天数", "Max days",
       "距预计成交不超过的天数（空白：不限）", "At most this many days to close (blank: no limit)"),
    _c("min_probability", "percent", OPT, "最低赢率", "Min probability",
       "赢率不低于此值，0%–100%（空白：不限）", "At least this probability (blank: no limit)"),
    *_pair("action", "措施", "Action", "该级别的{}资源投入措施", "What this grade gets, in {}"),
))
FACTORS = Block("factors", "tblFactors", _t("4. 商机评估因素", "4. Evaluation factors"), _t(
    "各项打分并加权为 0–100 分；不高于否决阈值即否决",
    "Scores are weighted into 0-100; a score at or below a knock-out threshold fails the deal"), (
    _KEY,
    _c("group", "enum:group", OPT, "分组", "Group",
       "项目因素或竞争因素", "Project or competition factor"),
    *_pair("name", "名称", "Name", "评估因素的{}名称", "The factor's {} name"),
    *_pair("column", "列名", "Column", *_DEALS_HEADER),
    _c("weight", "number", REQ, "权重", "Weight",
       "相对权重（≥ 0），合计不必为 100", "Relative weight (0 or more); need not add up to 100"),
    _c("knockout", "number", OPT, "否决阈值", "Knock-out at",
       "评分不高于此值即否决（可空）", "A score at or below this knocks the deal out (optional)"),
    *_pair("reason", "否决原因", "Knock-out reason",
           "否决时显示的{}原因", "The knock-out reason shown, in {}", OPT),
    _ALIASES,
))
PARAMS = Block("params", "tblParams", _t("5. 参数", "5. Parameters"), _t(
    "强行推进惩罚、介入过晚、评分范围、及格线等",
    "Forced-advance penalty, late entry, scoring scale, pass mark and more"), (
    _KEY,
    _c("label", "text", OPT, "参数", "Parameter", "参数名称（仅供阅读）", "What it is (to read)"),
    _c("value", "param", OPT, "值", "Value", "参数值", "The parameter's value"),
    _c("note", "text", OPT, "说明", "Notes", "说明（仅供阅读）", "Notes (for reading)"),
))
OVERRIDES = Block("overrides", "tblOverrides", _t(
    "6. 规则调整（可选）", "6. Rule overrides (optional)"), _t(
    "改变某条规则的严重程度或停用它；规则代码见 excelflow rules list",
    "Change a rule's severity or switch it off; codes: excelflow rules list"), (
    _c("code", "text", REQ, "规则代码", "Rule code", "如 SG01、DQ05", "e.g. SG01, DQ05"),
    _c("severity", "enum:severity", OPT, "严重程度", "Severity",
       "错误 / 警告 / 提示（空白：不变）", "error / warning / info (blank: unchanged)"),
    _c("disabled", "tick", OPT, "停用", "Disabled",
       "打勾 ✓ 即停用该规则", "Tick ✓ to switch it off"),
))


def _p(key: str, kind: str, path: str, required: bool, zh: str, en: str,
       note_zh: str = "", note_en: str = "") -> Param:
    return Param(key, kind, tuple(path.split(".")), required, _t(zh, en), _t(note_zh, note_en))


FAIL_ACTION_MODE = "fail_action_mode"
"""Where the Rules sheet's "Action when the evaluation fails" choice is read to, before it
becomes ``evaluation.fail_action`` (false for "keep", the texts or true for "replace")."""

PARAM_LIST: tuple[Param, ...] = (
    _p("name", "text", "name", REQ, "规则集名称", "Rule set name"),
    _p("version", "text", "version", OPT, "版本", "Version"),
    _p("title_zh", "text", "title.zh", OPT, "中文标题", "Title (Chinese)"),
    _p("title_en", "text", "title.en", OPT, "英文标题", "Title (English)"),
    _p("penalty_factor", "number", "forced_advance.penalty_factor", REQ,
       "强行推进赢率系数", "Forced-advance factor",
       "每缺一个关键节点，赢率乘以此系数（0–1）",
       "The probability is multiplied by this per missing milestone (0-1)"),
    _p("penalty_per", "enum:penalty_per", "forced_advance.penalty_per", OPT,
       "扣减单位", "Penalty per", "按缺少的关键节点计，或按缺少的节点部分计",
       "Count missing milestones, or missing milestone parts"),
    _p("late_entry_stage", "int", "late_entry.from_stage", OPT,
       "介入过晚阶段", "Late entry from stage",
       "需定制方案的商机在此阶段或之后才介入，即为介入过晚",
       "Custom-solution deals first engaged at this stage or later are late entries"),
    _p("grading_probability", "enum:grading", "grading.probability", OPT,
       "分级依据", "Grade by", "按调整后赢率还是填报赢率分级",
       "Grade by the adjusted or the stated probability"),
    _p("scale_min", "number", "evaluation.scale.min", REQ, "评分下限", "Lowest score",
       "评估因素的最低分", "The lowest factor score"),
    _p("scale_max", "number", "evaluation.scale.max", REQ, "评分上限", "Highest score",
       "评估因素的最高分", "The highest factor score"),
    _p("pass_mark", "number", "evaluation.pass_mark", REQ, "及格线", "Pass mark",
       "加权得分（0–100）低于此值即未通过", "A weighted score (0-100) below this fails"),
    _p("recommendation_zh", "text", "evaluation.recommendation.zh", OPT,
       "未通过建议（中文）", "Advice on fail (Chinese)"),
    _p("recommendation_en", "text", "evaluation.recommendation.en", OPT,
       "未通过建议（英文）", "Advice on fail (English)"),
    _p("fail_action", "enum:fail_action", f"evaluation.{FAIL_ACTION_MODE}", OPT,
       "评估未通过时的资源投入建议", "Action when the evaluation fails",
       "评估未通过或被否决的商机：改为下方建议，或保留评级的建议（评级本身不变）",
       "A deal whose evaluation failed or was knocked out: replace its grade's action with the "
       "text below, or keep the grade's (the grade itself stays)"),
    _p("fail_action_zh", "text", "evaluation.fail_action.zh", OPT,
       "评估未通过时的建议（中文）", "Action on fail (Chinese)"),
    _p("fail_action_en", "text", "evaluation.fail_action.en", OPT,
       "评估未通过时的建议（英文）", "Action on fail (English)"),
    _p("closing_finished", "aliases", "closing.finished", OPT,
       "完工节点", "Finishing milestones",
       "这些关键节点（键）全部完成即为完工，应关闭为赢单（CL01）；空白：最后一个阶段的节点",
       "Milestone keys that, all done, mean the work is finished (CL01); blank: the last "
       "stage's"),
    _p("closing_contract", "aliases", "closing.contract", OPT,
       "合同节点", "Contract milestones",
       "签订合同的关键节点（键）：赢单须具备（CL02），且不得早于其阶段（CL03）；空白：倒数第二个阶段的节点",
       "Milestone keys of the signed contract, needed for a win (CL02) and not before their "
       "stage (CL03); blank: the stage before the last's"),
    _p("required_always", "fields", "required_fields.always", OPT,
       "必填：所有商机", "Required on every deal",
       "这些列在每个商机上都不能为空", "These columns must be filled on every deal"),
    _p("required_open", "fields", "required_fields.open", OPT,
       "必填：进行中商机", "Required on open deals",
       "这些列在进行中的商机上不能为空", "These columns must be filled on open deals"),
)
# fmt: on

BLOCKS: tuple[Block, ...] = (STAGES, MILESTONES, GRADES, FACTORS, PARAMS, OVERRIDES)
OPTIONAL_BLOCKS = frozenset({"overrides"})
OVERRIDE_ROWS = 3
PARAMS_BY_KEY = {p.key: p for p in PARAM_LIST}
FIELD_KEYS = (
    "deal_id", "customer", "project", "owner", "status", "stage", "first_stage",
    "custom_solution", "expected_close", "probability", "amount",
)  # fmt: skip
FIELD_HEADERS = {f.key: f.header for f in BASE_FIELDS if f.key in FIELD_KEYS}


def enum_label(enum: str, value: str, lang: Lang) -> str:
    """How an enumerated value is shown in a sheet in ``lang``."""
    return ENUMS[enum][value](lang)


def join_list(items: list[str] | tuple[str, ...], lang: Lang) -> str:
    """Aliases or field names as one cell."""
    return ("、" if lang == "zh" else ", ").join(items)


def param_values(ruleset: RuleSet, lang: Lang) -> dict[str, Any]:
    """The parameters table's values for ``ruleset``, as shown in a sheet in ``lang``."""
    rs = ruleset
    doc: Mapping[str, Any] = rs.document
    return {
        "name": rs.name,
        "version": rs.version or None,
        "title_zh": rs.title.zh if "title" in doc or not doc else None,
        "title_en": rs.title.en if "title" in doc or not doc else None,
        "penalty_factor": rs.penalty_factor,
        "penalty_per": enum_label("penalty_per", rs.penalty_per, lang),
        "late_entry_stage": rs.late_entry_stage,
        "grading_probability": enum_label("grading", rs.grade_probability, lang),
        "scale_min": rs.scale_min,
        "scale_max": rs.scale_max,
        "pass_mark": rs.pass_mark,
        "recommendation_zh": rs.recommendation.zh,
        "recommendation_en": rs.recommendation.en,
        "fail_action": enum_label("fail_action", "keep" if rs.fail_action is None else "cap", lang),
        "fail_action_zh": None if rs.fail_action is None else rs.fail_action.zh,
        "fail_action_en": None if rs.fail_action is None else rs.fail_action.en,
        "closing_finished": join_list(rs.closing_finished, lang) or None,
        "closing_contract": join_list(rs.closing_contract, lang) or None,
        "required_always": join_list([FIELD_HEADERS[k](lang) for k in rs.required_always], lang),
        "required_open": join_list([FIELD_HEADERS[k](lang) for k in rs.required_open], lang),
    }


def block_rows(ruleset: RuleSet, lang: Lang) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows for ``ruleset`` (column name -> cell value), in sheet order."""
    rs = ruleset
    stages = [
        {
            "number": st.number,
            "key": st.key,
            "name_zh": st.name.zh,
            "name_en": st.name.en,
            "probability": st.probability,
            "stall_days": rs.stall_days.get(st.number),
            "aliases": join_list(st.aliases, lang) or None,
        }
        for st in rs.stages
    ]
    milestones = [
        {
            "stage": ms.stage,
            "key": ms.key,
            "name_zh": ms.name.zh,
            "name_en": ms.name.en,
            "column_zh": ms.column.zh,
            "column_en": ms.column.en,
            "date_zh": ms.date_column.zh if ms.date_column else None,
            "date_en": ms.date_column.en if ms.date_column else None,
            "aliases": join_list(ms.aliases, lang) or None,
            "proof": join_list(ms.proof, lang) or None,
        }
        for ms in rs.milestones
    ]
    grades = [
        {
            "grade": g.grade,
            "max_days": g.max_days,
            "min_probability": g.min_probability,
            "action_zh": g.action.zh,
            "action_en": g.action.en,
        }
        for g in rs.grades
    ]
    factors = [
        {
            "key": fa.key,
            "group": enum_label("group", fa.group, lang),
            "name_zh": fa.name.zh,
            "name_en": fa.name.en,
            "column_zh": fa.column.zh,
            "column_en": fa.column.en,
            "weight": fa.weight,
            "knockout": fa.knockout_at_or_below,
            "reason_zh": fa.knockout_reason.zh if fa.knockout_reason else None,
            "reason_en": fa.knockout_reason.en if fa.knockout_reason else None,
            "aliases": join_list(fa.aliases, lang) or None,
        }
        for fa in rs.factors
    ]
    values = param_values(rs, lang)
    params = [
        {"key": p.key, "label": p.label(lang), "value": values[p.key], "note": p.note(lang) or None}
        for p in PARAM_LIST
    ]
    overrides: list[dict[str, Any]] = [
        {"code": code, "severity": enum_label("severity", sev, lang), "disabled": None}
        for code, sev in sorted(rs.severities.items())
    ]
    for code in sorted(rs.disabled):
        row = next((r for r in overrides if r["code"] == code), None)
        if row is None:
            overrides.append({"code": code, "severity": None, "disabled": TICK})
        else:
            row["disabled"] = TICK
    overrides += [{}] * max(0, OVERRIDE_ROWS - len(overrides))
    return {
        "stages": stages,
        "milestones": milestones,
        "grades": grades,
        "factors": factors,
        "params": params,
        "overrides": overrides,
    }
