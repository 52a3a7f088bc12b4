"""Parsing a big sheet in two halves on two cores (``pipeline/halves.py``) must give exactly
the grid and origin python-calamine gives parsing the sheet whole, or decline (None) so that
the whole parse runs. Checked on the benchmark generators' workbooks, the real workbooks saved
by Excel, and sheets written by hand in odd ways (rows and cells without ``r``, blank rows at
the cut, halves spanning different columns, shared strings, dates, namespace prefixes, rows out
of order, comments and CDATA holding fake rows, damaged XML)."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import python_calamine as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from excelflow.pipeline import halves
from excelflow.pipeline.bounds import check_workbook
from excelflow.pipeline.normalize import column_letter
from excelflow.pipeline.read import ReadError, Source

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

NS = "http://schemas.openxmlformats.org"
MAIN = f"{NS}/spreadsheetml/2006/main"
REL = f"{NS}/officeDocument/2006/relationships"


@pytest.fixture(autouse=True)
def _split_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split any sheet, however small, and on any machine."""
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    monkeypatch.setattr(halves, "cores", lambda: 2)
    monkeypatch.delenv("EXCELFLOW_SPLIT_PARSE", raising=False)


def whole(path: Path, name: str) -> tuple[list[list[Any]], tuple[int, int]]:
    book = pc.CalamineWorkbook.from_path(str(path))
    sheet = book.get_sheet_by_name(name)
    grid = sheet.to_python(skip_empty_area=True)
    start = sheet.start or (0, 0)
    book.close()
    return grid, (int(start[0]), int(start[1]))


def typed(grid: list[list[Any]]) -> list[list[tuple[type, Any]]]:
    """Cells with their types: 1 and 1.0 and True must not pass for one another."""
    return [[(type(v), v) for v in row] for row in grid]


def same_or_declined(path: Path, name: str) -> bool:
    """True when the halves gave the whole parse's grid; False when they declined."""
    got = halves.read_halves(path, name)
    if got is None:
        return False
    grid, origin, prepared = got
    expected_grid, expected_origin = whole(path, name)
    assert origin == expected_origin
    assert typed(grid) == typed(expected_grid)
    if prepared is not None:  # the cells laid out and hashed as read are the grid's
        assert prepared.rows == len(grid)
        assert typed(prepared.cells.tolist()) == typed(grid)
    return True


def workbook(
    path: Path,
    rows: str,
    *,
    shared: list[str] | None = None,
    prefix: str = "",
    sheets: int = 1,
) -> Path:
    """A hand-written .xlsx whose first sheet's sheetData holds ``rows`` (with ``prefix`` as
    the namespace prefix of the sheet's elements); style 1 is a date format."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{NS}/package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        entries = "".join(
            f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1)
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{entries}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, sheets + 1)
        )
        if shared is not None:
            rels += (
                f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            )
            items = "".join(f"<si><t>{t}</t></si>" for t in shared)
            zf.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{MAIN}" count="{len(shared)}" uniqueCount="{len(shared)}">'
                f"{items}</sst>",
            )
        rels += f'<Relationship Id="rIdY" Type="{REL}/styles" Target="styles.xml"/>'
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{NS}/package/2006/relationships">{rels}</Relationships>',
        )
        zf.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
        zf.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}>'
            f'<{p}dimension ref="A1"/><{p}sheetData>{rows}</{p}sheetData>'
            f'<{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            f'footer="0.3"/></{p}worksheet>',
        )
        for i in range(2, sheets + 1):
            zf.writestr(
                f"xl/worksheets/sheet{i}.xml",
                f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>{i}</v></c>'
                "</row></sheetData></worksheet>",
            )
    return path


CELL = st.one_of(
    st.integers(-(10**6), 10**6).map(lambda n: ("n", str(n))),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: ("n", repr(f))),
    st.booleans().map(lambda b: ("b", "1" if b else "0")),
    st.integers(30000, 50000).map(lambda n: ("d", str(n))),
    st.text("ab 商机x&<>", min_size=0, max_size=6).map(lambda t: ("s", t)),
    st.integers(0, 4).map(lambda i: ("ss", str(i))),
)


def cell_xml(ref: str | None, cell: tuple[str, str], p: str) -> str:
    kind, value = cell
    at = f' r="{ref}"' if ref else ""
    if kind == "s":
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<{p}c{at} t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'
    if kind == "ss":
        return f'<{p}c{at} t="s"><{p}v>{value}</{p}v></{p}c>'
    if kind == "b":
        return f'<{p}c{at} t="b"><{p}v>{value}</{p}v></{p}c>'
    if kind == "d":
        return f'<{p}c{at} s="1"><{p}v>{value}</{p}v></{p}c>'
    return f"<{p}c{at}><{p}v>{value}</{p}v></{p}c>"


@st.composite
def sheets(draw: st.DrawFn) -> tuple[str, str]:
    """Rows with gaps, varying first and last columns, optional ``r`` on cells, optional
    ``r`` on rows after the first (the cut always lands on a row with its number, else the
    halves decline), and an optional namespace prefix."""
    prefix = draw(st.sampled_from(["", "x"]))
    p = f"{prefix}:" if prefix else ""
    n = draw(st.integers(2, 40))
    row, out = draw(st.integers(0, 5)), []
    for _ in range(n):
        row += draw(st.integers(1, 3))
        first = draw(st.integers(0, 4))
        cells = draw(st.lists(st.one_of(st.none(), CELL), min_size=0, max_size=6))
        refs = draw(st.booleans())
        if refs:  # gaps allowed: each cell says where it is
            parts = [
                cell_xml(f"{column_letter(first + j)}{row}", c, p) for j, c in enumerate(cells) if c
            ]
        else:  # cells without r sit one after another from column A
            parts = [cell_xml(None, c, p) for c in cells if c is not None]
        numbered = draw(st.booleans()) or not out
        at = f' r="{row}"' if numbered else ""
        spans = ' spans="1:6"' if draw(st.booleans()) else ""
        out.append(f"<{p}row{at}{spans}>{''.join(parts)}</{p}row>")
    return "".join(out), prefix


@settings(
    max_examples=int(os.environ.get("HALVES_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sheets())
def test_halves_equal_the_whole_parse_on_odd_sheets(tmp_path: Path, sheet: tuple[str, str]) -> None:
    rows, prefix = sheet
    path = workbook(
        tmp_path / "odd.xlsx", rows, shared=["a", "b", "商机", "", " c "], prefix=prefix
    )
    same_or_declined(path, "S1")


def test_the_generated_benchmark_workbooks_split_exactly(tmp_path: Path) -> None:
    from generate import workbook as generated

    for kind in ("tidy", "messy"):
        path = generated(kind, 1000)
        book = pc.CalamineWorkbook.from_path(str(path))
        assert same_or_declined(path, book.sheet_names[0]), kind


def test_every_sheet_of_the_real_workbooks_splits_exactly_or_is_declined(
    shared_data: Path,
) -> None:
    split = 0
    for path in sorted((shared_data / "real-workbooks").glob("*.xlsx")):
        for name in pc.CalamineWorkbook.from_path(str(path)).sheet_names:
            split += same_or_declined(path, name)
    assert split >= 7  # sales_pipeline.xlsx and the dashboard's data sheets


def test_blank_rows_at_the_cut_and_halves_of_different_widths(tmp_path: Path) -> None:
    first = "".join(f'<row r="{r}"><c r="C{r}"><v>{r}</v></c></row>' for r in range(3, 40))
    second = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c>'
        f'<c r="H{r}" t="inlineStr"><is><t>x</t></is></c></row>'
        for r in range(60, 80)
    )
    path = workbook(tmp_path / "w.xlsx", first + '<row r="45"/>' + second)
    assert same_or_declined(path, "S1")


def test_rows_out_of_order_are_declined(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(50, 100))
    rows += "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 50))
    path = workbook(tmp_path / "o.xlsx", rows)
    assert halves.read_halves(path, "S1") is None


def test_a_middle_row_without_its_number_is_declined(tmp_path: Path) -> None:
    rows = "".join(f"<row><c><v>{r}</v></c></row>" for r in range(1, 100))
    path = workbook(tmp_path / "n.xlsx", '<row r="1"><c><v>0</v></c></row>' + rows)
    assert halves.read_halves(path, "S1") is None


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("<!-- ", " -->"), ("<?pi ", " ?>")],
)
def test_a_fake_row_at_the_cut_inside_a_comment_is_declined_or_exact(
    tmp_path: Path, opening: str, closing: str
) -> None:
    """Fake rows fill a comment spanning the middle: the cut lands in it, the first half
    leaves it open, calamine refuses that half, the whole sheet is parsed."""
    real = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 5))
    fake = "".join(f'<row r="{r}"><c r="B{r}"><v>9</v></c></row>' for r in range(5, 200))
    path = workbook(
        tmp_path / "c.xlsx", real + opening + fake + closing + real.replace('r="', 'r="2')
    )
    assert not same_or_declined(path, "S1")


def test_a_fake_row_at_the_cut_inside_cdata_is_declined(tmp_path: Path) -> None:
    fake = (
        "".join(f'&lt;row r="{r}"&gt;' for r in range(5, 50))
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    rows = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        f'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[{fake}]]></t></is></c></row>'
        '<row r="3"><c r="A3"><v>3</v></c></row>'
    )
    path = workbook(tmp_path / "d.xlsx", rows)
    assert not same_or_declined(path, "S1")


def test_one_cell_written_in_both_halves_is_declined(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 60))
    rows += '<row r="5"><c r="A5"><v>99</v></c></row>'
    path = workbook(tmp_path / "dup.xlsx", rows)
    assert halves.read_halves(path, "S1") is None


def test_other_sheets_and_shared_strings_are_kept(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{r % 3}</v></c><c r="B{r}" s="1"><v>45000</v></c></row>'
        for r in range(1, 300)
    )
    path = workbook(tmp_path / "s.xlsx", rows, shared=["一", "two", ""], sheets=3)
    assert same_or_declined(path, "S1")
    assert not same_or_declined(path, "S2")  # one row: nothing to cut


def test_damaged_xml_in_the_second_half_gives_the_whole_parse_error(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 200))
    rows = rows.replace(
        '<row r="150"><c r="A150"><v>150</v></c></row>', '<row r="150"><c r="A150"><v>1'
    )
    path = workbook(tmp_path / "bad.xlsx", rows)
    assert halves.read_halves(path, "S1") is None
    with pytest.raises(ReadError) as split:
        Source(path).sheet("S1")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EXCELFLOW_SPLIT_PARSE", "0")
        with pytest.raises(ReadError) as unsplit:
            Source(path).sheet("S1")
    assert str(split.value) == str(unsplit.value)


def test_source_uses_the_checked_xml_once_and_then_frees_it(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 500))
    path = workbook(tmp_path / "k.xlsx", rows, sheets=2)
    kept = check_workbook(path, keep_over=0)
    assert kept is not None and kept.part == "xl/worksheets/sheet1.xml"
    assert b"".join(kept.blocks) == zipfile.ZipFile(path).read(kept.part)
    assert check_workbook(path, keep_over=10**9) is None  # smaller than asked: nothing kept
    source = Source(path)
    assert source._kept is not None
    sheet = source.sheet("S1")
    assert source._kept is None
    assert (typed(sheet.grid), sheet.origin) == (typed(whole(path, "S1")[0]), whole(path, "S1")[1])


def test_one_core_or_switched_off_parses_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 50))
    path = workbook(tmp_path / "c.xlsx", rows)
    assert halves.read_halves(path, "S1") is not None
    monkeypatch.setenv("EXCELFLOW_SPLIT_PARSE", "0")
    assert halves.read_halves(path, "S1") is None
    assert Source(path)._kept is None
    monkeypatch.delenv("EXCELFLOW_SPLIT_PARSE")
    monkeypatch.setattr(halves, "cores", lambda: 1)
    assert halves.read_halves(path, "S1") is None


def test_the_temporary_folder_is_removed_where_there_is_no_memfd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(halves, "MEMFD", False)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "t"))
    (tmp_path / "t").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 50))
    path = workbook(tmp_path / "f.xlsx", rows)
    assert same_or_declined(path, "S1")
    assert os.listdir(tmp_path / "t") == []


def test_no_half_file_stays_open(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 50))
    path = workbook(tmp_path / "o.xlsx", rows)
    before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    assert same_or_declined(path, "S1")
    after = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    assert after <= before


def test_rows_without_numbers_after_an_empty_first_half_are_declined(tmp_path: Path) -> None:
    """The first half holds only empty rows, so no overlap can show that the second half, which
    starts on a row without ``r``, was placed at the top: the cut itself must be refused."""
    empty = "".join(f'<row r="{r}"/>' for r in range(1, 29))
    empty += '<row r="29"' + " " * 5000 + "/>"  # the 45 % mark falls inside this tag
    unnumbered = "".join("<row><c><v>1</v></c></row>" for _ in range(30))
    path = workbook(tmp_path / "u.xlsx", empty + unnumbered)
    assert halves.read_halves(path, "S1") is None
    assert whole(path, "S1")[1] == (29, 0)  # calamine numbers them on from row 29


def test_an_error_making_the_rows_declines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever fails while the rows are made (a cell python-calamine cannot hand over) is not
    raised from here: the whole parse meets it and says which sheet and why."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 50))
    path = workbook(tmp_path / "e.xlsx", rows)

    def broken(*args: object) -> None:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(halves, "_prepare", broken)
    assert halves.read_halves(path, "S1") is None


def test_a_sheet_over_the_prepare_limit_is_made_by_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 200))
    path = workbook(tmp_path / "big.xlsx", rows)
    got = halves.read_halves(path, "S1")
    assert got is not None and got[2] is not None
    monkeypatch.setattr(halves, "PREPARE_MAX_ROWS", 100)
    got = halves.read_halves(path, "S1")
    assert got is not None and got[2] is None
    assert same_or_declined(path, "S1")
