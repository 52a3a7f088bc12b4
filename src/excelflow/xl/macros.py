"""The ribbon's buttons: ``@xw.script`` entry points that take the open workbook.

Each script gets the workbook as its one ``xw.Book`` parameter: xlwings Server and xlwings Lite
inject the book the add-in sent (``xlwings.server.custom_scripts_call``) and return its queued
actions to Excel; classic desktop xlwings (RunPython / the VBA ``Sub`` its "Import Functions"
generates) calls it with no book, and the script then uses ``xw.Book.caller()``. Further
parameters arrive as the call's ``args`` (the add-in passes e.g. ``["en"]`` for ``lang``); they
are typed as text and parsed here, so a bad value gets a message instead of an error from the
dispatcher.

Every script ends with exactly one alert box: what was done, or why nothing was. Bad input
never raises; an unexpected failure discards the writes queued so far (on Server and Lite), so
the workbook is either fully updated or left as it was.

The work itself lives in plain functions (:mod:`.macros_annotate`, :mod:`.macros_sheets`) so it
can be called and tested without the decorator, which on the server replaces each function by an
``async`` wrapper.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xlwings as xw

from excelflow.pipeline.ruleset import Lang
from excelflow.rules.history import changes_since
from excelflow.xl import macro_labels as say
from excelflow.xl import pane
from excelflow.xl.macros_annotate import (
    GRADE_COLUMNS,
    Checked,
    MacroError,
    cap_is_set,
    check,
    guess_lang,
    note_cap,
    note_work,
    notes_budget,
    parse_date,
    parse_lang,
    previous_notes,
    record_notes,
    write_colours,
    write_dashboard,
    write_findings,
    write_results,
)
from excelflow.xl.macros_history import book_history
from excelflow.xl.macros_sheets import bid_for_selection, insert_template

__all__ = [
    "bid_analysis",
    "grade_deals",
    "insert_template_sheets",
    "refresh_dashboard",
    "validate_pipeline",
]
"""The five ribbon scripts: what ``from excelflow.xl.macros import *`` registers in an add-in."""


@dataclass(frozen=True)
class Outcome:
    """What a script's work did: the alert text and the checked book (for the pane's report)."""

    message: str
    checked: Checked | None = None


def validate_run(book: xw.Book, lang: Lang | None = None, as_of: dt.date | None = None) -> Outcome:
    """Check the book and write everything ``excelflow annotate`` writes; returns the summary.
    On a server with a history database, the check is compared with the book's previous one
    (HX findings) and recorded (:mod:`.macros_history`)."""
    history = book_history(book, as_of)
    previous = history.previous() if history is not None else None
    checked = check(book, lang, as_of, previous)
    plan = checked.plan
    cap, bad_cap = note_cap()
    notes_to_write = note_work(checked, previous_notes(book, checked.source, plan.lang, cap), cap)
    columns = write_results(checked)
    write_colours(checked, columns)
    dashboard = write_dashboard(checked)
    findings = write_findings(checked, notes_to_write.kept())
    budget = None if cap_is_set() else notes_budget(book)
    if budget is not None:  # the default cap: the notes take what the other writes leave
        notes_to_write.limit(budget)
    if notes_to_write.supported:
        record_notes(book.sheets[findings], notes_to_write.noted)
    notes = notes_to_write.apply(book)
    counts = checked.result.counts()
    lines = [
        say.CHECKED(plan.lang).format(sheet=plan.deals_sheet, n=len(plan.rows), **counts),
        say.SHEETS_WRITTEN(plan.lang).format(findings=findings, dashboard=dashboard),
    ]
    if not notes.supported:
        lines.append(say.NOTES_UNSUPPORTED(plan.lang))
    elif notes.added or notes.updated or notes.removed:
        lines.append(say.NOTES_DONE(plan.lang).format(**vars(notes)))
    if notes.kept:
        lines.append(say.NOTES_KEPT(plan.lang).format(kept=notes.kept))
    if notes.supported and notes_to_write.noted + notes.kept < notes_to_write.flagged:
        noted, flagged = notes_to_write.noted, notes_to_write.flagged
        lines.append(
            say.NOTES_CAPPED(plan.lang).format(noted=noted, flagged=flagged, findings=findings)
        )
    if bad_cap is not None:
        lines.append(say.NOTES_CAP_BAD(plan.lang).format(setting=bad_cap))
    if previous is not None and len(previous):
        checked.changes = changes_since(checked.result.deals, checked.result.findings, previous)
        codes = checked.result.findings["code"].astype(str)
        since = pd.Timestamp(previous["as_of"].iloc[0]).strftime("%Y-%m-%d")
        changes = int(codes.str.startswith("HX").sum())
        lines.append(say.HISTORY_COMPARED(plan.lang).format(since=since, changes=changes))
    if history is not None:
        lines += history.record(checked.result, plan.lang)
    return _finish(checked, lines)


def grade_run(book: xw.Book, lang: Lang | None = None, as_of: dt.date | None = None) -> Outcome:
    """Write only the grade, score and adjusted probability columns; returns the summary."""
    checked = check(book, lang, as_of)
    write_results(checked, only=GRADE_COLUMNS)
    grades = checked.plan.result_columns[0].values
    by = {g: sum(1 for v in grades if v == g) for g in "ABCD"}
    text = say.GRADED(checked.plan.lang).format(
        sheet=checked.plan.deals_sheet, n=len(grades), a=by["A"], b=by["B"], c=by["C"], d=by["D"]
    )
    return _finish(checked, [text])


def dashboard_run(book: xw.Book, lang: Lang | None = None, as_of: dt.date | None = None) -> Outcome:
    """Check the book and rewrite only the Dashboard sheet; returns the summary."""
    checked = check(book, lang, as_of)
    name = write_dashboard(checked)
    n_open = int(checked.result.deals["is_open"].sum())
    text = say.DASHBOARD_DONE(checked.plan.lang).format(
        dashboard=name, n=len(checked.plan.rows), open=n_open
    )
    return _finish(checked, [text])


def _finish(checked: Checked, lines: list[str]) -> Outcome:
    """Show the sheet that was active before (adding sheets activates them); the message."""
    book = checked.source.book
    if checked.active in [s.name for s in book.sheets]:
        book.sheets[checked.active].activate()
    lang = checked.plan.lang
    lines += [say.WARNINGS(lang).format(text=n) for n in checked.notes]
    return Outcome("\n".join(lines), checked)


def run_script(
    book: xw.Book | None,
    lang: str | None,
    work: Callable[[xw.Book, Lang | None], Outcome | str],
    report: str | None = None,
    script: str = "",
) -> xw.Book:
    """Run ``work`` on the book (``Book.caller()`` on classic desktop) and show one alert.

    ``lang`` is the script's raw language argument. A :class:`MacroError` (bad input) or any
    other exception becomes the alert text; after an unexpected exception the writes queued on
    Server/Lite are dropped so the workbook stays as it was. ``report`` is the script's raw
    ``report`` argument: ``pane`` also hands the task pane a summary of the run (:mod:`.pane`).
    """
    if book is None:
        book = xw.Book.caller()
    mode = "info"
    checked: Checked | None = None
    to_pane = False
    try:
        to_pane = pane.wants_report(report)
        done = work(book, parse_lang(lang))
        message, checked = (done, None) if isinstance(done, str) else (done.message, done.checked)
    except MacroError as exc:
        message, mode = exc.message(_lang(book, lang)), "critical"
        _discard(book)
    except Exception as exc:  # never a traceback in the user's face
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
        error = f"{type(exc).__name__}: {first}"
        message, mode = say.FAILED(_lang(book, lang)).format(error=error), "critical"
        _discard(book)
    if to_pane:
        language = checked.plan.lang if checked is not None else _lang(book, lang)
        summary: dict[str, Any] = {"script": script, "ok": mode == "info", "lang": language}
        summary |= {"message": message, **pane.summary(checked)}
        pane.send(book, summary)
    book.app.alert(message, title=say.TITLE, buttons="ok", mode=mode)
    return book


def _lang(book: xw.Book, lang: str | None) -> Lang:
    try:
        return parse_lang(lang) or guess_lang(book)
    except MacroError:
        return guess_lang(book)


def _discard(book: xw.Book) -> None:
    """Drop the actions queued so far (Server/Lite only; classic desktop writes at once)."""
    with contextlib.suppress(Exception):
        book.json()["actions"].clear()


# --------------------------------------------------------------------------- the buttons


@xw.script
def validate_pipeline(
    book: xw.Book | None = None,
    lang: str | None = None,
    as_of: str | None = None,
    report: str | None = None,
) -> xw.Book:
    """Validate: check every deal against the stage-gate rules and mark the results.

    Writes the ExcelFlow grade, score, adjusted probability, gate and warnings into the deals
    table (appending the columns if needed), colours those cells by the row's worst finding,
    puts a note on every offending cell, and rewrites the Findings and Dashboard sheets. Same
    results as ``excelflow annotate``. ``lang``: zh or en (default: the headers' language);
    ``as_of``: the day the dates are checked against (YYYY-MM-DD, default today);
    ``report``: ``pane`` when the task pane runs it (hands the pane a summary of the run).
    """
    return run_script(
        book,
        lang,
        lambda b, lg: validate_run(b, lg, parse_date(as_of)),
        report,
        "validate_pipeline",
    )


@xw.script
def grade_deals(
    book: xw.Book | None = None,
    lang: str | None = None,
    as_of: str | None = None,
    report: str | None = None,
) -> xw.Book:
    """Grade: write each deal's grade (A-D), evaluation score and adjusted probability.

    Only those three result columns are written (appended after the last column if the table
    has none yet); nothing else in the workbook changes. ``lang``, ``as_of`` and ``report`` as for
    Validate.
    """
    return run_script(
        book,
        lang,
        lambda b, lg: grade_run(b, lg, parse_date(as_of)),
        report,
        "grade_deals",
    )


@xw.script
def refresh_dashboard(
    book: xw.Book | None = None,
    lang: str | None = None,
    as_of: str | None = None,
    report: str | None = None,
) -> xw.Book:
    """Dashboard: check the deals and rebuild the Dashboard sheet only.

    KPIs, the row-colour legend, the funnel by stage, grades, findings by rule and gate
    violations by owner, each with a native chart. ``lang``, ``as_of`` and ``report`` as for
    Validate.
    """
    return run_script(
        book,
        lang,
        lambda b, lg: dashboard_run(b, lg, parse_date(as_of)),
        report,
        "refresh_dashboard",
    )


@xw.script
def bid_analysis(
    book: xw.Book | None = None,
    lang: str | None = None,
    as_of: str | None = None,
    report: str | None = None,
) -> xw.Book:
    """Bid analysis: build the Bid sheet of the deal in the selected row of the deals sheet.

    A deal without a Bid sheet gets a new one seeded from its row (customer, project, whether
    the purchasing criteria favour us; placeholder cost lines to price); a deal that has one
    gets it refreshed from its own inputs. Same sheet as ``excelflow bid``. ``lang``, ``as_of``
    and ``report`` as for Validate.
    """
    return run_script(
        book,
        lang,
        lambda b, lg: bid_for_selection(b, lg, parse_date(as_of)),
        report,
        "bid_analysis",
    )


@xw.script
def insert_template_sheets(book: xw.Book | None = None, lang: str | None = None) -> xw.Book:
    """Insert template: add the Deals and Rules sheets of the ExcelFlow template to an empty book.

    The Deals sheet is the template's deal table (every column the rule set knows, example
    deals, drop-downs); the Rules sheet holds the rule set as editable tables. ``lang``: zh
    (default) or en. A book that already has content or such sheets is left unchanged.
    """
    return run_script(book, lang, insert_template)
