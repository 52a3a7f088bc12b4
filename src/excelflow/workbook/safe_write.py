"""Writes that never leave a half-written file behind, and never clobber a file Excel holds.

Every output goes to a temporary file in the target's folder and is renamed into place
(``os.replace`` is atomic on one file system) by :func:`atomic_write`, the one writer every door
uses: the file keeps its mode and owner, and in-place updates keep a timestamped backup and refuse
while Excel's lock file (``~$name.xlsx``) sits next to the workbook. A symlink is written through,
a device or FIFO is written directly (never renamed over), a read-only file is refused. An
in-place run holds :func:`update_lock` from read to write: a second run is refused, and so is
replacing a file that changed meanwhile. Temporary files carry :data:`TEMP_MARK`, so a killed
run's debris is recognised (folder runs skip it, the next write removes it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: Excel's lock file and the fingerprint still guard the file
    fcntl = None  # type: ignore[assignment]

MACRO_SUFFIXES = {".xlsm", ".xltm"}
"""Workbooks that carry VBA: their copies stay macro workbooks (``.xlsm``)."""


class WriteRefused(Exception):
    """A write was refused for a reason the user can act on (one line)."""


class ChangedMeanwhile(WriteRefused):
    """An in-place update was refused: the file changed after ExcelFlow read it. ``kept`` is
    where the finished result was kept instead (None: it was not kept)."""

    def __init__(self, message: str, kept: Path | None = None) -> None:
        super().__init__(message)
        self.kept = kept


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


TEMP_MARK = ".excelflow-tmp."
"""Every temporary file ExcelFlow writes starts with this (``.excelflow-tmp.PID.name.XXXX.xlsx``):
folder runs ignore such files and the next write into the folder removes those of dead runs."""


def is_temp(path: Path) -> bool:
    """True for one of ExcelFlow's temporary files (see :data:`TEMP_MARK`)."""
    return path.name.startswith(TEMP_MARK)


def clean_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files that runs killed in ``folder`` left behind (their process is
    gone); returns what was removed. A temp of a live run is left alone."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not is_temp(entry):
            continue
        pid_text = entry.name[len(TEMP_MARK) :].split(".", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        try:
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def real_path(path: Path) -> Path:
    """``path`` with its symlinks followed, as ``Path.resolve`` gives it, except that a symlink
    loop is returned as it is (``resolve`` raises RuntimeError): the next stat of it then fails
    with a clear OSError."""
    return Path(os.path.realpath(path))


def _mkstemp(folder: Path, name: str) -> Path:
    stem, dot, suffix = name.rpartition(".")
    prefix = f"{TEMP_MARK}{os.getpid()}.{stem if dot else name}."
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=f".{suffix}" if dot else "", dir=folder)
    os.close(fd)
    return Path(tmp_name)


@dataclass(frozen=True)
class Fingerprint:
    """What a file was when ExcelFlow read it: a write refuses to replace a file that changed."""

    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Fingerprint:
        """The fingerprint of ``path`` now."""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            st = os.fstat(handle.fileno())
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return cls(st.st_size, st.st_mtime_ns, digest.hexdigest())


_HELD: dict[Path, Fingerprint] = {}
"""Files this process holds with :func:`update_lock`, with what they were when locked."""


@contextlib.contextmanager
def update_lock(path: Path) -> Iterator[Fingerprint | None]:
    """Hold an advisory lock on ``path`` for a whole in-place run (read, check, write).

    A second ExcelFlow run on the same file is refused at once, and the fingerprint taken here is
    checked by :func:`atomic_write` before the file is replaced: an edit saved meanwhile (by Excel
    or anyone) is never silently reverted. Yields None when ``path`` is not a regular file.

    Raises:
        WriteRefused: another ExcelFlow run holds the file.
    """
    real = real_path(path)
    if not real.is_file():
        yield None
        return
    try:
        handle = real.open("rb")
    except OSError as exc:
        raise WriteRefused(f"{path}: cannot open the file ({exc.strerror or exc})") from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise WriteRefused(
                    f"{path}: refused: another ExcelFlow run is updating this file; "
                    "wait for it to finish"
                ) from None
        seen = Fingerprint.of(real)
        _HELD[real] = seen
        try:
            yield seen
        finally:
            _HELD.pop(real, None)
    finally:
        handle.close()  # closing releases the lock


def atomic_write(
    path: Path,
    writer: Callable[[Path], None],
    *,
    keep_backup: bool = False,
    changed_copy: Path | None = None,
) -> Path | None:
    """Call ``writer(tmp)`` to produce the file, then move it onto ``path`` atomically.

    The temporary file (named with :data:`TEMP_MARK`) sits in the target's folder, so the rename
    stays on one file system, and is flushed to disk before the rename. An existing file's mode
    is kept, and its owner and group where we may set them; a new file gets what the umask
    gives. A writer that raises leaves ``path`` untouched and no temporary file behind.

    What the target is decides how it is written:

    * a symlink is followed: its target file is replaced, the link stays a link;
    * a character device or FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is written
      directly, never renamed over (the temporary file then sits in the system's temp folder);
    * a folder, or a read-only file (no write permission bit, or one we may not write), is
      refused before anything is written.

    Args:
        path: The file to write.
        writer: Writes the complete new file to the path it is given.
        keep_backup: An in-place update of an existing file: refused while Excel holds it, and
            a whole timestamped copy of the old file is kept beside it (see :func:`backup`).
            When the file is held with :func:`update_lock`, it is refused if the file changed
            since it was locked.
        changed_copy: With ``keep_backup``: when the file changed meanwhile, the finished
            result is kept there (or, if that name is taken, beside it with a timestamp; see
            :func:`keep_copy`) instead of being dropped; :class:`ChangedMeanwhile` names it.

    Returns:
        The backup's path (beside ``path`` as given) with ``keep_backup``, else None.

    Raises:
        WriteRefused: see above, or the folder does not exist (it is never created), or
            ``keep_backup`` and Excel has the file open; nothing was written.
    """
    if _is_stream(path):  # /dev/stdout is a link to /proc/self/fd/1 -> pipe:[…]: open as given
        _write_stream(path, path, writer)
        return None
    given, path = path, real_path(path)
    if _target_kind(given, path) == "stream":
        _write_stream(given, path, writer)
        return None
    if not path.parent.is_dir():  # a typo in -o must not grow a folder tree
        raise WriteRefused(f"{given}: the folder {given.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise WriteRefused(f"{given}: refused: the folder {given.parent} is read-only")
    clean_stale_temps(path.parent)
    tmp = _mkstemp(path.parent, path.name)
    saved = None
    try:
        writer(tmp)
        _flush(tmp)
        _take_over(tmp, path)
        if keep_backup:
            check_not_open_in_excel(given)
            _check_unchanged(given, path, tmp, changed_copy)
            saved = backup(given)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return saved


def _is_stream(path: Path) -> bool:
    """True when ``path`` (links followed) is a character device or a FIFO."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _target_kind(given: Path, path: Path) -> str:
    """``"file"`` (absent or a regular file) or ``"stream"`` (a device or FIFO); raises
    :class:`WriteRefused` for a folder or a read-only file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "file"
    except OSError as exc:
        raise WriteRefused(f"{given}: cannot write ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise WriteRefused(f"{given}: is a folder; give a file name")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        return "stream"
    if not stat.S_ISREG(st.st_mode):
        raise WriteRefused(f"{given}: refused: not a regular file")
    if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise WriteRefused(
            f"{given}: refused: the file is read-only; nothing was written "
            "(make it writable or write a copy with -o)"
        )
    return "file"


def _write_stream(given: Path, path: Path, writer: Callable[[Path], None]) -> None:
    """Write to a device or FIFO: produce the file in the temp folder, then copy its bytes."""
    with tempfile.TemporaryDirectory(prefix=TEMP_MARK) as folder:
        tmp = Path(folder) / path.name
        writer(tmp)
        try:
            with tmp.open("rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except OSError as exc:
            raise WriteRefused(f"{given}: cannot write ({exc.strerror or exc})") from None


def check_unread_change(path: Path) -> None:
    """Refuse (raise :class:`ChangedMeanwhile`) when ``path``, held with :func:`update_lock`,
    changed since it was locked — called after a second reader (openpyxl) loaded it, so that
    a result is never built from two versions of the file. A file not held passes."""
    seen = _HELD.get(real_path(path))
    if seen is None:
        return
    try:
        now = Fingerprint.of(real_path(path))
    except OSError:
        now = None
    if now != seen:
        raise ChangedMeanwhile(
            f"{path}: refused: the file changed while ExcelFlow was reading it (saved by Excel "
            "or another program); it was left as it is now — run again"
        )


def _check_unchanged(given: Path, path: Path, done: Path, copy: Path | None) -> None:
    """Refuse to replace a file held with :func:`update_lock` that changed since then; the
    finished result ``done`` is then kept at ``copy`` (when given)."""
    seen = _HELD.get(path)
    if seen is None:
        return
    try:
        now = Fingerprint.of(path)
    except OSError:
        now = None
    if now == seen:
        return
    said = (
        f"{given}: refused: the file changed while ExcelFlow was working on it (saved by Excel "
        "or another program); it was left as it is now"
    )
    kept = None
    if copy is not None:
        try:
            kept = keep_copy(done, copy)
        except OSError as exc:
            said += f"; the result could not be kept ({exc.strerror or exc})"
    if kept is not None:
        said += f"; ExcelFlow's result was kept as {kept} — run again to update the new version"
    else:
        said += " — run again"
    raise ChangedMeanwhile(said, kept)


def save_copy(source: Path, wanted: Path) -> Path:
    """Copy ``source`` to ``wanted`` (through a flushed temp), never over an existing file: see
    :func:`keep_copy`, which picks the name. Returns where the copy went."""
    tmp = _mkstemp(wanted.parent, wanted.name)
    try:
        shutil.copyfile(source, tmp)
        _flush(tmp)
        _umask_mode(tmp)  # a new file
        return keep_copy(tmp, wanted)
    finally:
        if tmp.exists():
            tmp.unlink()


def keep_copy(done: Path, wanted: Path) -> Path:
    """Move the finished file ``done`` to ``wanted``, or, when that name is taken (an earlier
    copy the user may be editing), to ``NAME.YYYYmmdd-HHMMSS.ext`` beside it: nothing is ever
    overwritten (the new name is created with a hard link, which fails if it exists)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    names = [wanted.name] + [
        f"{wanted.stem}.{stamp}{'' if i == 0 else f'-{i}'}{wanted.suffix}" for i in range(100)
    ]
    for name in names:
        target = wanted.with_name(name)
        if excel_lock_file(target) is not None:
            continue
        try:
            os.link(done, target)
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares)
            if target.exists():
                continue
            os.replace(done, target)
            return target
        done.unlink()
        return target
    raise FileExistsError(errno.EEXIST, "no free name", str(wanted))


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
        _umask_mode(tmp)
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


def _umask_mode(tmp: Path) -> None:
    """Give ``tmp`` (mkstemp's 0600) the mode a new file gets from the umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


def backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy ``path`` to ``name.YYYYmmdd-HHMMSS.bak.ext`` beside it and return the copy's path.

    The copy is written to a temporary file, flushed and renamed: a backup exists whole or not
    at all, even when the run is killed while copying."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{stamp}.bak{path.suffix}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.{stamp}-{counter}.bak{path.suffix}")
        counter += 1
    tmp = _mkstemp(path.parent, target.name)
    try:
        shutil.copy2(path, tmp)
        _flush(tmp)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def check_not_open_in_excel(path: Path) -> None:
    """Raise :class:`WriteRefused` when Excel has ``path`` open."""
    lock = excel_lock_file(path)
    if lock is not None:
        raise WriteRefused(
            f"{path}: refused: the workbook is open in Excel ({lock.name} exists); "
            "close it and try again"
        )
