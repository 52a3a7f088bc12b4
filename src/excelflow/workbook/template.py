"""Write the pipeline template workbook (``excelflow template``), in Chinese or English.

The workbook is laid out by :func:`excelflow.template.book.template_book` and drawn here with
openpyxl (:func:`excelflow.workbook.render.render_book`). The output is deterministic: fixed
document properties and timestamps, fixed example data, and fixed zip entry times, so the same
inputs give the same bytes. ``templates/pipeline.xlsx`` and ``templates/pipeline_en.xlsx`` in the
repository are this writer's output (:func:`build_committed_templates`).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.template.book import PLACEHOLDER_KEYS, STAMP, template_book
from excelflow.workbook.render import render_book
from excelflow.workbook.safe_write import atomic_write

DEFAULT_OUTPUT: dict[Lang, str] = {"zh": "pipeline.xlsx", "en": "pipeline_en.xlsx"}
DRAW_ORDER = (*PLACEHOLDER_KEYS, "rules", "deals")
"""The order the sheets are drawn in: the order of the styles in the files since the first
template (see :func:`~excelflow.workbook.render.render_book`)."""


def template_workbook(lang: Lang = "zh", ruleset: RuleSet | None = None) -> Workbook:
    """The template as an in-memory openpyxl workbook.

    Args:
        lang: sheet names, headers, labels and example deals in ``"zh"`` or ``"en"``.
        ruleset: the rule set whose columns and Rules sheet the template carries
            (default: the built-in standard set).
    """
    return render_book(template_book(lang, ruleset), [SHEETS[key](lang) for key in DRAW_ORDER])


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
