"""Shared helpers for the benchmarks: cached generated workbooks and a min-of-N timer."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
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
    import xlsxwriter

    from excelflow.workbook.sample import sample_deals

    path = DATA / f"pipeline_{n // 1000}k_{lang}.xlsx"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    headers, rows = sample_deals(n, lang=lang)  # type: ignore[arg-type]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Deals" if lang == "en" else "商机")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, headers)
    import datetime as dt

    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            else:
                ws.write(r, c, value)
    wb.close()
    return path
