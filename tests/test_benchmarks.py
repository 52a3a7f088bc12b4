"""``make bench`` keeps working: every benchmark runs once on a tiny workbook (no timing is
asserted; the figures of a tiny run mean nothing), results go to the given folder, and no tracked
file changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.server  # the suite includes EF_CHECK through a real `excelflow serve`


def _tracked_changes() -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_every_benchmark_runs_once_on_a_tiny_size(tmp_path: Path) -> None:
    has_git = shutil.which("git") is not None and (REPO / ".git").exists()
    before = _tracked_changes() if has_git else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS")}
    env |= {"EF_BENCH_OUT": str(tmp_path / "out"), "EF_BENCH_DATA": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--tiny"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = (tmp_path / "out" / "RESULTS.md").read_text(encoding="utf-8")
    for part in (
        "Cold start",
        "| tidy 20 |",
        "| messy 20 |",
        "annotate vs openpyxl",
        "EF_CHECK over HTTPS",
        "raw range vs DataFrame",
        "ribbon Validate",
        "batch",
    ):
        assert part in results, part
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "messy_20.xlsx",
        "tidy_1.xlsx",
        "tidy_20.xlsx",
    ]
    if has_git:
        assert _tracked_changes() == before  # RESULTS.md is written only by bench-record


def test_the_messy_generator_is_deterministic_and_messy(tmp_path: Path) -> None:
    """Same n, same cells; and the cells hold what real exports hold."""
    import python_calamine as pc

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    grids = []
    for sub in ("a", "b"):
        generate.DATA = tmp_path / sub
        book = pc.CalamineWorkbook.from_path(str(generate.workbook("messy", 400)))
        grids.append(book.get_sheet_by_name("商机").to_python())
        book.close()
    assert grids[0] == grids[1]
    cells = [v for row in grids[0][1:] for v in row]
    texts = [v for v in cells if isinstance(v, str)]
    assert any(t.endswith("万") for t in texts)  # 120万 amounts
    assert any("年" in t and t.endswith("日") for t in texts)  # text dates
    assert any(t in ("提案阶段", "方案", "Proposal") for t in texts)  # mixed stage names
    assert any(t == "待定" for t in texts)  # bad values
    assert sum(v == "" for v in cells) > len(cells) * 0.05  # blanks
    ids = [row[0] for row in grids[0][1:]]
    assert len(ids) == len(set(ids)) == 400
