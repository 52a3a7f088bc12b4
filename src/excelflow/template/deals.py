"""The Deals / 商机 sheet of the template as a :class:`~excelflow.sheets.plan.SheetPlan`: one Excel
Table with every column the rule set knows.

Drop-downs where a value comes from a list (stage, status, ticks, scores, grade), number and
date checks elsewhere, an input message on every header, widths that fit CJK text, and the
result columns ExcelFlow fills set apart in grey. Choices made here:

* Probability is a decimal 0-1 shown as ``0%``: typing ``60`` into a percent-formatted cell
  gives 60 % in Excel, and ``60%`` works everywhere.
* Milestone ticks offer ``✓`` with an *information* alert: a date typed instead (the day the
  milestone was reached, which the engine also reads as done) is accepted after one OK.
* Stage and first engaged stage list the Rules sheet's stage names (``lstStages``) with a
  *warning* alert, so a stage number or a name from an older rule set can still be kept.
* Status and factor scores are strict lists; the deal ID warns about duplicates.
* Checks reach :data:`VALIDATED_ROWS` rows down, beyond the example deals, so new rows typed
  below the table are checked too.
"""

from __future__ import annotations

import datetime as dt

from excelflow.pipeline.fields import FieldSpec, Kind, all_fields
from excelflow.pipeline.normalize import column_letter
from excelflow.pipeline.ruleset import Lang, RuleSet, Text
from excelflow.sheets.look import BLUE, GREY_INK, STYLES
from excelflow.sheets.parts import A4, Area, Note, PageSetup, SheetProps, Table, Validation
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Fill, Style, body_font
from excelflow.sheets.text import fit_width, literal_list, serial
from excelflow.sheets.validation import checked, prompt_only
from excelflow.template.examples import STATUS, TICK, YES_NO, example_rows

TABLE_NAME = "tblDeals"
TABLE_STYLE = "TableStyleMedium2"
VALIDATED_ROWS = 1000  # drop-downs and checks reach this far below the header
HEADER_HEIGHT = 33.0
MAX_WIDTH = 30.0
WARNINGS_WIDTH = 48.0
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)

STYLES_USED: dict[str, Style] = {
    **{k: STYLES[k] for k in ("header", "row", "center", "date", "percent", "money", "integer")},
    "result header": Style(fill=Fill(GREY_INK)),  # over "header"
    "milestone header": Style(fill=Fill("548235")),
    "factor header": Style(fill=Fill("C55A11")),
    "result": Style(font=body_font(color="404040"), fill=Fill("EDEDED")),
}
GROUP_HEADERS = {"m": "milestone header", "md": "milestone header", "f": "factor header"}
"""The header fill of a milestone (``m:``), milestone date (``md:``) and factor (``f:``) column."""

RESULT_HELP: dict[str, Text] = {
    "ef_grade": Text(
        "ExcelFlow 按预计成交时间和调整后赢率算出的级别 A–D",
        "Grade A-D computed from the time to close and the adjusted probability",
    ),
    "ef_score": Text("商机评估得分（0–100）", "Opportunity evaluation score (0-100)"),
    "ef_adj_prob": Text(
        "每缺一个关键节点按规则下调后的赢率",
        "The stated probability, cut for every missing milestone",
    ),
    "ef_gate": Text("关口：通过，或强行推进", "Gate: pass, or forced advance"),
    "ef_warnings": Text(
        "本行的问题摘要；详见「问题清单」", "This row's findings in short; see the Findings sheet"
    ),
}
FILLED = Text("由 ExcelFlow 填写，请勿手动输入。", "Filled by ExcelFlow; do not type here. ")


def deals_plan(ruleset: RuleSet, lang: Lang, lists: dict[str, str]) -> SheetPlan:
    """The Deals table with its example deals, data validations and header help.

    Args:
        ruleset: supplies the milestone and factor columns and the stage names.
        lang: header and value language.
        lists: the sources of the stage-name and grade drop-downs (``"stages"``, ``"grades"``),
            e.g. defined names over the Rules sheet; missing ones fall back to literal lists.
    """
    fields = all_fields(ruleset)
    rows = example_rows(ruleset, lang)
    plan = SheetPlan(styles=dict(STYLES_USED))
    plan.props = SheetProps(tab_color=BLUE)
    for j, spec in enumerate(fields, start=1):
        header = spec.header(lang)
        plan.put(1, j, header, *_header_looks(spec))
        values = [r.get(spec.key) for r in rows]
        for i, value in enumerate(values, start=2):
            plan.put(i, j, value, *_looks(spec))
        wide = spec.key == "ef_warnings"
        plan.widths[j] = WARNINGS_WIDTH if wide else fit_width(header, values, high=MAX_WIDTH)
        plan.validations.append(prompt_only((1, j, 1, j), header, _help(spec, lang)))
        check = _check(spec, (2, j, VALIDATED_ROWS + 1, j), ruleset, lang, lists)
        if check is not None:
            plan.validations.append(check)
    gate = next(j for j, spec in enumerate(fields, start=1) if spec.key == "ef_gate")
    plan.notes[(1, gate)] = gate_note(ruleset, lang)
    area = (1, 1, 1 + max(1, len(rows)), len(fields))
    plan.tables.append(Table(area, TABLE_NAME, TABLE_STYLE))
    plan.heights[1] = HEADER_HEIGHT
    plan.freeze = (2, 3)
    plan.page = PageSetup(orientation="landscape", paper_size=A4, title_rows=(1, 1),
                          title_cols=(1, 2))  # fmt: skip
    return plan


def gate_note(ruleset: RuleSet, lang: Lang) -> Note:
    """The Gate header's note: its help, and how to call ``EF_GATE`` on this table's columns (the
    milestone columns are not adjacent, so the call takes the row and its header row, or the
    milestone span as laid out here)."""
    keys = [spec.key for spec in all_fields(ruleset)]
    stage = f"{column_letter(keys.index('stage'))}2"
    ticks = [keys.index(f"m:{m.key}") for m in ruleset.milestones]
    first, last = column_letter(ticks[0]), column_letter(ticks[-1])
    span, row, header = f"{first}2:{last}2", f"A2:{last}2", f"A$1:{last}$1"
    help_text = FILLED(lang) + RESULT_HELP["ef_gate"](lang)
    if lang == "zh":
        call = (
            f"在别的列自己算一行的关口：=EF_GATE({stage},{span})，即本表的关键节点列，"
            f'中间的日期列自动跳过；任何带表头的区域也行：=EF_GATE({stage},{row},"zh",{header})。'
            "xlwings Server 加载项里写作 =EF.EF_GATE(…)。"
        )
    else:
        call = (
            f"One row's gate in a cell of another column: =EF_GATE({stage},{span}), the "
            "milestone columns as laid out here (the date columns between are skipped); any range "
            f'with its header row works too: =EF_GATE({stage},{row},"en",{header}). With the '
            "xlwings Server add-in: =EF.EF_GATE(…)."
        )
    return Note(f"{help_text}\n{call}", width=360.0, height=150.0)


def _header_looks(spec: FieldSpec) -> tuple[str, ...]:
    if spec.kind == Kind.RESULT:
        return ("header", "result header")
    group = spec.key.split(":", 1)[0] if ":" in spec.key else ""
    return ("header", GROUP_HEADERS[group]) if group in GROUP_HEADERS else ("header",)


def _looks(spec: FieldSpec) -> tuple[str, ...]:
    """A value cell's styles: the row rule, an alignment, a number format, the result look."""
    kind = spec.kind
    out: tuple[str, ...] = ("row",)
    if kind in (Kind.TICK, Kind.SCORE, Kind.STATUS) or spec.key == "grade":
        out += ("center",)
    formats = {Kind.DATE: "date", Kind.PROBABILITY: "percent", Kind.MONEY: "money"}
    if kind in formats:
        out += (formats[kind],)
    elif kind == Kind.RESULT:
        out += ("result",)
        out += {"ef_adj_prob": ("percent",), "ef_score": ("integer",)}.get(spec.key, ())
    return out


def _help(spec: FieldSpec, lang: Lang) -> str:
    if spec.kind == Kind.RESULT:
        return FILLED(lang) + RESULT_HELP.get(spec.key, Text("", ""))(lang)
    return spec.help(lang) if spec.help else spec.header(lang)


def _check(
    spec: FieldSpec, area: Area, rs: RuleSet, lang: Lang, lists: dict[str, str]
) -> Validation | None:
    """The data validation of a column's cells below the header (None: unchecked text)."""
    zh = lang == "zh"
    title = spec.header(lang)
    kind = spec.kind
    if spec.key == "deal_id":
        letter = column_letter(area[1] - 1)
        unique = f"COUNTIF(${letter}$2:${letter}${area[2]},{letter}2)=1"
        return checked(
            area, "custom", formula1=unique, style="warning", title=title, ime_off=zh,
            error="这个商机编号已经用过了" if zh else "This deal ID is already used in another row",
        )  # fmt: skip
    if kind == Kind.STATUS:
        return checked(
            area, "list", formula1=literal_list(STATUS[lang].values()), title=title,
            error="请从下拉列表选择：进行中、赢单、丢单、放弃" if zh
            else "Choose from the list: Open, Won, Lost, Withdrawn",
        )  # fmt: skip
    if kind == Kind.STAGE:
        names = [s.name(lang) for s in rs.stages]
        return checked(
            area, "list", formula1=lists.get("stages") or literal_list(names), style="warning",
            title=title,
            error=f"请从下拉列表选择阶段（或填阶段编号 1–{len(names)}）" if zh
            else f"Choose a stage from the list (or enter its number, 1-{len(names)})",
        )  # fmt: skip
    if spec.key == "custom_solution":
        return checked(
            area, "list", formula1=literal_list(YES_NO[lang]), style="warning", title=title,
            error="请选择 是 或 否" if zh else "Choose Yes or No",
        )  # fmt: skip
    if kind == Kind.TICK:
        return checked(
            area, "list", formula1=literal_list([TICK]), style="information", title=title,
            error="已达成请打勾 ✓；也可以直接填写达成日期。" if zh
            else "Tick ✓ when reached; a date (the day it was reached) is fine too.",
        )  # fmt: skip
    if kind == Kind.DATE:
        return checked(
            area, "date", formula1=str(serial(FIRST_DATE)), formula2=str(serial(LAST_DATE)),
            operator="between", title=title, ime_off=zh,
            error="请输入日期，如 2027-03-01" if zh else "Enter a date, e.g. 2027-03-01",
        )  # fmt: skip
    if kind == Kind.PROBABILITY:
        return checked(
            area, "decimal", formula1="0", formula2="1", operator="between", title=title,
            ime_off=zh, error="请输入 0% 到 100% 之间的赢率，如 60%" if zh
            else "Enter a probability from 0% to 100%, e.g. 60%",
        )  # fmt: skip
    if kind == Kind.MONEY:
        return checked(
            area, "decimal", formula1="0", operator="greaterThanOrEqual", title=title,
            ime_off=zh, error="请输入金额（≥ 0）" if zh else "Enter an amount (0 or more)",
        )  # fmt: skip
    if kind == Kind.SCORE:
        return _score_check(area, rs, title, zh)
    if spec.key == "grade":
        letters = [g.grade for g in rs.grades]
        return checked(
            area, "list", formula1=lists.get("grades") or literal_list(letters),
            style="warning", title=title, ime_off=zh,
            error="请从下拉列表选择级别" if zh else "Choose a grade from the list",
        )  # fmt: skip
    return None


def _score_check(area: Area, rs: RuleSet, title: str, zh: bool) -> Validation:
    """A drop-down of the whole scores when the scale is short, else a decimal range."""
    lo, hi = rs.scale_min, rs.scale_max
    span = f"{lo:g}–{hi:g}" if zh else f"{lo:g}-{hi:g}"
    error = f"请打 {span} 分" if zh else f"Score from {span}"
    if lo.is_integer() and hi.is_integer() and hi - lo <= 10:
        items = [str(v) for v in range(int(lo), int(hi) + 1)]
        return checked(area, "list", formula1=literal_list(items), title=title, error=error)
    return checked(
        area, "decimal", formula1=f"{lo:g}", formula2=f"{hi:g}", operator="between",
        title=title, error=error, ime_off=zh,
    )  # fmt: skip
