"""Bid sheets (投标分析) in a workbook: write or refresh one, find and read them all.

* :func:`write_bid_sheet` adds a **Bid – <deal>** sheet to an openpyxl workbook (or replaces one
  in place, keeping its name and position): inputs, the cost-lines table with live formulas,
  subtotals, competitors, the P(win) / expected-profit table, its chart and notes. What is live
  and what is a snapshot is described in :mod:`excelflow.bid.sheet.write`.
* :func:`bid_entries` reads every Bid sheet of an opened file (python-calamine) back into bid
  models (:mod:`excelflow.bid.sheet.read`), and :func:`workbook_bids` gives them to the engine's
  BD rules: deal ID -> :class:`BidEntry`, and every entry (duplicates and sheets for unknown deals
  flagged).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.workbook import Workbook

from excelflow.bid.analysis import analyze_bid, win_table
from excelflow.bid.checks import BidError
from excelflow.bid.entry import BidEntry, BidProblem, LineCells
from excelflow.bid.model import BidModel
from excelflow.bid.sheet import style as st
from excelflow.bid.sheet.chart import add_chart, chart_lines, sensitivity
from excelflow.bid.sheet.layout import INPUTS, WORDS, is_bid_sheet_name, sheet_name
from excelflow.bid.sheet.notes import sheet_notes
from excelflow.bid.sheet.read import read_bid_grid
from excelflow.bid.sheet.write import INPUT_ROW, BidSheetLayout, SheetWriter
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.read import ReadError, Source
from excelflow.pipeline.ruleset import Lang, RuleSet, Text

__all__ = [
    "BidEntry",
    "BidProblem",
    "BidSheetLayout",
    "LineCells",
    "bid_entries",
    "workbook_bids",
    "write_bid_sheet",
]


def write_bid_sheet(
    wb: Workbook,
    model: BidModel,
    lang: Lang,
    *,
    replace: str | None = None,
    when: dt.date | None = None,
) -> BidSheetLayout:
    """Write ``model`` as a Bid sheet into ``wb`` and return where everything went.

    Args:
        wb: The workbook (openpyxl); other sheets are left as they are.
        model: The bid.
        lang: Labels, words and notes in Chinese or English.
        replace: The name of an existing sheet to replace (same name, same position); None adds
            a new sheet ``Bid – <deal>`` / ``投标分析 – <deal>`` after the last sheet whose
            name starts with Bid / 投标 (the template's Bid sheet, other deals' bids), else at
            the end.
        when: The snapshot date shown in the notes (default today).
    """
    index = None
    if replace is not None and replace in wb.sheetnames:
        index = wb.sheetnames.index(replace)
        del wb[replace]
        name = replace
    else:
        name = sheet_name(model.deal_id, lang, wb.sheetnames)
        near = [i for i, n in enumerate(wb.sheetnames) if is_bid_sheet_name(n)]
        index = near[-1] + 1 if near else None  # beside the template's Bid sheet and the others
    ws = wb.create_sheet(name, index)
    taken = {t for sheet in wb.worksheets for t in sheet.tables}
    w = SheetWriter(ws, model, lang, taken)
    problems: list[Text] = []
    try:
        snapshot = win_table(model)
    except BidError as exc:
        snapshot = None
        problems.append(Text(f"无法计算赢率：{exc}", f"P(win) could not be computed: {exc}"))
    try:
        w.layout.result = analyze_bid(model)
    except BidError as exc:
        if snapshot is not None:
            problems.append(Text(f"无法分析：{exc}", f"The analysis failed: {exc}"))
    w.layout.snapshot = snapshot
    _title(w, model, lang, when)
    w.inputs()
    w.results(snapshot)
    end = w.costs(INPUT_ROW + len(INPUTS) + 1)
    end = w.competitors(end + 2, snapshot)
    end = w.history(end + 2)
    first, last = sensitivity(w, end + 2, snapshot)
    chart_lines(w, end + 2, first, last)
    add_chart(w, first, last)
    row = last + 2
    w.section(row, 1, "notes", 11)
    for i, note in enumerate(sheet_notes(model, snapshot, problems, lang, when)):
        r = row + 1 + i
        w.put(r, 1, f"{i + 1}. {note}", kind="note")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=NOTE_COLUMNS)
        ws.row_dimensions[r].height = 15.0 * st.text_lines(note, NOTE_WIDTH)
    _page(ws)
    return w.layout


NOTE_COLUMNS = 11  # notes wrap across A:K
NOTE_WIDTH = sum(st.WIDTHS[chr(65 + i)] for i in range(NOTE_COLUMNS))


def _title(w: SheetWriter, model: BidModel, lang: Lang, when: dt.date | None) -> None:
    parts = [f"{WORDS['title'](lang)} – {model.deal_id}", model.customer, model.project]
    w.put(1, 1, " · ".join(p for p in parts if p), "title", kind="title")
    day = (when or dt.date.today()).isoformat()
    legend = Text(
        f"黄色 = 输入；黑色 = 实时公式；灰色斜体 = excelflow bid 于 {day} 写入的快照"
        f"（见页底说明）。币种：{model.currency}",
        f"Yellow = inputs; black = live formulas; grey italic = snapshot written by excelflow bid "
        f"on {day} (see the notes at the bottom). Currency: {model.currency}",
    )
    w.put(2, 1, legend(lang), "subtitle", kind="subtitle")


def _page(ws: Any) -> None:
    st.set_widths(ws)
    ws.sheet_properties.tabColor = "2F75B5"
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def bid_entries(source: Source) -> list[BidEntry]:
    """Every Bid sheet of an opened workbook, read, in workbook order (none for a CSV).

    A sheet is a Bid sheet when its name starts with ``Bid`` / ``投标`` and it has a Deal ID
    label and a cost-lines header; a sheet that cannot be read at all is skipped.
    """
    if source.is_csv:
        return []
    out = []
    for name in source.sheet_names:
        if not is_bid_sheet_name(name):
            continue
        try:
            sheet = source.sheet(name)
        except ReadError:
            continue
        entry = read_bid_grid(sheet.grid, sheet.origin, name)
        if entry is not None:
            out.append(entry)
    return out


def workbook_bids(
    source: Source, pipeline: Pipeline, ruleset: RuleSet
) -> tuple[dict[str, BidEntry], list[BidEntry]]:
    """The workbook's Bid sheets, read and analysed, for the BD rules.

    Returns ``(bids, bid_sheets)``, both empty without Bid sheets: ``bids`` holds the first
    sheet of each deal (by deal ID); ``bid_sheets`` every sheet, a later sheet for the same deal
    and a sheet whose deal is not in the pipeline carrying a problem that says so (BD05).

    Args:
        source: The opened workbook.
        pipeline: Its deals (to tell which deals exist).
        ruleset: The rule set in force (unused today; bid rules read nothing from it yet).
    """
    del ruleset
    entries = bid_entries(source)
    if not entries:
        return {}, []
    known = set(pipeline.frame["deal_id"].dropna())
    bids: dict[str, BidEntry] = {}
    sheets: list[BidEntry] = []
    for entry in entries:
        deal = entry.deal_id
        if deal is not None and deal in bids:
            first = bids[deal].sheet
            entry = entry.with_problem(
                BidProblem(
                    entry.cells.get("deal_id"),
                    deal,
                    Text(
                        f"商机 {deal} 已有投标分析表「{first}」，本表未检查",
                        f"Deal {deal} already has the bid sheet '{first}'; this one is not checked",
                    ),
                )
            )
        elif deal is not None:
            if deal not in known:
                entry = entry.with_problem(
                    BidProblem(
                        entry.cells.get("deal_id"),
                        deal,
                        Text(
                            f"商机表中没有商机 {deal}",
                            f"Deal {deal} is not in the pipeline",
                        ),
                    )
                )
            bids[deal] = entry
        sheets.append(entry)
    return bids, sheets
