"""Put the input's cached formula results back into an openpyxl-written copy.

openpyxl keeps every formula but writes it without its last computed value (``<v/>``) and asks
Excel to recalculate on open. Excel shows the right numbers; every other reader — python-calamine,
pandas, ExcelFlow's own next run — sees blanks until Excel has saved the file again. A deal table
whose Amount column is a formula would then look empty. So after saving, the values python-calamine
reads from the input are written into the copy's empty ``<v/>`` of every formula cell at the same
address on a sheet of the same name (cells ExcelFlow overwrote carry no formula any more).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from excelflow.workbook.losses import sheet_parts

_FORMULA_CELL = re.compile(
    rb'<c r="(?P<col>[A-Z]{1,3})(?P<row>[0-9]+)"(?P<attrs>[^>]*)>'
    rb"(?P<f><f[^>]*/>|<f[^>]*>[^<]*</f>)<v ?/></c>"
)
_FORMULA = re.compile(rb"<f[ >/]")
"""A formula element (not a conditional format's ``<formula>``: every annotated deals sheet has
ExcelFlow's row colours, and a sheet without formulas needs no second read of the input)."""
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1


def _serial(value: dt.date | dt.datetime | dt.time, date1904: bool) -> float:
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return (moment - base).total_seconds() / 86400


def encode(value: Any, date1904: bool = False) -> tuple[bytes, bytes] | None:
    """(type attribute, ``<v>`` text) for a cached value, or None to leave the cell empty."""
    if isinstance(value, bool):
        return b' t="b"', b"1" if value else b"0"
    if isinstance(value, int | float):
        return (b"", repr(float(value)).encode()) if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return b"", repr(_serial(value, date1904)).encode()
    if isinstance(value, dt.timedelta):
        return b"", repr(value.total_seconds() / 86400).encode()
    if isinstance(value, str) and value:
        return b' t="str"', escape(ooxml_escape(value)).encode("utf-8")
    return None


_UNDERSCORE_X = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def ooxml_escape(text: str) -> str:
    """``text`` as OOXML stores a string: characters XML cannot hold as ``_xHHHH_`` (ESC ->
    ``_x001B_``, as Excel writes it) and a literal ``_xHHHH_`` protected by ``_x005F_``, so every
    reader gets ``text`` back exactly."""
    text = _UNDERSCORE_X.sub("_x005F_", text)
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _patch(xml: bytes, grid: list[list[Any]], date1904: bool) -> tuple[bytes, int]:
    count = 0

    def fill(m: re.Match[bytes]) -> bytes:
        nonlocal count
        attrs = m.group("attrs")
        r, c = int(m.group("row")) - 1, _column_index(m.group("col"))
        if b" t=" in attrs or r >= len(grid) or c >= len(grid[r]):
            return m.group(0)
        coded = encode(grid[r][c], date1904)
        if coded is None:
            return m.group(0)
        count += 1
        kind, text = coded
        ref = m.group("col") + m.group("row")
        return (
            b'<c r="'
            + ref
            + b'"'
            + attrs
            + kind
            + b">"
            + m.group("f")
            + b"<v>"
            + text
            + b"</v></c>"
        )

    return _FORMULA_CELL.sub(fill, xml), count


def restore_cached_values(original: Path, written: Path) -> int:
    """Copy cached formula results from ``original`` into ``written`` (in place); returns how
    many formula cells got their value back."""
    with zipfile.ZipFile(written) as zf:
        parts = sheet_parts(zf)
        todo = {
            name: part
            for name, part in parts.items()
            if part in zf.namelist() and _FORMULA.search(zf.read(part))
        }
    if not todo:
        return 0
    with zipfile.ZipFile(original) as zf:
        book = next((n for n in zf.namelist() if n.endswith("workbook.xml")), None)
        date1904 = bool(book and _DATE1904.search(zf.read(book)))
    import python_calamine as pc  # here, not at the top: xlwings Lite imports this module, has none

    source = pc.CalamineWorkbook.from_path(str(original))
    try:
        known = set(source.sheet_names)
        grids = {
            name: source.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in todo
            if name in known
        }
    finally:
        source.close()
    patched: dict[str, bytes] = {}
    total = 0
    with zipfile.ZipFile(written) as zf:
        for name, grid in grids.items():
            xml, n = _patch(zf.read(todo[name]), grid, date1904)
            if n:
                patched[todo[name]], total = xml, total + n
        if not patched:
            return 0
        tmp = written.with_name(written.name + ".part")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
                for info in zf.infolist():
                    data = patched.get(info.filename)
                    out.writestr(info, data if data is not None else zf.read(info.filename))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, written)
    return total
