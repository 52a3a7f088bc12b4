"""Writes that never leave a half-written file behind, and never clobber a file Excel holds.

Every output goes to a temporary file in the target's folder and is renamed into place
(``os.replace`` is atomic on one file system) by :func:`atomic_write`, the one writer every door
uses: the file keeps its mode and owner, and in-place updates keep a timestamped backup and refuse
while Excel's lock file (``~$name.xlsx``) sits next to the workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MACRO_SUFFIXES = {".xlsm", ".xltm"}
"""Workbooks that carry VBA: their copies stay macro workbooks (``.xlsm``)."""


class WriteRefused(Exception):
    """A write was refused for a reason the user can act on (one line)."""


def default_output(path: Path, tag: str, *, strip_tag: bool = False) -> Path:
    """Where a door writes its copy of ``path`` by default: ``NAME.TAG.xlsx`` beside it
    (``.xlsm`` for macro workbooks).

    Args:
        path: The input workbook or CSV.
        tag: ``checked`` (annotate) or ``bid``.
        strip_tag: An input already named ``NAME.TAG.*`` gives ``NAME.TAG.*`` again (not
            ``NAME.TAG.TAG.*``).
    """
    suffix = ".xlsm" if path.suffix.lower() in MACRO_SUFFIXES else ".xlsx"
    stem = path.stem.removesuffix(f".{tag}") if strip_tag else path.stem
    return path.with_name(f"{stem}.{tag}{suffix}")


def excel_lock_file(path: Path) -> Path | None:
    """Excel's owner file for ``path`` if it exists (Excel is editing the workbook)."""
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        lock = path.with_name(name)
        if lock.exists():
            return lock
    return None


def atomic_write(
    path: Path, writer: Callable[[Path], None], *, keep_backup: bool = False
) -> Path | None:
    """Call ``writer(tmp)`` to produce the file, then move it onto ``path`` atomically.

    The temporary file sits in the target's folder (so the rename stays on one file system) and
    is flushed to disk before the rename. An existing file's mode is kept, and its owner and
    group where we may set them; a new file gets what the umask gives. A writer that raises
    leaves ``path`` untouched and no temporary file behind.

    Args:
        path: The file to write.
        writer: Writes the complete new file to the path it is given.
        keep_backup: An in-place update of an existing file: refused while Excel holds it, and
            a whole timestamped copy of the old file is kept beside it (see :func:`backup`).

    Returns:
        The backup's path (beside ``path`` as given) with ``keep_backup``, else None.

    Raises:
        WriteRefused: ``path``'s folder does not exist (it is never created), or
            ``keep_backup`` and Excel has the file open; nothing was written.
    """
    given, path = path, path.resolve()
    if not path.parent.is_dir():  # a typo in -o must not grow a folder tree
        raise WriteRefused(f"{given}: the folder {given.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    saved = None
    try:
        writer(tmp)
        _flush(tmp)
        _take_over(tmp, path)
        if keep_backup:
            check_not_open_in_excel(given)
            saved = backup(given)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return saved


def _flush(path: Path) -> None:
    """Force the file's bytes to disk, so a crash after the rename cannot leave it empty."""
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _take_over(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the mode of the file it replaces (else the umask's), and its owner and group
    where permitted (a shared workbook stays readable by those who could read it)."""
    try:
        old = path.stat()
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        return
    os.chmod(tmp, old.st_mode & 0o7777)
    chown = getattr(os, "chown", None)
    if chown is None:  # Windows
        return
    for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
        try:
            chown(tmp, uid, gid)
            return
        except PermissionError:
            continue


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
