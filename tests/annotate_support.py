"""Helpers shared by the annotate tests: sample workbooks, independent readers, snapshots."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import python_calamine as pc
from openpyxl import load_workbook

from conftest import shared_data_dir
from excelflow.pipeline.ruleset import Lang
from excelflow.workbook.sample import sample_deals, write_sample

AS_OF = dt.date(2026, 11, 28)
REPO = Path(__file__).resolve().parents[1]
SHARED = shared_data_dir()
CRM_DASHBOARD = SHARED / "real-workbooks" / "crm-analysis-dashboard.xlsx"


def sample_book(folder: Path, lang: Lang = "en", n: int = 40, name: str | None = None) -> Path:
    """A generated pipeline with every rule broken on purpose (sheet Deals / 商机)."""
    path = folder / (name or f"sample_{lang}.xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_sample_bytes(lang, n, path.suffix.lower()))
    return path


@functools.cache
def _sample_bytes(lang: Lang, n: int, suffix: str) -> bytes:
    """The sample's file, generated once per test session (the generator is seeded, so every
    call would write the same deals; 5,000 of them take seconds)."""
    headers, rows = sample_deals(n, lang=lang, as_of=AS_OF)
    sheet = "商机" if lang == "zh" else "Deals"
    with tempfile.TemporaryDirectory() as tmp:
        return write_sample(Path(tmp) / f"sample{suffix}", headers, rows, sheet=sheet).read_bytes()


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet's cells as python-calamine reads them (row 1 first, blanks as "")."""
    book = pc.CalamineWorkbook.from_path(str(path))
    try:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        book.close()


def table_after(rows: list[list[Any]], title: str) -> tuple[list[Any], list[list[Any]]]:
    """(header, data rows) of the titled block whose title cell in column A is ``title``."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == title)
    header = rows[start + 1]
    body = []
    for r in rows[start + 2 :]:
        if not r or r[0] in ("", None):
            break
        body.append(r)
    return header, body


def snapshot(path: Path, *, skip: tuple[str, ...] = ("A2",)) -> dict[str, Any]:
    """Everything a re-run could duplicate or change, per sheet, as plain data."""
    wb = load_workbook(path, rich_text=True)
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "states": [ws.sheet_state for ws in wb.worksheets],
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
    }
    for ws in wb.worksheets:
        ours = ws.title in ("Dashboard", "Findings", "看板", "问题清单")
        cells = {
            c.coordinate: c.value
            for row in ws.iter_rows()
            for c in row
            if c.value is not None and not (ours and c.coordinate in skip)
        }
        out[ws.title] = {
            "cells": cells,
            "formats": {
                c.coordinate: c.number_format for row in ws.iter_rows() for c in row if c.has_style
            },
            "comments": {
                c.coordinate: (c.comment.text, c.comment.author)
                for row in ws.iter_rows()
                for c in row
                if c.comment is not None
            },
            "cf": [
                (str(cf.sqref), [(r.type, r.formula, r.priority) for r in cf.rules])
                for cf in ws.conditional_formatting
            ],
            "dv": [(str(v.sqref), v.type, v.formula1) for v in ws.data_validations.dataValidation],
            "tables": sorted(
                (t.displayName, t.ref, tuple(t.column_names)) for t in ws.tables.values()
            ),
            "charts": len(ws._charts),  # type: ignore[attr-defined]
            "links": sorted(
                (c.coordinate, c.hyperlink.location)
                for row in ws.iter_rows()
                for c in row
                if c.hyperlink is not None
            ),
            "freeze": ws.freeze_panes,
        }
    return out
