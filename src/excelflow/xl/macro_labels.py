"""What the ribbon macros tell the user, in Chinese and English (shown in an alert box)."""

from __future__ import annotations

from excelflow.pipeline.ruleset import Lang, Text

TITLE = "ExcelFlow"

EMPTY_BOOK = Text(
    "工作簿是空的：没有可检查的商机表。可先点「插入模板」添加商机表和规则表。",
    "The workbook is empty: there is no deal table to check. Click Insert template to add the "
    "Deals and Rules sheets.",
)
NO_TABLE = Text(
    "找不到商机表：没有哪张工作表的表头行含有「阶段」列（已查看：{sheets}）。",
    "No deal table found: no sheet has a header row with a Stage column (sheets looked at: "
    "{sheets}).",
)
NO_DEALS = Text(
    "「{sheet}」只有表头，还没有商机：请在第 {row} 行下面填写商机后再检查。",
    "'{sheet}' has the headers but no deals yet: type the deals below row {row}, then check again.",
)
BAD_LANG = Text(
    "语言参数「{value}」无效：请用 zh 或 en。", "Unknown language '{value}': use zh or en."
)
BAD_DATE = Text(
    "日期参数「{value}」无效：请用 YYYY-MM-DD 格式。",
    "'{value}' is not a date: use the YYYY-MM-DD format.",
)
BAD_REPORT = Text(
    "报告参数「{value}」无效：只能留空或用 pane（任务窗格使用）。",
    "Unknown report '{value}': leave it blank, or pane (used by the task pane).",
)
FAILED = Text(
    "ExcelFlow 出错，工作簿未作任何修改：{error}",
    "ExcelFlow failed and changed nothing in the workbook: {error}",
)

CHECKED = Text(
    "已检查「{sheet}」中的 {n} 个商机：错误 {error} 个，警告 {warning} 个，提示 {info} 个。",
    "Checked {n} deals on '{sheet}': {error} errors, {warning} warnings, {info} info.",
)
SHEETS_WRITTEN = Text(
    "结果见「{findings}」和「{dashboard}」工作表。",
    "See the sheets '{findings}' and '{dashboard}'.",
)
NOTES_DONE = Text(
    "批注：新增 {added}，更新 {updated}，删除 {removed}。",
    "Notes: {added} added, {updated} updated, {removed} removed.",
)
NOTES_CAPPED = Text(
    "批注只写在前 {noted} 个有问题的单元格上（共 {flagged} 个，自上而下）；"
    "每个问题都列在「{findings}」工作表中，可点链接跳到单元格。",
    "Notes on the first {noted} of {flagged} flagged cells (top rows first); every finding is on "
    "the '{findings}' sheet, with a link to its cell.",
)
NOTES_CAP_BAD = Text(
    "服务器设置无效，已使用默认批注上限：{setting}",
    "Bad server setting, the default note limit was used: {setting}",
)
NOTES_KEPT = Text(
    "{kept} 个单元格已有您自己的批注，未改动（问题见问题清单）。",
    "{kept} cells already carry a note of your own and were left alone (see the Findings sheet).",
)
NOTES_UNSUPPORTED = Text(
    "此版本的 Excel 不支持通过加载项写批注（需要 ExcelApi 1.18），问题只列在问题清单中。",
    "This Excel cannot write notes from an add-in (ExcelApi 1.18 is needed): the findings are "
    "listed on the Findings sheet only.",
)
GRADED = Text(
    "已为「{sheet}」中的 {n} 个商机写入评级、得分和调整后赢率（A {a}，B {b}，C {c}，D {d}）。",
    "Wrote grade, score and adjusted probability for {n} deals on '{sheet}' (A {a}, B {b}, "
    "C {c}, D {d}).",
)
DASHBOARD_DONE = Text(
    "已刷新「{dashboard}」：{n} 个商机，进行中 {open} 个。",
    "Refreshed '{dashboard}': {n} deals, {open} open.",
)
WARNINGS = Text("注意：{text}", "Note: {text}")
NOT_WRITTEN = Text(
    "此 Excel 无法写入（已跳过）：{items}", "This Excel could not take (skipped): {items}"
)
NOT_CARRIED = Text("未能复制：{items}", "Not carried over: {items}")
TABLE_OUTSIDE = Text(
    "表 {table} 的右边界在最后一列之前：结果列写在了表外。",
    "The table {table} ends before the last used column: the result columns were written to "
    "the right of the data, outside the table.",
)

TEMPLATE_DONE = Text(
    "已添加「{deals}」和「{rules}」工作表（{lang}）：在商机表中填写商机后点「校验」。",
    "Added the sheets '{deals}' and '{rules}' ({lang}): type your deals on the Deals sheet, "
    "then click Validate.",
)
TEMPLATE_EXISTS = Text(
    "工作簿中已有「{names}」工作表，未作改动。请在空白工作簿中插入模板，或先重命名这些工作表。",
    "The workbook already has the sheet(s) '{names}'; nothing was changed. Insert the template "
    "into an empty workbook, or rename those sheets first.",
)
TEMPLATE_NOT_EMPTY = Text(
    "工作簿不是空的（「{sheet}」中有内容），未作改动：模板只插入到空白工作簿中。",
    "The workbook is not empty ('{sheet}' has content); nothing was changed: the template is "
    "inserted into an empty workbook only.",
)

NO_SELECTION = Text(
    "请先在商机表中选中一个商机所在的行，再点「投标分析」。",
    "Select a cell in a deal's row on the Deals sheet first, then click Bid analysis.",
)
NOT_A_DEAL_ROW = Text(
    "选中的第 {row} 行（「{sheet}」）不是商机行："
    "请选中商机表「{deals}」第 {first}–{last} 行中的一行。",
    "Row {row} of '{sheet}' is not a deal: select a row between {first} and {last} on '{deals}'.",
)
NO_DEAL_ID = Text(
    "第 {row} 行的商机没有商机编号：请先填写编号。",
    "The deal on row {row} has no deal ID: fill it in first.",
)
BID_DONE = Text(
    "已{verb}投标分析表「{sheet}」（商机 {deal}）。",
    "{verb} the bid sheet '{sheet}' for deal {deal}.",
)
BID_BROKEN = Text(
    "投标分析表「{sheet}」中有无法使用的输入，未作改动：\n{problems}",
    "The bid sheet '{sheet}' has inputs that cannot be used; nothing was changed:\n{problems}",
)

FEATURES_ZH = {
    # what a layout holds that xlwings cannot write (render_objects.missed)
    "rich text": "富文本",
    "underlined text": "下划线",
    "link tooltips": "链接提示",
    "calculated table columns": "表的计算列",
    "validations that only warn": "仅警告的数据验证",
    "input messages": "输入提示",
    "validation error messages": "数据验证出错提示",
    "input method modes": "输入法模式",
    "conditional-format borders": "条件格式边框",
    "extra chart series": "图表的额外系列",
    "chart styles": "图表样式",
    "chart data labels": "图表数据标签",
    "bar gaps and overlaps": "条形间距与重叠",
    "chart line widths and dashes": "图表线宽与虚线",
    "note authors and sizes": "批注作者与大小",
    "tab colours": "工作表标签颜色",
    "tab selection": "工作表选中状态",
    "print settings": "打印设置",
    # what the calling Excel refused (render.guard)
    "alignment": "对齐",
    "borders": "边框",
    "chart series formatting": "图表系列格式",
    "charts": "图表",
    "column widths and row heights": "列宽与行高",
    "conditional formats": "条件格式",
    "data validation": "数据验证",
    "fills": "填充色",
    "fonts": "字体",
    "frozen panes": "冻结窗格",
    "hidden gridlines": "隐藏网格线",
    "hidden sheets": "隐藏工作表",
    "merged cells": "合并单元格",
    "notes": "批注",
    "number formats": "数字格式",
    "print area": "打印区域",
    "tables": "表",
    "wrapped text": "自动换行",
}
"""The Chinese names of the features the renderer reports as not carried or refused (English
in the code, as `render_objects.missed` and `render.guard` name them)."""


def features(items: list[str], lang: Lang) -> str:
    """The feature names for a message in ``lang`` (an unknown name stays as it is)."""
    if lang == "zh":
        return "、".join(_feature_zh(i) for i in items)
    return ", ".join(items)


def _feature_zh(item: str) -> str:
    if item in FEATURES_ZH:
        return FEATURES_ZH[item]
    if item.endswith(" validations"):  # "{kind} validations" of render_objects
        return f"{item.removesuffix(' validations')} 类数据验证"
    return item


HISTORY_RECORDED = Text(
    "已记录本次检查（{n} 个商机）到历史库。",
    "This check ({n} deals) is recorded in the history database.",
)
HISTORY_COMPARED = Text(
    "与上次检查（{since}）相比：{changes} 个历史问题（HX）。",
    "Compared with the last check ({since}): {changes} history findings (HX).",
)
HISTORY_FAILED = Text(
    "历史库不可用，本次检查未记录：{error}",
    "The history database is unavailable; this check was not recorded: {error}",
)
