"""Write a rule set as the Rules / 规则 sheet: titled Excel Tables with drop-downs and help.

The reader (:mod:`excelflow.rulesheet.read`) finds the tables by their header rows, so this
layout can change without breaking workbooks already out in the field.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Alignment
from openpyxl.styles.colors import Color
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.rulesheet.layout import (
    BLOCKS,
    ENUMS,
    PARAM_LIST,
    TICK,
    Block,
    Col,
    block_rows,
)
from excelflow.workbook.styles import (
    CENTER,
    HEADER_ALIGN,
    HEADER_FILL,
    HEADER_FONT,
    NOTE_FONT,
    PERCENT_FORMAT,
    ROW_BORDER,
    TITLE_FONT,
    WRAP_TOP,
    clip,
    fit_width,
    input_message,
    literal_list,
    validation,
    wrapped_lines,
)

FIRST_COL = 2  # column B; column A is a narrow margin
WRAP_WIDTH = 30.0  # aliases
MAX_WIDTH = 24.0  # other columns; longer text wraps
TABLE_STYLE = "TableStyleMedium2"
LINE_HEIGHT = 15.0

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


def write_rules_sheet(ws: Worksheet, ruleset: RuleSet, lang: Lang) -> dict[str, str]:
    """Fill ``ws`` with ``ruleset`` as editable tables.

    Returns:
        Absolute references for the Deals sheet's drop-downs: ``{"stages": "'规则'!$D$7:$D$12",
        "grades": ...}`` (stage names in ``lang``, grade letters).
    """
    ws.sheet_properties.tabColor = "7F7F7F"
    ws.column_dimensions["A"].width = 2
    title = "规则设置：" if lang == "zh" else "Rules: "
    ws.cell(row=1, column=FIRST_COL, value=title + ruleset.title(lang)).font = TITLE_FONT
    ws.row_dimensions[1].height = 26
    for i, line in enumerate(INTRO[lang]):
        ws.cell(row=2 + i, column=FIRST_COL, value=line).font = NOTE_FONT
    rows = block_rows(ruleset, lang)
    widths: dict[int, float] = {}
    refs: dict[str, str] = {}
    row = 5
    for block in BLOCKS:
        data = rows[block.key]
        _title_row(ws, row, block, lang)
        header_row = row + 1
        for j, col in enumerate(block.columns):
            column = FIRST_COL + j
            cell = ws.cell(row=header_row, column=column, value=col.header(lang))
            cell.alignment = HEADER_ALIGN
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
            input_message(ws, cell.coordinate, col.header(lang), col.help(lang))
            values = [r.get(col.name) for r in data]
            high = WRAP_WIDTH if col.kind == "aliases" else MAX_WIDTH
            width = fit_width(col.header(lang), values, high=high)
            widths[column] = max(widths.get(column, 0.0), width)
            for i, value in enumerate(values):
                _value_cell(ws, header_row + 1 + i, column, value, col, block)
            for i in range(len(values), max(1, len(data))):
                _value_cell(ws, header_row + 1 + i, column, None, col, block)
        last = header_row + max(1, len(data))
        ref = f"{_col(FIRST_COL)}{header_row}:{_col(FIRST_COL + len(block.columns) - 1)}{last}"
        table = Table(displayName=block.table, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        ws.add_table(table)
        _validations(ws, block, header_row + 1, last, ruleset, lang)
        if block.key == "stages":
            name_col = FIRST_COL + [c.name for c in block.columns].index(f"name_{lang}")
            refs["stages"] = _absolute(ws.title, name_col, header_row + 1, last)
        if block.key == "grades":
            refs["grades"] = _absolute(ws.title, FIRST_COL, header_row + 1, last)
        row = last + 2
    for column, width in widths.items():
        ws.column_dimensions[_col(column)].width = width
    _row_heights(ws, widths)
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return refs


def _col(index: int) -> str:
    return get_column_letter(index)


def _absolute(sheet: str, column: int, first: int, last: int) -> str:
    letter = _col(column)
    return f"{quote_sheetname(sheet)}!${letter}${first}:${letter}${last}"


def _title_row(ws: Worksheet, row: int, block: Block, lang: Lang) -> None:
    bold = InlineFont(rFont="Calibri", scheme="minor", b=True, sz=12, color=Color("1F3864"))
    grey = InlineFont(rFont="Calibri", scheme="minor", i=True, sz=10, color=Color("595959"))
    text = CellRichText(
        TextBlock(bold, block.title(lang)), TextBlock(grey, "   " + block.note(lang))
    )
    ws.cell(row=row, column=FIRST_COL, value=text)
    ws.row_dimensions[row].height = 20


def _value_cell(ws: Worksheet, row: int, column: int, value: Any, col: Col, block: Block) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    cell.border = ROW_BORDER
    if col.kind == "percent":
        cell.number_format = PERCENT_FORMAT
    elif col.kind == "int":
        cell.number_format = "0"
    numeric = col.kind in ("int", "number", "percent", "tick") or col.name == "grade"
    if block.key == "params" and col.name == "value":
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    elif numeric:
        cell.alignment = CENTER
    else:
        cell.alignment = WRAP_TOP


def _row_heights(ws: Worksheet, widths: dict[int, float]) -> None:
    for number, row in enumerate(ws.iter_rows(min_row=5), start=5):
        lines = 1
        for column, cell in enumerate(row, start=1):
            if cell.alignment.wrap_text and isinstance(cell.value, str):
                lines = max(lines, wrapped_lines(cell.value, widths.get(column, 10.0)))
        if lines > 1:
            ws.row_dimensions[number].height = LINE_HEIGHT * lines + 2


def _validations(
    ws: Worksheet, block: Block, first: int, last: int, ruleset: RuleSet, lang: Lang
) -> None:
    zh = lang == "zh"
    n = len(ruleset.stages)
    for j, col in enumerate(block.columns):
        letter = _col(FIRST_COL + j)
        ref = f"{letter}{first}:{letter}{last}"
        title = clip(col.header(lang), 32)
        if col.kind == "percent":
            validation(
                ws, ref, "decimal", formula1="0", formula2="1", operator="between", title=title,
                error="请输入 0%–100% 的百分比" if zh else "Enter a percentage from 0% to 100%",
                ime_off=zh,
            )  # fmt: skip
        elif col.name == "stage" and block.key == "milestones":
            validation(
                ws, ref, "whole", formula1="1", formula2=str(n), operator="between", title=title,
                error=f"请输入阶段编号 1–{n}" if zh else f"Enter a stage number from 1 to {n}",
                ime_off=zh,
            )  # fmt: skip
        elif col.kind == "int":
            validation(
                ws, ref, "whole", formula1="0", operator="greaterThanOrEqual", title=title,
                error="请输入不小于 0 的整数" if zh else "Enter a whole number (0 or more)",
                ime_off=zh,
            )  # fmt: skip
        elif col.name == "weight":
            validation(
                ws, ref, "decimal", formula1="0", operator="greaterThanOrEqual", title=title,
                error="权重应为不小于 0 的数字" if zh else "A weight is a number, 0 or more",
                ime_off=zh,
            )  # fmt: skip
        elif col.kind.startswith("enum:"):
            labels = [label(lang) for label in ENUMS[col.kind.removeprefix("enum:")].values()]
            validation(
                ws, ref, "list", formula1=literal_list(labels), title=title,
                error=("请从列表中选择：" if zh else "Choose from the list: ") + ", ".join(labels),
            )  # fmt: skip
        elif col.kind == "tick":
            validation(
                ws, ref, "list", formula1=literal_list([TICK]), style="warning", title=title,
                error="打勾 ✓ 即停用该规则" if zh else "Tick ✓ to switch the rule off",
            )  # fmt: skip
    if block.key == "params":
        _param_validations(ws, first, n, lang)


def _param_validations(ws: Worksheet, first: int, stages: int, lang: Lang) -> None:
    zh = lang == "zh"
    value_col = _col(FIRST_COL + 2)
    for i, param in enumerate(PARAM_LIST):
        ref = f"{value_col}{first + i}"
        title = clip(param.label(lang), 32)
        if param.kind.startswith("enum:"):
            labels = [label(lang) for label in ENUMS[param.kind.removeprefix("enum:")].values()]
            validation(
                ws, ref, "list", formula1=literal_list(labels), title=title,
                error=("请从列表中选择：" if zh else "Choose from the list: ") + ", ".join(labels),
            )  # fmt: skip
        elif param.key == "penalty_factor":
            validation(
                ws, ref, "decimal", formula1="0", formula2="1", operator="between", title=title,
                error="系数应在 0–1 之间，如 0.5" if zh else "Enter a factor from 0 to 1, e.g. 0.5",
                ime_off=zh,
            )  # fmt: skip
        elif param.key == "late_entry_stage":
            validation(
                ws, ref, "whole", formula1="1", formula2=str(stages), operator="between",
                title=title, ime_off=zh,
                error=f"请输入阶段编号 1–{stages}" if zh else f"Enter a stage number 1-{stages}",
            )  # fmt: skip
        elif param.key == "pass_mark":
            validation(
                ws, ref, "decimal", formula1="0", formula2="100", operator="between", title=title,
                error="及格线应在 0 到 100 之间" if zh else "The pass mark is from 0 to 100",
                ime_off=zh,
            )  # fmt: skip
        elif param.kind == "number":
            validation(
                ws, ref, "decimal", formula1="-1000000", formula2="1000000", operator="between",
                title=title, error="请输入数字" if zh else "Enter a number", ime_off=zh,
            )  # fmt: skip
