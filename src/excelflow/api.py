"""The functions every door calls: check files and live books, annotate a copy, write a bid.

The CLI (:mod:`excelflow.cli`), the ribbon scripts (:mod:`excelflow.xl`) and the demo call these;
each door only parses its arguments and shows the outcome. The rule set a check uses is resolved
once, by :func:`excelflow.rulesheet.read.resolve_ruleset`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from excelflow import engine
from excelflow.engine.report import FileReport
from excelflow.pipeline.fields import is_bid_sheet_name
from excelflow.pipeline.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.pipeline.normalize import Pipeline, build_pipeline
from excelflow.pipeline.read import (
    SPREADSHEET_SUFFIXES,
    TEXT_SUFFIXES,
    NoPipelineTable,
    ReadError,
    Source,
    pipeline_from_source,
)
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.rules import WorkbookInputs
from excelflow.rulesheet.read import resolve_ruleset
from excelflow.workbook.safe_write import is_temp, update_lock  # plain Python: no openpyxl

# The bid and workbook (openpyxl) packages are imported where they are used, so that
# `excelflow validate` on a workbook without Bid sheets starts without them (issue 16).
if TYPE_CHECKING:
    from excelflow.bid.entry import BidEntry
    from excelflow.bid.model import BidModel
    from excelflow.workbook.annotate import AnnotateOutcome


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for every spreadsheet and CSV below it — except Excel's
    ``~$`` lock files, ExcelFlow's own outputs (``*.checked.*``, ``*.bid.*``, ``*.bak.*``)
    and the temporary files of a killed run (``.excelflow-tmp.*``), which would count the same
    deals twice."""
    return [p for p, _ in _expand(paths)]


def _expand(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """:func:`expand_paths`, each file with True when it was found in a folder."""
    return find_files(paths)


def find_files(
    paths: Iterable[str | Path], pattern: str = "**/*", exclude: Iterable[Path] = ()
) -> list[tuple[Path, bool]]:
    """The files to check, each with True when it was found in a folder: a file as given; in a
    folder, the spreadsheets and CSV files matching ``pattern`` (a glob below the folder, e.g.
    ``**/*.xlsx``), without Excel's ``~$`` lock files, ExcelFlow's own outputs (``*.checked.*``,
    ``*.bid.*``, ``*.bak.*``) and the files in ``exclude`` (a batch run's own reports)."""
    skip = {p.resolve() for p in exclude}
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(
                (p, True)
                for p in sorted(path.glob(pattern))
                if not p.is_dir()  # a FIFO or a broken link is listed, and refused in one line
                and p.suffix.lower() in SPREADSHEET_SUFFIXES | TEXT_SUFFIXES
                and not p.name.startswith("~$")
                and ".checked." not in p.name
                and ".bid." not in p.name
                and ".bak." not in p.name
                and (not skip or Path(os.path.realpath(p)) not in skip)  # a loop: no raise
                and not is_temp(p)
            )
        else:
            out.append((path, False))
    return out


def validate_file(
    path: str | Path,
    ruleset: RuleSet | None = None,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    skip_foreign: bool = False,
    previous: pd.DataFrame | None = None,
    open_source: Callable[[Path], Source] = Source,
) -> FileReport:
    """Read and check one file; a file that cannot be read gives a report with ``error`` set.

    Args:
        path: the workbook or CSV.
        ruleset: the rule set to apply; None means the workbook's own Rules sheet if it has one,
            else the built-in standard set.
        mapping: column renames and value maps for foreign exports.
        lang: report language (default: guessed from the headers).
        as_of: "today" for the date checks.
        skip_foreign: a file without a pipeline table is ``skipped`` rather than an error.
        previous: the file's last recorded snapshot, for the HX rules (None: no history).
        open_source: opens the file (a door that opened it ahead passes what hands it over).
    """
    try:
        source = open_source(Path(path))
    except ReadError as exc:
        return FileReport(str(path), error=str(exc))
    try:
        result = check_source(
            source, ruleset, mapping=mapping, lang=lang, as_of=as_of, previous=previous
        )
    except NoPipelineTable as exc:
        return FileReport(str(path), error=str(exc), skipped=skip_foreign)
    except ReadError as exc:
        return FileReport(str(path), error=str(exc))
    finally:
        source.close()
    return FileReport(str(path), result=result)


def check_source(
    source: Source,
    ruleset: RuleSet | None = None,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    previous: pd.DataFrame | None = None,
) -> engine.Result:
    """Check an opened workbook (a file, or a live Excel book behind the same interface).

    Steps: the workbook's own Rules sheet unless ``ruleset`` is given, the pipeline sheet, the
    Bid sheets, then the engine.

    Raises:
        ReadError: the workbook holds no pipeline table.
    """
    return _check(
        source,
        ruleset,
        lambda rs: pipeline_from_source(source, rs, mapping=mapping, lang=lang),
        lang=lang,
        as_of=as_of,
        previous=previous,
    )


def _check(
    source: Source,
    ruleset: RuleSet | None,
    read: Callable[[RuleSet], Pipeline],
    *,
    lang: Lang | None,
    as_of: dt.date | None,
    previous: pd.DataFrame | None = None,
) -> engine.Result:
    rs, problems = resolve_ruleset(source, ruleset)
    pipeline = read(rs)
    inputs = WorkbookInputs(problems, *_workbook_bids(source, pipeline, rs))
    return engine.run(pipeline, rs, as_of=as_of, lang=lang, inputs=inputs, previous=previous)


class FileHistory(Protocol):
    """What a door with a history database passes to :func:`validate_paths`: each file's
    previous snapshot (for the HX rules), and what to do with its report once checked
    (record it). :class:`excelflow.history.FileHistory` is the one implementation."""

    def previous(self, path: Path) -> pd.DataFrame | None:
        """The file's last recorded snapshot, None when there is none."""

    def record(self, path: Path, report: FileReport) -> None:
        """Called once per file that was read and checked."""


def _workbook_bids(
    source: Source, pipeline: Pipeline, rs: RuleSet
) -> tuple[dict[str, BidEntry], list[BidEntry]]:
    """The workbook's Bid sheets for the BD rules; the bid packages are loaded only when a sheet
    name can hold a Bid sheet (``Bid…``/``投标…``)."""
    if not any(map(is_bid_sheet_name, source.sheet_names)):
        return {}, []
    from excelflow.bid.sheet.book import workbook_bids

    return workbook_bids(source, pipeline, rs)


def validate_paths(
    paths: Sequence[str | Path],
    ruleset: RuleSet | None = None,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    strict: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    history: FileHistory | None = None,
    open_source: Callable[[Path], Source] = Source,
) -> list[FileReport]:
    """Check every file; one unreadable file never stops the others. A file found in a folder
    that holds no pipeline table (accounts.csv beside the pipeline) is skipped, unless
    ``strict``. ``progress(done, total, path)`` is called before each file and once at the end.
    With ``history``, each file is compared with its previous snapshot (HX rules) and its report
    handed to ``history.record``. A spreadsheet found in a folder is read in a child process
    (:func:`_isolated`), so that even a reader that aborts the process loses only that file.
    ``open_source`` opens each file (:class:`Source`, or what hands over one opened ahead)."""
    todo = list(_expand(paths))
    out: list[FileReport] = []
    for i, (p, found) in enumerate(todo):
        if progress is not None:
            progress(i, len(todo), str(p))
        previous = history.previous(p) if history is not None else None
        check = functools.partial(
            validate_file,
            p,
            ruleset,
            mapping=mapping,
            lang=lang,
            as_of=as_of,
            skip_foreign=found and not strict,
            previous=previous,
            open_source=open_source,
        )
        spreadsheet = p.suffix.lower() in SPREADSHEET_SUFFIXES
        report = _isolated(p, check) if found and spreadsheet and len(todo) > 1 else check()
        if history is not None and report.result is not None:
            history.record(p, report)
        out.append(report)
    if progress is not None:
        progress(len(todo), len(todo), "")
    return out


def _isolated(path: Path, check: Callable[[], FileReport]) -> FileReport:
    """``check()`` in a forked child, its report sent back; a child that dies (a Rust panic in
    the reader, the kernel's out-of-memory kill) gives a one-line error for ``path`` instead of
    ending the run. Where fork is missing (Windows) or ``EXCELFLOW_ISOLATE=0``, ``check()``
    runs here."""
    if not hasattr(os, "fork") or os.environ.get("EXCELFLOW_ISOLATE") == "0":
        return check()
    import multiprocessing  # only folders fork: a single file's check does not load it

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, check), daemon=True)
    child.start()
    send.close()
    try:
        report: FileReport | None = receive.recv()
    except (EOFError, OSError):
        report = None
    finally:
        receive.close()
        child.join()
    if report is None:
        code = child.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return FileReport(str(path), error=f"{path}: the reader crashed on this file ({how})")
    return report


def _child(send: Any, check: Callable[[], FileReport]) -> None:
    try:
        send.send(check())
    finally:
        send.close()


# --------------------------------------------------------------------------- annotate


def annotate(
    in_path: Path,
    out_path: Path | None = None,
    *,
    in_place: bool = False,
    ruleset: RuleSet | None = None,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    overwrite: bool = True,
    progress: Callable[[str], None] | None = None,
) -> AnnotateOutcome:
    """Check a workbook and write the annotated result (see :mod:`excelflow.workbook.annotate`).

    Args:
        in_path: the workbook (.xlsx/.xlsm/.xltx/.xltm; .csv/.xls/.xlsb/.ods get a values copy).
        out_path: where the copy goes (default ``NAME.checked.xlsx`` beside the input).
        in_place: update the input itself (backup kept); refused when the rewrite would lose
            anything, while Excel holds the file, and for non-openpyxl formats.
        ruleset: the rule set (None: the workbook's Rules sheet, else the standard set).
        mapping: column renames and value maps for foreign exports.
        lang: language of the result headers, sheets and notes (default: from the headers).
        as_of: "today" for the date checks (default: the real today).
        overwrite: write over an existing copy (``--force``); else that is refused.
        progress: told ``"checking"`` before the read and check, ``"writing"`` before the write.

    Raises:
        ReadError: the file cannot be read or holds no pipeline table (one line).
        WriteRefused: the write was refused (lock file, bad output path); nothing was written.
        InPlaceRefused: ``in_place`` would lose something; the copy was written (see
            ``outcome``) and the input is unchanged.
    """
    from excelflow.pipeline.collector import collector_paused
    from excelflow.workbook.annotate import refuse_early, write_annotations

    src = Path(in_path)
    target = Path(out_path) if out_path is not None else None
    refuse_early(src, target, in_place)
    # the check too under the collector's pause: its frames and findings are freed by
    # reference counting, and the collector would rescan them ~200 times
    with update_lock(src) if in_place else contextlib.nullcontext(), collector_paused():
        if progress is not None:
            progress("checking")
        report = validate_file(src, ruleset, mapping=mapping, lang=lang, as_of=as_of)
        if report.result is None:
            text = report.error or "cannot be read"
            prefix = f"{src}: "
            raise ReadError(src, text[len(prefix) :] if text.startswith(prefix) else text)
        if progress is not None:
            progress("writing")
        return write_annotations(
            src, report.result, target, in_place=in_place, lang=lang, overwrite=overwrite
        )


# --------------------------------------------------------------------------- bid


class BidInputError(Exception):
    """A bid request the user can fix; ``str()`` is the message (one or more lines)."""


@dataclass(frozen=True)
class BidOutcome:
    """What :func:`write_bid` did.

    Attributes:
        path: The workbook written.
        sheet: The Bid sheet's name.
        action: ``"seeded"``, ``"refreshed"`` or ``"imported"`` (from --json).
        model: The bid written.
        backup: The backup of an in-place update, else None.
        lost: What the rewritten workbook lacks compared with the input (a copy only).
        lang: The language the sheet was written in.
        codes: The BD codes the engine raises on the written sheet (the rule set's disabled
            codes and stage scope applied), as ``excelflow validate`` reports them.
        findings: Those findings as ``CODE CELL: message`` lines in ``lang``.
    """

    path: Path
    sheet: str
    action: str
    model: BidModel
    backup: Path | None = None
    lost: tuple[str, ...] = ()
    lang: Lang = "en"
    codes: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()


def write_bid(
    workbook: Path | None,
    deal: str | None,
    json_path: Path | None = None,
    output: Path | None = None,
    *,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    in_place: bool = False,
    ruleset: RuleSet | None = None,
    model: BidModel | None = None,
    mapping: ColumnMapping = EMPTY_MAPPING,
    overwrite: bool = True,
) -> BidOutcome:
    """Seed, refresh or import a deal's Bid sheet and save the workbook.

    With ``json_path`` (or ``model``, a bid built in Python, e.g. by the demo) the bid is written
    into the workbook, replacing the deal's Bid sheet if it has one; without a workbook it goes
    into a new one. Otherwise an existing Bid sheet for the deal is refreshed from its own
    (possibly edited) inputs, else a new one is seeded from the deal's row
    (:mod:`excelflow.bid.seed`); where it is saved is :func:`excelflow.workbook.bid.save_bid`.
    ``mapping`` reads a foreign export's deals (as ``validate --mapping``); without
    ``overwrite`` (``--force``) an existing output file is refused.

    Raises:
        BidInputError: bad arguments, an unknown deal, an invalid --json file, or a Bid
            sheet with unreadable inputs.
        ReadError: the workbook cannot be read.
        WriteRefused: the write was refused (Excel holds the file, in-place would lose
            something, the output is the input); nothing was written over the input.
    """
    from excelflow.bid.checks import BidError
    from excelflow.bid.doc import load_bid
    from excelflow.bid.seed import UnknownDeal, UnusableBidSheet, choose_bid
    from excelflow.workbook.bid import save_bid

    if workbook is None and json_path is None:
        raise BidInputError("give a WORKBOOK, a --json bid file, or both")
    if json_path is not None and model is not None:
        raise BidInputError("give a --json bid file or a model, not both")
    if in_place and (output is not None or workbook is None):
        raise BidInputError("--in-place updates WORKBOOK itself: give a WORKBOOK and no -o")
    imported = model
    if json_path is not None:
        try:
            imported = load_bid(json_path)
        except BidError as exc:
            raise BidInputError("\n".join([f"{json_path}: invalid bid", *exc.errors])) from None
    if imported is not None and deal is not None and deal != imported.deal_id:
        raise BidInputError(
            f"--deal {deal} does not match the deal_id {imported.deal_id!r} of "
            f"{json_path or 'the bid'}"
        )
    deal_id = deal if deal is not None else imported.deal_id if imported is not None else None
    if deal_id is None:
        raise BidInputError("--deal ID is required")
    held = update_lock(workbook) if in_place and workbook is not None else None
    with held or contextlib.nullcontext():  # a second in-place run is refused
        pipeline, entries = (
            (None, [])
            if workbook is None
            else _bid_workbook(workbook, ruleset, imported is None, mapping)
        )
        language: Lang = lang or (pipeline.lang if pipeline is not None else "en")
        try:
            choice = choose_bid(deal_id, entries, pipeline, imported=imported)
        except UnusableBidSheet as exc:
            raise BidInputError(
                f"{workbook}: the sheet {exc.entry.sheet!r} has inputs that cannot be used; fix "
                f"them (or pass --json) and run again:\n{exc.problem_lines(language)}"
            ) from None
        except UnknownDeal as exc:
            found = f"no deal {deal_id!r} among its {exc.deals} deals"
            raise BidInputError(f"{workbook}: {found}") from None
        saved = save_bid(
            workbook,
            choice.model,
            language,
            json_path=json_path,
            output=output,
            in_place=in_place,
            replace=choice.replace,
            as_of=as_of,
            overwrite=overwrite,
        )
    codes, lines = _bid_codes(saved.path, saved.sheet, deal_id, ruleset, language, as_of, mapping)
    return BidOutcome(
        saved.path,
        saved.sheet,
        choice.action,
        choice.model,
        saved.backup,
        saved.lost,
        language,
        codes,
        lines,
    )


def _bid_workbook(
    workbook: Path, ruleset: RuleSet | None, need_pipeline: bool, mapping: ColumnMapping
) -> tuple[Pipeline | None, list[BidEntry]]:
    """The workbook's deals (None when it has none and they are not needed) and Bid sheets."""
    from excelflow.bid.sheet.book import bid_entries

    source = Source(workbook)
    try:
        rs = resolve_ruleset(source, ruleset)[0]
        try:
            pipeline: Pipeline | None = pipeline_from_source(source, rs, mapping=mapping)
        except ReadError:
            if need_pipeline:
                raise
            pipeline = None
        return pipeline, bid_entries(source)
    finally:
        source.close()


def _bid_codes(
    path: Path,
    sheet: str,
    deal: str,
    ruleset: RuleSet | None,
    lang: Lang,
    as_of: dt.date | None,
    mapping: ColumnMapping = EMPTY_MAPPING,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The codes the engine raises on the written Bid sheet, as ``excelflow validate`` would.

    A workbook without deals (a bid written from --json alone) is checked as if the deal were
    an open deal at the bidding stage: the only row the bid can belong to.
    """

    def read(rs: RuleSet) -> Pipeline:
        try:
            return pipeline_from_source(source, rs, mapping=mapping, lang=lang)
        except ReadError:
            grid = [["deal_id", "stage", "status"], [deal, "bidding", "open"]]
            return build_pipeline(grid, rs, source=str(path), lang=lang)

    source = Source(path)
    try:
        result = _check(source, ruleset, read, lang=lang, as_of=as_of)
    finally:
        source.close()
    findings = result.findings
    own = findings.loc[findings["sheet"] == sheet]
    lines = tuple(
        f"{code} {cell}: {message}" if cell else f"{code}: {message}"
        for code, cell, message in zip(
            own["code"], own["cell"].fillna(""), own[f"message_{lang}"], strict=True
        )
    )
    return tuple(sorted(set(own["code"]))), lines
