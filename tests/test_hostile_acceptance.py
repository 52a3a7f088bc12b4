"""Issue 15's acceptance run: ``excelflow validate`` (and ``batch``) on one folder holding the
whole generated hostile corpus (tests/hostile_corpus.py) and two good workbooks, each run in a
child process under ``prlimit --as=2G`` and a time limit. The run finishes; every bad file is one
line naming it (no traceback, no control character); the good files are checked and their deals
counted; the JSON report is strict; nothing outside the folder is touched."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import hostile_corpus as corpus
from excelflow import api

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit (util-linux) missing"),
]

MEMORY = 2 * 1024**3
CPU_SECONDS = 30
"""Each process's CPU time (RLIMIT_CPU: a hang is killed however busy the machine is). A folder
run reads each spreadsheet in its own child, so this bounds each file."""
RUN_SECONDS = 300  # wall-clock safety net for a whole run on a loaded machine
AS_OF = "2026-11-28"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def bounded(
    *argv: str, cwd: Path, timeout: float = RUN_SECONDS
) -> subprocess.CompletedProcess[str]:
    """``excelflow ARGV`` under a 2 GiB address-space limit, 30 s of CPU per process and
    ``timeout`` seconds in all."""
    limits = [f"--as={MEMORY}", f"--cpu={CPU_SECONDS}"]
    return subprocess.run(
        ["prlimit", *limits, "--", sys.executable, "-m", "excelflow.cli", *argv],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=timeout,
        cwd=cwd,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )


def strict_json(text: str) -> Any:
    """JSON as a strict reader takes it: no NaN/Infinity, no number beyond a double."""

    def constant(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"number out of range: {text}")
        return value

    return json.loads(text, parse_constant=constant, parse_float=number)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[corpus.Case]]:
    root = tmp_path_factory.mktemp("hostile") / "corpus"
    return root, corpus.build(root)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink() or not p.is_file():
            continue
        st = p.stat()
        out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def _no_control_and_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    assert not CONTROL.search(done.stdout), CONTROL.search(done.stdout)
    assert not CONTROL.search(done.stderr), done.stderr[-3000:]
    assert "Warning" not in done.stderr, done.stderr[-3000:]


def test_validate_on_the_whole_corpus_reports_each_bad_file_and_checks_the_good_ones(
    folder: tuple[Path, list[corpus.Case]],
) -> None:
    root, cases = folder
    before = _snapshot(root)
    done = bounded("validate", str(root), "--format", "json", "--as-of", AS_OF, cwd=root)
    _no_control_and_traceback(done)
    assert done.returncode == 2, done.stderr[-3000:]  # files could not be read: exit 2
    report = strict_json(done.stdout)
    files = {Path(f["path"]).name: f for f in report["files"]}
    by_kind: dict[str, set[str]] = {}
    for case in cases:
        by_kind.setdefault(case.expect, set()).add(case.name)
    listed = by_kind["error"] | by_kind["checked"] | by_kind["skipped"]
    assert set(files) == listed  # nothing ignored is read, nothing read is missing

    stderr_lines = done.stderr.strip().splitlines()
    for case in cases:
        if case.expect == "error":
            got = files[case.name]
            assert got["status"] == "error" and got["error"].startswith(str(root / case.name))
            assert "\n" not in got["error"] and case.reason in got["error"], got["error"]
            mentions = [line for line in stderr_lines if f"/{case.name}:" in line]
            assert len(mentions) == 1, (case.name, mentions)  # exactly one line on stderr
        elif case.expect == "checked":
            assert files[case.name]["status"] == "ok", files[case.name]["error"]
        elif case.expect == "skipped":
            assert files[case.name]["status"] == "skipped"
    errors = by_kind["error"]
    assert len(stderr_lines) == len(errors) + len(by_kind["skipped"])  # nothing else is said

    for good in ("good-en.xlsx", "good-zh.xlsx"):
        alone = api.validate_file(root / good)
        assert alone.result is not None and files[good]["deals"] == len(alone.result.deals) > 0
    assert report["summary"]["files_failed"] == len(errors)
    assert report["summary"]["deals"] == sum(f["deals"] for f in report["files"])

    assert "XXE-SECRET-CONTENT" not in done.stdout + done.stderr  # the external entity stays out
    assert not (root / "PWNED").exists()
    assert _snapshot(root) == before  # validate modifies nothing


@pytest.mark.parametrize(
    "case", [c for c in corpus.CASES if c.expect == "error"], ids=lambda c: c.name
)
def test_each_bad_file_alone_is_one_line_within_the_limits(
    case: corpus.Case, folder: tuple[Path, list[corpus.Case]]
) -> None:
    root, _ = folder
    done = bounded("validate", str(root / case.name), "--as-of", AS_OF, cwd=root)
    _no_control_and_traceback(done)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stdout + done.stderr
    assert case.name in lines[0] and case.reason in lines[0]


def test_batch_on_the_whole_corpus_finishes_with_the_same_verdicts(
    folder: tuple[Path, list[corpus.Case]], tmp_path: Path
) -> None:
    root, cases = folder
    before = _snapshot(root)
    out, book = tmp_path / "batch.json", tmp_path / "batch.xlsx"
    argv = ["--json", str(out), "--report", str(book), "--as-of", AS_OF, "--workers", "2", "-q"]
    done = bounded("batch", str(root), *argv, cwd=root)
    _no_control_and_traceback(done)
    assert done.returncode == 2, done.stderr[-3000:]
    files = {Path(f["path"]).name: f for f in strict_json(out.read_text("utf-8"))["files"]}
    for case in cases:
        if case.expect == "ignored":
            assert case.name not in files
        else:
            want = {"error": "error", "checked": "ok", "skipped": "skipped"}[case.expect]
            assert files[case.name]["status"] == want, (case.name, files[case.name])
    assert zipfile.ZipFile(book).testzip() is None
    assert _snapshot(root) == before


def test_each_hostile_rule_set_and_bid_file_is_one_line_under_the_limit(
    folder: tuple[Path, list[corpus.Case]], tmp_path: Path
) -> None:
    root, _ = folder
    good = root / "good-en.xlsx"
    for name in corpus.RULESETS:
        done = bounded("validate", str(good), "--ruleset", str(root / name), cwd=tmp_path)
        _no_control_and_traceback(done)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1 and name in lines[0], done.stderr
    assert not (tmp_path / "PWNED").exists()  # a !!python tag never runs
    for i, (_, expected) in enumerate(corpus.BID_JSON.values()):
        bid = root / f"bid-{i}.json"
        done = bounded("bid", "--json", str(bid), "-o", str(tmp_path / "out.xlsx"), cwd=tmp_path)
        _no_control_and_traceback(done)
        assert done.returncode == 2 and expected in done.stderr, done.stderr[-2000:]
        assert len(done.stderr.splitlines()) <= 3 and not (tmp_path / "out.xlsx").exists()


def test_in_place_on_the_hostile_packages_is_bounded(
    folder: tuple[Path, list[corpus.Case]], tmp_path: Path
) -> None:
    """The 100k-``<ext`` sheet (the loss check once took 233 s) and the hostile drawing parts:
    ``annotate --in-place`` under the limit, one line, the input byte-identical when refused."""
    root, _ = folder
    for name in ("ext-comment.xlsx", "drawing-dtd.xlsx", "drawing-malformed.xlsx"):
        book = tmp_path / name
        shutil.copy(root / name, book)
        before = book.read_bytes()
        done = bounded("annotate", str(book), "--in-place", "--as-of", AS_OF, cwd=tmp_path)
        _no_control_and_traceback(done)
        if done.returncode == 2:
            assert len(done.stderr.strip().splitlines()) == 1 and book.read_bytes() == before
        else:
            assert done.returncode == 0, done.stderr


def test_annotate_copies_of_the_hostile_content_are_whole_and_inert(
    folder: tuple[Path, list[corpus.Case]], tmp_path: Path
) -> None:
    """Control characters, formula-looking text, far dates, 1e308 and a 40,000-character value
    annotated into a copy under the limit: exit 0, no traceback, no control character printed,
    and no cell text became a formula."""
    from openpyxl import load_workbook

    root, _ = folder
    names = [
        "control-text.xlsx",
        "control-text.csv",
        "formula-text.xlsx",
        "formula-text.csv",
        "far-dates.xlsx",
        "huge-numbers.xlsx",
        "long-note.csv",
    ]
    for name in names:
        out = tmp_path / f"{name}.out.xlsx"
        done = bounded("annotate", str(root / name), "-o", str(out), "--as-of", AS_OF, cwd=tmp_path)
        _no_control_and_traceback(done)
        assert done.returncode == 0, (name, done.stderr[-2000:])
        wb = load_workbook(out)
        deals = wb.worksheets[0]
        for row in deals.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert not any(t in str(cell.value) for t in corpus.FORMULA_TEXT), cell
