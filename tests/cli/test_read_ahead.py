"""`excelflow validate` on one big workbook parses it while pandas and the engine import in a
thread (issue 16): the same reports and the same one-line errors as the plain path, and the read
path loads no pandas before the parse."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

import hostile_corpus as corpus
from cli.cli_helpers import AS_OF, run
from excelflow.cli import validate
from excelflow.pipeline.mapping import EMPTY_MAPPING
from excelflow.pipeline.read import Source, choose_sheet
from excelflow.pipeline.ruleset import load_ruleset


@pytest.fixture
def ahead(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], list[str]]:
    """``ahead(True)``: every spreadsheet is read ahead (whatever its size); ``ahead(False)``:
    none is. Returns the list that records each start of the import thread."""
    started: list[str] = []
    real = validate._import_engine

    def recording() -> None:
        started.append("import")
        real()

    monkeypatch.setattr(validate, "_import_engine", recording)

    def switch(on: bool) -> list[str]:
        monkeypatch.setattr(validate, "AHEAD_MIN_BYTES", 0 if on else 1 << 62)
        return started

    return switch


def _report(capsys: pytest.CaptureFixture[str], path: Path, out: Path, *args: str) -> bytes:
    code, _, err = run(capsys, "validate", str(path), *AS_OF, "-o", str(out), *args)
    assert code == 1, err
    return re.sub(rb'"generated_at": *"[^"]*"', b"", out.read_bytes())


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_workbook_read_ahead_gives_the_same_report(
    capsys: pytest.CaptureFixture[str],
    make_sample: Callable[..., Path],
    tmp_path: Path,
    ahead: Callable[[bool], list[str]],
    fmt: str,
) -> None:
    book = make_sample(60, lang="zh")
    started = ahead(False)
    plain = _report(capsys, book, tmp_path / "plain", "--format", fmt)
    assert started == []
    ahead(True)
    assert _report(capsys, book, tmp_path / "ahead", "--format", fmt) == plain
    assert started == ["import"]


def test_files_that_cannot_be_read_fail_the_same_way(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ahead: Callable[[bool], list[str]]
) -> None:
    bad = [
        corpus.encrypted(tmp_path / "locked.xlsx"),
        corpus.truncated(tmp_path / "cut.xlsx"),
        corpus.random_bytes(tmp_path / "noise.xlsx"),
        corpus.zip_without_workbook(tmp_path / "zip.xlsx"),
    ]
    for path in bad:
        ahead(False)
        plain = run(capsys, "validate", str(path), *AS_OF)
        ahead(True)
        assert run(capsys, "validate", str(path), *AS_OF) == plain
        assert plain[0] == 2 and f"{path}: " in plain[1] + plain[2]


def _book(path: Path, sheets: list[tuple[str, list[list[object]], bool]]) -> Path:
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for title, rows, hidden in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = "hidden" if hidden else "visible"
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


DEALS = [["Deal ID", "Customer", "Stage"], ["D-1", "Acme", 2], ["D-2", "Beta", 3]]


@pytest.mark.parametrize(
    ("sheets", "first"),
    [
        ([("Notes", [["hello"]], False), ("Deals", DEALS, False)], "Deals"),
        ([("Notes", [["hello"]], False), ("Export", DEALS, False)], "Notes"),
        ([("Hidden", DEALS, True), ("Export", DEALS, False)], "Export"),
    ],
)
def test_the_sheet_read_ahead_is_the_one_the_check_reads_first(
    tmp_path: Path, sheets: list[tuple[str, list[list[object]], bool]], first: str
) -> None:
    path = _book(tmp_path / "book.xlsx", sheets)
    rs = load_ruleset()
    source = Source(path)
    source.read_ahead()
    assert source._ahead is not None and source._ahead[0] == first
    chosen = choose_sheet(source, rs, EMPTY_MAPPING)
    assert source._ahead is None  # handed over once, not kept beside the pipeline
    assert chosen == choose_sheet(Source(path), rs, EMPTY_MAPPING)


def test_the_read_path_loads_no_pandas(make_sample: Callable[..., Path]) -> None:
    """Arguments parsed, the file opened and its sheet parsed, all without pandas: what lets
    the thread import it beside the parse."""
    book = make_sample(5)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from excelflow.cli import _parser_for\n"
        "from excelflow.cli.common import ruleset_options\n"
        f"argv = ['validate', {str(book)!r}, '--as-of', '2026-11-28', '--format', 'json']\n"
        "args = _parser_for(argv).parse_args(argv)\n"
        "_, _, mapping = ruleset_options(args)\n"
        "from excelflow.pipeline.read import Source\n"
        "source = Source(Path(args.files[0]))\n"
        "source.read_ahead(mapping)\n"
        "assert source._ahead is not None and source._ahead[1].grid, source._ahead\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def test_one_workbook_is_read_and_checked_under_one_collector_pause(
    capsys: pytest.CaptureFixture[str],
    make_sample: Callable[..., Path],
    tmp_path: Path,
    ahead: Callable[[bool], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check of one workbook runs with the cyclic collector paused (no automatic
    collection while it runs), and the collector is on again when ``main()`` returns; a folder
    run keeps it on."""
    from excelflow import api

    ahead(True)
    collections: list[int] = []
    during: list[tuple[bool, int]] = []  # per check: collector on?, collections while it ran
    real = api.validate_paths

    def recording(*args: Any, **kwargs: Any) -> Any:
        before, on = len(collections), gc.isenabled()
        try:
            return real(*args, **kwargs)
        finally:
            during.append((on, len(collections) - before))

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    monkeypatch.setattr(api, "validate_paths", recording)
    book = make_sample(60)
    gc.callbacks.append(count)
    try:
        _report(capsys, book, tmp_path / "one.txt")
        assert gc.isenabled()
        folder = tmp_path / "folder"
        folder.mkdir()
        book.rename(folder / book.name)
        _report(capsys, folder, tmp_path / "folder.txt")
    finally:
        gc.callbacks.remove(count)
    assert during[0] == (False, 0)  # the workbook: paused, nothing collected
    assert during[1][0]  # the folder: the collector on
    assert gc.isenabled()
