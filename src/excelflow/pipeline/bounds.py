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
  produced (a lying header is caught) and finding the real extent of every sheet from its
  cells' references (the ``<dimension>`` element may lie too);
* refuses a sheet whose extent (rows x columns) exceeds ``max_cells``, or whose rows or
  columns exceed ``max_rows``/``max_cols``.

Each refusal is one line naming the limit and the environment variable that raises it
(:class:`Limits`, read from ``EXCELFLOW_MAX_*``). This module holds only the checks, so the
reader (:mod:`excelflow.pipeline.read`) calls it in one line.
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

_MIB = 1024**2
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a workbook may weigh; each field can be set by an environment variable
    (``EXCELFLOW_MAX_FILE_MB`` …) for a run that needs more."""

    max_file_mb: float = 512
    max_inflated_mb: float = 2048
    max_ratio: float = 200
    max_cells: int = 10_000_000
    max_rows: int = 1_048_576
    max_cols: int = 16_384

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Limits:
        """The defaults, overridden by ``EXCELFLOW_MAX_FILE_MB``, ``EXCELFLOW_MAX_INFLATED_MB``,
        ``EXCELFLOW_MAX_RATIO``, ``EXCELFLOW_MAX_CELLS``, ``EXCELFLOW_MAX_ROWS`` and
        ``EXCELFLOW_MAX_COLS`` (a value that is not a positive number is ignored)."""
        source = os.environ if env is None else env
        base = cls()
        values: dict[str, float | int] = {}
        for name in ("max_file_mb", "max_inflated_mb", "max_ratio"):
            number = _positive(source.get(f"EXCELFLOW_{name.upper()}"), float)
            values[name] = number if number is not None else getattr(base, name)
        for name in ("max_cells", "max_rows", "max_cols"):
            whole = _positive(source.get(f"EXCELFLOW_{name.upper()}"), int)
            values[name] = whole if whole is not None else getattr(base, name)
        return cls(**values)  # type: ignore[arg-type]


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


_CELL_REF = re.compile(
    rb'<(?:[A-Za-z0-9]{1,16}:)?c\b[^<>]{0,512}?\sr="([A-Za-z]{1,4})([0-9]{1,9})"'
)
_ROW_REF = re.compile(rb'<(?:[A-Za-z0-9]{1,16}:)?row\b[^<>]{0,512}?\sr="([0-9]{1,9})"')
_SHEET_PART = re.compile(r"(?i)xl/worksheets/[^/]+\.xml")


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

    def add_rows(self, rows: set[int]) -> None:
        """Take in row numbers."""
        if rows:
            low, high = min(rows), max(rows)
            self.row_min = low if not self.row_min else min(self.row_min, low)
            self.row_max = max(self.row_max, high)

    def add_cols(self, cols: set[int]) -> None:
        """Take in column numbers."""
        if cols:
            low, high = min(cols), max(cols)
            self.col_min = low if not self.col_min else min(self.col_min, low)
            self.col_max = max(self.col_max, high)


def column_number(letters: bytes) -> int:
    """``b"A"`` -> 1, ``b"XFD"`` -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def check_workbook(path: Path, limits: Limits | None = None) -> None:
    """Refuse (raise :class:`TooLarge`) a zip workbook that exceeds ``limits`` (default
    :meth:`Limits.from_env`); see the module docstring. Other formats only get the file-size
    check."""
    lim = limits or Limits.from_env()
    size = path.stat().st_size
    if size > lim.max_file_mb * _MIB:
        raise TooLarge(
            f"refused: the file is {size / _MIB:,.0f} MiB, over the limit of "
            f"{lim.max_file_mb:,.0f} MiB (EXCELFLOW_MAX_FILE_MB)"
        )
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as zf:
            _check_parts(zf, lim)
            budget = [lim.max_inflated_mb * _MIB]
            for name in _inflated_parts(zf):
                extent = _scan(zf, name, budget, lim, want_extent=_SHEET_PART.fullmatch(name))
                if extent is not None:
                    _check_extent(name, extent, lim)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise TooLarge(f"the file is corrupt (damaged zip container: {exc})") from None


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


def _scan(
    zf: zipfile.ZipFile, name: str, budget: list[float], lim: Limits, *, want_extent: object
) -> Extent | None:
    """Inflate ``name`` a block at a time against ``budget`` (bytes left); the extent of its
    cells when ``want_extent``."""
    extent = Extent() if want_extent else None
    carry = b""
    with zf.open(name) as part:
        while True:
            block = part.read(_BLOCK)
            if not block:
                break
            budget[0] -= len(block)
            if budget[0] < 0:
                raise TooLarge(
                    f"refused: inflates beyond {lim.max_inflated_mb:,.0f} MiB (at the part "
                    f"{name}; possible zip bomb; EXCELFLOW_MAX_INFLATED_MB)"
                )
            if extent is None:
                continue
            data = carry + block
            cut = data.rfind(b"<")
            cut = len(data) if cut < 0 else cut
            head, carry = data[:cut], data[cut:]
            if len(carry) > 4096:  # text without a tag holds no reference
                carry = b""
            _take(head, extent)
    if extent is not None and carry:
        _take(carry, extent)
    return extent


_FAST_COL = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_FAST_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_FAST_ROW_TAG = re.compile(rb'<row r="([0-9]{1,7})"')


def _take(data: bytes, extent: Extent) -> None:
    """Add the references in ``data`` to ``extent``: the plain form (``<c r="A1"``) in C, the
    rest (other attribute order, a namespace prefix) by the general pattern."""
    cols = set(_FAST_COL.findall(data))
    found = _FAST_ROW.findall(data)
    rows = set(found)
    tags = _FAST_ROW_TAG.findall(data)
    row_tags = set(tags)
    if data.count(b"<c ") != len(found) or b":c " in data:
        for c, r in _CELL_REF.findall(data):
            cols.add(c.upper())
            rows.add(r)
    if data.count(b"<row ") != len(tags) or b":row " in data:
        row_tags.update(_ROW_REF.findall(data))
    extent.add_cols({column_number(c) for c in cols})
    extent.add_rows({int(r) for r in rows | row_tags})


def _check_extent(name: str, extent: Extent, lim: Limits) -> None:
    where = f"the sheet part {name} spans {extent.rows:,} rows x {extent.cols:,} columns"
    if extent.rows > lim.max_rows or extent.row_max > 1_048_576:
        raise TooLarge(f"refused: {where}, over {lim.max_rows:,} rows (EXCELFLOW_MAX_ROWS)")
    if extent.cols > lim.max_cols or extent.col_max > 16_384:
        raise TooLarge(f"refused: {where}, over {lim.max_cols:,} columns (EXCELFLOW_MAX_COLS)")
    if extent.rows * extent.cols > lim.max_cells:
        raise TooLarge(
            f"refused: {where} = {extent.rows * extent.cols:,} cells, over the limit of "
            f"{lim.max_cells:,} (EXCELFLOW_MAX_CELLS)"
        )
