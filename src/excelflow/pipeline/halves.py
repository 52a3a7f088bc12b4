"""Parse one big worksheet on two cores: each half of its rows is parsed by its own
python-calamine workbook, in its own thread, and the two grids are joined.

python-calamine parses a sheet in Rust with the GIL released but on one core; at 100,000 messy
deals that parse is ~1.7 s, three quarters of a bare read. Here the sheet's XML (as the bounds
check inflated it, or inflated again) is cut at the first ``<row`` tag past 45 % of its rows,
and each part, the sheet's own start and end around it, becomes the only worksheet of a small
stored zip beside the workbook's shared strings, styles and workbook parts. Both are parsed at
once. The first part, a little smaller, is usually done first: its rows become Python objects
while the second is still parsed. The first part's rows, any blank rows between, then the
second's, make the grid the whole parse makes: same values, same types, same origin.

The half workbooks are anonymous in-memory files (Linux ``memfd``; calamine opens them through
``/proc/self/fd``), or files in a temporary folder elsewhere; they are gone once both are
parsed. Neither is in the process's RSS: at 100,000 messy deals they hold 90 MB during the
parse, at 1,000,000 about 0.9 GB.

When anything is not as expected (not an .xlsx-style zip, the sheet part not found, a middle
row without its ``r`` number, halves whose rows overlap, an error in either half: a ``<row``
inside a comment or CDATA leaves it unclosed in the first half, which calamine refuses),
:func:`read_halves` answers None and the caller parses the whole sheet as before, so errors
read exactly as they did. The sheet was bounds-checked before (``bounds.check_workbook``):
each half holds fewer cells than the whole. ``EXCELFLOW_SPLIT_PARSE=0`` turns this off.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import os
import posixpath
import re
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from excelflow.pipeline.bounds import Kept, part_blocks

if TYPE_CHECKING:
    import tempfile

    import python_calamine as pc

    from excelflow.pipeline.prepared import Prepared

PREPARE_MAX_ROWS = 250_000
"""Above this many rows (estimated from the first half) the rows are made with ``to_python``
and hashed later, as without halves: hashing each block as it is made saved ~0.3 s of 3.7 at
100,000 messy deals but cost ~5 s of 35 at 1,000,000 (the blocks' hashing, beside the second
half's parse, runs ~2.5x slower than alone; the near-unique columns' tables outgrow the cache)."""

MIN_BYTES = 8 * 1024 * 1024
"""A sheet part inflating to less than this is parsed whole: at ~10,000 deals the parse is
~0.15 s and the second thread and zip would save little."""

_MAX_ZIP32 = 0xFFFF_FFFF
MEMFD = hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd")
"""Half workbooks are written to anonymous in-memory files (else to a temporary folder)."""
_STUB = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)
# Parts calamine never reads for a sheet's values: left out of the half workbooks.
_SKIP_DIRS = (
    "xl/media/",
    "xl/drawings/",
    "xl/charts/",
    "xl/pivotCache/",
    "xl/pivotTables/",
    "xl/slicers/",
    "xl/slicerCaches/",
    "xl/timelines/",
    "xl/timelineCaches/",
    "xl/printerSettings/",
    "xl/externalLinks/",
    "xl/embeddings/",
    "xl/activeX/",
    "xl/ctrlProps/",
    "xl/queryTables/",
    "xl/tables/",
    "xl/threadedComments/",
    "xl/persons/",
    "customXml/",
    "docProps/",
)
_SKIP_SUFFIXES = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".vml")
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def enabled() -> bool:
    """Two cores or more, and not turned off (``EXCELFLOW_SPLIT_PARSE=0``)."""
    return cores() > 1 and os.environ.get("EXCELFLOW_SPLIT_PARSE", "1").strip() != "0"


def read_halves(
    path: Path, name: str, kept: Kept | None = None
) -> tuple[list[list[Any]], tuple[int, int], Prepared | None] | None:
    """Sheet ``name`` of the workbook at ``path`` as ``to_python(skip_empty_area=True)`` rows,
    its top-left (row, col) and, when pandas is loaded, its cells hashed as they were made
    (:mod:`~excelflow.pipeline.prepared`), parsed in two halves at once; None when the whole
    sheet should be parsed instead (small, one core, or anything unexpected; see above).
    ``kept``: a sheet part as the bounds check inflated it, used when it is this sheet's."""
    if not enabled():
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, name)
            if part is None:
                return None
            info = zf.getinfo(part)
            if info.file_size < MIN_BYTES or info.compress_type not in (
                zipfile.ZIP_STORED,
                zipfile.ZIP_DEFLATED,
            ):
                return None
            if kept is None:
                blocks = list(part_blocks(path, zf, info))
            elif kept.part == part:
                blocks = list(kept.blocks)
                kept.blocks.clear()  # the caller's reference: freed with ours
            else:
                return None
            xml = _Blocks(blocks)
            del blocks
            cut = _cut(xml)
            if cut is None:
                return None
            others = _other_parts(zf, part)
    except Exception:  # whatever it is, the whole parse meets it and says so
        return None
    start, middle, end = cut
    pieces = [
        [*xml.views(0, middle), *xml.views(end, len(xml))],
        [*xml.views(0, start), *xml.views(middle, len(xml))],
    ]
    del xml
    books: list[pc.CalamineWorkbook | None] = [None, None]
    halves: list[_Half | None] = [None, None]
    done = [threading.Event(), threading.Event()]

    def parse(i: int, folder: str) -> None:
        import python_calamine as pc

        try:
            with _suppress_all():
                zipped = _stored_zip([*others, (part, pieces[i])])
                half = _write(zipped, i + 1, folder)
                del zipped
                pieces[i] = []  # the inflated XML is freed once both halves are written
                books[i] = book = pc.CalamineWorkbook.from_path(half.name)
                half.close()  # the workbook has the file open; it is gone when that closes
                sheet = book.get_sheet_by_name(name)
                halves[i] = _Half(sheet.start, sheet.end, sheet)
        finally:
            done[i].set()

    try:
        with contextlib.nullcontext("") if MEMFD else _temporary_folder() as folder:
            threads = [
                threading.Thread(target=parse, args=(i, folder), name="excelflow-half", daemon=True)
                for i in (0, 1)
            ]
            for thread in threads:
                thread.start()
            try:
                return _join(halves, done, (end - start) / max(middle - start, 1))
            except Exception:  # a cell calamine cannot hand over: the whole parse says which
                for event in done:
                    event.wait()
                return None
            finally:
                for thread in threads:
                    thread.join()
                pieces.clear()
                for book in books:
                    if book is not None:
                        book.close()
    except OSError:  # the temporary folder could not be made or removed
        return None


def _temporary_folder() -> tempfile.TemporaryDirectory[str]:
    import tempfile  # only where there is no memfd (tempfile loads random, shutil…)

    return tempfile.TemporaryDirectory(prefix="excelflow-halves-")


class _suppress_all:  # noqa: N801 - used as a context manager
    """Swallow any error of a half: the whole sheet is then parsed, and its error shown."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


class _Half:
    """One half's parsed sheet: its first and last cell (None when it has no cells)."""

    def __init__(
        self,
        start: tuple[int, int] | None,
        end: tuple[int, int] | None,
        sheet: pc.CalamineSheet,
    ) -> None:
        self.start, self.end, self.sheet = start, end, sheet

    @property
    def rows(self) -> int:
        return 0 if self.start is None or self.end is None else self.end[0] - self.start[0] + 1

    @property
    def columns(self) -> tuple[int, int]:
        assert self.start is not None and self.end is not None
        return self.start[1], self.end[1]


def _join(
    halves: list[_Half | None], done: list[threading.Event], scale: float
) -> tuple[list[list[Any]], tuple[int, int], Prepared | None] | None:
    """Both halves' rows as one grid, its origin and (when pandas is loaded and the first half
    spans every column) its prepared cells; None when a half failed or their rows overlap
    (rows out of order, or one cell written in both).

    The first half's rows are made (and hashed) as soon as it is parsed, while the second is
    still being parsed. ``scale``: the whole sheet's bytes of rows over the first half's, for
    the size of the arrays its cells go to (so that they need not grow)."""
    done[0].wait()
    first = halves[0]
    grid: list[list[Any]] = []
    prepared: Prepared | None = None
    if first is not None and first.rows:
        prepared = _prepare(first, grid, int(first.rows * scale * 1.03) + 64)
        if prepared is None:
            grid = first.sheet.to_python(skip_empty_area=True)
    done[1].wait()
    second = halves[1]
    if first is None or second is None:
        return None
    if not second.rows:
        return _finish(grid, first, prepared)
    if not first.rows:
        return second.sheet.to_python(skip_empty_area=True), _origin(second), None
    assert first.end is not None and second.start is not None
    if second.start[0] <= first.end[0]:
        return None
    col0 = min(first.columns[0], second.columns[0])
    col1 = max(first.columns[1], second.columns[1])
    width = col1 - col0 + 1
    blank_rows = second.start[0] - first.end[0] - 1
    gap = ([""] * width for _ in range(blank_rows))
    if prepared is not None and first.columns == (col0, col1):
        left: list[Any] = [""] * (second.columns[0] - col0)
        right: list[Any] = [""] * (col1 - second.columns[1])
        made = _made_rows(second)
        with _suppress_all():
            prepared.add(gap, grid, 0)
            prepared.add((left + r + right for r in made) if left or right else made, grid, 0)
            if len(grid) == first.rows + blank_rows + second.rows:  # iter_rows as expected
                prepared.finish()
                return grid, _origin(first), prepared
        return None
    rows = second.sheet.to_python(skip_empty_area=True)
    if first.columns != (col0, col1):  # a half spanning fewer columns: pad it to the whole
        grid = _pad(grid, first.columns, col0, col1)
    if second.columns != (col0, col1):
        rows = _pad(rows, second.columns, col0, col1)
    grid.extend(gap)
    grid.extend(rows)
    return grid, (_origin(first)[0], col0), None


def _prepare(half: _Half, grid: list[list[Any]], expected: int) -> Prepared | None:
    """``half``'s rows appended to ``grid`` and hashed as they are made, where pandas is
    loaded and the sheet has at most :data:`PREPARE_MAX_ROWS` rows (``expected``); else None,
    ``grid`` untouched (the read needs no pandas of its own)."""
    if "pandas" not in sys.modules or expected > PREPARE_MAX_ROWS:
        return None
    try:
        from excelflow.pipeline.prepared import Prepared

        c0, c1 = half.columns
        prepared = Prepared(c1 - c0 + 1)
        prepared.add(_made_rows(half), grid, expected)
        if prepared.rows != half.rows:
            raise ValueError("iter_rows gave another number of rows")
    except Exception:  # to_python is then used, as for a workbook without pandas
        grid.clear()
        return None
    return prepared


def _made_rows(half: _Half) -> Iterator[list[Any]]:
    """``half``'s rows as ``to_python(skip_empty_area=True)`` gives them, made one at a time.
    python-calamine's ``iter_rows`` (0.9) starts its rows at the first cell's column but
    yields the rows above the first cell too, blank: those are skipped."""
    assert half.start is not None
    return itertools.islice(half.sheet.iter_rows(), half.start[0], None)


def _finish(
    grid: list[list[Any]], half: _Half, prepared: Prepared | None
) -> tuple[list[list[Any]], tuple[int, int], Prepared | None]:
    if prepared is not None:
        prepared.finish()
    return grid, _origin(half), prepared


def _origin(half: _Half) -> tuple[int, int]:
    return (int(half.start[0]), int(half.start[1])) if half.start is not None else (0, 0)


def _pad(rows: list[list[Any]], columns: tuple[int, int], col0: int, col1: int) -> list[list[Any]]:
    left: list[Any] = [""] * (columns[0] - col0)
    right: list[Any] = [""] * (col1 - columns[1])
    return [left + row + right for row in rows]


def _sheet_part(zf: zipfile.ZipFile, name: str) -> str | None:
    """The zip part holding sheet ``name`` (from the workbook part and its relationships)."""
    from xml.etree import ElementTree  # loaded for a big sheet only (cold start)

    names = set(zf.namelist())
    book = _target(zf, "_rels/.rels", "", "/officeDocument", names)
    if book is None:
        return None
    folder, base = posixpath.split(book)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    root = ElementTree.fromstring(zf.read(book))
    rid = None
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet" and el.get("name") == name:
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            break
    if rid is None or rels not in names:
        return None
    for el in ElementTree.fromstring(zf.read(rels)).iter(_REL):
        if el.get("Id") == rid and (el.get("Type") or "").endswith("/worksheet"):
            part = _resolve(folder, el.get("Target") or "")
            return part if part in names else None
    return None


def _target(zf: zipfile.ZipFile, rels: str, folder: str, kind: str, names: set[str]) -> str | None:
    from xml.etree import ElementTree

    if rels not in names:
        return None
    for el in ElementTree.fromstring(zf.read(rels)).iter(_REL):
        if (el.get("Type") or "").endswith(kind):
            part = _resolve(folder, el.get("Target") or "")
            return part if part in names else None
    return None


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


class _Blocks:
    """A part's XML as the blocks it was inflated in (no joined copy): searches and views."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks
        self.starts: list[int] = []
        at = 0
        for block in blocks:
            self.starts.append(at)
            at += len(block)
        self.size = at

    def __len__(self) -> int:
        return self.size

    def views(self, a: int, b: int) -> list[memoryview]:
        """Bytes ``a`` to ``b`` as views into the blocks."""
        out = []
        for block, at in zip(self.blocks, self.starts, strict=True):
            lo, hi = max(a - at, 0), min(b - at, len(block))
            if lo < hi:
                out.append(memoryview(block)[lo:hi])
        return out

    def take(self, a: int, b: int) -> bytes:
        """Bytes ``a`` to ``b`` (a copy: for a short stretch)."""
        return b"".join(self.views(a, b))

    def find(self, needle: bytes, a: int, b: int) -> int:
        """The first ``needle`` starting in [a, b) and ending by b, or -1."""
        i = max(bisect.bisect_right(self.starts, a) - 1, 0)
        while i < len(self.blocks) and self.starts[i] < b:
            at = self.starts[i]
            window = self.take(max(a, at), min(at + len(self.blocks[i]) + len(needle) - 1, b))
            found = window.find(needle)
            if found >= 0:
                return max(a, at) + found
            i += 1
        return -1

    def rfind(self, needle: bytes) -> int:
        """The last ``needle``, or -1."""
        for i in range(len(self.blocks) - 1, -1, -1):
            at = self.starts[i]
            window = self.take(at, min(at + len(self.blocks[i]) + len(needle) - 1, self.size))
            found = window.rfind(needle)
            if found >= 0:
                return at + found
        return -1


_OPEN = re.compile(rb"<(?:([A-Za-z_][\w.-]{0,31}):)?sheetData(?:\s[^<>]*)?>")
_R = re.compile(rb"""\sr\s*=\s*["']\s*[0-9]+\s*["']""")


def _cut(xml: _Blocks) -> tuple[int, int, int] | None:
    """(where the rows start, where the second half's first row starts, where the rows end),
    or None: no rows, or no ``<row`` with its ``r`` number past 45 % of them.

    The second half starts a little before the middle: the first, parsed sooner, becomes
    Python rows while the second is still parsed. A ``<row`` found inside a comment, CDATA
    section or processing instruction leaves that construct open at the first half's end,
    which calamine refuses ("comment not closed"): the whole sheet is then parsed instead.
    """
    head = xml.take(0, min(len(xml), 1 << 20))
    found = _OPEN.search(head)
    if found is None:
        return None
    ns = found.group(1) + b":" if found.group(1) else b""
    start = found.end()
    end = xml.rfind(b"</" + ns + b"sheetData>")
    if end < start:
        return None
    tag = b"<" + ns + b"row"
    middle = start + (end - start) * 9 // 20
    while True:
        middle = xml.find(tag, middle, end)
        if middle < 0:
            return None
        if xml.take(middle + len(tag), middle + len(tag) + 1) in _TAG_END:
            break
        middle += len(tag)
    text = xml.take(middle, min(middle + 4096, end))
    close = text.find(b">")
    if close < 0 or _R.search(text, 0, close) is None:
        return None
    return start, middle, end


_TAG_END = (b" ", b"\t", b"\r", b"\n", b">", b"/")


def _other_parts(zf: zipfile.ZipFile, part: str) -> list[tuple[str, Sequence[bytes | memoryview]]]:
    """The parts a half workbook needs besides its sheet: every other worksheet as an empty
    stub; drawings, media, pivot caches and the like left out."""
    out: list[tuple[str, Sequence[bytes | memoryview]]] = []
    for info in zf.infolist():
        name = info.filename
        if name == part or info.is_dir():
            continue
        if name.startswith(_SKIP_DIRS) or name.lower().endswith(_SKIP_SUFFIXES):
            continue
        if name.startswith("xl/worksheets/") and not name.startswith("xl/worksheets/_rels/"):
            out.append((name, (_STUB,)))
        elif name.startswith("xl/worksheets/_rels/"):
            continue
        else:
            out.append((name, (zf.read(info),)))
    return out


class _Written(NamedTuple):
    name: str
    fd: int | None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


def _write(pieces: list[bytes | memoryview], number: int, folder: str) -> _Written:
    """A half workbook as a file calamine can open by name: an anonymous in-memory file
    (Linux ``memfd``, opened through ``/proc/self/fd``) or one in the temporary ``folder``."""
    if MEMFD:
        fd = os.memfd_create(f"excelflow-half{number}.xlsx", os.MFD_CLOEXEC)
        try:
            with open(fd, "wb", closefd=False) as out:
                for piece in pieces:
                    out.write(piece)
        except BaseException:
            os.close(fd)
            raise
        return _Written(f"/proc/self/fd/{fd}", fd)
    path = Path(folder, f"half{number}.xlsx")
    with path.open("xb") as out:
        for piece in pieces:
            out.write(piece)
    return _Written(str(path), None)


def _stored_zip(
    entries: list[tuple[str, Sequence[bytes | memoryview]]],
) -> list[bytes | memoryview]:
    """A zip of ``entries`` (name, pieces of its bytes), stored without compression, as the
    pieces to read one after another."""
    pieces: list[bytes | memoryview] = []
    central: list[bytes] = []
    offset = 0
    for name, data in entries:
        crc, size = 0, 0
        for piece in data:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        raw = name.encode("utf-8")
        if size >= _MAX_ZIP32 or offset >= _MAX_ZIP32:
            raise ValueError("too large for a zip without zip64")
        head = (0x800, 0, 0, 0x21, crc, size, size, len(raw))  # UTF-8 name, stored, 1980-01-01
        pieces.append(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, *head, 0))
        pieces.append(raw)
        pieces.extend(data)
        central.append(
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, *head, 0, 0, 0, 0, 0, offset)
        )
        central.append(raw)
        offset += 30 + len(raw) + size
    directory = b"".join(central)
    count = len(entries)
    tail = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, 0)
    return [*pieces, directory, tail]
