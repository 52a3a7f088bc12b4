"""Build the pipeline template workbook (``excelflow template``), in Chinese or English.

Sheets, in order: Deals / 商机 (the Excel Table ``tblDeals`` with every column of the rule set,
example deals, drop-downs and help; active), Dashboard / 看板, Findings / 问题清单, Bid / 投标分析
(placeholders the annotate and bid commands fill) and Rules / 规则 (the rule set as editable
tables, read back by :func:`excelflow.rulesheet.read.workbook_ruleset`).

The output is deterministic: fixed document properties and timestamps, fixed example data, and
fixed zip entry times, so the same inputs give the same bytes. ``templates/pipeline.xlsx`` and
``templates/pipeline_en.xlsx`` in the repository are this builder's output.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.ruleset import Lang, RuleSet, load_ruleset
from excelflow.workbook.rules_writer import write_rules_sheet
from excelflow.workbook.safe_write import atomic_write
from excelflow.workbook.styles import NOTE_FONT, TITLE_FONT, WRAP_TOP, theme_xml, wrapped_lines
from excelflow.workbook.template_deals import write_deals_sheet

STAMP = dt.datetime(2026, 11, 28, 9, 0, 0)
"""Created/modified time written into every template (and its zip entries)."""
DEFAULT_OUTPUT: dict[Lang, str] = {"zh": "pipeline.xlsx", "en": "pipeline_en.xlsx"}
LIST_NAMES = {"stages": "lstStages", "grades": "lstGrades"}

PLACEHOLDERS: dict[str, dict[Lang, tuple[str, ...]]] = {
    "dashboard": {
        "zh": (
            "由 excelflow annotate 或功能区的「校验」按钮生成：各阶段的商机数与金额、关口状态、"
            "客户分级和问题统计。",
        ),
        "en": (
            "Filled by excelflow annotate or the ribbon's Validate button: deals and amounts by "
            "stage, gate status, grades and findings at a glance.",
        ),
    },
    "findings": {
        "zh": (
            "由 excelflow annotate 或功能区的「校验」按钮填写：每个问题一行，含规则代码、"
            "所在单元格和说明。",
        ),
        "en": (
            "Filled by excelflow annotate or the ribbon's Validate button: one row per finding, "
            "with its rule code, cell and message.",
        ),
    },
    "bid": {
        "zh": (
            "投标阶段的报价分析：成本构成、目标毛利与底价、竞争对手报价、赢标概率与期望利润，"
            "并给出建议报价或退出建议。",
            "生成方法：运行 excelflow bid，或在商机表选中一个商机后点功能区的「投标分析」；"
            "每个商机生成一张投标分析表。",
            "毛利率 =（报价 − 成本）/ 报价；加价率 =（报价 − 成本）/ 成本。",
        ),
        "en": (
            "Price analysis for the bidding stage: cost build-up, target margin and floor price, "
            "competitors' pricing, probability of winning and expected profit, with a recommended "
            "price or a withdraw recommendation.",
            "To build one: run excelflow bid, or select a deal on the Deals sheet and click the "
            "ribbon's Bid analysis; each deal gets its own Bid sheet.",
            "Margin = (price - cost) / price; markup = (price - cost) / cost.",
        ),
    },
}


def template_workbook(lang: Lang = "zh", ruleset: RuleSet | None = None) -> Workbook:
    """The template as an in-memory openpyxl workbook.

    Args:
        lang: sheet names, headers, labels and example deals in ``"zh"`` or ``"en"``.
        ruleset: the rule set whose columns and Rules sheet the template carries
            (default: the built-in standard set).
    """
    rs = ruleset or load_ruleset()
    wb = Workbook()
    deals = wb.active
    assert deals is not None
    deals.title = SHEETS["deals"](lang)
    for key in ("dashboard", "findings", "bid"):
        _placeholder(wb.create_sheet(SHEETS[key](lang)), key, lang)
    refs = write_rules_sheet(wb.create_sheet(SHEETS["rules"](lang)), rs, lang)
    lists: dict[str, str] = {}
    for key, ref in refs.items():
        wb.defined_names[LIST_NAMES[key]] = DefinedName(LIST_NAMES[key], attr_text=ref)
        lists[key] = LIST_NAMES[key]
    write_deals_sheet(deals, rs, lang, lists)
    wb.active = 0
    wb.loaded_theme = theme_xml().encode("utf-8")
    props = wb.properties
    props.creator = props.lastModifiedBy = "ExcelFlow"
    props.title = ("销售商机管道" if lang == "zh" else "Sales pipeline") + f" — {rs.title(lang)}"
    props.subject = "ExcelFlow pipeline template"
    props.keywords = "ExcelFlow; pipeline; stage-gate"
    props.language = "zh-CN" if lang == "zh" else "en-US"
    props.created = props.modified = STAMP
    return wb


def _placeholder(ws: Worksheet, key: str, lang: Lang) -> None:
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions["B"].width = 80
    ws.cell(row=1, column=2, value=SHEETS[key](lang)).font = TITLE_FONT
    ws.row_dimensions[1].height = 26
    for i, line in enumerate(PLACEHOLDERS[key][lang], start=3):
        cell = ws.cell(row=i, column=2, value=line)
        cell.font, cell.alignment = NOTE_FONT, WRAP_TOP
        ws.row_dimensions[i].height = 15.0 * wrapped_lines(line, 80) + 6
    ws.sheet_view.showGridLines = False
    ws.sheet_properties.tabColor = "A6A6A6"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to ``path`` with fixed timestamps (no "now" anywhere in the file)."""
    buffer = io.BytesIO()
    wb.properties.modified = STAMP
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with (
        zipfile.ZipFile(buffer) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))


def build_template(path: Path, *, lang: Lang = "zh", ruleset: RuleSet | None = None) -> Path:
    """Write the template workbook to ``path`` atomically and return ``path``.

    Args:
        path: the .xlsx file to write (overwritten if it exists; callers decide whether that is
            allowed).
        lang: ``"zh"`` (default) or ``"en"``.
        ruleset: rule set to build the columns and the Rules sheet from (default: standard).
    """
    wb = template_workbook(lang, ruleset)
    atomic_write(Path(path), lambda tmp: save_workbook(wb, tmp))
    return Path(path)


def build_committed_templates(folder: Path) -> list[Path]:
    """(Re)build the repository's ``templates/pipeline.xlsx`` (zh) and ``pipeline_en.xlsx`` (en)
    in ``folder`` with the standard rule set."""
    return [build_template(Path(folder) / DEFAULT_OUTPUT[lang], lang=lang) for lang in ("zh", "en")]
