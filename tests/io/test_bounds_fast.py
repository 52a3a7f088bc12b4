"""The fast path of the pre-read bounds check (``pipeline/bounds.py``, issue 16): one regex
search per slice of a block passes a ``<c`` only in the canonical form ``<c r="COLROW">`` (plus
``s``/``t``) inside the caps found so far; everything else is parsed alone or replayed exactly.
These tests hold the fast path to the exact replay (itself tested against calamine in
``test_bounds_scan.py``): on random sheets, whatever the block and slice boundaries, its bound
contains the exact extent, and hostile cells cut by a boundary are still refused."""

from __future__ import annotations

import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from excelflow.pipeline import bounds
from excelflow.pipeline.bounds import (
    Limits,
    TooLarge,
    _prefetch,
    _r_values,
    _ref,
    _Restart,
    _SheetScan,
    check_workbook,
)

pytestmark = pytest.mark.timeout(300)


def raw_workbook(path: Path, cells: str) -> Path:
    """A one-sheet .xlsx whose sheetData is ``cells`` (only the parts the check and calamine
    need: the workbook, its relationships and the sheet)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0"?><worksheet xmlns="{main}" xmlns:x="{main}">'
            f"<sheetData>{cells}</sheetData></worksheet>",
        )
    return path


def _col(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


# ----------------------------------------------------------------------------- the pattern


_refs = st.one_of(
    st.builds(lambda c, r: f"{_col(c)}{r}", st.integers(1, 800), st.integers(1, 400_000)),
    st.builds(lambda c, r: f"{_col(c).lower()}{r}", st.integers(1, 60), st.integers(1, 999)),
    st.builds(lambda c, r: f"{_col(c)}0{r}", st.integers(1, 60), st.integers(0, 999)),
    st.sampled_from(["XFD1048576", "ZZZZZ1", "A4000000000", "A0", "1A", "", "A", "A1B", "A 1"]),
    st.text(alphabet="AZaz09 \"'>/=", max_size=8),
)
_attrs = st.sampled_from(
    [
        *(' s="1"', ' t="s"', ' t="inlineStr"', ' s="a>b"', " s='1'", ' cm="1"', ' r="XFD1"'),
        *(' r="A1"', ' t = "n"', '\ts="1"', ' s="1"r="B2"', " s=", ' x:r="C3"', ' s="1" t="n"'),
    ]
)
_ends = st.sampled_from([">", "/>", " >", "\t/>", ""])


@st.composite
def _cell_tags(draw: st.DrawFn) -> str:
    ref = draw(_refs)
    first = draw(st.sampled_from([' r="{}"', " r='{}'", ' r = "{}"', '\tr="{}"', ' r="{}"']))
    attrs = draw(st.lists(_attrs, max_size=3))
    at = draw(st.integers(0, len(attrs)))
    parts = [*attrs[:at], first.format(ref), *attrs[at:]]
    if draw(st.booleans()):
        parts = [first.format(ref), *attrs]  # r first: the canonical order
    return "<c" + "".join(parts) + draw(_ends)


@given(
    tag=_cell_tags(),
    row=st.integers(1, 1_100_000),
    col=st.integers(1, 800),
)
def test_the_fast_pattern_passes_only_cells_it_can_place(tag: str, row: int, col: int) -> None:
    """Soundness: a ``<c`` the search does not stop at has exactly one ``r``, and calamine
    places it (``_ref``) inside the caps."""
    scan = _SheetScan()
    scan._raise_caps(row, col)
    data = tag.encode()
    if scan._fast_pattern().match(data) is not None:
        return  # a hit: parsed alone by fast()
    raw = data[2:].rstrip(b">").removesuffix(b"/")
    values, bad = _r_values(raw)
    assert not bad and len(values) == 1, tag
    where = _ref(values[0])
    assert where is not None, tag
    assert where[0] <= scan.row_cap and where[1] <= scan.col_cap, (tag, scan.row_cap)


@given(
    row=st.integers(1, 1_100_000),
    col=st.integers(1, 800),
    tail=st.sampled_from(["", ' s="1"', ' t="s"', ' s="3" t="inlineStr"', ' t="n" s="2"']),
    end=st.sampled_from([">", "/>"]),
    data=st.data(),
)
def test_the_fast_pattern_passes_every_canonical_cell_inside_the_caps(
    row: int, col: int, tail: str, end: str, data: st.DataObject
) -> None:
    """Speed: a cell as Excel writes it, inside the caps, is not a hit (no Python per cell)."""
    scan = _SheetScan()
    scan._raise_caps(row, col)
    r = data.draw(st.integers(1, scan.row_cap))
    c = data.draw(st.integers(1, scan.col_cap))
    tag = f'<c r="{_col(c)}{r}"{tail}{end}'.encode()
    assert scan._fast_pattern().match(tag) is None, tag


# ----------------------------------------------------------------------------- random sheets

_far = st.sampled_from(["XFD1048576", "A1048576", "XFD1", "ZZZZZ1", "B4000000000", "xfd9"])


@st.composite
def _sheet_cells(draw: st.DrawFn) -> str:
    ref = draw(
        st.one_of(
            st.builds(lambda c, r: f"{_col(c)}{r}", st.integers(1, 40), st.integers(1, 3000)),
            _far,
        )
    )
    form = draw(
        st.sampled_from(
            [
                '<c r="{}"><v>1</v></c>',
                '<c r="{}" s="1"><v>1</v></c>',
                '<c r="{}" t="inlineStr"><is><t>x</t></is></c>',
                '<c r="{}"/>',
                '<c s="1" r="{}"><v>1</v></c>',
                "<c r='{}'><v>1</v></c>",
                '<c r="{}" r="A1"><v>1</v></c>',
                '<c r="A1" r="{}"><v>1</v></c>',
                '<x:c r="{}"><x:v>1</x:v></x:c>',
                '<c r="{}" cm="1"><v>1</v></c>',
                "<c><v>1</v></c>",
                '<!-- <c r="{}"> -->',
                '<col min="1" max="{}"/>',
            ]
        )
    )
    return form.format(ref)


@st.composite
def _sheets(draw: st.DrawFn) -> str:
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        number = draw(st.integers(1, 3000))
        cells = draw(st.lists(_sheet_cells(), max_size=6))
        rows.append(f'<row r="{number}">' + "".join(cells) + "</row>")
    return "".join(rows)


def _body(xml: str) -> bytes:
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><sheetData>{xml}</sheetData></worksheet>'
    ).encode()


def _fast(body: bytes, cuts: list[int]) -> tuple[int, int] | None:
    """The caps after scanning ``body`` cut into blocks at ``cuts`` (each block ending at a
    tag boundary, as _scan hands them), or None for a restart."""
    scan = _SheetScan()
    lim = Limits()
    start = 0
    try:
        for cut in [*sorted(set(cuts)), len(body)]:
            end = body.rfind(b"<", start, cut) if cut < len(body) else len(body)
            if end <= start:
                continue
            scan.fast(body, start, end, lim)
            start = end
    except _Restart:
        return None
    return scan.row_cap, scan.col_cap


@given(
    xml=_sheets(),
    cuts=st.lists(st.integers(0, 4000), max_size=4),
    piece=st.integers(2, 64),
)
def test_slices_and_blocks_keep_the_fast_bound_around_the_exact_extent(
    xml: str, cuts: list[int], piece: int
) -> None:
    """Whatever the slices and blocks, the fast result is the same as one search over the
    whole body, and it contains the exact replay's extent."""
    body = _body(xml)
    exact = _SheetScan()
    exact.exact(iter([body]))
    whole = _fast(body, [])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bounds, "_SLICE", piece)
        sliced = _fast(body, cuts)
    if whole is not None and sliced is not None:
        assert whole == sliced, (xml, cuts, piece)
    for result in (whole, sliced):
        if result is None:
            continue  # check_workbook replays exactly
        e = exact.extent
        if e.row_max:
            assert e.row_max <= result[0] and e.col_max <= result[1], (xml, result, e)


# ----------------------------------------------------------------------------- whole files


def _padded(far: str, pad: int) -> str:
    """A tidy sheet of ~60 KB with one hostile cell after ``pad`` bytes of cells."""
    rows = [
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in "ABCDEF") + "</row>"
        for r in range(1, 600)
    ]
    text = "".join(rows)
    at = text.find("<row", pad)
    return text[:at] + far + text[at:]


@pytest.mark.parametrize(
    "far",
    [
        '<row r="90"><c r="XFD1048576"><v>1</v></c></row>',
        '<row r="90"><c s="1" r="XFD1048576"><v>1</v></c></row>',
        '<row r="90"><c r="A1" r="XFD1048576"><v>1</v></c></row>',
        '<row r="90"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',
        '<row r="90"><c r="xfd1048576"><v>1</v></c></row>',
        '<row r="90"><c r="XFD01048576"><v>1</v></c></row>',
        "<row r='90'><c r='XFD1048576'><v>1</v></c></row>",
        '<row r="1048576"><c r="A1048576"><v>1</v></c><c><v>1</v></c></row>',
        '<row r="1048576"><c t="n"><v>1</v></c></row><row r="3"><c r="XFD3"/></row>',
    ],
    ids=["far", "s-first", "dup-r", "prefixed", "lower", "zeros", "quotes", "rless", "order"],
)
@pytest.mark.parametrize("pad", [0, 9_000, 31_000])
def test_a_hostile_cell_cut_by_any_boundary_is_refused(
    far: str, pad: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 4 KiB and slices of 256 bytes put a boundary inside or next to the hostile
    cell wherever it stands; it is refused every time, the tidy sheet around it is not."""
    monkeypatch.setattr(bounds, "_SHEET_BLOCK", 4096)
    monkeypatch.setattr(bounds, "_SLICE", 256)
    book = raw_workbook(tmp_path / "far.xlsx", _padded(far, pad))
    with zipfile.ZipFile(book) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 8 * 4096
    with pytest.raises(TooLarge, match=r"EXCELFLOW_MAX_(CELLS|ROWS|COLS)"):
        check_workbook(book, Limits(max_cells=100_000))
    tidy = raw_workbook(tmp_path / "tidy.xlsx", _padded("", pad))
    check_workbook(tidy, Limits(max_cells=100_000))


def test_every_offset_of_a_far_cell_across_a_block_edge_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The far cell slid byte by byte across a block's end (blocks of exactly 1 KiB, slices
    of 97 bytes): it is refused at every offset."""

    def exact_blocks(
        path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = 1024
    ) -> Iterator[bytes]:
        data = zf.read(info)
        return (data[at : at + size] for at in range(0, len(data), size))

    monkeypatch.setattr(bounds, "_blocks", exact_blocks)
    monkeypatch.setattr(bounds, "_SHEET_BLOCK", 1024)
    monkeypatch.setattr(bounds, "_SLICE", 97)
    far = '<c r="XFD1048576"><v>1</v></c>'
    tail = '<row r="2"><c r="B2"/></row>' * 80
    empty = raw_workbook(tmp_path / "empty.xlsx", '<row r="1">')
    with zipfile.ZipFile(empty) as zf:
        head = zf.read("xl/worksheets/sheet1.xml").index(b"<row") + len('<row r="1">')
    for shift in range(-len(far) - 2, 3):
        filler = " " * (1024 + shift - head)
        book = raw_workbook(tmp_path / "edge.xlsx", f'<row r="1">{filler}{far}</row>{tail}')
        with zipfile.ZipFile(book) as zf:
            assert zf.read("xl/worksheets/sheet1.xml").index(b"<c r=") == 1024 + shift
        with pytest.raises(TooLarge, match="EXCELFLOW_MAX_CELLS"):
            check_workbook(book, Limits(max_cells=100_000))


def test_the_switch_interval_is_restored_after_the_check(tmp_path: Path) -> None:
    """While blocks are prefetched the interpreter switches threads often (so the inflating
    thread is not kept waiting for the GIL); the interval comes back afterwards, also after a
    refusal and when two prefetches overlap."""
    before = sys.getswitchinterval()
    seen = [sys.getswitchinterval() for _ in _prefetch(iter([b"a", b"b"]))]
    assert max(seen) <= 1e-4 < before
    assert sys.getswitchinterval() == before
    one, two = _prefetch(iter([b"a", b"b"])), _prefetch(iter([b"c", b"d"]))
    next(one)
    next(two)
    list(one)
    assert sys.getswitchinterval() <= 1e-4  # the second one still runs
    list(two)
    assert sys.getswitchinterval() == before
    book = raw_workbook(tmp_path / "far.xlsx", '<row r="1"><c r="A1"/><c r="XFD1048576"/></row>')
    with pytest.raises(TooLarge):
        check_workbook(book, Limits(max_cells=1000))
    assert sys.getswitchinterval() == before


# ----------------------------------------------------------------------------- prefixed cells


_pieces = st.sampled_from([":c ", ":c>", ":c/", ":c\t", ":", "::c ", "c", "x", "<", "<x:c "])


@given(
    pieces=st.lists(_pieces, max_size=20),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    colons=st.integers(0, 3),
)
def test_the_colon_shortcut_finds_what_the_prefixed_cell_regex_finds(
    pieces: list[str], cut: tuple[float, float], colons: int
) -> None:
    """The prefixed-cell check looks at each ":" found with ``bytes.find``, and hands over to
    the regex after ``_COLONS`` of them: either way, the same matches as one ``finditer``."""
    data = "".join(pieces).encode()
    start, stop = sorted(round(len(data) * c) for c in cut)
    want = [m.span() for m in bounds._PREFIXED_CELL.finditer(data, start, stop)]
    for limit in (colons, bounds._COLONS):
        old, bounds._COLONS = bounds._COLONS, limit
        try:
            got = [m.span() for m in bounds._prefixed(data, start, stop)]
        finally:
            bounds._COLONS = old
        assert got == want, (data, start, stop, limit)


@pytest.mark.parametrize("colons", [0, 3, 1024])
@pytest.mark.parametrize("pad", [0, 9_000, 31_000])
def test_a_prefixed_cell_after_many_colons_is_refused(
    colons: int, pad: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Texts full of ":" (times) before and after a namespace-prefixed far cell: refused
    whether the colons are looked at one by one or the regex takes over (``_COLONS``)."""
    monkeypatch.setattr(bounds, "_SHEET_BLOCK", 4096)
    monkeypatch.setattr(bounds, "_SLICE", 256)
    monkeypatch.setattr(bounds, "_COLONS", colons)
    times = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>10:{r % 60:02d} a:c b</t></is></c></row>'
        for r in range(600, 700)
    )
    far = '<row r="90"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>'
    book = raw_workbook(tmp_path / "far.xlsx", _padded(far, pad) + times)
    with pytest.raises(TooLarge, match=r"EXCELFLOW_MAX_(CELLS|COLS)"):
        check_workbook(book, Limits(max_cells=100_000))
    tidy = raw_workbook(tmp_path / "tidy.xlsx", _padded("", pad) + times)
    check_workbook(tidy, Limits(max_cells=100_000))


# ----------------------------------------------------------------------------- ISA-L inflate


def _sheet_zip(path: Path, body: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", body)
    return path


def _damaged(path: Path, body: bytes, how: str) -> Path:
    """``body`` deflated as the sheet part, then its compressed bytes damaged ``how``."""
    _sheet_zip(path, body)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename)
    if how == "flipped":  # garbage in the middle of the stream
        mid = start + info.compress_size // 2
        data[mid : mid + 64] = bytes(b ^ 0x5A for b in data[mid : mid + 64])
    elif how == "invalid":  # a block of the reserved type 3 at the start
        data[start] = 0xFF
    elif how == "midway":  # good blocks for half the body, then one of the reserved type
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        half = deflate.compress(body[: len(body) // 2]) + deflate.flush(zlib.Z_FULL_FLUSH)
        assert len(half) < info.compress_size
        data[start : start + len(half) + 1] = half + b"\xff"
    elif how == "cut":  # the headers end the stream half way
        for sig, size_at in ((b"PK\x03\x04", 18), (b"PK\x01\x02", 20)):
            at = data.find(sig)
            data[at + size_at : at + size_at + 4] = (info.compress_size // 2).to_bytes(4, "little")
    elif how == "moved":  # bytes cut out before the directory: its offsets point too far
        data[start + info.compress_size // 2 : start + info.compress_size] = b""
    elif how == "liar":  # the headers claim fewer inflated bytes than the stream makes
        for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            at = data.find(sig)
            data[at + size_at : at + size_at + 4] = (len(body) // 3).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def _outcome(path: Path, isal_min: int) -> tuple[bytes, str, str]:
    """The part's inflated bytes, the error's name if inflating failed, and the check's
    verdict. ISA-L may cut blocks a few bytes off zlib's (it keeps the last bits of an input
    chunk for the next one), so the bytes are compared whole."""
    old, bounds._ISAL_MIN = bounds._ISAL_MIN, isal_min
    blocks: list[bytes] = []
    error = ""
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                info = zf.getinfo("xl/worksheets/sheet1.xml")
                blocks.extend(bounds._blocks(path, zf, info, 4096))
        except Exception as exc:
            error = type(exc).__name__
        try:
            check_workbook(path, Limits(max_cells=1_000_000))
            verdict = "ok"
        except TooLarge as exc:
            verdict = str(exc)
    finally:
        bounds._ISAL_MIN = old
    return b"".join(blocks), error, verdict


@pytest.mark.parametrize("how", ["whole", "flipped", "invalid", "midway", "cut", "moved", "liar"])
def test_isal_inflates_and_judges_as_zlib_does(how: str, tmp_path: Path) -> None:
    """ISA-L (used for a big part) gives the same bytes as zlib, block by block, and the same
    verdict on a damaged stream: garbled, invalid, cut short, moved, or longer than its header
    says."""
    pytest.importorskip("isal")
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r * 7919 % 100_003:x}</t></is></c>'
        f'<c r="B{r}"><v>{r / 7}</v></c></row>'
        for r in range(1, 4000)
    )
    body = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    book = _damaged(tmp_path / f"{how}.xlsx", body, how)
    with_isal, with_zlib = _outcome(book, 0), _outcome(book, 1 << 62)
    if how == "liar":  # refused at the first block past the claim: where blocks end differs
        assert with_isal[1:] == with_zlib[1:]
    else:
        assert with_isal == with_zlib
    inflated, error, verdict = with_isal
    if how == "whole":
        assert (inflated, error, verdict) == (body, "", "ok")
    if how == "cut":
        assert inflated and body.startswith(inflated) and not error
    if how == "midway":
        assert error == "error" and len(body) // 3 < len(inflated) < len(body)
    if how in ("invalid", "midway", "moved", "liar"):
        assert verdict.startswith("the file is corrupt"), verdict
