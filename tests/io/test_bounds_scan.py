"""The pre-read bounds check (``pipeline/bounds.py``) against calamine itself: on sheets written
in every odd way we could think of (cells without ``r``, rows without ``r``, self-closing cells
and rows, attributes in any order and quoting, duplicate ``r``, namespace prefixes, comments and
CDATA holding fake cells, nested cells, lowercase and over-long references), the extent we find
must contain the one calamine reads. Sheets stay small so calamine cannot abort here."""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc

from excelflow.pipeline.bounds import Extent, Limits, TooLarge, _SheetScan, _span, check_workbook


def raw_workbook(path: Path, cells: str) -> Path:
    """A one-sheet .xlsx whose sheetData is ``cells``, written by hand."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" '
            f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets>'
            '<sheet name="Deals" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{ns}/spreadsheetml/2006/main" '
            'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{cells}</sheetData></worksheet>",
        )
    return path


pytestmark = pytest.mark.timeout(120)

ODD = [
    '<row r="3"><c r="B3"><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>',
    "<row><c><v>1</v></c></row><row><c><v>1</v></c><c><v>1</v></c></row>",
    '<row r="2"/><row><c><v>1</v></c></row>',
    '<row r="5"><c r="C5"/><c><v>1</v></c></row>',
    '<row r="1"><c s="1" r="D1"><v>1</v></c></row>',
    "<row r='7'><c r='E7' t='n'><v>1</v></c></row>",
    '<row r = "8"><c r = "F8"><v>1</v></c></row>',
    '<row r="1"><c r="A1" r="J9"><v>1</v></c></row>',
    '<row r="1"><c r="A1" s="1" t="n" r="J9"><v>1</v></c></row>',
    '<row r="1"><x:c r="K11" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<x:v>1</x:v></x:c></row>",
    '<row r="1"><c r="A1"><v>1</v></c><!-- <c r="Z40"><v>1</v></c> --></row>',
    '<row r="1"><c r="A1"><v>1</v></c></row><![CDATA[<c r="Y30"><v>1</v></c>]]>',
    '<row r="1"><c r="a1"><v>1</v></c><c r="ad4"><v>2</v></c></row>',
    '<row r="1"><c r="A1"><v>1</v><c r="B9"/></c><c><v>4</v></c></row>',
    '<row r="1"><c r="A1" s=">"><v>1</v></c><c r="Q2" t="n"><v>1</v></c></row>',
    '<row r="1"><c\tr="R3"><v>1</v></c><c\nr="S4"><v>1</v></c></row>',
    '<row r="4"><c r="B4" cm="1"><v>1</v></c><c><v>9</v></c></row>',
    '<row r="1"><c r="A01"><v>1</v></c><c r="B0007"><v>1</v></c></row>',
    '<row r="1"><c r="A1"><v>1</v></c></row><row r="B6"><c><v>1</v></c></row>',
    '<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="C1"><v>1</v></c></row>',
]


def _calamine_extent(path: Path) -> tuple[tuple[int, int], tuple[int, int]] | None:
    try:
        with pc.CalamineWorkbook.from_path(str(path)) as book:
            sheet = book.get_sheet_by_index(0)
            if sheet.start is None or sheet.end is None:
                return None
            return sheet.start, sheet.end
    except Exception:  # calamine refuses the sheet: it allocates nothing
        return None


def _contains(ours: Extent, theirs: tuple[tuple[int, int], tuple[int, int]] | None) -> bool:
    if theirs is None:
        return True
    (r0, c0), (r1, c1) = theirs
    return (
        ours.row_max > 0
        and ours.row_min <= r0 + 1
        and ours.row_max >= r1 + 1
        and ours.col_min <= c0 + 1
        and ours.col_max >= c1 + 1
    )


def _scans(xml: str) -> tuple[Extent, Extent]:
    """(exact replay, fast-or-exact as check_workbook does it) extents of one sheet body."""
    body = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><sheetData>{xml}</sheetData></worksheet>'
    ).encode()
    exact = _SheetScan()
    exact.exact(iter([body[:37], body[37:]]))  # a block boundary inside a tag
    quick = _SheetScan()
    try:
        quick.fast(body, 0, len(body), Limits())
        result = Extent(1, quick.row_cap, 1, quick.col_cap) if quick.row_cap else Extent()
    except Exception:  # _Restart: check_workbook replays the part exactly
        result = exact.extent
    return exact.extent, result


@pytest.mark.parametrize("xml", ODD)
def test_the_extent_contains_calamines_on_odd_sheets(xml: str, tmp_path: Path) -> None:
    book = raw_workbook(tmp_path / "odd.xlsx", xml)
    theirs = _calamine_extent(book)
    exact, quick = _scans(xml)
    assert _contains(exact, theirs), (exact, theirs)
    assert _contains(quick, theirs), (quick, theirs)
    check_workbook(book)


def _random_sheet(rng: random.Random) -> str:
    rows = []
    for _ in range(rng.randint(1, 6)):
        row_attr = rng.choice(["", f' r="{rng.randint(1, 30)}"', f" r='{rng.randint(1, 30)}'"])
        cells = []
        for _ in range(rng.randint(0, 6)):
            ref = f"{rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}{rng.randint(1, 30)}"
            attr = rng.choice(
                ["", f' r="{ref}"', f' s="1" r="{ref}"', f' r="{ref}" r="A1"', f" r = '{ref}'"]
            )
            if rng.random() < 0.2:
                cells.append(f"<c{attr}/>")
            elif rng.random() < 0.1:
                cells.append(f'<!-- <c r="{ref}"> -->')
            else:
                cells.append(f"<c{attr}><v>{rng.randint(0, 9)}</v></c>")
        if rng.random() < 0.15:
            rows.append(f"<row{row_attr}/>")
        else:
            rows.append(f"<row{row_attr}>{''.join(cells)}</row>")
    return "".join(rows)


def test_the_extent_contains_calamines_on_random_odd_sheets(tmp_path: Path) -> None:
    rng = random.Random(15)
    for i in range(150):
        xml = _random_sheet(rng)
        book = raw_workbook(tmp_path / f"r{i}.xlsx", xml)
        theirs = _calamine_extent(book)
        exact, quick = _scans(xml)
        assert _contains(exact, theirs), (xml, exact, theirs)
        assert _contains(quick, theirs), (xml, quick, theirs)


@pytest.mark.parametrize(
    "cells",
    [
        '<row r="1"><c r="A1"><v>1</v></c><c r="A1048576"><v>1</v></c></row>'
        '<row r="2"><c r="XFD2"><v>1</v></c></row>',
        '<row r="1"><c r="A1" s=">" r="XFD1048576"><v>1</v></c></row>',
        '<row r="1"><x:c r="XFD1048576"><v>1</v></x:c><c r="A1"><v>1</v></c></row>',
        '<row r="1048576"><c r="A1048576"><v>1</v></c><c t="n"><v>1</v></c></row>'
        '<row r="1"><c r="A1"><v>1</v></c>' + "<c><v>1</v></c>" * 20 + "</row>",
        '<row r="1"><c r="A1"><v>1</v></c><c r="ZZZZZ1"><v>1</v></c></row>'
        '<row r="40"><c r="A40"><v>1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c><c r="B4000000000"><v>1</v></c></row>',
    ],
    ids=["far-corners", "gt-in-attribute", "prefixed", "r-less-run", "long-column", "long-row"],
)
def test_far_cells_in_any_form_are_refused(cells: str, tmp_path: Path) -> None:
    book = raw_workbook(tmp_path / "far.xlsx", cells)
    with pytest.raises(TooLarge, match=r"EXCELFLOW_MAX_(CELLS|ROWS|COLS)"):
        check_workbook(book, Limits(max_cells=1000))


def test_one_cell_written_a_million_times_is_refused(tmp_path: Path) -> None:
    cells = '<row r="1">' + '<c r="A1"><v>1</v></c>' * 200_000 + "</row>"
    book = raw_workbook(tmp_path / "same.xlsx", cells)
    with pytest.raises(TooLarge, match="200,000 cell elements"):
        check_workbook(book, Limits(max_cells=100_000))
    check_workbook(book, Limits(max_cells=300_000))


def test_the_range_patterns_match_exactly() -> None:
    import re

    rng = random.Random(3)
    for _ in range(500):
        lo = rng.randint(1, 30_000)
        hi = rng.randint(lo, 30_000)
        pattern = re.compile(_span(str(lo), str(hi), "0123456789", "123456789"))
        for n in (lo - 1, lo, hi, hi + 1, rng.randint(1, 40_000)):
            assert bool(pattern.fullmatch(str(n))) == (lo <= n <= hi) or n < 1


def test_a_big_tidy_sheet_is_bounded_without_replay(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEFG") + "</row>"
        for r in range(1, 30_001)
    )
    book = raw_workbook(tmp_path / "tidy.xlsx", rows)
    check_workbook(book, Limits(max_cells=300_000))
    with pytest.raises(TooLarge, match="30,000 rows x 7 columns = 210,000 cells"):
        check_workbook(book, Limits(max_cells=200_000))
    with zipfile.ZipFile(book) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 1 << 20  # several blocks


# --------------------------------------------------------------------------- the memory budget

_PRLIMIT = shutil.which("prlimit")


def _bounds_child(limit: str, code: str) -> subprocess.CompletedProcess[str]:
    assert _PRLIMIT is not None
    env = {k: v for k, v in os.environ.items() if k != "EXCELFLOW_MAX_CELLS"}
    return subprocess.run(
        [_PRLIMIT, f"--as={limit}", sys.executable, *code.split("\0")],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )


@pytest.mark.skipif(_PRLIMIT is None or not Path("/proc/meminfo").exists(), reason="Linux")
def test_the_default_cell_limit_follows_the_memory_the_process_may_use(tmp_path: Path) -> None:
    # 26 columns x 1,000,000 rows declared by two cells: 26M cells, about 3.3 GB to read.
    wide = raw_workbook(
        tmp_path / "wide.xlsx",
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Stage</t></is></c></row>'
        '<row r="1000000"><c r="Z1000000"><v>1</v></c></row>',
    )
    refused = _bounds_child(str(2 * 1024**3), f"-m\0excelflow.cli\0validate\0{wide}")
    assert refused.returncode == 2, refused.stderr[-2000:]
    lines = (refused.stdout + refused.stderr).strip().splitlines()
    assert len(lines) == 1 and "wide.xlsx" in lines[0], lines
    assert "26,000,000 cells" in lines[0] and "address-space limit" in lines[0]
    assert "EXCELFLOW_MAX_CELLS" in lines[0] and "Traceback" not in lines[0]
    # The same file passes the check where the process may use 8 GB (the check only: reading
    # 26M cells is not this test's business) …
    code = "from pathlib import Path; from excelflow.pipeline.bounds import check_workbook, "
    code += f"Limits; check_workbook(Path({str(wide)!r})); print(Limits.from_env().max_cells)"
    roomy = _bounds_child(str(8 * 1024**3), f"-c\0{code}")
    if roomy.returncode != 0 and "available memory" in roomy.stderr:
        pytest.skip("this machine has less than 3.3 GB available just now")
    assert roomy.returncode == 0, roomy.stderr[-2000:]
    assert int(roomy.stdout.strip()) > 26_000_000
    # … and EXCELFLOW_MAX_CELLS still decides when it is set.
    assert Limits.from_env({"EXCELFLOW_MAX_CELLS": "123"}).max_cells == 123
    assert Limits.from_env({}).max_cells >= 1_000_000


# --------------------------------------------------------------------------- .ods


def ods_workbook(path: Path, table: str) -> Path:
    """A hand-made .ods whose one table holds ``table`` (row elements)."""
    office = "urn:oasis:names:tc:opendocument:xmlns"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr(
            "META-INF/manifest.xml",
            f'<manifest:manifest xmlns:manifest="{office}:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.'
            'oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
            '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        )
        zf.writestr(
            "content.xml",
            f'<?xml version="1.0"?><office:document-content xmlns:office="{office}:office:1.0" '
            f'xmlns:table="{office}:table:1.0" xmlns:text="{office}:text:1.0" '
            'office:version="1.2"><office:body><office:spreadsheet><table:table '
            f'table:name="Deals">{table}</table:table></office:spreadsheet></office:body>'
            "</office:document-content>",
        )
    return path


_STAGE = (
    '<table:table-row><table:table-cell office:value-type="string"><text:p>Stage</text:p>'
    "</table:table-cell></table:table-row>"
)
_ODS_BOMB = (  # 1 KB: 6,001 x 16,384 = 98M cells, under calamine's own 100M cap
    _STAGE + '<table:table-row table:number-rows-repeated="6000"><table:table-cell '
    'table:number-columns-repeated="16384" office:value-type="float" office:value="1"/>'
    "</table:table-row>"
)


@pytest.mark.skipif(_PRLIMIT is None, reason="needs prlimit")
def test_an_ods_with_huge_repeat_counts_is_refused_before_calamine_aborts(tmp_path: Path) -> None:
    bomb = ods_workbook(tmp_path / "bomb.ods", _ODS_BOMB)
    assert bomb.stat().st_size < 2048
    with pytest.raises(TooLarge, match=r"6,001 rows x 16,384 columns = 98,320,384 cells"):
        check_workbook(bomb, Limits(max_cells=50_000_000))
    limit = str(2 * 1024**3)
    refused = _bounds_child(limit, f"-m\0excelflow.cli\0validate\0{bomb}")
    lines = (refused.stdout + refused.stderr).strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and "bomb.ods" in lines[0], lines
    assert "EXCELFLOW_MAX_CELLS" in lines[0]
    # What the check prevents: calamine itself aborts the whole process (Rust, exit 134).
    assert _PRLIMIT is not None
    crashed = subprocess.run(
        [_PRLIMIT, f"--as={limit}", sys.executable, "-m", "excelflow.cli", "validate", str(bomb)],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "EXCELFLOW_MAX_CELLS": str(10**12)},
        check=False,
    )
    assert crashed.returncode not in (0, 1, 2), crashed.returncode


ODS_TABLES = [
    _STAGE + '<table:table-row table:number-rows-repeated="4"><table:table-cell '
    'office:value-type="float" office:value="2"/></table:table-row><table:table-row '
    'table:number-rows-repeated="1048000"><table:table-cell '
    'table:number-columns-repeated="1024"/></table:table-row>',
    '<table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row>'
    '<table:table-row><table:table-cell table:number-columns-repeated="5"/><table:table-cell '
    'office:value-type="float" office:value="1" table:number-columns-repeated="2"/>'
    '<table:covered-table-cell office:value-type="float" office:value="3"/></table:table-row>'
    '<table:table-row table:number-rows-repeated="7"><table:table-cell><text:p>x</text:p>'
    "</table:table-cell></table:table-row>",
    _STAGE + '<table:table-row><table:table-cell foo=">" table:number-columns-repeated="9" '
    'office:value-type="float" office:value="1"/></table:table-row>',
]


@pytest.mark.parametrize("table", ODS_TABLES, ids=["trailing-empty", "gaps", "quoted-gt"])
def test_the_ods_extent_contains_calamines(table: str, tmp_path: Path) -> None:
    from excelflow.pipeline.bounds import _check_ods

    book = ods_workbook(tmp_path / "t.ods", table)
    with pc.CalamineWorkbook.from_path(str(book)) as wb:
        sheet = wb.get_sheet_by_index(0)
        assert sheet.start is not None and sheet.end is not None
        rows = sheet.end[0] - sheet.start[0] + 1
        cols = sheet.end[1] - sheet.start[1] + 1
    check_workbook(book)  # the trailing 1M x 1024 empty area of LibreOffice files is no cells
    with pytest.raises(TooLarge), zipfile.ZipFile(book) as zf:
        _check_ods(book, zf, Limits(max_cells=rows * cols - 1))
    with zipfile.ZipFile(book) as zf:
        _check_ods(book, zf, Limits(max_cells=10 * rows * cols + 100))  # a bound, near the truth


# --------------------------------------------------------------------------- .xlsb (hand-made)


def rec(typ: int, data: bytes = b"") -> bytes:
    t = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    n, ln = len(data), bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        ln.append(b | (0x80 if n else 0))
        if not n:
            break
    return t + bytes(ln) + data


def wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def xlsb_workbook(path: Path, cells: list[tuple[int, int, float]]) -> Path:
    """A one-sheet .xlsb of BrtCellReal records at (row, column), 0-based, written by hand."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    rels = f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
    main = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    book = rec(0x83) + rec(0x8F)
    book += rec(0x9C, struct.pack("<II", 0, 1) + wide("rId1") + wide("Deals"))
    book += rec(0x90) + rec(0x84)
    sheet = rec(0x81) + rec(0x94, struct.pack("<IIII", 0, 0, 0, 0)) + rec(0x91)
    row = None
    for r, c, v in cells:
        if r != row:
            sheet += rec(0x00, struct.pack("<I", r) + b"\0" * 13)
            row = r
        sheet += rec(0x05, struct.pack("<II", c, 0) + struct.pack("<d", v))
    sheet += rec(0x92) + rec(0x82)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="bin" ContentType="{main}"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'{rels}Type="{rel}/officeDocument" Target="xl/workbook.bin"/></Relationships>',
        )
        zf.writestr("xl/workbook.bin", book)
        zf.writestr(
            "xl/_rels/workbook.bin.rels",
            f'{rels}Type="{rel}/worksheet" Target="worksheets/sheet1.bin"/></Relationships>',
        )
        zf.writestr("xl/worksheets/sheet1.bin", sheet)
    return path


def test_the_xlsb_extent_contains_calamines(tmp_path: Path) -> None:
    from excelflow.pipeline.bounds import _XlsbScan

    rng = random.Random(16)
    for i in range(40):
        cells = sorted(
            (rng.randint(0, 40), rng.randint(0, 40), float(rng.randint(1, 9)))
            for _ in range(rng.randint(1, 12))
        )
        book = xlsb_workbook(tmp_path / f"b{i}.xlsb", cells)
        with pc.CalamineWorkbook.from_path(str(book)) as wb:
            sheet = wb.get_sheet_by_index(0)
            assert sheet.start is not None and sheet.end is not None
            theirs = (sheet.start, sheet.end)
        with zipfile.ZipFile(book) as zf:
            raw = zf.read("xl/worksheets/sheet1.bin")
        scan = _XlsbScan()
        for at in range(0, len(raw), 3):  # records cut anywhere between blocks
            scan.feed(raw[at : at + 3])
        assert _contains(scan.extent(), theirs), (cells, scan.extent(), theirs)
        check_workbook(book)


@pytest.mark.skipif(_PRLIMIT is None, reason="needs prlimit")
def test_an_xlsb_with_a_far_cell_is_refused_before_calamine_aborts(tmp_path: Path) -> None:
    far = xlsb_workbook(tmp_path / "far.xlsb", [(0, 0, 1.0), (1_048_575, 16_383, 2.0)])
    assert far.stat().st_size < 2048
    with pytest.raises(TooLarge, match=r"1,048,576 rows x 16,384 columns"):
        check_workbook(far)
    refused = _bounds_child(str(2 * 1024**3), f"-m\0excelflow.cli\0validate\0{far}")
    lines = (refused.stdout + refused.stderr).strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and "far.xlsb" in lines[0], lines
