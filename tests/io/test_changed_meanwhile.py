"""Issue 15, item 4: a file saved by someone else while an ``--in-place`` run works on it is never
replaced (their edit is never reverted), and ExcelFlow's finished result is kept beside it —
``NAME.checked.xlsx`` (annotate) or ``NAME.bid.xlsx`` (bid), the names the refusals and the copy
runs use, never over an existing file — and the message says where. Folder runs ignore it."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import hostile_corpus as corpus
from bid.bid_helpers import example, pipeline_book
from cli.cli_helpers import AS_OF, run
from excelflow import api
from excelflow.workbook.safe_write import (
    TEMP_MARK,
    ChangedMeanwhile,
    atomic_write,
    update_lock,
)

pytestmark = pytest.mark.timeout(120)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_result_is_kept_beside_a_file_changed_meanwhile(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"as read")
    book.chmod(0o640)
    wanted = tmp_path / "book.checked.xlsx"

    def writer(tmp: Path) -> None:
        tmp.write_bytes(b"our update")
        book.write_bytes(b"saved in Excel meanwhile")

    with update_lock(book), pytest.raises(ChangedMeanwhile) as changed:
        atomic_write(book, writer, keep_backup=True, changed_copy=wanted)
    assert book.read_bytes() == b"saved in Excel meanwhile"  # never reverted
    assert changed.value.kept == wanted and wanted.read_bytes() == b"our update"
    assert f"kept as {wanted}" in str(changed.value) and "\n" not in str(changed.value)
    assert stat.S_IMODE(wanted.stat().st_mode) == 0o640  # the original's mode
    assert _names(tmp_path) == ["book.checked.xlsx", "book.xlsx"]  # no backup, no temp

    # a second time: the first copy (perhaps being edited) is not written over
    book.write_bytes(b"as read again")
    with update_lock(book), pytest.raises(ChangedMeanwhile) as again:
        atomic_write(book, writer, keep_backup=True, changed_copy=wanted)
    second = again.value.kept
    assert second is not None and second != wanted and second.read_bytes() == b"our update"
    assert second.name.startswith("book.checked.") and wanted.read_bytes() == b"our update"
    assert [p.name for p in api.expand_paths([tmp_path])] == ["book.xlsx"]  # copies not read


def _edited_copy(src: Path, dst: Path) -> bytes:
    """What the user saves meanwhile: the workbook with one cell changed."""
    wb = load_workbook(src)
    wb["Deals"]["B2"] = "edited in Excel meanwhile"
    wb.save(dst)
    return dst.read_bytes()


def test_annotate_in_place_keeps_the_annotated_copy_when_the_file_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import excelflow.workbook.annotate as annotate_module

    book = tmp_path / "pipeline.xlsx"
    shutil.copy(corpus.TEMPLATE, book)
    edited = _edited_copy(book, tmp_path / "edited.bin")
    real = annotate_module.restore_cached_values

    def write_then_user_saves(src: Path, tmp: Path) -> None:
        real(src, tmp)
        src.write_bytes(edited)  # Excel saves while ExcelFlow writes its result

    monkeypatch.setattr(annotate_module, "restore_cached_values", write_then_user_saves)
    code, out, err = run(capsys, "annotate", str(book), "--in-place", *AS_OF)
    kept = tmp_path / "pipeline.checked.xlsx"
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "changed while ExcelFlow was working on it" in err and str(kept) in err
    assert book.read_bytes() == edited  # the user's save stands
    wb = load_workbook(kept)  # the annotated result of the version read, whole
    assert "Findings" in wb.sheetnames and wb["Deals"]["B2"].value != "edited in Excel meanwhile"
    assert not list(tmp_path.glob("*.bak.*")) and not list(tmp_path.glob(f"{TEMP_MARK}*"))
    monkeypatch.undo()
    reports = api.validate_paths([tmp_path])
    assert [Path(r.path).name for r in reports] == ["pipeline.xlsx"]  # the copy is not counted


def test_a_file_changed_between_the_two_reads_is_refused_without_a_mixed_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved after the check read it but before openpyxl loaded it: a result would mix two
    versions, so nothing is kept."""
    book = tmp_path / "pipeline.xlsx"
    shutil.copy(corpus.TEMPLATE, book)
    edited = _edited_copy(book, tmp_path / "edited.bin")
    real = api.validate_file

    def read_then_user_saves(path: Any, *args: Any, **kwargs: Any) -> Any:
        report = real(path, *args, **kwargs)
        Path(path).write_bytes(edited)
        return report

    monkeypatch.setattr(api, "validate_file", read_then_user_saves)
    code, _, err = run(capsys, "annotate", str(book), "--in-place", *AS_OF)
    assert code == 2 and "changed while ExcelFlow was reading it" in err
    assert book.read_bytes() == edited
    assert _names(tmp_path) == ["edited.bin", "pipeline.xlsx"]


def test_bid_in_place_keeps_the_bid_copy_when_the_file_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import excelflow.workbook.bid as bid_module

    book = tmp_path / "pipeline.xlsx"
    pipeline_book(book, example(deal_id="D-00001"))
    edited = _edited_copy(book, tmp_path / "edited.bin")
    real = bid_module.write_bid_sheet

    def write_then_user_saves(*args: Any, **kwargs: Any) -> Any:
        got = real(*args, **kwargs)
        book.write_bytes(edited)  # saved while the Bid sheet is being written
        return got

    monkeypatch.setattr(bid_module, "write_bid_sheet", write_then_user_saves)
    with pytest.raises(ChangedMeanwhile) as changed:
        api.write_bid(book, "D-00001", in_place=True)
    assert book.read_bytes() == edited
    assert changed.value.kept == tmp_path / "pipeline.bid.xlsx" and changed.value.kept.exists()
    assert os.path.getsize(changed.value.kept) > 0 and not list(tmp_path.glob("*.bak.*"))
