"""Writes that never leave a half-written file behind, and never clobber a file Excel holds.

Every output goes to a temporary file in the target's folder and is renamed into place
(``os.replace`` is atomic on one file system). In-place updates keep a timestamped backup and
refuse while Excel's lock file (``~$name.xlsx``) sits next to the workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


class WriteRefused(Exception):
    """A write was refused for a reason the user can act on (one line)."""


def excel_lock_file(path: Path) -> Path | None:
    """Excel's owner file for ``path`` if it exists (Excel is editing the workbook)."""
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        lock = path.with_name(name)
        if lock.exists():
            return lock
    return None


def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp)`` to produce the file, then move it onto ``path`` atomically."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _mode_for(path: Path) -> int:
    """The permissions the new file should have: the old file's, else what the umask gives."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


def backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy ``path`` to ``name.YYYYmmdd-HHMMSS.bak.ext`` beside it and return the copy's path."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{stamp}.bak{path.suffix}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.{stamp}-{counter}.bak{path.suffix}")
        counter += 1
    shutil.copy2(path, target)
    return target


def check_not_open_in_excel(path: Path) -> None:
    """Raise :class:`WriteRefused` when Excel has ``path`` open."""
    lock = excel_lock_file(path)
    if lock is not None:
        raise WriteRefused(
            f"{path}: refused: the workbook is open in Excel ({lock.name} exists); "
            "close it and try again"
        )
