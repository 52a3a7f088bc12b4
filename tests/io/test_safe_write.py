"""Atomic writes, backups and Excel's lock file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from excelflow.workbook.safe_write import (
    WriteRefused,
    atomic_write,
    atomic_write_text,
    backup,
    check_not_open_in_excel,
)


def test_new_files_get_the_umask_permissions_and_old_files_keep_theirs(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "report.json"
        atomic_write_text(fresh, "{}")
        assert fresh.stat().st_mode & 0o777 == 0o644
        fresh.chmod(0o640)
        atomic_write_text(fresh, "[]")
        assert fresh.stat().st_mode & 0o777 == 0o640 and fresh.read_text() == "[]"
    finally:
        os.umask(old)


def test_a_failing_writer_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"original")

    def explode(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no temp file left behind


def test_backup_names_are_timestamped_and_unique(tmp_path: Path) -> None:
    book = tmp_path / "pipeline.xlsx"
    book.write_bytes(b"v1")
    now = dt.datetime(2026, 11, 28, 9, 30, 0)
    first, second = backup(book, now), backup(book, now)
    assert first.name == "pipeline.20261128-093000.bak.xlsx"
    assert second.name == "pipeline.20261128-093000-1.bak.xlsx"
    assert first.read_bytes() == second.read_bytes() == b"v1"


def test_excel_lock_file_refuses(tmp_path: Path) -> None:
    book = tmp_path / "pipeline.xlsx"
    book.write_bytes(b"x")
    check_not_open_in_excel(book)
    (tmp_path / "~$pipeline.xlsx").write_bytes(b"owner")
    with pytest.raises(WriteRefused, match="open in Excel"):
        check_not_open_in_excel(book)


def test_an_in_place_write_keeps_mode_and_a_whole_backup(tmp_path: Path) -> None:
    book = tmp_path / "pipeline.xlsx"
    book.write_bytes(b"v1")
    book.chmod(0o644)
    old = os.umask(0o077)  # what a file made anew would get: 0600
    try:
        saved = atomic_write(book, lambda tmp: tmp.write_bytes(b"v2"), keep_backup=True)
    finally:
        os.umask(old)
    assert book.read_bytes() == b"v2" and book.stat().st_mode & 0o777 == 0o644
    assert saved is not None and saved.read_bytes() == b"v1" and saved.parent == tmp_path
    assert book.stat().st_uid == os.getuid() and book.stat().st_gid == os.getgid()
    assert atomic_write(book, lambda tmp: tmp.write_bytes(b"v3")) is None  # no backup asked


def test_an_in_place_write_is_refused_while_excel_holds_the_file(tmp_path: Path) -> None:
    book = tmp_path / "pipeline.xlsx"
    book.write_bytes(b"v1")
    (tmp_path / "~$pipeline.xlsx").write_bytes(b"owner")
    with pytest.raises(WriteRefused, match="open in Excel"):
        atomic_write(book, lambda tmp: tmp.write_bytes(b"v2"), keep_backup=True)
    assert book.read_bytes() == b"v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.xlsx", "~$pipeline.xlsx"]
