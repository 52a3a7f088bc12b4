"""The functions every door calls: expand inputs, read, check, and collect per-file reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from excelflow import engine
from excelflow.io.read import SPREADSHEET_SUFFIXES, TEXT_SUFFIXES, ReadError, read_pipeline
from excelflow.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.report import FileReport
from excelflow.ruleset import Lang, RuleSet


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for every spreadsheet and CSV below it (Excel's ``~$``
    lock files and our own ``*.checked.*`` outputs excluded)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in SPREADSHEET_SUFFIXES | TEXT_SUFFIXES
                and not p.name.startswith("~$")
                and ".checked." not in p.name
            )
        else:
            out.append(path)
    return out


def validate_file(
    path: str | Path,
    ruleset: RuleSet,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
) -> FileReport:
    """Read and check one file; a file that cannot be read gives a report with ``error`` set."""
    try:
        pipeline = read_pipeline(path, ruleset, mapping=mapping, lang=lang)
    except ReadError as exc:
        return FileReport(str(path), error=str(exc))
    return FileReport(str(path), result=engine.run(pipeline, ruleset, as_of=as_of, lang=lang))


def validate_paths(
    paths: Sequence[str | Path],
    ruleset: RuleSet,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
) -> list[FileReport]:
    """Check every file; one unreadable file never stops the others."""
    return [
        validate_file(p, ruleset, mapping=mapping, lang=lang, as_of=as_of)
        for p in expand_paths(paths)
    ]
