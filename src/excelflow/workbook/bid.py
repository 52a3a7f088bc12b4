"""Save a Bid sheet into a workbook file (``excelflow bid``): a copy, a new workbook, or in place.

:func:`excelflow.api.write_bid` chooses the bid and calls :func:`save_bid` here. The workbook is
never modified unless ``in_place`` is asked for (a timestamped backup is kept, nothing is written
while Excel holds the file, and a rewrite that would lose something openpyxl cannot keep is
refused). The default output is ``NAME.bid.xlsx`` (``.xlsm`` for macro workbooks) beside the
input. CSV, .xls, .xlsb and .ods inputs get an .xlsx copy of their values plus the Bid sheet.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from excelflow.bid.model import BidModel
from excelflow.bid.sheet.book import BidSheetLayout, build_bid_sheet
from excelflow.pipeline.read import sniff
from excelflow.pipeline.ruleset import Lang
from excelflow.workbook.annotate import OPENPYXL_SUFFIXES, book_from_values, load_for_update
from excelflow.workbook.losses import losses
from excelflow.workbook.render import add_sheet
from excelflow.workbook.safe_write import (
    MACRO_SUFFIXES,
    WriteRefused,
    atomic_write,
    check_not_open_in_excel,
    default_output,
    real_path,
)


def write_bid_sheet(
    wb: Workbook,
    model: BidModel,
    lang: Lang,
    *,
    replace: str | None = None,
    when: dt.date | None = None,
) -> BidSheetLayout:
    """Add ``model``'s Bid sheet to ``wb`` (or replace the sheet ``replace`` in place, same name
    and position) as :func:`~excelflow.bid.sheet.book.build_bid_sheet` lays it out; returns
    where everything went."""
    tables = {n: list(getattr(wb[n], "tables", ())) for n in wb.sheetnames}
    sheet = build_bid_sheet(model, lang, tables, replace=replace, when=when)
    if sheet.name == replace:
        del wb[replace]
    add_sheet(wb, sheet.name, sheet.plan, sheet.index)
    return sheet.layout


@dataclass(frozen=True)
class SavedBid:
    """Where :func:`save_bid` wrote.

    Attributes:
        path: The workbook written (resolved).
        sheet: The Bid sheet's name.
        backup: The backup of an in-place update, else None.
        lost: What the rewritten workbook lacks compared with the input (a copy only).
    """

    path: Path
    sheet: str
    backup: Path | None = None
    lost: tuple[str, ...] = ()


def save_bid(
    workbook: Path | None,
    model: BidModel,
    lang: Lang,
    *,
    json_path: Path | None = None,
    output: Path | None = None,
    in_place: bool = False,
    replace: str | None = None,
    as_of: dt.date | None = None,
    overwrite: bool = True,
) -> SavedBid:
    """Write ``model`` as a Bid sheet into (a copy of) ``workbook``, or into a new workbook.

    Args:
        workbook: The pipeline workbook; None writes a new workbook next to ``json_path``.
        model: The bid.
        lang: The sheet's language.
        json_path: The ``--json`` file the bid came from (names the new workbook).
        output: Where the copy goes (default ``NAME.bid.xlsx``).
        in_place: Update ``workbook`` itself.
        replace: The deal's existing Bid sheet, replaced in place.
        as_of: The snapshot date shown on the sheet.
        overwrite: Write over an existing output file (the command line's ``--force``); else
            such a write is refused.

    Raises:
        WriteRefused: the write was refused (Excel holds the file, in-place would lose
            something or is impossible for the format, the output is the input or not
            .xlsx/.xlsm); nothing was written over the input.
    """
    native = workbook is not None and sniff(workbook) == "spreadsheet"
    native = native and workbook is not None and workbook.suffix.lower() in OPENPYXL_SUFFIXES
    if workbook is None:
        assert json_path is not None
        target = output or json_path.with_name(f"{json_path.stem}.bid.xlsx")
        wb = Workbook()
        if wb.active is not None:
            wb.remove(wb.active)
    else:
        if in_place and not native:
            raise WriteRefused(
                f"{workbook}: refused: a {workbook.suffix} file cannot be updated in place"
            )
        target = workbook if in_place else output or default_output(workbook, "bid", strip_tag=True)
        if not in_place and target.exists() and os.path.samefile(target, workbook):
            raise WriteRefused(f"{workbook}: refused: the output is the input; use --in-place")
        wb = (
            load_for_update(workbook, keep_vba=target.suffix.lower() in MACRO_SUFFIXES)[0]
            if native
            else book_from_values(workbook, lang)
        )
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WriteRefused(f"{target}: refused: the output must be .xlsx or .xlsm")
    if not in_place and not overwrite and target.exists():
        again = (
            f"; to add this bid to it: excelflow bid {target} --deal {model.deal_id} --in-place"
            if workbook
            else ""
        )
        raise WriteRefused(
            f"{target}: refused: the file exists (use --force to overwrite it, or -o OUT){again}"
        )
    check_not_open_in_excel(target)
    layout = write_bid_sheet(wb, model, lang, replace=replace, when=as_of)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False
    wb.active = wb.sheetnames.index(layout.sheet)
    wb[layout.sheet].sheet_view.tabSelected = True
    lost: list[str] = []

    def writer(tmp: Path) -> None:
        wb.save(tmp)
        if native and workbook is not None:
            replaced = [replace] if replace else []
            lost[:] = losses(workbook, tmp, replaced=replaced, written=[layout.sheet], lang=lang)
        if in_place and lost:
            raise WriteRefused(
                f"{workbook}: refused --in-place: the rewritten workbook would lack "
                f"{', '.join(lost)}; run with -o OUT to write a copy"
            )

    in_place = in_place and workbook is not None
    kept = default_output(workbook, "bid") if in_place and workbook is not None else None
    saved = atomic_write(target, writer, keep_backup=in_place, changed_copy=kept)
    return SavedBid(real_path(target), layout.sheet, saved, () if in_place else tuple(lost))
