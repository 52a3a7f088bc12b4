"""The ribbon's Validate button on a generated book through xlwings' own dispatcher, in-process:
server time (median of interleaved runs, wall and CPU) and the actions Excel has to apply, by
function and by sheet (issue 16: under 1 s, fewer than 200 actions at 5,000 deals).

The request body is what the add-in sends for the saved workbook (``tests/xl/book_payload.py``
builds it, as the ribbon tests do); each run gets a fresh copy, since ``xw.Book(json=...)``
changes it. The time is the dispatcher call (``custom_scripts_call``) and its JSON answer.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")  # before the first `import xlwings`
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import argparse
import asyncio
import copy
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import xlwings as xw
from openpyxl import load_workbook
from xlwings import server

from excelflow.pipeline.fields import SHEETS
from excelflow.workbook.sample import sample_deals, write_sample
from excelflow.xl import macros

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from xl.book_payload import book_payload

AS_OF = dt.date(2026, 11, 28)


def payload(deals: int) -> dict[str, Any]:
    """The add-in's request body for a generated book of ``deals`` deals."""
    headers, rows = sample_deals(deals, as_of=AS_OF)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sample(Path(tmp) / "big.xlsx", headers, rows, sheet=SHEETS["deals"]("en"))
        return book_payload(load_workbook(path, data_only=True), name=path.name)


def call(body: dict[str, Any]) -> tuple[list[dict[str, Any]], float, float]:
    """One Validate through the dispatcher: its actions, wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    book = xw.Book(json=body)
    try:
        out = asyncio.run(
            server.custom_scripts_call(
                macros,
                "validate_pipeline",
                typehint_to_value={xw.Book: book},
                args=[None, AS_OF.isoformat()],
            )
        )
        actions = out.json()["actions"]
    finally:
        book.close()
    return actions, time.perf_counter() - wall, time.process_time() - cpu


def histogram(body: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Actions by sheet (``-``: book-wide), each a Counter by function."""
    names = [s["name"] for s in body["sheets"]]
    out: dict[str, Counter[str]] = {}
    for a in actions:
        if a["func"] == "addSheet":
            names.insert(a["args"][0], a["args"][1])
        pos = a.get("sheet_position")
        sheet = names[pos] if pos is not None and pos < len(names) else "-"
        out.setdefault(sheet, Counter())[a["func"]] += 1
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the figures (and prints them)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=5000, help="deals in the book (5000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs, medians taken (5)")
    args = parser.parse_args(argv)
    body = payload(args.deals)
    call(copy.deepcopy(body))  # warm: imports, caches
    walls, cpus = [], []
    actions: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        actions, wall, cpu = call(copy.deepcopy(body))
        walls.append(wall)
        cpus.append(cpu)
    by_sheet = histogram(body, actions)
    funcs = Counter(a["func"] for a in actions)
    figures = {
        "deals": args.deals,
        "actions": len(actions),
        "notes": funcs["addNote"],
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "by_sheet": {k: sum(v.values()) for k, v in by_sheet.items()},
        "by_func": dict(funcs.most_common()),
    }
    print(
        f"ribbon Validate, {args.deals:,} deals: {len(actions)} actions "
        f"({funcs['addNote']} notes); server time median {figures['wall']:.3f} s wall, "
        f"{figures['cpu']:.3f} s CPU ({args.repeat} runs)"
    )
    for sheet, counts in by_sheet.items():
        print(f"  {sheet}: {sum(counts.values())}  {dict(counts.most_common())}")
    return figures


if __name__ == "__main__":
    main()
