"""Bid sheets (投标分析) in a workbook: lay one out, find and read them all.

* :func:`build_bid_sheet` lays out a **Bid – <deal>** sheet as a
  :class:`~excelflow.sheets.plan.SheetPlan` (or the refresh of one, keeping its name and
  position): inputs, the cost-lines table with live formulas, subtotals, competitors, the P(win) /
  expected-profit table, its chart and notes. What is live and what is a snapshot is described in
  :mod:`excelflow.bid.sheet.blocks`. ``excelflow bid`` draws it with openpyxl
  (:mod:`excelflow.workbook.bid`), the ribbon's Bid button through xlwings
  (:mod:`excelflow.xl.macros_sheets`).
* :func:`bid_entries` reads every Bid sheet of an opened file (python-calamine) back into bid
  models (:mod:`excelflow.bid.sheet.read`), and :func:`workbook_bids` gives them to the engine's
  BD rules: deal ID -> :class:`BidEntry`, and every entry (duplicates and sheets for unknown deals
  flagged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from excelflow.bid.analysis import analyze_bid, win_table
from excelflow.bid.checks import BidError
from excelflow.bid.entry import BidEntry, BidProblem, LineCells
from excelflow.bid.model import BidModel
from excelflow.bid.sheet import style as st
from excelflow.bid.sheet.blocks import INPUT_ROW, BidSheetLayout, SheetBuilder
from excelflow.bid.sheet.chart import chart, chart_lines, empty_state, sensitivity
from excelflow.bid.sheet.layout import INPUTS, WORDS, sheet_name
from excelflow.bid.sheet.notes import sheet_notes
from excelflow.bid.sheet.read import read_bid_grid
from excelflow.pipeline.fields import is_bid_sheet_name
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.read import ReadError, Source
from excelflow.pipeline.ruleset import Lang, RuleSet, Text
from excelflow.sheets.parts import A4, Margins, PageSetup, SheetProps
from excelflow.sheets.plan import SheetPlan

__all__ = [
    "BidEntry",
    "BidProblem",
    "BidSheet",
    "BidSheetLayout",
    "LineCells",
    "bid_entries",
    "build_bid_sheet",
    "workbook_bids",
]


@dataclass(frozen=True)
class BidSheet:
    """A Bid sheet laid out for a workbook.

    Attributes:
        name: The sheet's name.
        index: Its 0-based position among the workbook's sheets once the sheet it replaces (if
            any) is deleted.
        plan: What it holds.
        layout: Where every cell went, with the analysis it was laid out from.
    """

    name: str
    index: int
    plan: SheetPlan
    layout: BidSheetLayout


def build_bid_sheet(
    model: BidModel,
    lang: Lang,
    sheets: Mapping[str, Iterable[str]],
    *,
    replace: str | None = None,
    when: dt.date | None = None,
) -> BidSheet:
    """Lay out ``model`` as a Bid sheet for a workbook holding ``sheets``.

    Args:
        model: The bid.
        lang: Labels, words and notes in Chinese or English.
        sheets: The workbook's sheets in order: name -> the names of its tables (the new
            sheet's tables get names no other sheet uses).
        replace: The name of an existing sheet to replace (same name, same position; the caller
            deletes it); None (or a name not in ``sheets``) adds a new sheet ``Bid – <deal>`` /
            ``投标分析 – <deal>`` after the last sheet whose name starts with Bid / 投标 (the
            template's Bid sheet, other deals' bids), else at the end.
        when: The snapshot date shown in the notes (default today).
    """
    names = list(sheets)
    if replace is not None and replace in sheets:
        name, index = replace, names.index(replace)
        names.remove(replace)
    else:
        name = sheet_name(model.deal_id, lang, names)
        near = [i for i, n in enumerate(names) if is_bid_sheet_name(n)]
        index = near[-1] + 1 if near else len(names)  # beside the template's Bid sheet
    taken = {t for n in names for t in sheets[n]}
    w = SheetBuilder(name, model, lang, taken)
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
    drawn = snapshot is not None and snapshot.selected is not None
    if drawn:  # without a win model there is no profit curve: say what to fill in instead
        chart_lines(w, end + 2, first, last)
        w.plan.charts.append(chart(w, first, last))
    empty_state(w, drawn)
    row = last + 2
    w.section(row, 1, "notes", NOTE_COLUMNS)
    for i, note in enumerate(sheet_notes(model, snapshot, problems, lang, when)):
        r = row + 1 + i
        w.put(r, 1, f"{i + 1}. {note}", "note")
        w.plan.merges.append((r, 1, r, NOTE_COLUMNS))
        w.plan.heights[r] = 15.0 * st.text_lines(note, NOTE_WIDTH)
    w.plan.widths.update(st.WIDTHS)
    w.plan.props = SheetProps(tab_color="2F75B5", gridlines=False)
    w.plan.page = PageSetup(
        orientation="landscape", paper_size=A4, fit_to_page=True, fit_width=1, fit_height=0,
        center_horizontally=True, margins=Margins(left=0.4, right=0.4, top=0.5, bottom=0.5),
    )  # fmt: skip
    return BidSheet(name, index, w.plan, w.layout)


NOTE_COLUMNS = 11  # notes wrap across A:K
NOTE_WIDTH = sum(st.WIDTHS[1 + i] for i in range(NOTE_COLUMNS))


def _title(w: SheetBuilder, model: BidModel, lang: Lang, when: dt.date | None) -> None:
    parts = [f"{WORDS['title'](lang)} – {model.deal_id}", model.customer, model.project]
    w.put(1, 1, " · ".join(p for p in parts if p), "title", key="title")
    day = (when or dt.date.today()).isoformat()
    legend = Text(
        f"黄色 = 输入；黑色 = 实时公式；灰色斜体 = excelflow bid 于 {day} 写入的快照"
        f"（见页底说明）。币种：{model.currency}",
        f"Yellow = inputs; black = live formulas; grey italic = snapshot written by excelflow bid "
        f"on {day} (see the notes at the bottom). Currency: {model.currency}",
    )
    w.put(2, 1, legend(lang), "subtitle", key="subtitle")


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
