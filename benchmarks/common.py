"""Shared helpers for the benchmarks: cached generated workbooks and a min-of-N timer."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
RESULTS = Path(
    os.environ.get("EF_BENCH_OUT") or Path(__file__).resolve().parents[1] / "out" / "bench"
)
"""Where ``make bench`` writes its results: under the git-ignored ``out/`` (or ``EF_BENCH_OUT``,
as the test does), so a benchmark run never modifies a tracked file; ``make bench-record``
alone writes ``benchmarks/RESULTS.md``."""


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Fastest wall time of ``repeat`` runs, in seconds (the least noisy estimate on a busy box)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pipeline_workbook(n: int, lang: str = "en") -> Path:
    """A generated n-deal pipeline .xlsx (cached under benchmarks/data/, git-ignored)."""
    from excelflow.workbook.sample import sample_deals

    path = DATA / f"pipeline_{n // 1000}k_{lang}.xlsx"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    headers, rows = sample_deals(n, lang=lang)  # type: ignore[arg-type]
    write_xlsx(path, "Deals" if lang == "en" else "商机", headers, rows)
    return path


def write_xlsx(path: Path, sheet: str, headers: list[str], rows: Iterable[list[Any]]) -> None:
    """One sheet of ``headers`` and ``rows`` written with xlsxwriter in constant memory: dates
    as dates, text always as text (never a formula), the rest as numbers."""
    import datetime as dt

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(sheet)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
    wb.close()
