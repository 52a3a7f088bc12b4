"""The functions every door calls: expand inputs, read, check, and collect per-file reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from excelflow import engine
from excelflow.bid.sheet.book import workbook_bids
from excelflow.engine.report import FileReport
from excelflow.pipeline.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.pipeline.read import (
    SPREADSHEET_SUFFIXES,
    TEXT_SUFFIXES,
    ReadError,
    Source,
    pipeline_from_source,
)
from excelflow.pipeline.ruleset import Lang, RuleSet, load_ruleset
from excelflow.rules import WorkbookInputs
from excelflow.rulesheet.read import workbook_ruleset


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for every spreadsheet and CSV below it — except Excel's
    ``~$`` lock files and ExcelFlow's own outputs (``*.checked.*``, ``*.bid.*``, ``*.bak.*``),
    which would count the same deals twice."""
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
                and ".bid." not in p.name
                and ".bak." not in p.name
            )
        else:
            out.append(path)
    return out


def validate_file(
    path: str | Path,
    ruleset: RuleSet | None = None,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
) -> FileReport:
    """Read and check one file; a file that cannot be read gives a report with ``error`` set.

    Args:
        path: the workbook or CSV.
        ruleset: the rule set to apply; None means the workbook's own Rules sheet if it has one,
            else the built-in standard set.
        mapping: column renames and value maps for foreign exports.
        lang: report language (default: guessed from the headers).
        as_of: "today" for the date checks.
    """
    try:
        source = Source(Path(path))
    except ReadError as exc:
        return FileReport(str(path), error=str(exc))
    try:
        result = check_source(source, ruleset, mapping=mapping, lang=lang, as_of=as_of)
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
) -> engine.Result:
    """Check an opened workbook (a file, or a live Excel book behind the same interface).

    Steps: the workbook's own Rules sheet unless ``ruleset`` is given, the pipeline sheet, the
    Bid sheets, then the engine.

    Raises:
        ReadError: the workbook holds no pipeline table.
    """
    problems: list[dict[str, Any]] = []
    if ruleset is None:
        ruleset, problems = workbook_ruleset(source, load_ruleset())
    pipeline = pipeline_from_source(source, ruleset, mapping=mapping, lang=lang)
    bids, sheets = workbook_bids(source, pipeline, ruleset)
    inputs = WorkbookInputs(problems, bids, sheets)
    return engine.run(pipeline, ruleset, as_of=as_of, lang=lang, inputs=inputs)


def validate_paths(
    paths: Sequence[str | Path],
    ruleset: RuleSet | None = None,
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
