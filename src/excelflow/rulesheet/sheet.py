"""The Rules / 规则 sheet laid out as a :class:`~excelflow.sheets.plan.SheetPlan`: a rule set as
titled Excel Tables with drop-downs, checks and help.

``excelflow template`` draws it with openpyxl (:mod:`excelflow.workbook.template`), the ribbon's
Insert template button through xlwings (:mod:`excelflow.xl.macros_sheets`). The reader
(:mod:`excelflow.rulesheet.grid`) finds the tables by their header rows
(:mod:`excelflow.rulesheet.layout`), so this layout can change without breaking workbooks already
out in the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from excelflow.pipeline.normalize import column_letter
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.rulesheet.layout import BLOCKS, ENUMS, PARAM_LIST, TICK, Block, Col, block_rows
from excelflow.sheets.look import STYLES
from excelflow.sheets.parts import Area, PageSetup, RichText, Run, SheetProps, Table, Validation
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Align, Font, Style
from excelflow.sheets.text import fit_width, literal_list, wrapped_lines
from excelflow.sheets.validation import checked, prompt_only

FIRST_COL = 2  # column B; column A is a narrow margin
FIRST_BLOCK_ROW = 5
WRAP_WIDTH = 30.0  # aliases
MAX_WIDTH = 24.0  # other columns; longer text wraps
TABLE_STYLE = "TableStyleMedium2"
LINE_HEIGHT = 15.0
TITLE_HEIGHT = 26.0
BLOCK_TITLE_HEIGHT = 20.0

INTRO = {
    "zh": (
        "ExcelFlow 检查本工作簿时使用本表的规则：修改下面各表即可调整检查方式，下次校验时生效。",
        "填写有误时，「问题清单」会指出具体单元格，并暂用内置标准规则检查。请保留各表的表头和标题行。",
    ),
    "en": (
        "ExcelFlow checks this workbook with the rules below: edit the tables to change the "
        "checks; edits apply at the next Validate.",
        "If an edit is invalid, the Findings sheet points at the cell and the built-in standard "
        "rules are used meanwhile. Keep each table's title and header rows.",
    ),
}
# a block's title in bold navy, its note in small grey italics (the theme's body font)
BLOCK_TITLE = Font(name="Calibri", scheme="minor", bold=True, size=12, color="1F3864")
BLOCK_NOTE = Font(name="Calibri", scheme="minor", italic=True, size=10, color="595959")
STYLES_USED: dict[str, Style] = {
    **{k: STYLES[k] for k in ("title", "note", "header", "row", "center", "wrap top")},
    **{k: STYLES[k] for k in ("percent", "integer")},
    "left wrap top": Style(align=Align(horizontal="left", vertical="top", wrap=True)),
}


@dataclass
class RulesSheet:
    """The Rules sheet's plan and the absolute references of the lists the Deals sheet's
    drop-downs take (``{"stages": "'规则'!$D$7:$D$12", "grades": ...}``: the stage names in the
    sheet's language, the grade letters)."""

    plan: SheetPlan
    lists: dict[str, str]


def rules_plan(ruleset: RuleSet, lang: Lang, sheet: str) -> RulesSheet:
    """``ruleset`` as the Rules sheet named ``sheet`` (the name goes into the list references),
    in ``lang``."""
    plan = SheetPlan(styles=dict(STYLES_USED))
    plan.props = SheetProps(tab_color="7F7F7F", gridlines=False)
    plan.page = PageSetup(orientation="landscape", fit_to_page=True, fit_width=1, fit_height=0)
    plan.widths[1] = 2.0
    title = "规则设置：" if lang == "zh" else "Rules: "
    plan.put(1, FIRST_COL, title + ruleset.title(lang), "title")
    plan.heights[1] = TITLE_HEIGHT
    for i, line in enumerate(INTRO[lang]):
        plan.put(2 + i, FIRST_COL, line, "note")
    rows = block_rows(ruleset, lang)
    lists: dict[str, str] = {}
    row = FIRST_BLOCK_ROW
    for block in BLOCKS:
        last = _block(plan, row, block, rows[block.key], lang)
        _validations(plan, block, row + 2, last, len(ruleset.stages), lang)
        if block.key == "stages":
            names = [c.name for c in block.columns]
            lists["stages"] = _absolute(sheet, FIRST_COL + names.index(f"name_{lang}"), row, last)
        if block.key == "grades":
            lists["grades"] = _absolute(sheet, FIRST_COL, row, last)
        row = last + 2
    _row_heights(plan)
    return RulesSheet(plan, lists)


def _absolute(sheet: str, column: int, title_row: int, last: int) -> str:
    """``'规则'!$D$7:$D$12``: a table column's data rows (below its title and header rows)."""
    letter = column_letter(column - 1)
    quoted = "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!${letter}${title_row + 2}:${letter}${last}"


def _block(plan: SheetPlan, row: int, block: Block, data: list[dict[str, Any]], lang: Lang) -> int:
    """One titled table at ``row`` (its title, header and data rows); returns its last row. A
    column is as wide as the widest of its tables needs."""
    title = (Run(block.title(lang), BLOCK_TITLE), Run("   " + block.note(lang), BLOCK_NOTE))
    plan.put(row, FIRST_COL, RichText(title))
    plan.heights[row] = BLOCK_TITLE_HEIGHT
    head = row + 1
    for j, col in enumerate(block.columns):
        column = FIRST_COL + j
        plan.put(head, column, col.header(lang), "header")
        plan.validations.append(prompt_only((head, column, head, column), col.header(lang),
                                            col.help(lang)))  # fmt: skip
        values = [r.get(col.name) for r in data]
        high = WRAP_WIDTH if col.kind == "aliases" else MAX_WIDTH
        width = fit_width(col.header(lang), values, high=high)
        plan.widths[column] = max(plan.widths.get(column, 0.0), width)
        values += [None] * (max(1, len(data)) - len(values))
        for i, value in enumerate(values, start=head + 1):
            plan.put(i, column, value, *_looks(col, block))
    last = head + max(1, len(data))
    area = (head, FIRST_COL, last, FIRST_COL + len(block.columns) - 1)
    plan.tables.append(Table(area, block.table, TABLE_STYLE))
    return last


def _looks(col: Col, block: Block) -> tuple[str, ...]:
    """A data cell's styles: the row rule, a number format, the alignment."""
    fmt = {"percent": ("percent",), "int": ("integer",)}.get(col.kind, ())
    numeric = col.kind in ("int", "number", "percent", "tick") or col.name == "grade"
    if block.key == "params" and col.name == "value":
        align = "left wrap top"
    else:
        align = "center" if numeric else "wrap top"
    return ("row", *fmt, align)


def _row_heights(plan: SheetPlan) -> None:
    """Rows below the intro whose wrapped text takes several lines get the height it needs."""
    for r, values in enumerate(plan.values[FIRST_BLOCK_ROW - 1 :], start=FIRST_BLOCK_ROW):
        lines = 1
        for c, value in enumerate(values, start=1):
            look = plan.resolved((r, c))
            wraps = look is not None and look.align is not None and look.align.wrap
            if wraps and isinstance(value, str):
                lines = max(lines, wrapped_lines(value, plan.widths.get(c, 10.0)))
        if lines > 1:
            plan.heights[r] = LINE_HEIGHT * lines + 2


def _validations(plan: SheetPlan, block: Block, first: int, last: int, stages: int,
                 lang: Lang) -> None:  # fmt: skip
    """The checks of a block's data cells: per column, and per row of the parameters' values."""
    for j, col in enumerate(block.columns):
        column = FIRST_COL + j
        what = _column_check(col, block)
        if what is not None:
            plan.validations.append(
                _check(what, (first, column, last, column), col.header(lang), stages, lang)
            )
    if block.key == "params":
        column = FIRST_COL + 2
        for i, param in enumerate(PARAM_LIST):
            what = _param_check(param.key, param.kind)
            if what is not None:
                area = (first + i, column, first + i, column)
                plan.validations.append(_check(what, area, param.label(lang), stages, lang))


def _column_check(col: Col, block: Block) -> str | None:
    if col.kind == "percent":
        return "percent"
    if col.name == "stage" and block.key == "milestones":
        return "stage"
    if col.kind == "int":
        return "count"
    if col.name == "weight":
        return "weight"
    if col.kind.startswith("enum:") or col.kind == "tick":
        return col.kind
    return None


def _param_check(key: str, kind: str) -> str | None:
    if kind.startswith("enum:"):
        return kind
    named = {"penalty_factor": "factor", "late_entry_stage": "late entry", "pass_mark": "pass mark"}
    if key in named:
        return named[key]
    return "number" if kind == "number" else None


def _check(what: str, area: Area, title: str, stages: int, lang: Lang) -> Validation:
    """The validation ``what`` names (see :func:`_column_check`, :func:`_param_check`)."""
    zh = lang == "zh"
    if what.startswith("enum:"):
        labels = [label(lang) for label in ENUMS[what.removeprefix("enum:")].values()]
        return checked(
            area, "list", formula1=literal_list(labels), title=title,
            error=("请从列表中选择：" if zh else "Choose from the list: ") + ", ".join(labels),
        )  # fmt: skip
    if what == "tick":
        return checked(
            area, "list", formula1=literal_list([TICK]), style="warning", title=title,
            error="打勾 ✓ 即停用该规则" if zh else "Tick ✓ to switch the rule off",
        )  # fmt: skip
    n = stages
    bounds: dict[str, tuple[str, str | None, str, str]] = {  # kind, upper bound, zh, en
        "percent": ("decimal", "1", "请输入 0%–100% 的百分比",
                    "Enter a percentage from 0% to 100%"),
        "stage": ("whole", str(n), f"请输入阶段编号 1–{n}", f"Enter a stage number from 1 to {n}"),
        "late entry": ("whole", str(n), f"请输入阶段编号 1–{n}", f"Enter a stage number 1-{n}"),
        "count": ("whole", None, "请输入不小于 0 的整数", "Enter a whole number (0 or more)"),
        "weight": ("decimal", None, "权重应为不小于 0 的数字", "A weight is a number, 0 or more"),
        "factor": ("decimal", "1", "系数应在 0–1 之间，如 0.5",
                   "Enter a factor from 0 to 1, e.g. 0.5"),
        "pass mark": ("decimal", "100", "及格线应在 0 到 100 之间",
                      "The pass mark is from 0 to 100"),
        "number": ("decimal", "1000000", "请输入数字", "Enter a number"),
    }  # fmt: skip
    kind, upper, error_zh, error_en = bounds[what]
    low = {"stage": "1", "late entry": "1", "number": "-1000000"}.get(what, "0")
    return checked(
        area, "whole" if kind == "whole" else "decimal", formula1=low, formula2=upper,
        operator="greaterThanOrEqual" if upper is None else "between", title=title,
        error=error_zh if zh else error_en, ime_off=zh,
    )  # fmt: skip
