"""The Deals / 商机 sheet of the template: one Excel Table with every column the rule set knows.

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

from typing import Any

from openpyxl.styles import PatternFill
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.pipeline.fields import FieldSpec, Kind, all_fields
from excelflow.pipeline.normalize import column_letter
from excelflow.pipeline.ruleset import Lang, RuleSet, Text
from excelflow.template.examples import STATUS, TICK, YES_NO, example_rows
from excelflow.workbook.styles import (
    CENTER,
    DATE_FORMAT,
    FIRST_DATE,
    HEADER_ALIGN,
    HEADER_FILL,
    HEADER_FONT,
    LAST_DATE,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    RESULT_FILL,
    RESULT_FONT,
    RESULT_HEADER_FILL,
    RESULT_HEADER_FONT,
    ROW_BORDER,
    fit_width,
    input_message,
    literal_list,
    serial,
    validation,
)

TABLE_NAME = "tblDeals"
TABLE_STYLE = "TableStyleMedium2"
VALIDATED_ROWS = 1000  # drop-downs and checks reach this far below the header
HEADER_HEIGHT = 33.0
WARNINGS_WIDTH = 48.0
GROUP_FILLS = {"m": "548235", "md": "548235", "f": "C55A11"}

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


def write_deals_sheet(ws: Worksheet, ruleset: RuleSet, lang: Lang, lists: dict[str, str]) -> None:
    """Fill ``ws`` with the Deals table, its example deals and its data validations.

    Args:
        ws: an empty worksheet.
        ruleset: supplies the milestone and factor columns and the stage names.
        lang: header and value language.
        lists: absolute references of the stage-name and grade lists (``"stages"``,
            ``"grades"``), e.g. on the Rules sheet; missing ones fall back to literal lists.
    """
    fields = all_fields(ruleset)
    rows = example_rows(ruleset, lang)
    last_row = 1 + max(1, len(rows))
    ws.sheet_properties.tabColor = "2F5597"
    for j, spec in enumerate(fields, start=1):
        letter = column_letter(j - 1)
        header = spec.header(lang)
        cell = ws.cell(row=1, column=j, value=header)
        cell.alignment = HEADER_ALIGN
        group = spec.key.split(":", 1)[0] if ":" in spec.key else ""
        if spec.kind == Kind.RESULT:
            cell.fill, cell.font = RESULT_HEADER_FILL, RESULT_HEADER_FONT
        elif group in GROUP_FILLS:
            cell.fill = PatternFill("solid", fgColor=GROUP_FILLS[group])
            cell.font = HEADER_FONT
        else:
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        values = [r.get(spec.key) for r in rows]
        for i, value in enumerate(values, start=2):
            _value_cell(ws, i, j, value, spec)
        width = fit_width(header, values, high=30)
        ws.column_dimensions[letter].width = WARNINGS_WIDTH if spec.key == "ef_warnings" else width
        _help(ws, f"{letter}1", spec, lang)
        _column_validation(ws, letter, spec, ruleset, lang, lists)
    ref = f"A1:{column_letter(len(fields) - 1)}{last_row}"
    table = Table(displayName=TABLE_NAME, ref=ref, autoFilter=AutoFilter(ref=ref))
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    ws.add_table(table)
    ws.row_dimensions[1].height = HEADER_HEIGHT
    ws.freeze_panes = "C2"
    ws.print_title_rows = "1:1"
    ws.print_title_cols = "A:B"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def _value_cell(ws: Worksheet, row: int, column: int, value: Any, spec: FieldSpec) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    cell.border = ROW_BORDER
    kind = spec.kind
    if kind in (Kind.TICK, Kind.SCORE, Kind.STATUS) or spec.key == "grade":
        cell.alignment = CENTER
    if kind == Kind.DATE:
        cell.number_format = DATE_FORMAT
    elif kind == Kind.PROBABILITY:
        cell.number_format = PERCENT_FORMAT
    elif kind == Kind.MONEY:
        cell.number_format = MONEY_FORMAT
    elif kind == Kind.RESULT:
        cell.fill, cell.font = RESULT_FILL, RESULT_FONT
        if spec.key == "ef_adj_prob":
            cell.number_format = PERCENT_FORMAT
        elif spec.key == "ef_score":
            cell.number_format = "0"


def _help(ws: Worksheet, cell: str, spec: FieldSpec, lang: Lang) -> None:
    if spec.kind == Kind.RESULT:
        text = FILLED(lang) + RESULT_HELP.get(spec.key, Text("", ""))(lang)
    else:
        text = spec.help(lang) if spec.help else spec.header(lang)
    input_message(ws, cell, spec.header(lang), text)


def _column_validation(
    ws: Worksheet, letter: str, spec: FieldSpec, rs: RuleSet, lang: Lang, lists: dict[str, str]
) -> None:
    zh = lang == "zh"
    ref = f"{letter}2:{letter}{VALIDATED_ROWS + 1}"
    title = spec.header(lang)
    kind = spec.kind
    if spec.key == "deal_id":
        unique = f"COUNTIF(${letter}$2:${letter}${VALIDATED_ROWS + 1},{letter}2)=1"
        validation(
            ws, ref, "custom", formula1=unique,
            style="warning", title=title, ime_off=zh,
            error="这个商机编号已经用过了" if zh else "This deal ID is already used in another row",
        )  # fmt: skip
    elif kind == Kind.STATUS:
        validation(
            ws, ref, "list", formula1=literal_list(STATUS[lang].values()), title=title,
            error="请从下拉列表选择：进行中、赢单、丢单、放弃" if zh
            else "Choose from the list: Open, Won, Lost, Withdrawn",
        )  # fmt: skip
    elif kind == Kind.STAGE:
        names = [s.name(lang) for s in rs.stages]
        validation(
            ws, ref, "list", formula1=lists.get("stages") or literal_list(names), style="warning",
            title=title,
            error=f"请从下拉列表选择阶段（或填阶段编号 1–{len(names)}）" if zh
            else f"Choose a stage from the list (or enter its number, 1-{len(names)})",
        )  # fmt: skip
    elif spec.key == "custom_solution":
        validation(
            ws, ref, "list", formula1=literal_list(YES_NO[lang]), style="warning", title=title,
            error="请选择 是 或 否" if zh else "Choose Yes or No",
        )  # fmt: skip
    elif kind == Kind.TICK:
        validation(
            ws, ref, "list", formula1=literal_list([TICK]), style="information", title=title,
            error="已达成请打勾 ✓；也可以直接填写达成日期。" if zh
            else "Tick ✓ when reached; a date (the day it was reached) is fine too.",
        )  # fmt: skip
    elif kind == Kind.DATE:
        validation(
            ws, ref, "date", formula1=str(serial(FIRST_DATE)), formula2=str(serial(LAST_DATE)),
            operator="between", title=title, ime_off=zh,
            error="请输入日期，如 2027-03-01" if zh else "Enter a date, e.g. 2027-03-01",
        )  # fmt: skip
    elif kind == Kind.PROBABILITY:
        validation(
            ws, ref, "decimal", formula1="0", formula2="1", operator="between", title=title,
            ime_off=zh, error="请输入 0% 到 100% 之间的赢率，如 60%" if zh
            else "Enter a probability from 0% to 100%, e.g. 60%",
        )  # fmt: skip
    elif kind == Kind.MONEY:
        validation(
            ws, ref, "decimal", formula1="0", operator="greaterThanOrEqual", title=title,
            ime_off=zh, error="请输入金额（≥ 0）" if zh else "Enter an amount (0 or more)",
        )  # fmt: skip
    elif kind == Kind.SCORE:
        _score_validation(ws, ref, rs, title, zh)
    elif spec.key == "grade":
        letters = [g.grade for g in rs.grades]
        validation(
            ws, ref, "list", formula1=lists.get("grades") or literal_list(letters),
            style="warning", title=title, ime_off=zh,
            error="请从下拉列表选择级别" if zh else "Choose a grade from the list",
        )  # fmt: skip


def _score_validation(ws: Worksheet, ref: str, rs: RuleSet, title: str, zh: bool) -> None:
    lo, hi = rs.scale_min, rs.scale_max
    span = f"{lo:g}–{hi:g}" if zh else f"{lo:g}-{hi:g}"
    error = f"请打 {span} 分" if zh else f"Score from {span}"
    if lo.is_integer() and hi.is_integer() and hi - lo <= 10:
        items = [str(v) for v in range(int(lo), int(hi) + 1)]
        validation(ws, ref, "list", formula1=literal_list(items), title=title, error=error)
    else:
        validation(
            ws, ref, "decimal", formula1=f"{lo:g}", formula2=f"{hi:g}", operator="between",
            title=title, error=error, ime_off=zh,
        )  # fmt: skip
