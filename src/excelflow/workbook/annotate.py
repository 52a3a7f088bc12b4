"""Write the engine's verdict into a copy of the workbook (or in place): ``excelflow annotate``.

:func:`excelflow.api.annotate` checks the file and calls :func:`write_annotations` here.

What is written (see :mod:`excelflow.annotate.plan` for the plan, :mod:`.annotate_deals` and
:mod:`.dashboard` for the sheets): result columns on every deal row, conditional-format row
colours by worst severity, a note on every offending cell, a Findings sheet and a Dashboard sheet
with native charts. Re-running on an annotated workbook replaces all of it, never duplicates it.

Safety:

* The input is never modified unless ``in_place`` is asked for. Every write goes through
  :func:`excelflow.workbook.safe_write.atomic_write` (a temporary file next to the target,
  renamed into place; the file keeps its mode and owner).
* After writing, the copy is compared with the input part by part (:mod:`.losses`). What the copy
  lacks (shapes, slicers, pictures without Pillow, …) is reported in ``AnnotateOutcome.lost``.
  ``in_place`` is then refused: the annotated copy goes to ``NAME.checked.xlsx`` instead and the
  original stays untouched. A successful in-place update keeps a timestamped backup, and nothing
  is written while Excel holds the file (its ``~$NAME`` lock file exists).
* CSV input gets an .xlsx copy (one Deals sheet with the CSV's values); .xls/.xlsb/.ods inputs,
  which openpyxl cannot open, get an .xlsx copy holding every sheet's values, and ``lost`` says so.
  Such files are never annotated in place.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings as pywarnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.annotate.labels import LOST_INTRO
from excelflow.annotate.plan import AnnotationPlan, build_plan
from excelflow.engine import Result
from excelflow.pipeline.collector import collector_paused
from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.read import ReadError, Source, sniff
from excelflow.pipeline.ruleset import Lang, Text
from excelflow.sheets.text import fit_width
from excelflow.workbook.annotate_deals import put, write_deals_sheet
from excelflow.workbook.dashboard import write_sheet
from excelflow.workbook.formula_cache import restore_cached_values
from excelflow.workbook.losses import losses
from excelflow.workbook.render import release_bulk, save_workbook
from excelflow.workbook.safe_write import (
    WriteRefused,
    atomic_write,
    check_not_open_in_excel,
    check_unread_change,
    default_output,
    real_path,
    save_copy,
)

OPENPYXL_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
OUTPUT_SUFFIXES = {".xlsx", ".xlsm"}
_NUMBER_RE = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")
CONVERTED = Text(
    "公式、格式、图表等一切非单元格值的内容（由 {suffix} 转换，仅保留值）",
    "formulas, formatting, charts and everything but cell values (converted from {suffix})",
)


@dataclass
class AnnotateOutcome:
    """What :func:`annotate` wrote.

    Attributes:
        out_path: the annotated workbook (the input itself after an in-place update).
        backup_path: the timestamped backup of an in-place update, else None.
        result: the engine result the annotations show.
        lost: what the written workbook lacks compared with the input (empty: nothing).
        warnings: things the user should know (openpyxl's load warnings, skipped cells, …).
        sheets: the names of the Findings and Dashboard sheets written.
    """

    out_path: Path
    backup_path: Path | None
    result: Result = field(repr=False)
    lost: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)


class InPlaceRefused(WriteRefused):
    """``in_place`` was refused because the rewrite would lose something; ``outcome`` describes
    the annotated copy that was written instead (the input is unchanged)."""

    def __init__(self, message: str, outcome: AnnotateOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


def _cell_value(value: Any, from_text: bool) -> Any:
    if isinstance(value, str):
        if value == "":
            return None
        if from_text and _NUMBER_RE.fullmatch(value.strip()):
            return float(value) if "." in value else int(value)
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


FIT_ROWS = 2000
"""A values copy's column widths are fitted to this many rows (its header and first deals)."""


def _fit_columns(ws: Worksheet, grid: list[list[Any]], c0: int) -> None:
    """Size the columns of a values copy (which has no widths of its own) to their values: a
    CSV's headers and dates are otherwise cut at Excel's default width."""
    width = max((len(r) for r in grid[:FIT_ROWS]), default=0)
    for j in range(width):
        values = [r[j] for r in grid[:FIT_ROWS] if j < len(r) and r[j] not in (None, "")]
        if values:
            letter = get_column_letter(c0 + j + 1)
            ws.column_dimensions[letter].width = fit_width("", values, low=8.43, high=40)


def book_from_values(src: Path, lang: Lang) -> Workbook:
    """A new workbook holding every sheet's values (CSV, .xls, .xlsb, .ods inputs)."""
    wb = Workbook()
    default = wb.active
    source = Source(src)
    try:
        for name in source.sheet_names:
            sheet = source.sheet(name)
            title = SHEETS["deals"](lang) if source.is_csv else name
            ws = wb.create_sheet(title[:31])
            r0, c0 = sheet.origin
            for i, row in enumerate(sheet.grid):
                for j, value in enumerate(row):
                    value = _cell_value(value, source.is_csv)
                    if value is not None:
                        put(ws.cell(r0 + i + 1, c0 + j + 1), value)
            _fit_columns(ws, sheet.grid, c0)
            if name not in source.visible:
                ws.sheet_state = "hidden"
    finally:
        source.close()
    if default is not None:
        wb.remove(default)
    return wb


def load_for_update(src: Path, keep_vba: bool) -> tuple[Workbook, list[str]]:
    """Open a workbook with openpyxl to write into it; returns it and openpyxl's load warnings.

    Raises:
        ChangedMeanwhile: ``src`` is held for an in-place run and changed since it was read.
    """
    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        try:
            wb = load_workbook(src, keep_vba=keep_vba, rich_text=True, keep_links=True)
        except Exception as exc:
            first = (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]
            raise ReadError(src, f"openpyxl cannot open the workbook ({first})") from None
    wb.template = False  # a copy of a template is a workbook
    check_unread_change(src)  # an in-place run: both readers saw the same version
    notes = sorted({f"openpyxl: {w.message}" for w in caught})
    return wb, notes


def write_plan(wb: Workbook, plan: AnnotationPlan) -> tuple[dict[str, str], list[str], list[str]]:
    """Write ``plan`` into ``wb``: returns (sheet names written, old sheets replaced, warnings)."""
    warnings = write_deals_sheet(wb, plan)
    names: dict[str, str] = {}
    replaced: list[str] = []
    for key in ("dashboard", "findings"):
        ws, old = write_sheet(wb, key, plan)
        names[key] = ws.title
        if old is not None:
            replaced.append(old)
    return names, replaced, warnings


def lost_message(lost: list[str], lang: Lang) -> str:
    """What a copy lacks compared with its input, as one line."""
    sep = "、" if lang == "zh" else ", "
    return f"{LOST_INTRO(lang)}: {sep.join(lost)}"


def refuse_early(src: Path, out_path: Path | None, in_place: bool) -> None:
    """The refusals that need no check of the workbook: both an output and ``in_place``, or an
    in-place update of a file Excel holds.

    Raises:
        WriteRefused: see above.
    """
    if in_place and out_path is not None:
        raise WriteRefused(f"{src}: refused: give an output path or in_place, not both")
    if in_place:
        check_not_open_in_excel(src)


def write_annotations(
    src: Path,
    result: Result,
    out_path: Path | None = None,
    *,
    in_place: bool = False,
    lang: Lang | None = None,
    overwrite: bool = True,
) -> AnnotateOutcome:
    """Write the annotations of ``result`` (the engine's check of ``src``) into a copy of
    ``src``, or into ``src`` itself.

    Args:
        src: The checked workbook (.xlsx/.xlsm/.xltx/.xltm; .csv/.xls/.xlsb/.ods get a values
            copy).
        result: What the engine found in it.
        out_path: Where the copy goes (default ``NAME.checked.xlsx`` beside the input).
        in_place: Update the input itself (backup kept); refused when the rewrite would lose
            anything, while Excel holds the file, and for non-openpyxl formats.
        lang: Language of the result headers, sheets and notes (default: the result's).
        overwrite: Write over an existing copy (the command line's ``--force``); else such a
            write is refused. The default copy of ``NAME.checked.xlsx`` is itself (never
            ``NAME.checked.checked.xlsx``), so refreshing a checked copy takes ``in_place``.

    Raises:
        WriteRefused: the write was refused (lock file, bad output path); nothing was written.
        InPlaceRefused: ``in_place`` would lose something; the copy was written (see
            ``outcome``) and the input is unchanged.
    """
    with collector_paused():
        return _write_annotations(src, result, out_path, in_place, lang, overwrite)


def _write_annotations(
    src: Path,
    result: Result,
    out_path: Path | None,
    in_place: bool,
    lang: Lang | None,
    overwrite: bool,
) -> AnnotateOutcome:
    language: Lang = lang or result.lang
    suffix = src.suffix.lower()
    native = sniff(src) == "spreadsheet" and suffix in OPENPYXL_SUFFIXES
    copy_path = default_output(src, "checked", strip_tag=True)  # x.checked.xlsx stays itself
    if in_place and not native:
        raise WriteRefused(
            f"{src}: refused: a {suffix or 'CSV'} file cannot hold ExcelFlow's annotations in "
            f"place; run without --in-place to write {copy_path.name}"
        )
    target = src if in_place else Path(out_path) if out_path is not None else copy_path
    if target.suffix.lower() not in OUTPUT_SUFFIXES:
        raise WriteRefused(f"{target}: refused: the annotated workbook must be .xlsx or .xlsm")
    if not in_place and target.exists() and os.path.samefile(target, src):
        raise WriteRefused(f"{src}: refused: the output is the input; use --in-place to update it")
    if not in_place and not overwrite and target.exists():
        raise WriteRefused(f"{target}: refused: the file exists (use --force to overwrite it)")
    if not in_place:
        check_not_open_in_excel(target)

    warnings: list[str] = []
    lost: list[str] = []
    if native:
        wb, load_notes = load_for_update(src, keep_vba=target.suffix.lower() == ".xlsm")
        warnings.extend(load_notes)
    else:
        wb = book_from_values(src, language)
        if suffix not in (".csv", ".tsv", ".txt"):
            lost.append(CONVERTED(language).format(suffix=suffix))
    deals_sheet = None if result.pipeline.sheet is not None else SHEETS["deals"](language)
    plan = build_plan(result, language, deals_sheet=deals_sheet)
    sheets, replaced, write_notes = write_plan(wb, plan)
    warnings.extend(write_notes)
    outcome = AnnotateOutcome(real_path(target), None, result, lost, warnings, sheets)

    def writer(tmp: Path) -> None:
        save_workbook(wb, tmp)  # the Findings sheet's cells in bulk
        if native:
            restore_cached_values(src, tmp)
            lost[:] = losses(src, tmp, replaced=replaced, written=sheets.values(), lang=language)
        if in_place and lost:
            _refuse_in_place(src, tmp, outcome, language)

    changed_copy = default_output(src, "checked") if in_place else None  # as a refusal's copy
    try:
        outcome.backup_path = atomic_write(
            target, writer, keep_backup=in_place, changed_copy=changed_copy
        )
    finally:
        _release(wb)
    return outcome


def _release(wb: Workbook) -> None:
    """Free the workbook's cells and the Findings sheet's plan now, by reference counting: the
    workbook and its sheets point at each other, a note and its cell too, so they would
    otherwise wait as cyclic garbage for a full collection that walks every one of them (~0.7 s
    on 10,000 deals) once the collector runs again."""
    release_bulk(wb)
    for ws in wb.worksheets:
        cells: Any = getattr(ws, "_cells", None)
        if isinstance(cells, dict):
            for cell in cells.values():
                if cell._comment is not None:  # the note points back at its cell
                    cell._comment = None
            cells.clear()
        records: Any = getattr(ws, "_comments", None)  # the notes as the save wrote them
        if isinstance(records, list):
            records.clear()


def _refuse_in_place(src: Path, saved: Path, outcome: AnnotateOutcome, lang: Lang) -> None:
    """The in-place rewrite would lose something: keep the original, write the annotated copy
    to ``NAME.checked.xlsx`` instead (``NAME.checked.STAMP.xlsx`` when that exists: a copy is
    never written over another) and raise :class:`InPlaceRefused`."""
    copy_path = save_copy(saved, default_output(src, "checked"))
    outcome.out_path = real_path(copy_path)
    raise InPlaceRefused(
        f"{src}: refused --in-place: the rewritten workbook would lose what openpyxl "
        f"cannot keep ({lost_message(outcome.lost, lang)}); the original is unchanged and "
        f"the annotated copy was written to {copy_path}",
        outcome,
    )
