"""Issue 15, item 5: ``kill -9`` at random points of a large ``annotate --in-place``.

A child process annotates a generated workbook of a few thousand deals in place and is killed
(SIGKILL) after a random delay — seeded, spread over the duration of one whole run measured
first. After every kill: the workbook is the version before the run (byte-identical) or a whole
annotated workbook; every backup is a whole earlier version; a folder listing counts only the
workbook (a killed run's temp is never read as a second pipeline). At the end a folder
validation counts exactly the original deals, and the next run removes the dead runs' temps."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from annotate_support import sample_book
from excelflow import api
from excelflow.workbook.safe_write import TEMP_MARK

pytestmark = pytest.mark.timeout(900)

DEALS = 3_000
KILLS = 10
SEED = 15


def _annotate(book: Path) -> list[str]:
    return [sys.executable, "-m", "excelflow.cli", "annotate", str(book), "--in-place"]


def _is_annotated(book: Path) -> bool:
    """A whole workbook (every part's CRC checks) that holds ExcelFlow's Findings sheet."""
    try:
        with zipfile.ZipFile(book) as zf:
            return zf.testzip() is None and b'name="Findings"' in zf.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError):
        return False


def test_kill_9_at_random_points_of_a_large_in_place_run(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    book = sample_book(tmp_path / "run", n=DEALS, name="pipeline.xlsx")
    folder = book.parent
    original = book.read_bytes()
    first = api.validate_file(book)
    assert first.result is not None
    deals = len(first.result.deals)

    probe = sample_book(tmp_path / "probe", n=DEALS, name="pipeline.xlsx")
    started = time.monotonic()
    done = subprocess.run(_annotate(probe), capture_output=True, text=True, timeout=600)
    duration = time.monotonic() - started
    assert done.returncode == 0 and _is_annotated(probe), done.stderr[-2000:]

    versions = [original]  # every version the workbook has had, oldest first
    debris = replaced = 0
    for delay in sorted(rng.uniform(0.05, 0.98) * duration for _ in range(KILLS)):
        child = subprocess.Popen(
            _annotate(book), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        now = book.read_bytes()
        if now != versions[-1]:
            assert _is_annotated(book), f"a half-written workbook after a kill at {delay:.2f}s"
            versions.append(now)
            replaced += 1
        for bak in folder.glob("*.bak.xlsx"):
            assert bak.read_bytes() in versions, f"{bak.name}: not a whole earlier version"
        assert [p.name for p in api.expand_paths([folder])] == ["pipeline.xlsx"]
        debris += sum(1 for p in folder.iterdir() if p.name.startswith(TEMP_MARK))

    reports = api.validate_paths([folder])
    assert len(reports) == 1 and reports[0].result is not None
    assert len(reports[0].result.deals) == deals  # no debris counted, no deal lost

    done = subprocess.run(_annotate(book), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and _is_annotated(book), done.stderr[-2000:]
    assert not [p.name for p in folder.iterdir() if p.name.startswith(TEMP_MARK)]
    print(f"{KILLS} kills over a {duration:.1f}s run: {replaced} replaced, {debris} temps seen")
