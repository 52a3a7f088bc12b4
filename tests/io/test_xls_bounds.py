"""The .xls (BIFF8 in an OLE2 compound file) bounds: calamine reads the compound file and every
sheet of an .xls at open and aborts the process on an extent it cannot allocate, so
``check_workbook`` walks the Workbook stream first (bounds.py, ``_check_xls``). The files are
written by hand here (and by LibreOffice where it is installed); nothing binary is committed."""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import python_calamine as pc

from excelflow.pipeline.bounds import Limits, TooLarge, check_workbook

REPO = Path(__file__).resolve().parents[2]
_PRLIMIT = shutil.which("prlimit")
_SOFFICE = shutil.which("soffice")
_END, _FREE, _FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def rec(typ: int, data: bytes = b"") -> bytes:
    """One BIFF record: type, length, data."""
    return struct.pack("<HH", typ, len(data)) + data


def number(row: int, col: int, value: float) -> bytes:
    return rec(0x0203, struct.pack("<HHHd", row, col, 0, value))


def rk(row: int, col: int, value: int) -> bytes:
    return rec(0x027E, struct.pack("<HHHI", row, col, 0, (value << 2) | 2))


def mulrk(row: int, col: int, values: list[int]) -> bytes:
    body = b"".join(struct.pack("<HI", 0, (v << 2) | 2) for v in values)
    return rec(
        0x00BD, struct.pack("<HH", row, col) + body + struct.pack("<H", col + len(values) - 1)
    )


def formula(row: int, col: int, value: float) -> bytes:
    return rec(0x0006, struct.pack("<HHHdHI", row, col, 0, value, 0, 0) + b"\x00\x00")


def boolerr(row: int, col: int) -> bytes:
    return rec(0x0205, struct.pack("<HHHBB", row, col, 0, 1, 0))


def dimensions(rf: int, rl: int, cf: int, cl: int) -> bytes:
    return rec(0x0200, struct.pack("<IIHHH", rf, rl, cf, cl, 0))


def biff(sheets: list[bytes]) -> bytes:
    """A Workbook stream: globals (BOF, one BoundSheet8 a sheet, EOF), then each sheet's
    records between its BOF and EOF."""
    bof = rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    names = [f"S{i}".encode() for i in range(len(sheets))]
    head_len = len(bof) + sum(4 + 8 + len(n) for n in names) + 4
    globals_, at = bof, head_len
    bodies = []
    for name, cells in zip(names, sheets, strict=True):
        body = rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0)) + cells + rec(0x000A)
        globals_ += rec(0x0085, struct.pack("<IBBBB", at, 0, 0, len(name), 0) + name)
        bodies.append(body)
        at += len(body)
    return globals_ + rec(0x000A) + b"".join(bodies)


def ole(stream: bytes, *, name: str = "Workbook") -> bytes:
    """A version-3 compound file (512-byte sectors) holding ``stream``, padded to at least
    4096 bytes so that it lives in regular sectors: sector 0 the FAT, 1 the directory."""
    stream = stream.ljust(max(4096, -(-len(stream) // 512) * 512), b"\0")
    n = len(stream) // 512
    assert n + 2 <= 128
    fat = [_FATSECT, _END, *range(3, n + 2), _END]
    fat += [_FREE] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    struct.pack_into("<109I", header, 76, 0, *([_FREE] * 108))

    def entry(label: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = label.encode("utf-16-le") + b"\0\0"
        out = bytearray(128)
        out[: len(raw)] = raw
        struct.pack_into("<HBB", out, 64, len(raw), kind, 1)
        struct.pack_into("<III", out, 68, _FREE, _FREE, child)
        struct.pack_into("<II", out, 116, start, size)
        return bytes(out)

    directory = entry("Root Entry", 5, 1, _END, 0) + entry(name, 2, _FREE, 2, len(stream))
    directory += bytes(256)
    return bytes(header) + struct.pack("<128I", *fat) + directory + stream


def xls_workbook(path: Path, *sheets: bytes) -> Path:
    path.write_bytes(ole(biff(list(sheets))))
    return path


def _calamine(path: Path) -> list[tuple[object, object]]:
    with pc.CalamineWorkbook.from_path(str(path)) as book:
        return [
            (book.get_sheet_by_index(i).start, book.get_sheet_by_index(i).end)
            for i in range(len(book.sheet_names))
        ]


def _ours(path: Path) -> list[tuple[object, object]]:
    from excelflow.pipeline.bounds import _Ole, _xls_records, _xls_sheet

    found = _Ole(memoryview(path.read_bytes()), Limits()).stream(("Workbook",))
    assert found is not None
    stream = found[1]
    out: list[tuple[object, object]] = []
    for typ, at, _ in _xls_records(stream, 0):
        if typ == 0x000A:
            break
        if typ == 0x0085:
            scan = _xls_sheet(stream, int.from_bytes(stream[at : at + 4], "little"), 1 << 62)
            e = scan.extent()
            out.append(
                ((e.row_min - 1, e.col_min - 1), (e.row_max - 1, e.col_max - 1))
                if e.row_max
                else (None, None)
            )
    return out


def test_a_hand_made_xls_is_read_by_calamine_as_we_bound_it(tmp_path: Path) -> None:
    rng = random.Random(15)
    makers = [
        lambda r, c: number(r, c, 1.5),
        lambda r, c: rk(r, c, 7),
        lambda r, c: mulrk(r, c, [1, 2, 3][: rng.randint(1, 3)]),
        lambda r, c: formula(r, c, 2.5),
        lambda r, c: boolerr(r, c),
    ]
    for i in range(30):
        sheets = []
        for _ in range(rng.randint(1, 3)):
            cells = b"".join(
                rng.choice(makers)(rng.randint(0, 60), rng.randint(0, 30))
                for _ in range(rng.randint(0, 8))
            )
            sheets.append(cells)
        book = xls_workbook(tmp_path / f"b{i}.xls", *sheets)
        assert _ours(book) == _calamine(book), i
        check_workbook(book)


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    """``excelflow validate path`` in a child limited to 2 GiB of address space (written in
    bytes: ``--as=2G`` is not understood the same everywhere)."""
    assert _PRLIMIT is not None
    env = {k: v for k, v in os.environ.items() if k != "EXCELFLOW_MAX_CELLS"}
    limit = f"--as={2 * 1024**3}"
    return subprocess.run(
        [_PRLIMIT, limit, sys.executable, "-m", "excelflow.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _one_line_refusal(path: Path, match: str) -> None:
    before = path.read_bytes()
    done = _validate(path)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and path.name in lines[0] and match in lines[0], lines
    assert path.read_bytes() == before


def test_far_cells_and_lying_dimensions_are_refused(tmp_path: Path) -> None:
    lim = Limits(max_cells=10_000_000)
    cases = {
        "far.xls": (number(0, 0, 1.0) + rk(65000, 60000, 2), "over 16,384 columns"),
        "wide.xls": (number(0, 0, 1.0) + mulrk(3, 16_380, [1, 2, 3, 4, 5, 6]), "16,386 columns"),
        "formula.xls": (number(0, 0, 1.0) + formula(65535, 16_000, 1.0), "1,048,641,536 cells"),
        # calamine reserves DIMENSIONS' rows x columns before reading a cell: 4G x 200
        "dims.xls": (dimensions(0, 0xFFFFFFF0, 0, 200) + number(0, 0, 1.0), "DIMENSIONS"),
        "dims_wrap.xls": (dimensions(9, 1, 0, 3) + number(0, 0, 1.0), "DIMENSIONS"),
    }
    for name, (cells, match) in cases.items():
        book = xls_workbook(tmp_path / name, cells)
        with pytest.raises(TooLarge, match=match):
            check_workbook(book, lim)
    # one cell written many times: one place in the range, but every record is read and held
    same = xls_workbook(tmp_path / "same.xls", rk(5, 5, 1) * 3000)
    check_workbook(same, lim)
    with pytest.raises(TooLarge, match="holds 2,001 cells, over the limit of 2,000"):
        check_workbook(same, Limits(max_cells=2000))
    # the same sheet named by many BoundSheet8 records is read (and held) once per name
    many = biff([number(0, 0, 1.0) + number(999, 99, 2.0)])
    bof_len = 4 + 16
    sheet_rec = many[bof_len : bof_len + 4 + 8 + 2]
    many = many[:bof_len] + sheet_rec * 200 + many[bof_len + len(sheet_rec) :]
    at = bof_len + len(sheet_rec) * 200 + 4
    fixed = bytearray(many)
    for i in range(200):  # each BoundSheet8 points at the one sheet, now further on
        struct.pack_into("<I", fixed, bof_len + i * len(sheet_rec) + 4, at)
    (tmp_path / "many.xls").write_bytes(ole(bytes(fixed)))
    assert len(_calamine(tmp_path / "many.xls")) == 200
    with pytest.raises(TooLarge, match="together"):
        check_workbook(tmp_path / "many.xls", lim)


def _sector(book: bytearray, k: int) -> int:
    return (k + 1) * 512


def test_hostile_compound_files_get_one_line(tmp_path: Path) -> None:
    good = ole(biff([number(0, 0, 1.0)]))
    cases: dict[str, tuple[bytes, str]] = {}
    fat_at = _sector(bytearray(good), 0)
    # Each loop below makes calamine (0.9.1) grow its memory until the process aborts.
    book = bytearray(good)  # the directory chain points at itself
    struct.pack_into("<I", book, fat_at + 4 * 1, 1)
    cases["dir_loop.xls"] = (bytes(book), "loop in the sector chain of the directory")
    book = bytearray(good)  # the stream's chain loops back, its size says 4 GiB
    struct.pack_into("<I", book, fat_at + 4 * 9, 2)
    struct.pack_into("<I", book, _sector(book, 1) + 128 + 120, 0xFFFFFFF0)
    cases["stream_loop.xls"] = (bytes(book), "loop in the sector chain of Workbook")
    book = bytearray(good)  # a DIFAT sector naming itself as the next one
    struct.pack_into("<I", book, 68, 5)
    struct.pack_into("<I", book, _sector(book, 5) + 508, 5)
    cases["difat_loop.xls"] = (bytes(book), "loop in the DIFAT chain")
    cases["truncated.xls"] = (good[:1100], "damaged OLE2 container")
    garbage = bytes(random.Random(3).randrange(256) for _ in range(6000))
    cases["garbage.xls"] = (good[:8] + garbage, "damaged OLE2 container")
    for name, (data, match) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(TooLarge, match=match):
            check_workbook(tmp_path / name)
    if _PRLIMIT is not None:
        _one_line_refusal(tmp_path / "dir_loop.xls", "loop")
        _one_line_refusal(tmp_path / "difat_loop.xls", "loop")
    book = bytearray(good)  # a size far beyond the chain, no loop: read as calamine reads it
    struct.pack_into("<I", book, _sector(book, 1) + 128 + 120, 0xFFFFFFF0)
    (tmp_path / "big_size.xls").write_bytes(bytes(book))
    check_workbook(tmp_path / "big_size.xls")
    assert _calamine(tmp_path / "big_size.xls") == [((0, 0), (0, 0))]


def _convert(src: Path, out: Path) -> Path:
    assert _SOFFICE is not None
    profile = f"-env:UserInstallation=file://{out / 'profile'}"
    subprocess.run(
        [_SOFFICE, profile, "--headless", "--convert-to", "xls", "--outdir", str(out), str(src)],
        capture_output=True,
        timeout=180,
        check=True,
    )
    return out / (src.stem + ".xls")


@pytest.mark.skipif(_SOFFICE is None or _PRLIMIT is None, reason="needs soffice and prlimit")
def test_a_far_rk_cell_in_a_libreoffice_xls_is_refused_and_the_template_still_validated(
    tmp_path: Path,
) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["B2"] = 1.5, 2.5
    wb.save(tmp_path / "a.xlsx")
    small = _convert(tmp_path / "a.xlsx", tmp_path)
    shutil.copy(REPO / "templates" / "pipeline_en.xlsx", tmp_path / "pipeline_en.xlsx")
    template = _convert(tmp_path / "pipeline_en.xlsx", tmp_path)
    for book in (small, template):  # our extent is calamine's, sheet by sheet
        assert _ours(book) == _calamine(book)
    data = bytearray(small.read_bytes())
    at = data.find(struct.pack("<HHHH", 0x027E, 10, 1, 1))
    assert at > 0
    data[at + 4 : at + 8] = struct.pack("<HH", 65000, 60000)
    far = tmp_path / "far.xls"
    far.write_bytes(bytes(data))
    _one_line_refusal(far, "65,001 rows x 60,001 columns")
    done = _validate(template)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pipeline_en.xls" in done.stdout and "refused" not in done.stdout
