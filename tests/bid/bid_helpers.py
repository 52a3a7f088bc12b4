"""Shared helpers of the Bid-sheet tests: example models and workbooks written to disk."""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl import Workbook

from excelflow.bid.doc import load_bid
from excelflow.bid.entry import BidEntry
from excelflow.bid.model import BidModel
from excelflow.bid.sheet.book import BidSheetLayout, bid_entries
from excelflow.pipeline.read import Source
from excelflow.pipeline.ruleset import Lang
from excelflow.workbook.bid import write_bid_sheet
from excelflow.workbook.sample import sample_deals

EXAMPLE = Path(__file__).with_name("example_bid.json")
AS_OF = dt.date(2026, 11, 28)


def example(**changes: Any) -> BidModel:
    """The example bid (direct cost 598 000, overhead 6 %, Gates, three competitors)."""
    return replace(load_bid(EXAMPLE), **changes)


def bid_book(path: Path, *models: BidModel, lang: Lang = "en") -> list[BidSheetLayout]:
    """A workbook holding only Bid sheets."""
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    layouts = [write_bid_sheet(wb, m, lang, when=AS_OF) for m in models]
    wb.save(path)
    return layouts


def pipeline_book(
    path: Path, *models: BidModel, lang: Lang = "en", n: int = 12
) -> list[BidSheetLayout]:
    """A Deals sheet from :func:`excelflow.workbook.sample.sample_deals` (D-00001 is an open
    stage-4 deal) plus one Bid sheet per model."""
    headers, rows = sample_deals(n, lang=lang, as_of=AS_OF)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "商机" if lang == "zh" else "Deals"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    layouts = [write_bid_sheet(wb, m, lang, when=AS_OF) for m in models]
    wb.save(path)
    return layouts


def read_entries(path: Path) -> list[BidEntry]:
    """Every Bid sheet of ``path``, read back with python-calamine."""
    source = Source(path)
    try:
        return bid_entries(source)
    finally:
        source.close()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def error_cells(path: Path) -> list[tuple[str, str, str]]:
    """Every cell of ``path`` holding an error value (``#N/A``, ``#DIV/0!``…) as (worksheet part,
    cell, error), read from the sheets' XML (``t="e"``): python-calamine reads an error as an
    empty string, openpyxl as a string like any other."""
    out = []
    with zipfile.ZipFile(path) as z:
        for part in sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            root = ElementTree.fromstring(z.read(part))
            for c in root.iter(f"{_MAIN}c"):
                if c.get("t") == "e":
                    out.append((part, c.get("r", ""), c.findtext(f"{_MAIN}v") or ""))
    return out
