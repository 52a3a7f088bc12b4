"""Bounded reads: what a workbook may weigh before python-calamine is allowed to open it.

python-calamine reads a sheet into one dense rectangle spanning its first and last cell, and
aborts the whole process (a Rust panic, not an exception) when that rectangle cannot be
allocated: a 1.8 KB workbook with cells at A1 and XFD1048576 asks for 512 GB. A zip bomb padded
with an incompressible part passes a ratio computed over the whole archive, and a zip header may
lie about a part's size. So before calamine sees an .xlsx/.xlsm, :func:`check_workbook`

* refuses a file larger than ``max_file_mb``;
* checks every part on its own: declared inflated size (``max_inflated_mb`` in all) and
  compression ratio (``max_ratio`` for a part over 16 MiB);
* inflates each worksheet and the shared strings, a block at a time, counting the bytes really
  produced (a lying header is caught) and bounding the real extent of every sheet from its
  cells' references (the ``<dimension>`` element may lie too) the way calamine places them,
  ``<c>`` without ``r`` included: one C-speed search per block for a cell outside the bound
  found so far, and an exact replay when that is not enough (see the comment at ``_WS``);
* counts the cell elements when the sheet is big enough to hold too many (one cell written
  a million times is one place in the extent but a million reads);
* refuses a sheet whose extent (rows x columns) exceeds ``max_cells``, or whose rows or
  columns exceed ``max_rows``/``max_cols``.

An .ods gets the same limits on its tables (repeated rows and columns expanded as calamine
expands them, :class:`_OdsScan`), an .xlsb on its sheets' records (:class:`_XlsbScan`). An .xls
(BIFF8 in an OLE2 compound file, :func:`_check_xls`) is read with a bounded reader of its own
(:class:`_Ole`: every sector chain followed with a loop check and against
``max_inflated_mb``); its Workbook stream's records are walked per sheet from the BoundSheet8
offsets the way calamine walks them (:func:`_xls_sheet`), and a sheet is refused over the same
limits, as are a DIMENSIONS record reserving more than ``max_cells`` and sheets spanning more
than ``max_cells`` together (calamine builds every sheet of an .xls at open). A damaged
container is one line too ("the file is corrupt").

The cell limit defaults to what the process may still allocate (:func:`memory_cells`).

Each refusal is one line naming the limit and the environment variable that raises it
(:class:`Limits`, read from ``EXCELFLOW_MAX_*``). This module holds only the checks, so the
reader (:mod:`excelflow.pipeline.read`) calls it in one line.
"""

from __future__ import annotations

import os
import posixpath
import queue
import re
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, cast

_MIB = 1024**2
_BLOCK = 1 << 20


BYTES_PER_CELL = 128
"""What one cell of a sheet's extent costs a ``validate`` run at its peak: calamine's dense
range, the Python grid and the pipeline's frames. Measured (peak RSS over the 1-row run, per
cell of 100k x 33): 77 B tidy, 93 B messy (``VmPeak`` 68 / 72 B); 128 B leaves a margin."""

MIN_CELLS = 1_000_000
"""The cell limit never drops below this, however little memory is free."""


@dataclass(frozen=True)
class Limits:
    """What a workbook may weigh; each field can be set by an environment variable
    (``EXCELFLOW_MAX_FILE_MB`` …) for a run that needs more. ``cells_from`` says where the
    cell limit came from (printed in a refusal)."""

    max_file_mb: float = 512
    max_inflated_mb: float = 2048
    max_ratio: float = 200
    max_cells: int = 10_000_000
    max_rows: int = 1_048_576
    max_cols: int = 16_384
    cells_from: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Limits:
        """The defaults, overridden by ``EXCELFLOW_MAX_FILE_MB``, ``EXCELFLOW_MAX_INFLATED_MB``,
        ``EXCELFLOW_MAX_RATIO``, ``EXCELFLOW_MAX_CELLS``, ``EXCELFLOW_MAX_ROWS`` and
        ``EXCELFLOW_MAX_COLS`` (a value that is not a positive number is ignored). Without
        ``EXCELFLOW_MAX_CELLS`` the cell limit is :func:`memory_cells`."""
        source = os.environ if env is None else env
        base = cls()
        values: dict[str, float | int | str] = {}
        for name in ("max_file_mb", "max_inflated_mb", "max_ratio"):
            number = _positive(source.get(f"EXCELFLOW_{name.upper()}"), float)
            values[name] = number if number is not None else getattr(base, name)
        for name in ("max_cells", "max_rows", "max_cols"):
            whole = _positive(source.get(f"EXCELFLOW_{name.upper()}"), int)
            values[name] = whole if whole is not None else getattr(base, name)
        if _positive(source.get("EXCELFLOW_MAX_CELLS"), int) is None:
            cells, why = memory_cells()
            if cells is not None:
                values["max_cells"], values["cells_from"] = cells, why
        return cls(**values)  # type: ignore[arg-type]


def memory_bytes() -> tuple[int, str] | None:
    """The bytes this process may still allocate, and what bounds them: the least of its
    address-space limit (``RLIMIT_AS``, e.g. ``prlimit --as``) less what it already maps, its
    cgroup's ``memory.max`` less ``memory.current``, and the machine's ``MemAvailable``. None
    where none of these can be read (not Linux)."""
    found: list[tuple[int, str]] = []
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            found.append((soft - _status_kb("VmSize") * 1024, "the address-space limit"))
    except (ImportError, OSError, ValueError):
        pass
    try:
        top = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if top.isdigit():
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip() or 0)
            found.append((int(top) - used, "the cgroup memory limit"))
    except (OSError, ValueError):
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append((int(line.split()[1]) * 1024, "the available memory"))
                    break
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            found.append((pages, "the free memory"))
        except (AttributeError, ValueError, OSError):
            return None
    return min(found)


def memory_cells() -> tuple[int | None, str]:
    """The default cell limit: :func:`memory_bytes` / :data:`BYTES_PER_CELL`, at least
    :data:`MIN_CELLS`; (None, "") where the memory cannot be read (the 10M default stays)."""
    room = memory_bytes()
    if room is None:
        return None, ""
    free, what = room
    cells = max(free // BYTES_PER_CELL, MIN_CELLS)
    return cells, f"{what}: {max(free, 0) / 1024**3:,.1f} GiB at {BYTES_PER_CELL} bytes a cell"


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


LIMITS_HELP = (
    "Before a workbook is read, its size, each zip part and each sheet's real extent are "
    "checked; a file over a limit gets one line naming the limit (exit 2). The cell limit "
    f"follows the memory this process may use: the least of its address-space limit "
    f"(ulimit -v, prlimit --as), its cgroup limit and the available memory, divided by "
    f"{BYTES_PER_CELL} bytes a cell (at least {MIN_CELLS:,}). Raise any limit for one run with "
    "EXCELFLOW_MAX_CELLS, EXCELFLOW_MAX_ROWS, EXCELFLOW_MAX_COLS, EXCELFLOW_MAX_FILE_MB, "
    "EXCELFLOW_MAX_INFLATED_MB or EXCELFLOW_MAX_RATIO."
)
"""The read limits in a sentence, for ``--help`` (``excelflow validate``)."""


def _positive(text: str | None, kind: type[float] | type[int]) -> float | int | None:
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        return None
    return value if value > 0 and value == value and value != float("inf") else None


class TooLarge(Exception):
    """A workbook exceeds a limit; ``str()`` is the reason (without the file's name)."""


_SHEET_PART = re.compile(r"(?i)xl/worksheets/[^/]+\.xml")
_TAG_END = re.compile(rb"""<[^>"']*+(?:(?:"[^"]*+"|'[^']*+')[^>"']*+)*+>""")
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"


@dataclass
class Extent:
    """The rows and columns a sheet's cells span (1-based, inclusive); empty when no cell."""

    row_min: int = 0
    row_max: int = 0
    col_min: int = 0
    col_max: int = 0

    @property
    def rows(self) -> int:
        """Rows spanned."""
        return self.row_max - self.row_min + 1 if self.row_max else 0

    @property
    def cols(self) -> int:
        """Columns spanned."""
        return self.col_max - self.col_min + 1 if self.col_max else 0


# --------------------------------------------------------------------------- sheet extents
#
# calamine (xlsx/cells_reader.rs) places a cell from its ``r`` attribute (letters then digits,
# u32 arithmetic); a ``<c>`` without ``r`` goes to (row_index, col_index): ``<row r=N>`` sets
# row_index, ``</row>`` adds one to it and resets col_index, and every cell leaves col_index one
# past its column. Self-closing ``<c/>`` and ``<row/>`` are skipped by calamine. The scan below
# keeps a superset of calamine's cells: every ``r`` of every ``c`` tag, wherever it stands.
#
# Fast mode (every file we have seen): one C-speed regex search per block that only matches a
# ``<c`` tag which is *not* ``<c r="COLROW"`` with COL and ROW inside the extent found so far
# (seeded with the block's first and last reference); such a tag is parsed on its own. A cell
# without ``r``, a prefixed ``<x:c``, or a tag that cannot be parsed switches the part to the
# exact mode: a tokenizer (comments, CDATA, quoted attributes) that replays calamine's row and
# column counters from the start of the part.

_WS = b" \t\n\r\x0c"  # Rust's is_ascii_whitespace, used by calamine's attribute scanner
_U32 = 0xFFFFFFFF
_NAME_END = rb"(?=[ \t\r\n/>])"  # quick-xml ends a tag name at whitespace, '/' or '>'
_ATTRS = rb"""([^>"']*+(?:(?:"[^"]*+"|'[^']*+')[^>"']*+)*+)>"""
_CELL_TAG = re.compile(rb"<(?:[^ \t\r\n/>:<]*:)?c" + _NAME_END + _ATTRS)
_PREFIXED_CELL = re.compile(rb":c[ \t\r\n/>]")
_COLONS = 1024  # colons a block may hold before the prefixed-cell check is one regex pass
_LAST_REF = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"')
_MAX_TAG = 16 * _MIB
_JOIN = 64 * 1024
_SLICE = 128 * 1024  # bytes a fast-scan search covers at once
_SHEET_BLOCK = 4 * _MIB  # a worksheet is inflated this much at a time (see _Switching)
_TAG_NAME_END = (b" ", b"\t", b"\r", b"\n", b"/", b">")
_SKIP = (
    rb"(?:[^<]++"
    rb"|<!--.*?-->"
    rb"|<!\[CDATA\[.*?\]\]>"
    rb"|<\?.*?\?>"
    rb"|<(?!/?(?:[^ \t\r\n/>:<]*:)?(?:c|row)[ \t\r\n/>])(?![!?])"
    rb"""[^>"']*+(?:(?:"[^"]*+"|'[^']*+')[^>"']*+)*+>)"""
)
_EXACT = re.compile(
    rb"(?:" + _SKIP + rb")*+<(/?)(?:[^ \t\r\n/>:<]*:)?(c|row)" + _NAME_END + _ATTRS, re.S
)
_SKIPS = re.compile(rb"(?:" + _SKIP + rb")*+", re.S)


def _ref(value: bytes, *, need_col: bool = True) -> tuple[int, int] | None:
    """calamine's ``get_row_column``: (row, col), 1-based, or None where calamine fails (so it
    reads no cell there). Letters then digits, with u32 wrap-around as in a release build."""
    col = row = 0
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        i += 1
        if 65 <= ch <= 90:
            col = (col * 26 + ch - 64) & _U32
        elif 97 <= ch <= 122:
            col = (col * 26 + ch - 96) & _U32
        elif 48 <= ch <= 57:
            row = ch - 48
            break
        else:
            return None
    while i < n:
        ch = value[i]
        i += 1
        if not 48 <= ch <= 57:
            return None
        row = (row * 10 + ch - 48) & _U32
    if row == 0 or (need_col and col == 0):
        return None
    return row, col


def _r_values(raw: bytes) -> tuple[list[bytes], bool]:
    """The values of every ``r`` attribute in a tag's raw attribute text, scanned the way
    calamine's RawAttrIter does; and whether the scan hit a malformed attribute."""
    found: list[bytes] = []
    pos, n = 0, len(raw)
    while True:
        while pos < n and raw[pos] in _WS:
            pos += 1
        if pos >= n:
            return found, False
        eq = raw.find(b"=", pos)
        if eq < 0:
            return found, True
        key = raw[pos:eq].rstrip(_WS)
        pos = eq + 1
        while pos < n and raw[pos] in _WS:
            pos += 1
        if pos >= n or raw[pos] not in (34, 39):
            return found, True
        end = raw.find(raw[pos : pos + 1], pos + 1)
        end = n if end < 0 else end
        if key == b"r":
            found.append(raw[pos + 1 : end])
        pos = end + 1


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cls(chars: str) -> str:
    return "[" + chars + "]" if len(chars) > 1 else chars


def _any(alphabet: str, n: int) -> str:
    return f"[{alphabet[0]}-{alphabet[-1]}]{{{n}}}" if n else ""


def _group(alts: list[str]) -> str:
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


def _side(s: str, alphabet: str, first: str, *, up: bool) -> str:
    """A pattern for the strings of len(s) (first character from ``first``) that are >= s
    (``up``) or <= s, nested digit by digit so that a regex engine rejects early."""
    if not s:
        return ""
    pool = first if s[0] in first else alphabet
    at = pool.index(s[0])
    if len(s) == 1:  # one class, no branch
        return _cls(pool[at:] if up else pool[: at + 1])
    other = pool[at + 1 :] if up else pool[:at]
    alts = [s[0] + _side(s[1:], alphabet, alphabet, up=up)]
    if other:
        alts.append(_cls(other) + _any(alphabet, len(s) - 1))
    return _group(alts)


def _span(lo: str, hi: str, alphabet: str, first: str) -> str:
    """A pattern for the numerals n with lo <= n <= hi (no leading zero digit: the first
    character comes from ``first``); shorter numerals are smaller, equal lengths compare as
    strings. The longest numerals (the common case) come first."""
    if len(lo) == len(hi):
        k = 0
        while k < len(lo) and lo[k] == hi[k]:
            k += 1
        if k == len(lo):
            return lo
        a, b, rest = lo[k], hi[k], len(lo) - k - 1
        if not rest:  # one class, no branch
            return lo[:k] + _cls(alphabet[alphabet.index(a) : alphabet.index(b) + 1])
        alts = [b + _side(hi[k + 1 :], alphabet, alphabet, up=False)]
        mid = alphabet[alphabet.index(a) + 1 : alphabet.index(b)]
        if mid:
            alts.append(_cls(mid) + _any(alphabet, rest))
        alts.append(a + _side(lo[k + 1 :], alphabet, alphabet, up=True))
        return lo[:k] + _group(alts)
    alts = [_side(hi, alphabet, first, up=False)]
    if lo == first[0]:  # every shorter numeral
        more = f"[{alphabet[0]}-{alphabet[-1]}]{{0,{len(hi) - 2}}}" if len(hi) > 2 else ""
        return _group([*alts, _cls(first) + more])
    for length in range(len(hi) - 1, len(lo), -1):
        alts.append(_cls(first) + _any(alphabet, length - 1))
    alts.append(_side(lo, alphabet, first, up=True))
    return _group(alts)


def _significant(digits: int) -> int:
    """How many leading digits a row bound keeps: one up to 99,999 rows (a bound at most twice
    the truth, ten patterns a decade), then two, then three (1,009,999 for a million rows,
    under Excel's 1,048,576)."""
    return 1 if digits <= 5 else digits - 4


class _Restart(Exception):
    """The fast scan met a cell it cannot place alone: replay the part exactly."""


class _SheetScan:
    """The extent (1-based, inclusive) and the ``<c`` count of one worksheet part, fed a block
    at a time (see the comment above)."""

    def __init__(self) -> None:
        self.kept = False  # its blocks were kept whole (see _scan)
        self.extent = Extent()
        self.cells = 0
        self.row_cap = 0
        self.col_cap = 0
        self.bytes = 0
        self.counting = False
        self._pattern: re.Pattern[bytes] | None = None
        self._key: tuple[int, int] | None = None

    def add(self, row: int, col: int) -> None:
        """Take in one cell position."""
        e = self.extent
        if not e.row_max:
            e.row_min = e.row_max = row
            e.col_min = e.col_max = col
            return
        e.row_min = min(e.row_min, row)
        e.row_max = max(e.row_max, row)
        e.col_min = min(e.col_min, col)
        e.col_max = max(e.col_max, col)

    def _fast_pattern(self) -> re.Pattern[bytes]:
        """``<c`` not followed by `` r="COLROW"`` (COL <= col_cap, ROW <= row_cap, no leading
        zero) and then only ``s``/``t`` attributes: the one search each block gets, so it is
        written for the engine's cost per ``<c`` (about 2M in a 100k x 33 sheet): single
        characters as classes, not branches; the rows with as many digits as the cap first
        (the common case while the scan climbs through a sheet written in order), then the
        shorter ones (a class and a possessive repeat); a tail that lets at most two ``s``/``t``
        attributes through, in either order, so that a second ``r`` (calamine may read it
        instead) is always a hit."""
        key = (self.row_cap, self.col_cap)
        if self._pattern is None or key != self._key:
            ok = b""
            if self.row_cap:
                cols = _span("A", _letters(self.col_cap), _UPPER, _UPPER)
                cap = str(self.row_cap)
                k = _significant(len(cap))
                lead = _span("1" + "0" * (k - 1), cap[:k], _DIGITS, _DIGITS[1:])
                rows = [f'{lead}[0-9]{{{len(cap) - k}}}"']
                if len(cap) > 1:  # every shorter row number
                    rows.append(f'[1-9][0-9]{{0,{len(cap) - 2}}}+"')
                attr = '[st]="[^"]*+"'
                tail = f"(?:>| {attr}(?:>| {attr}/?>|/>)|/>)"
                ok = f'(?! r="{cols}{_group(rows)}{tail})'.encode()
            self._pattern = re.compile(rb"<c" + ok)
            self._key = key
        return self._pattern

    def _raise_caps(self, row: int, col: int) -> None:
        self.add(row, col)
        self.col_cap = max(self.col_cap, col)
        if row > self.row_cap:  # rounded up to a few significant digits: few patterns
            digits = max(len(str(row)), 2)
            unit = 10 ** (digits - _significant(digits))
            self.row_cap = (row // unit + 1) * unit - 1

    def fast(self, data: bytes, start: int, end: int, lim: Limits) -> None:
        """Scan a block that ends at a tag boundary: every cell in it lies within rows
        1..row_cap and columns 1..col_cap afterwards. Raise :class:`_Restart` when a cell needs
        calamine's row/column counters."""
        self.bytes += end - start
        self.counting = self.counting or self.bytes > 15 * lim.max_cells // 2
        if self.counting:  # else bound: a cell with a value takes >= 15 bytes
            self.cells += data.count(b"<c", start, end)
        else:
            self.cells += (end - start) // 15
        for seed in (_LAST_REF.search(data, start, end), _last(data, start, end)):
            if seed is not None:
                where = _ref(seed.group(1))
                if where is not None:
                    self._raise_caps(*where)
        prev = start
        for hit in _prefixed(data, start, end):
            lt = data.rfind(b"<", prev, hit.start())
            prev = hit.end()
            if lt >= 0 and not re.search(rb"[ \t\r\n/>:<]", data[lt + 1 : hit.start()]):
                raise _Restart  # a namespace-prefixed cell
        pos = start
        while pos < end:
            # Searched a slice at a time: a C call this short lets the inflating thread take
            # the GIL back soon (see _Switching). A slice ends before a "<" where it can, so
            # that no tag is cut; a tag cut all the same is a hit, parsed whole below, and a
            # "<c" whose "c" lies past the slice is found by the next one.
            stop = end if pos + _SLICE >= end else data.rfind(b"<", pos + 1, pos + _SLICE)
            if stop <= pos:
                stop = pos + _SLICE
            odd = self._fast_pattern().search(data, pos, stop)
            if odd is None:
                pos = stop if stop == end or data[stop] == 60 else stop - 1  # 60: "<"
                continue
            if data[odd.end() : odd.end() + 1] not in _TAG_NAME_END:
                pos = odd.end()  # <col, <cfRule…: another element
                continue
            tag = _CELL_TAG.match(data, odd.start(), end)
            if tag is None:
                raise _Restart
            pos = tag.end()
            values, _ = _r_values(tag.group(1).removesuffix(b"/"))
            if not values and not tag.group(1).endswith(b"/"):
                raise _Restart  # a cell without r: placed by the counters
            for where in map(_ref, values):
                if where is not None:
                    self._raise_caps(*where)

    def exact(self, blocks: Iterator[bytes]) -> None:
        """Replay calamine's counters over the whole part (``blocks`` from its start)."""
        self.extent = Extent()
        self.cells = 0
        row = (0, 0)  # calamine's row_index (0-based), as a (low, high) range
        col = (0, 0)
        in_cell = False
        carry = b""
        for block in blocks:
            data = carry + block
            pos = 0
            while True:
                m = _EXACT.match(data, pos)
                if m is None:
                    break
                pos = m.end()
                closing, name, raw = m.group(1), m.group(2), m.group(3)
                if closing:
                    if name == b"c":
                        in_cell = False
                    elif not in_cell:
                        row, col = (row[0] + 1, row[1] + 1), (0, 0)
                    continue
                empty = raw.endswith(b"/")
                values, _ = _r_values(raw[:-1] if empty else raw)
                if name == b"row":
                    if in_cell:
                        continue
                    rows = [w[0] - 1 for w in (_ref(v, need_col=False) for v in values) if w]
                    if rows:
                        row = (min(rows), max(rows))
                    if empty:  # calamine expands <row/> to a start and an end
                        row, col = (row[0] + 1, row[1] + 1), (0, 0)
                    continue
                self.cells += not empty
                refs = [w for w in map(_ref, values) if w is not None]
                for where in refs:
                    self.add(*where)
                if in_cell:  # calamine reads a nested <c/> as the cell's end
                    in_cell = not empty
                    continue
                if refs:
                    col = (min(w[1] for w in refs) - 1, max(w[1] for w in refs) - 1)
                elif not values:
                    self.add(row[0] + 1, col[0] + 1)
                    self.add(row[1] + 1, col[1] + 1)
                col = (col[0] + 1, col[1] + 1)
                in_cell = not empty  # <c/> is a start and an end (expand_empty_elements)
            rest = data[pos:]
            skipped = _SKIPS.match(rest)
            carry = rest[skipped.end() if skipped else 0 :]
            if len(carry) > _MAX_TAG:
                raise TooLarge(
                    f"refused: a single XML tag or comment over {_MAX_TAG // _MIB} MiB in a "
                    "sheet part"
                )


def _prefixed(data: bytes, start: int, end: int) -> Iterator[re.Match[bytes]]:
    """The matches of ``_PREFIXED_CELL`` in ``data[start:end]``, as its ``finditer`` gives
    them. A ":" is rare in a sheet (the namespace declarations; a time in a text), so each
    one is found with ``bytes.find`` (memchr: a fifth of the regex's pass over a block) and
    the pattern tried there; past ``_COLONS`` of them in a block, the regex takes over."""
    at = data.find(b":", start, end)
    for _ in range(_COLONS):
        if at < 0:
            return
        hit = _PREFIXED_CELL.match(data, at, end)
        if hit is not None:
            yield hit  # ends at most two bytes on, before the next ":" (a ":c:" is no hit)
        at = data.find(b":", at + 1, end)
    if at >= 0:
        yield from _PREFIXED_CELL.finditer(data, at, end)


def _last(data: bytes, start: int, end: int) -> re.Match[bytes] | None:
    at = data.rfind(b'<c r="', start, end)
    return _LAST_REF.match(data, at, end) if at >= 0 else None


class Kept(NamedTuple):
    """A worksheet part's inflated bytes, as the check inflated them (see ``keep_over``)."""

    part: str
    blocks: list[bytes]


def check_workbook(
    path: Path, limits: Limits | None = None, *, keep_over: int | None = None
) -> Kept | None:
    """Refuse (raise :class:`TooLarge`) a zip or OLE2 (.xls) workbook that exceeds ``limits``
    (default :meth:`Limits.from_env`); see the module docstring. Other formats (CSV) only get
    the file-size check.

    With ``keep_over``, the biggest worksheet part of an .xlsx-style workbook, when it inflates
    to at least that many bytes, is returned as the check inflated it (a reader parsing it in
    halves, ``pipeline.halves``, then needs no second inflate); otherwise None.
    """
    lim = limits or Limits.from_env()
    size = path.stat().st_size
    if size > lim.max_file_mb * _MIB:
        raise TooLarge(
            f"refused: the file is {size / _MIB:,.0f} MiB, over the limit of "
            f"{lim.max_file_mb:,.0f} MiB (EXCELFLOW_MAX_FILE_MB)"
        )
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            if fh.read(8) == _OLE_MAGIC:
                _check_xls(path, lim)
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            _check_parts(zf, lim)
            names = set(zf.namelist())
            if "content.xml" in names and "xl/workbook.xml" not in names:
                _check_ods(path, zf, lim)
                return None
            if "xl/workbook.bin" in names:
                _check_xlsb(path, zf, lim)
                return None
            budget = [lim.max_inflated_mb * _MIB]
            parts = _inflated_parts(zf)
            keep = _to_keep(zf, parts, keep_over)
            kept: list[bytes] | None = None
            for name in parts:
                sheet = _SHEET_PART.fullmatch(name) is not None
                blocks: list[bytes] | None = [] if name == keep else None
                scan = _scan(path, zf, name, budget, lim, sheet=sheet, keep=blocks)
                if scan is not None:
                    _check_extent(name, scan.extent, scan.cells, lim)
                if blocks is not None and scan is not None and scan.kept:
                    kept = blocks
            return None if keep is None or kept is None else Kept(keep, kept)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise TooLarge(f"the file is corrupt (damaged zip container: {exc})") from None


_ODS_TAG = re.compile(
    rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[ \t\r\n/>])" + _ATTRS
)
_ODS_ROWS = re.compile(rb'table:number-rows-repeated\s*=\s*["\']\s*\+?([0-9]+)')
_ODS_COLS = re.compile(rb'table:number-columns-repeated\s*=\s*["\']\s*\+?([0-9]+)')
_ODS_MAX_ROWS, _ODS_MAX_COLS = 1_048_576, 16_384  # calamine caps repeats there (ods.rs)


class _OdsScan:
    """The cells calamine's ods reader allocates for each table of content.xml: repeated rows
    and columns expanded as it expands them (capped at 1,048,576 rows and 16,384 columns), the
    range trimmed to the rows and columns holding a cell that may have a value (a self-closing
    cell without an ``office:``/``table:formula`` attribute has none)."""

    def __init__(self, lim: Limits) -> None:
        self.lim = lim
        self.tables: list[tuple[int, int]] = []  # (rows, columns) of each table checked
        self._new_table()

    def _new_table(self) -> None:
        self.row_at = 0  # rows before this row element, repeats counted
        self.first_row = -1  # where the first row with a value starts
        self.last_row = -1  # where the last row with a value ends (exclusive)
        self.col_min, self.col_max = _ODS_MAX_COLS, -1
        self.pushed = 0  # cells calamine's row reader pushes (before the range is built)
        self.in_row = False
        self.repeats = 1
        self.col = 0
        self.row_value = False
        self.pushed_row = 0

    def feed(self, data: bytes, start: int, end: int) -> None:
        """Take in the tags of ``data[start:end]`` (whole tags only)."""
        for m in _ODS_TAG.finditer(data, start, end):
            closing, name, raw = m.group(1), m.group(2), m.group(3)
            if name == b"table":
                if closing:
                    self._close_table()
                continue
            if name == b"table-row":
                if closing:
                    self._end_row()
                    continue
                if self.in_row:
                    self._end_row()
                rep = _ODS_ROWS.search(raw)
                self.repeats = min(int(rep.group(1)), _ODS_MAX_ROWS) if rep else 1
                self.repeats = min(self.repeats, max(_ODS_MAX_ROWS - self.row_at, 0))
                self.in_row, self.col, self.row_value, self.pushed_row = True, 0, False, 0
                if raw.endswith(b"/"):
                    self._end_row()
                continue
            if closing or not self.in_row:
                continue
            rep = _ODS_COLS.search(raw)
            width = min(int(rep.group(1)), _ODS_MAX_COLS) if rep else 1
            width = min(width, max(_ODS_MAX_COLS - self.col, 0))
            valued = not raw.endswith(b"/") or b"office:" in raw or b"table:formula" in raw
            if valued and width:
                self.col_min = min(self.col_min, self.col)
                self.col_max = max(self.col_max, self.col + width - 1)
                self.row_value = True
                self.pushed_row = self.col + width
            self.col += width

    def _end_row(self) -> None:
        if not self.in_row:
            return
        self.in_row = False
        if self.row_value:
            if self.first_row < 0:
                self.first_row = self.row_at
            self.last_row = self.row_at + self.repeats
            self.pushed += self.pushed_row
            self._check(pushed_only=True)
        self.row_at += self.repeats

    def _close_table(self) -> None:
        self._end_row()
        self._check(pushed_only=False)
        self._new_table()

    def _check(self, *, pushed_only: bool) -> None:
        lim = self.lim
        if self.pushed > lim.max_cells:
            raise TooLarge(
                f"refused: a table of content.xml holds {self.pushed:,} cells, over the limit "
                f"of {lim.max_cells:,}{_basis(lim)} (EXCELFLOW_MAX_CELLS)"
            )
        if pushed_only or self.first_row < 0:
            return
        rows = self.last_row - self.first_row
        cols = self.col_max - self.col_min + 1
        self.tables.append((rows, cols))
        _check_extent("content.xml", Extent(1, rows, 1, cols), 0, lim)


def _check_ods(path: Path, zf: zipfile.ZipFile, lim: Limits) -> None:
    """An .ods: meter content.xml against the inflated budget and bound its tables."""
    scan = _OdsScan(lim)
    meter = _Meter("content.xml", [lim.max_inflated_mb * _MIB], lim)
    carry = b""
    for block in meter(_prefetch(_blocks(path, zf, zf.getinfo("content.xml")))):
        data = carry + block if carry else block
        cut = data.rfind(b"<")
        if cut < 0 or _TAG_END.match(data, cut):
            end, carry = len(data), b""
        else:
            end, carry = cut, data[cut:]
            if len(carry) > _MAX_TAG:
                raise TooLarge(f"refused: a tag over {_MAX_TAG // _MIB} MiB in content.xml")
        scan.feed(data, 0, end)
    scan._close_table()


_XLSB_SHEET = re.compile(r"(?i)xl/worksheets/[^/]+\.bin")
_XLSB_MAX_ROW = 0x0010_0000  # calamine stops a sheet at a row header beyond this (xlsb)


class _XlsbScan:
    """The cells of an .xlsb sheet part as calamine's record reader places them: a record is a
    1-2 byte type and a 1-4 byte length; BrtRowHdr (type 0) sets the row from its first four
    bytes, a cell record (types 2-11) takes its column from its first four bytes (calamine
    reuses its buffer, so a shorter record keeps the previous record's bytes: mimicked). Rows
    are counted from 0 (calamine's row before the first header)."""

    def __init__(self) -> None:
        self.carry = b""
        self.skip = 0
        self.head = bytearray(4)
        self.row = 0
        self.row_max = -1
        self.col_min = -1
        self.col_max = -1
        self.cells = 0

    def feed(self, block: bytes) -> None:
        """Take in the next bytes of the part."""
        if self.skip:
            take = min(self.skip, len(block))
            self.skip -= take
            block = block[take:]
        data = self.carry + block if self.carry else block
        n, pos, head = len(data), 0, self.head
        while pos < n:
            start = pos
            first = data[pos]
            pos += 1
            if first & 0x80:
                if pos >= n:
                    pos = start
                    break
                typ = (first & 0x7F) + ((data[pos] & 0x7F) << 7)
                pos += 1
            else:
                typ = first
            length, shift, done = 0, 0, False
            for _ in range(4):
                if pos >= n:
                    break
                byte = data[pos]
                pos += 1
                length += (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    done = True
                    break
            else:
                done = True
            need = min(4, length)
            if not done or pos + need > n:
                pos = start
                break
            head[:need] = data[pos : pos + need]
            if typ == 0:
                self.row = int.from_bytes(head, "little")
            elif 2 <= typ <= 11 and self.row <= _XLSB_MAX_ROW:
                col = int.from_bytes(head, "little")
                self.cells += 1
                self.row_max = max(self.row_max, self.row)
                self.col_min = col if self.col_min < 0 else min(self.col_min, col)
                self.col_max = max(self.col_max, col)
            if pos + length > n:
                self.skip = pos + length - n
                pos = n
                break
            pos += length
        self.carry = data[pos:]

    def extent(self) -> Extent:
        """The bound, 1-based."""
        if self.row_max < 0:
            return Extent()
        return Extent(1, self.row_max + 1, self.col_min + 1, self.col_max + 1)


def _check_xlsb(path: Path, zf: zipfile.ZipFile, lim: Limits) -> None:
    """An .xlsb: meter every sheet and the shared strings against the inflated budget and
    bound each sheet's cells."""
    budget = [lim.max_inflated_mb * _MIB]
    for name in sorted(zf.namelist()):
        if name.lower() == "xl/sharedstrings.bin":
            for _ in _Meter(name, budget, lim)(_blocks(path, zf, zf.getinfo(name))):
                pass
        elif _XLSB_SHEET.fullmatch(name):
            scan = _XlsbScan()
            for block in _Meter(name, budget, lim)(_prefetch(_blocks(path, zf, zf.getinfo(name)))):
                scan.feed(block)
            _check_extent(name, scan.extent(), scan.cells, lim)


def _check_parts(zf: zipfile.ZipFile, lim: Limits) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        big = info.file_size > 16 * _MIB
        if big and info.file_size / max(info.compress_size, 1) > lim.max_ratio:
            raise TooLarge(
                f"refused: the part {info.filename} would inflate {info.file_size / _MIB:,.0f} "
                f"MiB from {info.compress_size / _MIB:,.1f} MiB (possible zip bomb; "
                "EXCELFLOW_MAX_RATIO)"
            )
    if total > lim.max_inflated_mb * _MIB:
        raise TooLarge(
            f"refused: would inflate to {total / _MIB:,.0f} MiB, over the limit of "
            f"{lim.max_inflated_mb:,.0f} MiB (EXCELFLOW_MAX_INFLATED_MB)"
        )


def _inflated_parts(zf: zipfile.ZipFile) -> list[str]:
    """The parts calamine inflates whole: every worksheet and the shared strings."""
    names = set(zf.namelist())
    found = {n for n in names if _SHEET_PART.fullmatch(n)}
    rels = "xl/_rels/workbook.xml.rels"
    if rels in names:
        for rel in re.findall(
            rb"<(?:[A-Za-z0-9]{1,16}:)?Relationship\b[^<>]{0,2048}", zf.read(rels)
        ):
            kind = re.search(rb'Type="([^"]{0,512})"', rel)
            target = re.search(rb'Target="([^"]{0,512})"', rel)
            if kind and target and kind.group(1).endswith((b"/worksheet", b"/sharedStrings")):
                text = target.group(1).decode("utf-8", "replace")
                part = text.lstrip("/") if text.startswith("/") else posixpath.join("xl", text)
                part = posixpath.normpath(part)
                if part in names:
                    found.add(part)
    found |= {n for n in names if n.lower() == "xl/sharedstrings.xml"}
    return sorted(found)


def _blocks(
    path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = _BLOCK
) -> Iterator[bytes]:
    """A part's inflated bytes, at most ``size`` at a time: deflate straight from the file
    with zlib (no CRC pass, no whole-part string), other methods through zipfile."""
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1:
        with zf.open(info) as part:
            while block := part.read(size):
                yield block
        return
    if info.header_offset < 0:  # a directory placed before its own offsets (bytes cut out)
        raise zipfile.BadZipFile(f"bad local header offset of {info.filename}")
    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        head = fh.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header of {info.filename}")
        begin = (
            info.header_offset
            + 30
            + int.from_bytes(head[26:28], "little")
            + int.from_bytes(head[28:30], "little")
        )
        isal = _isal() if info.compress_size >= _ISAL_MIN else None
        skip = 0
        if isal is not None:
            try:
                yield from _inflate(fh, begin, info, size, isal.decompressobj(-15), isal.error)
                return
            except _Failed as failed:  # zlib replays the stream, for zlib's own verdict
                skip = failed.made
        yield from _inflate(fh, begin, info, size, zlib.decompressobj(-15), None, skip)


def part_blocks(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's inflated bytes in blocks of up to 16 MiB, inflated as the check inflates them
    (ISA-L for a big deflated part): for a reader that needs a part's XML itself
    (``pipeline.halves``). Its size was checked already: this checks nothing."""
    return _blocks(path, zf, info, 16 * _MIB)


class _Failed(Exception):
    """ISA-L failed on a stream after ``made`` bytes were handed on."""

    def __init__(self, made: int) -> None:
        super().__init__(made)
        self.made = made


def _inflate(
    fh: BinaryIO,
    begin: int,
    info: zipfile.ZipInfo,
    size: int,
    inflater: _Inflater,
    failure: type[Exception] | None,
    skip: int = 0,
) -> Iterator[bytes]:
    """Inflate the raw deflate stream at ``begin`` (``info.compress_size`` bytes), at most
    ``size`` bytes a block; the first ``skip`` bytes it makes are not handed on (they were
    already). ``failure`` (ISA-L's error) is raised as :class:`_Failed`."""
    fh.seek(begin)
    left, made = info.compress_size, 0
    try:
        while left > 0 and not inflater.eof:
            chunk = fh.read(min(left, size // 4))
            if not chunk:
                break
            left -= len(chunk)
            while chunk and not inflater.eof:
                out = inflater.decompress(chunk, size)
                chunk = inflater.unconsumed_tail
                if out:
                    made += len(out)
                    if made > info.file_size:  # a header that lies about the size
                        raise TooLarge(_liar(info))
                    if made > skip:
                        yield out[max(0, len(out) - (made - skip)) :]
        out = inflater.flush()
        made += len(out)
    except Exception as exc:
        if failure is None or not isinstance(exc, failure):
            raise
        raise _Failed(max(made, skip)) from None
    if out:
        if made > info.file_size:
            raise TooLarge(_liar(info))
        if made > skip:
            yield out[max(0, len(out) - (made - skip)) :]


class _Inflater(Protocol):
    """What :func:`_blocks` uses of a raw-deflate decompressor (zlib's or ISA-L's)."""

    @property
    def eof(self) -> bool: ...

    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...

    def flush(self) -> bytes: ...


_ISAL_MIN = 4 * _MIB  # a part this big (compressed) is inflated with ISA-L when installed


class _Isal(Protocol):
    error: type[Exception]

    def decompressobj(self, wbits: int, /) -> _Inflater: ...


def _isal() -> _Isal | None:
    """ISA-L's zlib module (the ``isal`` package), or None (a platform with no wheel). It
    inflates the same bytes in a little over half zlib's time and releases the GIL as zlib
    does; its import (~10 ms) is paid only for a big part. On a stream it cannot inflate,
    zlib replays the part, so the verdict and its words are zlib's."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return cast(_Isal, isal_zlib)


def _liar(info: zipfile.ZipInfo) -> str:
    return (
        f"the file is corrupt (the part {info.filename} inflates beyond the "
        f"{info.file_size:,} bytes its header declares)"
    )


class _Switching:
    """While a :func:`_prefetch` worker runs, the interpreter's switch interval is cut to
    0.1 ms. zlib gives the GIL back around each step of its output buffer (32K, 64K, 256K,
    1M, 4M: five steps for a 4 MiB block), and each time the worker waits for the scanning
    thread to let go of it again, for up to the switch interval: at the default 5 ms the
    worker spent longer waiting than inflating and the two threads barely overlapped. The
    scan searches 128 KiB at a time (``_SLICE``), so it lets go soon after being asked.
    Counted, so that overlapping checks restore the interval once, when the last one ends."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.lock = threading.Lock()
        self.users = 0
        self.saved = 0.0

    def __enter__(self) -> None:
        with self.lock:
            if not self.users:
                self.saved = sys.getswitchinterval()
                if self.interval:
                    sys.setswitchinterval(min(self.saved, self.interval))
            self.users += 1

    def __exit__(self, *_: object) -> None:
        with self.lock:
            self.users -= 1
            if not self.users:
                sys.setswitchinterval(self.saved)


_SWITCHING = _Switching(1e-4)


def _prefetch(blocks: Iterator[bytes], depth: int = 4) -> Iterator[bytes]:
    """``blocks``, produced by a worker thread: zlib and file reads release the GIL, so the
    inflating overlaps the scanning (about a third of the check on a big sheet). Nothing is
    handed to calamine before the whole check is done."""
    out: queue.Queue[tuple[bytes | None, BaseException | None]] = queue.Queue(depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        out.put((block, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put((None, None))
        except BaseException as exc:  # handed to the reader, raised there
            out.put((None, exc))

    with _SWITCHING:
        worker = threading.Thread(target=work, name="excelflow-inflate", daemon=True)
        worker.start()
        try:
            while True:
                block, error = out.get()
                if error is not None:
                    raise error
                if block is None:
                    return
                yield block
        finally:
            stop.set()
            worker.join()


class _Meter:
    """Counts a part's inflated bytes against the workbook's budget (a replay of bytes already
    counted is free)."""

    def __init__(self, name: str, budget: list[float], lim: Limits) -> None:
        self.name, self.budget, self.lim, self.top = name, budget, lim, 0

    def __call__(self, blocks: Iterator[bytes]) -> Iterator[bytes]:
        at = 0
        for block in blocks:
            at += len(block)
            if at > self.top:
                self.budget[0] -= at - self.top
                self.top = at
                if self.budget[0] < 0:
                    raise TooLarge(
                        f"refused: inflates beyond {self.lim.max_inflated_mb:,.0f} MiB (at the "
                        f"part {self.name}; possible zip bomb; EXCELFLOW_MAX_INFLATED_MB)"
                    )
            yield block


def _to_keep(zf: zipfile.ZipFile, parts: list[str], over: int | None) -> str | None:
    """The worksheet part whose inflated blocks the check keeps: the biggest, if ``over``."""
    sheets = [zf.getinfo(n) for n in parts if _SHEET_PART.fullmatch(n)]
    if over is None or not sheets:
        return None
    biggest = max(sheets, key=lambda info: info.file_size)
    return biggest.filename if biggest.file_size >= over else None


def _scan(
    path: Path,
    zf: zipfile.ZipFile,
    name: str,
    budget: list[float],
    lim: Limits,
    *,
    sheet: bool,
    keep: list[bytes] | None = None,
) -> _SheetScan | None:
    """Inflate ``name`` a block at a time against ``budget`` (bytes left); for a sheet, the
    extent and cell count of its cells (see the comment above :func:`_ref`). A sheet's blocks
    are appended to ``keep`` when given (``scan.kept`` says whether they are all there: not
    when the part had to be replayed exactly)."""
    info = zf.getinfo(name)
    meter = _Meter(name, budget, lim)
    if not sheet:
        for _ in meter(_blocks(path, zf, info)):
            pass
        return None
    scan = _SheetScan()
    scan.counting = info.file_size > 15 * lim.max_cells // 2
    carry = b""
    try:
        for block in meter(_prefetch(_blocks(path, zf, info, _SHEET_BLOCK))):
            if keep is not None:
                keep.append(block)
            start = 0
            if carry:  # the tag cut at the last block's end, made whole
                joined = carry + block[:_JOIN]
                whole = _TAG_END.match(joined)
                if whole is not None and whole.end() > len(carry):
                    scan.fast(joined, 0, whole.end(), lim)
                    start = whole.end() - len(carry)
                else:
                    block = carry + block
                carry = b""
            cut = block.rfind(b"<", start)
            if cut < start or _TAG_END.match(block, cut):
                end = len(block)  # the last tag is whole: what follows is text
            else:
                end, carry = cut, block[cut:]
                if len(carry) > _MAX_TAG:
                    raise _Restart
            scan.fast(block, start, end, lim)
            _check_extent(name, scan.extent, 0, lim, early=True)  # the cells met so far
        if carry:
            scan.fast(carry, 0, len(carry), lim)
    except _Restart:
        scan.exact(meter(_blocks(path, zf, info)))
        return scan
    scan.kept = keep is not None
    seen = scan.extent  # the references met (a bound from below, but for empty cells)
    if scan.row_cap:
        scan.extent = Extent(1, scan.row_cap, 1, scan.col_cap)
    try:
        _check_extent(name, scan.extent, scan.cells, lim)
    except TooLarge:
        _check_extent(name, seen, 0, lim)  # the cells met are already over: refuse now
        scan.exact(meter(_blocks(path, zf, info)))  # only the rounding is: count exactly
    return scan


def _check_extent(
    name: str, extent: Extent, cells: int, lim: Limits, *, early: bool = False, part: bool = True
) -> None:
    spans = "spans at least" if early else "spans"
    name = f"the sheet part {name}" if part else name
    where = f"{name} {spans} {extent.rows:,} rows x {extent.cols:,} columns"
    if extent.rows > lim.max_rows or extent.row_max > 1_048_576:
        raise TooLarge(f"refused: {where}, over {lim.max_rows:,} rows (EXCELFLOW_MAX_ROWS)")
    if extent.cols > lim.max_cols or extent.col_max > 16_384:
        raise TooLarge(f"refused: {where}, over {lim.max_cols:,} columns (EXCELFLOW_MAX_COLS)")
    if extent.rows * extent.cols > lim.max_cells:
        raise TooLarge(
            f"refused: {where} = {extent.rows * extent.cols:,} cells, over the limit of "
            f"{lim.max_cells:,}{_basis(lim)} (EXCELFLOW_MAX_CELLS)"
        )
    if cells > lim.max_cells:  # one cell written many times is one place but many reads
        raise TooLarge(
            f"refused: {name} holds {cells:,} {'cell elements' if part else 'cells'}, over the "
            f"limit of {lim.max_cells:,}{_basis(lim)} (EXCELFLOW_MAX_CELLS)"
        )


def _basis(lim: Limits) -> str:
    return f" set by {lim.cells_from}" if lim.cells_from else ""


# --------------------------------------------------------------------------- .xls (BIFF8, OLE2)
#
# calamine's cfb.rs reads the compound file itself and trusts it: it follows the DIFAT and the
# directory chains until an end mark (a loop never ends and grows memory until the process
# aborts) and a stream's chain up to its declared length (a loop under a 4 GiB size: the
# same). A header declaring more FAT sectors than the file holds is read (measured). Then
# xls.rs reads the whole Workbook stream, finds each sheet at its BoundSheet8 offset and, per
# sheet, reserves the cells its DIMENSIONS record declares and builds one dense range from the
# cells it places and one from the formulas (both from the first to the last row and column),
# for every sheet at once. The reader below follows the same chains with a visited set and
# a byte budget (``max_inflated_mb``), and the scan bounds each sheet as calamine builds it.

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENDOFCHAIN, _DIFSECT, _RESERVED = 0xFFFFFFFE, 0xFFFFFFFC, 0xFFFFFFFA
_XLS_CELLS = frozenset((0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD))  # row, col first


class _Corrupt(Exception):
    """The compound file cannot be read the way calamine reads it."""


class _Ole:
    """A bounded reader of an OLE2 compound file mapped in ``data``, following calamine's
    cfb.rs: sector ``i`` starts at ``(i + 1) * size``; an id past ``len / size`` is an error."""

    def __init__(self, data: memoryview, lim: Limits) -> None:
        if len(data) < 512 or bytes(data[:8]) != _OLE_MAGIC:
            raise _Corrupt("no OLE2 header")
        self.data, self.lim = data, lim
        shift = int.from_bytes(data[30:32], "little")
        if shift not in (9, 12) or int.from_bytes(data[32:34], "little") != 6:
            raise _Corrupt("bad sector sizes")
        self.size = 1 << shift
        self.maxid = len(data) // self.size
        self.budget = lim.max_inflated_mb * _MIB
        u32 = struct.Struct("<I").unpack_from
        dir_start, mini_start = u32(data, 48)[0], u32(data, 60)[0]
        mini_len, difat_start = u32(data, 64)[0], u32(data, 68)[0]
        difat = list(struct.unpack_from("<109I", data, 76))
        seen: set[int] = set()
        sector_id = difat_start
        while sector_id < _RESERVED:
            if sector_id in seen:
                raise _Corrupt("a loop in the DIFAT chain")
            seen.add(sector_id)
            difat.extend(self._u32s(self._sector(sector_id)))
            sector_id = difat.pop()
        self.fat: list[int] = []
        for sector_id in difat:
            if sector_id < _DIFSECT:
                self.fat.extend(self._u32s(self._sector(sector_id)))
        dirs = self._chain(dir_start, self.fat, None, 1 << 62, "the directory")
        if len(dirs) % 128:
            raise _Corrupt("a partial directory entry")
        self.entries: list[tuple[str, int, int]] = []
        for at in range(0, len(dirs), 128):
            raw = bytes(dirs[at : at + 64]).decode("utf-16-le", "replace")
            name = raw.split("\x00", 1)[0]
            start = u32(dirs, at + 116)[0]
            wide = 8 if self.size == 4096 else 4
            length = int.from_bytes(dirs[at + 120 : at + 120 + wide], "little")
            self.entries.append((name, start, length))
        if not self.entries:
            raise _Corrupt("an empty directory")
        self.mini = self.minifat = b""
        if mini_len > 0:
            self.mini = self._chain(
                self.entries[0][1], self.fat, None, self.entries[0][2], "the mini stream"
            )
            minifat = self._chain(mini_start, self.fat, None, mini_len * self.size, "the mini FAT")
            self.minifat = minifat[: len(minifat) // 4 * 4]

    def _spend(self, n: int, what: str) -> None:
        self.budget -= n
        if self.budget < 0:
            raise TooLarge(
                f"refused: the OLE2 container asks for more than "
                f"{self.lim.max_inflated_mb:,.0f} MiB (at {what}; EXCELFLOW_MAX_INFLATED_MB)"
            )

    @staticmethod
    def _u32s(block: memoryview | bytes) -> list[int]:
        return list(memoryview(block)[: len(block) // 4 * 4].cast("I"))

    def _sector(self, sector_id: int) -> memoryview:
        if sector_id > self.maxid:
            raise _Corrupt(f"sector {sector_id} beyond the end of the file")
        start = (sector_id + 1) * self.size
        return self.data[start : start + self.size]

    def _chain(
        self, sector_id: int, fat: list[int], mini: bytes | None, length: int, what: str
    ) -> bytes:
        """A chain's bytes up to ``length``; a loop, or a chain beyond the budget, refused."""
        size = 64 if mini is not None else self.size
        parts: list[bytes] = []
        got = 0
        seen = bytearray((len(fat) + 8) // 8)
        while sector_id != _ENDOFCHAIN and got < length:
            if sector_id >= len(fat):
                raise _Corrupt(f"sector {sector_id} outside the allocation table")
            if seen[sector_id >> 3] & (1 << (sector_id & 7)):
                raise _Corrupt(f"a loop in the sector chain of {what}")
            seen[sector_id >> 3] |= 1 << (sector_id & 7)
            if mini is None:
                sector = bytes(self._sector(sector_id))
            else:
                sector = mini[sector_id * 64 : sector_id * 64 + 64]
                if len(sector) < 64:
                    raise _Corrupt(f"mini sector {sector_id} beyond the mini stream")
            part = sector[: min(size, length - got)]
            self._spend(len(part), what)
            parts.append(part)
            got += len(part)
            sector_id = fat[sector_id]
        return b"".join(parts)

    def stream(self, names: tuple[str, ...]) -> tuple[str, bytes] | None:
        """The first stream found under one of ``names`` (tried in order), as calamine."""
        for wanted in names:
            for name, start, length in self.entries:
                if name == wanted:
                    if length < 4096:
                        minifat = self._u32s(self.minifat)
                        return name, self._chain(start, minifat, self.mini, length, name)
                    return name, self._chain(start, self.fat, None, length, name)
        return None


def _xls_records(stream: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    """(type, start of data, length) of each BIFF record from ``pos`` until the stream ends
    or a record is cut (where calamine stops with an error)."""
    head = struct.Struct("<HH").unpack_from
    end = len(stream)
    while pos + 4 <= end:
        typ, length = head(stream, pos)
        if pos + 4 + length > end:
            return
        yield typ, pos + 4, length
        pos += 4 + length


class _XlsSheet:
    """One sheet's cells (values and formulas) as calamine's xls.rs places them, 0-based."""

    def __init__(self) -> None:
        self.row_min = self.col_min = 1 << 32
        self.row_max = self.col_max = -1
        self.cells = 0
        self.reserved = 0  # the cells the DIMENSIONS records reserve

    def extent(self) -> Extent:
        """The bound, 1-based."""
        if self.row_max < 0:
            return Extent()
        return Extent(self.row_min + 1, self.row_max + 1, self.col_min + 1, self.col_max + 1)


_XLS_HEAD = struct.Struct("<HHHH")  # record type, length, then a cell's row and column


def _xls_sheet(stream: bytes, pos: int, cap: int) -> _XlsSheet:
    """Walk a sheet's records from its BoundSheet8 offset the way xls.rs does: nested
    substreams (BOF … EOF of an embedded chart) skipped, the sheet ended by its EOF or a
    record cut short (calamine stops there with an error), or by more than ``cap`` cells
    (refused then: no need to read on). One unpack a record."""
    sheet = _XlsSheet()
    head, cells_types = _XLS_HEAD.unpack_from, _XLS_CELLS
    rmin = cmin = 1 << 32
    rmax = cmax = -1
    count = 0
    seen_bof, depth = False, 0
    frow = fcol = 0  # where the last formula stands (a String record's cell)
    end = len(stream)
    while pos + 4 <= end:
        if pos + 8 <= end:
            typ, length, row, col = head(stream, pos)
        else:  # the last record, under 4 bytes of data
            typ, length = struct.unpack_from("<HH", stream, pos)
            row = col = 0
        at = pos + 4
        pos = at + length
        if pos > end:
            break
        if depth:
            if typ == 0x0809:
                depth += 1
            elif typ == 0x000A:
                depth -= 1
            continue
        width = 1
        if typ in cells_types:
            if length < 4:
                continue
        elif typ == 0x00BD:  # MulRk: row, first column, 6-byte RKs, last column
            width = -(-(length - 6) // 6) if length >= 6 else 0
            if not width:
                continue
        elif typ == 0x0006:  # Formula: a value cell and a formula cell
            if length < 20:
                continue
            frow, fcol, width = row, col, 2
        elif typ == 0x0207:  # String: a formula's text value, at the last formula
            row, col = frow, fcol
        elif typ == 0x0200:
            sheet.reserved = min(sheet.reserved + _xls_dimensions(stream[at:pos]), 1 << 64)
            continue
        elif typ == 0x0809:
            if seen_bof:
                depth += 1
            seen_bof = True
            continue
        elif typ == 0x000A:
            break
        else:
            continue
        if typ == 0x00BD:
            count += width
            last = col + width - 1
        else:
            count += 1 if width == 1 else 2
            last = col
        if row < rmin:
            rmin = row
        if row > rmax:
            rmax = row
        if col < cmin:
            cmin = col
        if last > cmax:
            cmax = last
        if count > cap:
            break
    sheet.row_min, sheet.row_max, sheet.col_min, sheet.col_max = rmin, rmax, cmin, cmax
    sheet.cells = count
    return sheet


def _xls_dimensions(data: bytes) -> int:
    """The cells calamine reserves for a DIMENSIONS record (its u32 arithmetic wraps)."""
    if len(data) == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", data)
    elif len(data) == 14:
        rf, rl, cf, cl = struct.unpack_from("<IIHH", data)
    else:
        return 0
    if cf > 0xFF or cl < cf:
        cf = 0
    end_r, end_c = (rl - 1, cl - 1) if rl >= 1 and cl >= 1 else (rf, cf)
    rows: int = (end_r - rf + 1) & _U32
    cols: int = (end_c - cf + 1) & _U32
    return rows * cols


def _check_xls(path: Path, lim: Limits) -> None:
    """An .xls: read the Workbook stream within the budget, then bound every sheet."""
    with path.open("rb") as fh:
        data = fh.read()
    try:
        ole = _Ole(memoryview(data), lim)
        found = ole.stream(("Workbook", "Book", "WORKBOOK", "BOOK"))
    except _Corrupt as exc:
        raise TooLarge(f"the file is corrupt (damaged OLE2 container: {exc})") from None
    if found is None:
        return  # no workbook stream: calamine says so
    name, stream = found
    offsets: list[int] = []
    for typ, at, length in _xls_records(stream, 0):
        if typ == 0x002F and length >= 2 and stream[at : at + 2] != b"\0\0":
            return  # encrypted: calamine refuses it before reading a sheet
        if typ == 0x0085 and length >= 4:
            offsets.append(int.from_bytes(stream[at : at + 4], "little"))
        elif typ == 0x000A:
            break
    scanned: dict[int, _XlsSheet] = {}
    total = 0
    for number, offset in enumerate(offsets, 1):
        sheet = scanned.get(offset)
        if sheet is None:
            sheet = scanned[offset] = _xls_sheet(stream, offset, lim.max_cells)
        label = f"sheet {number} of the {name} stream"
        if sheet.reserved > lim.max_cells:
            raise TooLarge(
                f"refused: the DIMENSIONS record of {label} reserves {sheet.reserved:,} cells, "
                f"over the limit of {lim.max_cells:,}{_basis(lim)} (EXCELFLOW_MAX_CELLS)"
            )
        extent = sheet.extent()
        _check_extent(label, extent, sheet.cells, lim, part=False)
        total += extent.rows * extent.cols
        if total > lim.max_cells:  # calamine holds every sheet of an .xls at once
            raise TooLarge(
                f"refused: the sheets of the {name} stream span {total:,} cells together, over "
                f"the limit of {lim.max_cells:,}{_basis(lim)} (EXCELFLOW_MAX_CELLS)"
            )
