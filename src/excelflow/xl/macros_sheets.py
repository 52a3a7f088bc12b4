"""The work behind the Bid analysis and Insert template buttons.

The Bid sheet is the plan ``excelflow bid`` draws
(:func:`excelflow.bid.sheet.book.build_bid_sheet`); the template's Deals and Rules sheets are the
plans ``excelflow template`` renders (:func:`excelflow.template.book.template_book`), with the
book's defined names. :mod:`excelflow.xl.render` draws them into the live book: one layout is the
source of truth, and what xlwings cannot write is named in the message.
"""

from __future__ import annotations

import datetime as dt

import xlwings as xw

from excelflow.bid.seed import UnusableBidSheet, choose_bid
from excelflow.bid.sheet.book import bid_entries, build_bid_sheet
from excelflow.pipeline.fields import SHEETS, fold, has_cjk
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.read import ReadError, pipeline_from_source
from excelflow.pipeline.ruleset import Lang
from excelflow.rulesheet.read import resolve_ruleset
from excelflow.template.book import template_book
from excelflow.xl import macro_labels as say
from excelflow.xl.book_source import BookSource
from excelflow.xl.macros_annotate import MacroError
from excelflow.xl.render import render


def _skipped(lang: Lang, missed: list[str], refused: list[str]) -> list[str]:
    """Message lines: what the layout has that xlwings cannot write, and what this Excel
    refused."""
    lines = [say.NOT_CARRIED(lang).format(items=say.features(missed, lang))] if missed else []
    if refused:
        lines.append(say.NOT_WRITTEN(lang).format(items=say.features(refused, lang)))
    return lines


def _add_sheet(book: xw.Book, name: str, index: int) -> xw.Sheet:
    """A new sheet called ``name`` at 0-based position ``index``."""
    sheets = book.sheets
    if index <= 0:
        return sheets.add(name, before=sheets[0])
    return sheets.add(name, after=sheets[min(index, len(sheets)) - 1])


# --------------------------------------------------------------------------- bid analysis


def _pipeline(source: BookSource, lang: Lang | None) -> Pipeline:
    ruleset, _ = resolve_ruleset(source)
    try:
        return pipeline_from_source(source, ruleset, lang=lang)
    except ReadError:
        raise MacroError(say.NO_TABLE, sheets=", ".join(source.sheet_names)) from None


def bid_for_selection(book: xw.Book, lang: Lang | None, as_of: dt.date | None) -> str:
    """Seed or refresh the Bid sheet of the deal in the selection's first row.

    Raises:
        MacroError: no selection, a selection outside the deal rows, a deal without an ID,
            or an existing Bid sheet whose inputs cannot be used.
    """
    source = BookSource(book)
    pipeline = _pipeline(source, lang)
    language: Lang = lang or pipeline.lang
    selection = book.selection
    if selection is None or selection.address is None:
        raise MacroError(say.NO_SELECTION)
    rows = [int(r) for r in pipeline.rows]
    sheet_name = selection.sheet.name
    if sheet_name != pipeline.sheet or selection.row not in rows:
        raise MacroError(
            say.NOT_A_DEAL_ROW,
            row=selection.row,
            sheet=sheet_name,
            deals=pipeline.sheet,
            first=rows[0] if rows else pipeline.header_row + 1,
            last=rows[-1] if rows else pipeline.header_row + 1,
        )
    pos = rows.index(selection.row)
    deal = pipeline.frame["deal_id"].iloc[pos]
    if deal is None or deal != deal or not str(deal).strip():
        raise MacroError(say.NO_DEAL_ID, row=selection.row)
    try:
        choice = choose_bid(str(deal), bid_entries(source), pipeline, pos=pos)
    except UnusableBidSheet as exc:
        problems = exc.problem_lines(language)
        raise MacroError(say.BID_BROKEN, sheet=exc.entry.sheet, problems=problems) from None
    tables = {str(s.name): [str(t.name) for t in s.tables] for s in book.sheets}
    replace = choice.replace
    bid = build_bid_sheet(choice.model, language, tables, replace=replace, when=as_of)
    if bid.name == replace:
        book.sheets[replace].delete()
    sheet = _add_sheet(book, bid.name, bid.index)
    done = render(sheet, bid.plan)
    sheet.activate()
    zh = language == "zh"
    verb = ("刷新" if zh else "Refreshed") if bid.name == replace else ("新建" if zh else "Built")
    text = say.BID_DONE(language).format(verb=verb, sheet=bid.name, deal=deal)
    return "\n".join([text, *_skipped(language, done.missed, done.refused)])


# --------------------------------------------------------------------------- the template


def _has_content(book: xw.Book, source: BookSource) -> str | None:
    """The first sheet holding values or objects, else None."""
    for sheet in book.sheets:
        if source.sheet(sheet.name).grid != [[""]]:
            return str(sheet.name)
        if len(sheet.tables) or len(sheet.charts) or len(sheet.pictures) or len(sheet.shapes):
            return str(sheet.name)
    return None


def insert_template(book: xw.Book, lang: Lang | None) -> str:
    """Add the template's Deals and Rules sheets (in ``lang``, default: Chinese unless the
    book's sheet names are all non-Chinese and some are not Excel's defaults) to an empty book.

    Raises:
        MacroError: the book already has such sheets, or is not empty.
    """
    language: Lang = lang or _template_lang(book)
    wanted = {fold(n) for key in ("deals", "rules") for n in SHEETS[key]}
    clash = [s.name for s in book.sheets if fold(s.name) in wanted]
    if clash:
        raise MacroError(say.TEMPLATE_EXISTS, names="、".join(clash) if language == "zh" else
                         "', '".join(clash))  # fmt: skip
    source = BookSource(book)
    busy = _has_content(book, source)
    if busy is not None:
        raise MacroError(say.TEMPLATE_NOT_EMPTY, sheet=busy)
    book_plan = template_book(language)
    deals_name, rules_name = SHEETS["deals"](language), SHEETS["rules"](language)
    deals = _add_sheet(book, deals_name, 0)
    rules = _add_sheet(book, rules_name, 1)
    done = render(rules, book_plan.sheets[rules_name])
    for name, refers in book_plan.names.items():  # the Deals sheet's drop-downs need them
        book.names.add(name, "=" + refers)
    done_deals = render(deals, book_plan.sheets[deals_name])
    missed = sorted({*done.missed, *done_deals.missed})
    refused = [*done.refused, *(r for r in done_deals.refused if r not in done.refused)]
    deals.activate()
    text = say.TEMPLATE_DONE(language).format(
        deals=deals_name, rules=rules_name, lang="中文" if language == "zh" else "English"
    )
    return "\n".join([text, *_skipped(language, missed, refused)])


def _template_lang(book: xw.Book) -> Lang:
    """Chinese by default (like ``excelflow template``); English when the book's sheets carry
    non-default Latin names only (a sign of an English workbook)."""
    names = [str(s.name) for s in book.sheets]
    if any(has_cjk(n) for n in names):
        return "zh"
    return "en" if any(not fold(n).startswith("sheet") for n in names) else "zh"
