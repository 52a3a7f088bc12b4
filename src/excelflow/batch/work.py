"""What a worker does with one file: check it with :func:`excelflow.api.validate_file` (the
same per-file logic as ``excelflow validate``) and return a :class:`FileOutcome`, small and
picklable: the file's totals, its JSON report entry as text and its findings as compact rows.
Never a DataFrame, so the parent's memory does not grow with the files' size.

Nothing here knows which executor runs it (:mod:`excelflow.batch.executors`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from excelflow import api
from excelflow.engine import report
from excelflow.engine.report import FileReport
from excelflow.pipeline.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.pipeline.ruleset import Lang, RuleSet

FileHook = Callable[[FileReport], Any]
"""Run in the worker on each file's full report (e.g. to record a snapshot of its deals); what
it returns travels back in :attr:`FileOutcome.extra`. A module-level function, so it pickles."""


@dataclass(frozen=True)
class Job:
    """What every file of a batch is checked with (sent once per file to the worker)."""

    ruleset: RuleSet | None = None
    mapping: ColumnMapping = EMPTY_MAPPING
    lang: Lang | None = None
    as_of: dt.date | None = None
    strict: bool = False
    hook: FileHook | None = None
    history: str | None = None
    """The history database's URL (resolved once by the parent, so every worker uses the same
    one): each file is compared with its previous snapshot there (HX findings)."""
    record: bool = False
    """Record each checked file's snapshot in ``history`` (``--record``)."""
    user: str | None = None
    """Who recorded the snapshots (the user who started the batch)."""
    select: tuple[str, ...] | None = None
    """Report only the codes with these prefixes (``--select``; None: the rule set's own)."""
    ignore: tuple[str, ...] | None = None
    """Report none of the codes with these prefixes (``--ignore``; None: the rule set's own)."""


@dataclass(frozen=True)
class FindingRow:
    """One finding, as the consolidated report lists it."""

    code: str
    severity: str
    deal_id: str | None
    owner: str | None
    sheet: str | None
    cell: str | None
    message: str


@dataclass
class FileOutcome:
    """One file's result, as a worker returns it.

    Attributes:
        path: The file as found.
        status: ``ok``, ``error`` (cannot be read) or ``skipped`` (no pipeline table).
        error: The one-line reason for ``error``/``skipped``.
        lang: The language of its headers (None when it was not read).
        totals: Its share of the summary (:func:`excelflow.engine.report.file_totals`).
        entry: Its entry of the JSON report's ``files``, as JSON text.
        findings: Its findings, compact.
        seconds: How long the check took (timing; not part of the reports' content).
        extra: What :attr:`Job.hook` returned.
        history_error: Why the file's previous snapshot could not be read or its snapshot not
            recorded (one line), when :attr:`Job.history` is set.
    """

    path: str
    status: str
    error: str | None
    lang: Lang | None
    totals: dict[str, Any]
    entry: str
    findings: list[FindingRow] = field(default_factory=list)
    seconds: float = 0.0
    extra: Any = None
    history_error: str | None = None


def check_file(path: str, found: bool, job: Job) -> FileOutcome:
    """Check one file (``found``: it was found in a folder, so a file without a pipeline table
    is skipped unless ``job.strict``). Never raises for a bad file: the outcome says why."""
    start = time.perf_counter()
    previous, history_error = _previous(path, job)
    try:
        rep = api.validate_file(
            Path(path),
            job.ruleset,
            mapping=job.mapping,
            lang=job.lang,
            as_of=job.as_of,
            skip_foreign=found and not job.strict,
            previous=previous,
        )
    except Exception as exc:  # a reader's bug must not end a run over 10,000 files
        rep = FileReport(path, error=f"{path}: cannot be checked ({type(exc).__name__}: {exc})")
    rep.path = path
    if job.record and history_error is None and rep.result is not None:
        history_error = _record(path, rep, job)
    extra = job.hook(rep) if job.hook is not None else None
    return _outcome(rep, job, time.perf_counter() - start, extra, history_error)


def crashed_file(path: str, why: str, job: Job) -> FileOutcome:
    """The outcome of a file under which a worker process died (a Rust panic in a reader, the
    kernel's out-of-memory kill): one line, like any file that cannot be read."""
    rep = FileReport(path, error=f"{path}: the reader crashed on this file ({why})")
    return _outcome(rep, job, 0.0, None, None)


def _outcome(
    rep: FileReport, job: Job, seconds: float, extra: Any, history_error: str | None
) -> FileOutcome:
    path = rep.path
    [rep] = report.select_codes([rep], job.select, job.ignore)  # after recording, as validate
    res = rep.result
    status = "ok" if res is not None else "skipped" if rep.skipped else "error"
    return FileOutcome(
        path=path,
        status=status,
        error=rep.error,
        lang=res.lang if res is not None else None,
        totals=report.file_totals(rep),
        entry=report.file_json(rep, job.lang),
        findings=[] if res is None else _rows(rep, job.lang or res.lang),
        seconds=seconds,
        extra=extra,
        history_error=history_error,
    )


def _previous(path: str, job: Job) -> tuple[Any, str | None]:
    """The file's previous snapshot in the job's history database (None when there is none,
    or no history), and the one-line reason it could not be read."""
    if job.history is None:
        return None, None
    from excelflow.history import HistoryError, previous_snapshot

    try:
        return previous_snapshot(job.history, path, job.as_of or dt.date.today()), None
    except HistoryError as exc:
        return None, str(exc)


def _record(path: str, rep: FileReport, job: Job) -> str | None:
    """Record the checked file's snapshot; the one-line reason when it could not be."""
    from excelflow.history import HistoryError, file_hash, record_snapshot, snapshot_frame

    assert rep.result is not None and job.history is not None
    try:
        frame = snapshot_frame(rep.result)
        as_of = job.as_of or dt.date.today()
        record_snapshot(job.history, path, file_hash(path), frame, as_of, job.user)
    except HistoryError as exc:
        return str(exc)
    return None


def _rows(rep: FileReport, lang: Lang) -> list[FindingRow]:
    res = rep.result
    assert res is not None
    f = res.findings
    if f.empty:
        return []
    frame = res.pipeline.frame
    owners = list(frame["owner"]) if "owner" in frame else [None] * len(frame)
    return [
        FindingRow(
            code=str(code),
            severity=str(sev),
            deal_id=_text(deal),
            owner=_text(owners[pos]) if 0 <= pos < len(owners) else None,
            sheet=_text(sheet),
            cell=_text(cell),
            message=str(msg),
        )
        for code, sev, deal, pos, sheet, cell, msg in zip(
            f["code"],
            f["severity"],
            f["deal_id"],
            f["pos"],
            f["sheet"],
            f["cell"],
            f[f"message_{lang}"],
            strict=True,
        )
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if value != value:  # NaN, pd.NA raises
            return None
    except TypeError:
        return None
    text = str(value)
    return text or None
