"""``excelflow annotate``: the annotated copy agrees with the engine, loses nothing of the user's,
re-runs replace instead of duplicating, and every unsafe write is refused."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import struct
import zlib
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from annotate_support import (
    AS_OF,
    CRM_DASHBOARD,
    calamine_rows,
    digest,
    sample_book,
    snapshot,
)
from excelflow.annotate.labels import GATE_LABEL, MARK, NOTE_MARKER
from excelflow.api import annotate, validate_file
from excelflow.cli.annotate import annotate_command
from excelflow.engine import report
from excelflow.pipeline.fields import RESULT_FIELDS
from excelflow.pipeline.read import ReadError
from excelflow.pipeline.ruleset import Lang
from excelflow.sheets.text import text_width
from excelflow.workbook.annotate import AnnotateOutcome, InPlaceRefused
from excelflow.workbook.losses import losses
from excelflow.workbook.safe_write import WriteRefused, default_output
from excelflow.workbook.sample import sample_deals, write_sample


def _run(path: Path, out: Path | None = None, **kw: object) -> AnnotateOutcome:
    return annotate(path, out, as_of=AS_OF, **kw)  # type: ignore[arg-type]


def _columns(ws: object, header_row: int = 1) -> dict[str, int]:
    return {c.value: c.column for c in ws[header_row] if c.value is not None}  # type: ignore[index]


# --------------------------------------------------------------------------- engine cross-check


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_copy_agrees_with_the_engine(tmp_path: Path, lang: Lang) -> None:
    src = sample_book(tmp_path, lang, n=60)
    before = digest(src)
    out = _run(src)
    assert digest(src) == before  # the input is never touched
    assert out.out_path == default_output(src, "checked").resolve() and out.out_path.exists()
    assert out.lost == [] and out.backup_path is None
    res = out.result
    sheet = res.pipeline.sheet
    assert sheet is not None
    wb = load_workbook(out.out_path)
    ws = wb[sheet]

    # every finding's cell carries a note with its message
    for _, f in res.findings[res.findings["cell"].notna()].iterrows():
        comment = ws[f["cell"]].comment
        assert comment is not None and comment.author == MARK, f["cell"]
        assert f[f"message_{lang}"] in comment.text and f["code"] in comment.text
    noted = {c.coordinate for row in ws.iter_rows() for c in row if c.comment is not None}
    assert noted == set(res.findings["cell"].dropna())  # comments only on offending cells

    # result columns, appended after the data, equal the engine's per-deal results
    cols = _columns(ws)
    headers = [f.header(lang) for f in RESULT_FIELDS]
    assert [cols[h] for h in headers] == list(range(ws.max_column - 4, ws.max_column + 1))
    detail = report.deals_detail(res, lang)
    rows = calamine_rows(out.out_path, sheet)
    head = rows[0]
    idx = {h: head.index(h) for h in headers}
    for i, d in detail.iterrows():
        line = rows[int(d["row"]) - 1]
        assert line[idx[headers[0]]] == ("" if pd.isna(d["grade"]) else d["grade"])
        assert line[idx[headers[1]]] == pytest.approx(d["score"])
        assert line[idx[headers[2]]] == pytest.approx(d["adjusted_probability"])
        gate = line[idx[headers[3]]]
        if pd.isna(d["gate"]):
            assert gate == ""
        else:
            assert gate.startswith(GATE_LABEL[d["gate"]](lang))
        mine = res.findings.loc[res.findings["pos"] == i, "code"]
        assert set(re.findall(r"[A-Z]{2}\d\d(?:×\d+)?", line[idx[headers[4]]])) == {
            c if n == 1 else f"{c}×{n}" for c, n in mine.value_counts().items()
        }

    # the Findings sheet, read back by python-calamine, lists the engine's findings in order
    frows = calamine_rows(out.out_path, out.sheets["findings"])
    start = next(i for i, r in enumerate(frows) if r[1] in ("Code", "代码")) + 1
    listed = [(r[1], r[2], r[4], r[7]) for r in frows[start : start + len(res.findings)]]
    expected = [
        (f["code"], f["deal_id"] or "", f["cell"] or "", f[f"message_{lang}"])
        for _, f in res.findings.iterrows()
    ]
    assert listed == expected

    # the annotated copy validates to exactly the same findings as the original
    again = validate_file(out.out_path, lang=lang, as_of=AS_OF).result
    assert again is not None and again.flat() == res.flat()


# --------------------------------------------------------------------------- no data loss


def _rich_input(path: Path) -> Path:
    """A pipeline with a formula, styles, a defined name, validation, CF, comments, a table, an
    extra and a hidden sheet."""
    headers, rows = sample_deals(30, lang="en", as_of=AS_OF)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Deals"
    ws.append(headers)
    for r in rows:
        ws.append(r)
    last = 1 + len(rows)
    ws.add_table(
        Table(displayName="tblDeals", ref=f"A1:{ws.cell(1, len(headers)).column_letter}{last}")
    )
    ws["B3"].font = Font(bold=True, color="C00000")
    ws["B3"].fill = PatternFill("solid", fgColor="FFFF00")
    dv = DataValidation(type="list", formula1='"open,won,lost,withdrawn"', allow_blank=True)
    dv.add(f"E2:E{last}")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add(
        f"K2:K{last}", CellIsRule(operator="greaterThan", formula=["1000000"], font=Font(bold=True))
    )
    ws["N2"].comment = Comment("Alice: coach meeting on Monday", "Alice")  # N2 gets SG01
    ws["C5"].comment = Comment("Bob: project renamed", "Bob")  # no finding there
    summary = wb.create_sheet("Summary")
    summary["A1"] = "Total amount"
    summary["B1"] = f"=SUM(Deals!K2:K{last})"
    summary["B1"].number_format = "#,##0"
    hidden = wb.create_sheet("Lookups")
    hidden["A1"] = "secret"
    hidden.sheet_state = "hidden"
    wb.defined_names["TotalAmount"] = DefinedName("TotalAmount", attr_text="Summary!$B$1")
    wb.save(path)
    return path


def test_nothing_of_the_user_is_lost(tmp_path: Path) -> None:
    src = _rich_input(tmp_path / "rich.xlsx")
    out = _run(src)
    assert out.lost == [], out.lost
    wb = load_workbook(out.out_path)
    assert wb.sheetnames == ["Deals", "Summary", "Lookups", "Dashboard", "Findings"]
    assert wb["Summary"]["B1"].value.startswith("=SUM(Deals!K2:K31")
    assert wb["Summary"]["B1"].number_format == "#,##0"
    assert wb["Lookups"].sheet_state == "hidden" and wb["Lookups"]["A1"].value == "secret"
    assert wb.defined_names["TotalAmount"].attr_text == "Summary!$B$1"
    ws = wb["Deals"]
    assert ws["B3"].font.bold and ws["B3"].fill.fgColor.rgb == "00FFFF00"
    assert [(str(v.sqref), v.formula1) for v in ws.data_validations.dataValidation] == [
        ("E2:E31", '"open,won,lost,withdrawn"')
    ]
    user_cf = [r for cf in ws.conditional_formatting for r in cf.rules if r.type == "cellIs"]
    assert len(user_cf) == 1 and user_cf[0].formula == ["1000000"]
    # the user's comment on a flagged cell is kept, with our note below it
    n2 = ws["N2"].comment
    assert n2.author == "Alice" and n2.text.startswith("Alice: coach meeting on Monday")
    assert NOTE_MARKER in n2.text and "SG01" in n2.text
    assert ws["C5"].comment.text == "Bob: project renamed" and ws["C5"].comment.author == "Bob"
    # the table grew to hold the result columns
    table = ws.tables["tblDeals"]
    assert table.ref == "A1:AL31"
    assert table.column_names[-5:] == [f.header("en") for f in RESULT_FIELDS]


def test_rerun_replaces_and_never_duplicates(tmp_path: Path) -> None:
    src = _rich_input(tmp_path / "rich.xlsx")
    first = _run(src)
    second = _run(first.out_path, tmp_path / "again.xlsx")
    third = _run(second.out_path, tmp_path / "third.xlsx")
    a, b = snapshot(second.out_path), snapshot(third.out_path)
    assert a == b
    assert snapshot(first.out_path) == a  # only the subtitle (file name) differs: skipped
    ws = load_workbook(third.out_path)["Deals"]
    assert ws["N2"].comment.text.count(NOTE_MARKER) == 1
    ours = [r for cf in ws.conditional_formatting for r in cf.rules if MARK in str(r.formula)]
    assert len(ours) == 3


def test_rerun_in_the_other_language_replaces_our_sheets(tmp_path: Path) -> None:
    first = _run(sample_book(tmp_path, "en"))
    second = _run(first.out_path, tmp_path / "zh.xlsx", lang="zh")
    names = load_workbook(second.out_path).sheetnames
    assert names == ["Deals", "看板", "问题清单"]


def test_template_placeholders_and_result_columns_are_filled_in_place(tmp_path: Path) -> None:
    from excelflow.workbook.template import save_workbook, template_workbook

    for lang in ("zh", "en"):
        wb = template_workbook(lang)
        before = [ws.title for ws in wb.worksheets]
        deals = wb.worksheets[0]
        ref, width = deals.tables["tblDeals"].ref, deals.max_column
        src = tmp_path / f"tpl_{lang}.xlsx"
        save_workbook(wb, src)
        out = _run(src)
        assert out.lost == []
        got = load_workbook(out.out_path)
        assert got.sheetnames == before  # placeholders replaced where they were
        ws = got.worksheets[0]
        assert ws.max_column == width and ws.tables["tblDeals"].ref == ref
        cols = _columns(ws)
        grade_col = cols[RESULT_FIELDS[0].header(lang)]
        graded = [ws.cell(r, grade_col).value for r in out.result.pipeline.rows]
        assert graded == [None if pd.isna(g) else g for g in out.result.deals["grade"]]
        # every result column, already in the template, is sized to its header and texts (the
        # template's 7-wide Gate column cut "强行推进：M2 内线; M3 采购标准")
        for spec in RESULT_FIELDS:
            letter = get_column_letter(cols[spec.header(lang)])
            texts = [ws[f"{letter}{r}"].value for r in out.result.pipeline.rows]
            need = max(text_width(t) for t in [spec.header(lang), *texts] if isinstance(t, str))
            assert need + 2 <= ws.column_dimensions[letter].width <= 50, (lang, spec.key)


def test_a_users_own_dashboard_sheet_is_kept(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en")
    wb = load_workbook(src)
    mine = wb.create_sheet("Dashboard")
    mine["A1"], mine["B2"] = "My own dashboard", "=1+1"
    wb.save(src)
    out = _run(src)
    again = _run(out.out_path, tmp_path / "again.xlsx")
    got = load_workbook(again.out_path)
    assert got.sheetnames == ["Deals", "Dashboard", "ExcelFlow Dashboard", "Findings"]
    assert got["Dashboard"]["A1"].value == "My own dashboard"
    assert got["Dashboard"]["B2"].value == "=1+1"


def test_formula_results_stay_readable_without_excel(tmp_path: Path) -> None:
    """openpyxl drops cached formula results; the copy gets them back, so python-calamine (and
    ExcelFlow's next run) still read the amounts a formula column computes."""
    headers, rows = sample_deals(30, lang="en", as_of=AS_OF)
    amount = headers.index("Amount")
    src = tmp_path / "formulas.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("Deals")
    ws.write_row(0, 0, headers)
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, [v.isoformat() if isinstance(v, dt.date) else v for v in r])
        if isinstance(r[amount], float):
            ws.write_formula(i, amount, f"={r[amount] / 1000:g}*1000", None, r[amount])
    wb.close()
    out = _run(src, in_place=True)
    assert out.lost == []
    got = load_workbook(src)["Deals"]
    assert str(got.cell(2, amount + 1).value).startswith("=")  # still a formula
    grid = calamine_rows(src, "Deals")
    assert [g[amount] for g in grid[1:]] == [r[amount] or "" for r in rows]
    again = validate_file(src, as_of=AS_OF).result
    assert again is not None and again.flat() == out.result.flat()


# --------------------------------------------------------------------------- what openpyxl drops


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00\xff\x00\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _book_with_drawings(path: Path) -> Path:
    """Deals in an Excel table, and a Charts sheet with a chart, a picture and a text box."""
    headers, rows = sample_deals(20, lang="en", as_of=AS_OF)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Deals")
    data = [[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows]
    ws.add_table(
        0, 0, len(rows), len(headers) - 1,
        {"name": "tblDeals", "data": data, "columns": [{"header": h} for h in headers]},
    )  # fmt: skip
    charts = wb.add_worksheet("Charts")
    charts.write_column("A1", [3, 5, 2])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Charts!$A$1:$A$3"})
    charts.insert_chart("C2", chart)
    charts.insert_image("C20", "dot.png", {"image_data": io.BytesIO(_png())})
    charts.insert_textbox("H20", "Remember the Q4 review")
    wb.close()
    return path


def test_copy_reports_what_it_lacks_and_in_place_is_refused(tmp_path: Path) -> None:
    src = _book_with_drawings(tmp_path / "drawn.xlsx")
    before = digest(src)
    out = _run(src, tmp_path / "copy.xlsx")
    assert any(item.startswith("shapes / text boxes (1)") for item in out.lost), out.lost
    assert not any(item.startswith("charts") for item in out.lost)  # openpyxl keeps charts
    assert len(load_workbook(out.out_path)["Charts"]._charts) == 1  # type: ignore[attr-defined]

    with pytest.raises(InPlaceRefused) as err:
        _run(src, in_place=True)
    msg = str(err.value)
    assert "refused --in-place" in msg and "shapes / text boxes (1)" in msg
    assert str(default_output(src, "checked")) in msg and "\n" not in msg
    copy = err.value.outcome.out_path
    assert copy == default_output(src, "checked").resolve() and copy.exists()
    assert err.value.outcome.lost == out.lost
    assert digest(src) == before
    assert not list(tmp_path.glob("*.bak.*")) and not list(tmp_path.glob(".drawn.*"))


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_losses_of_a_real_excel_dashboard(tmp_path: Path) -> None:
    if not CRM_DASHBOARD.exists():
        pytest.skip("shared data not available")
    resaved = tmp_path / "resaved.xlsx"
    load_workbook(CRM_DASHBOARD).save(resaved)
    lost = " | ".join(losses(CRM_DASHBOARD, resaved))
    for kind in ("slicers (", "timelines (", "shapes / text boxes (", "data model ("):
        assert kind in lost, lost
    assert "pivot tables" not in lost and "charts" not in lost  # openpyxl keeps those


def test_crm_dashboard_without_deals_is_refused_and_untouched(tmp_path: Path) -> None:
    if not CRM_DASHBOARD.exists():
        pytest.skip("shared data not available")
    src = tmp_path / "crm.xlsx"
    shutil.copy2(CRM_DASHBOARD, src)
    before = digest(src)
    for in_place in (False, True):
        with pytest.raises(ReadError) as err:
            _run(src, in_place=in_place)
        assert "no pipeline table found" in str(err.value) and "\n" not in str(err.value)
    assert digest(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.xlsx"]


# --------------------------------------------------------------------------- in place, safety


def test_in_place_keeps_a_backup(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en")
    original = src.read_bytes()
    out = _run(src, in_place=True)
    assert out.out_path == src.resolve() and out.lost == []
    assert out.backup_path is not None and out.backup_path.read_bytes() == original
    assert "Findings" in load_workbook(src).sheetnames
    again = _run(src, in_place=True)  # and once more: replaced, not duplicated
    assert load_workbook(src).sheetnames == ["Deals", "Dashboard", "Findings"]
    assert again.backup_path != out.backup_path


def test_in_place_refused_while_excel_holds_the_file(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", name="deals.xlsx")
    (tmp_path / "~$deals.xlsx").write_bytes(b"owner")
    before = digest(src)
    with pytest.raises(WriteRefused, match="open in Excel"):
        _run(src, in_place=True)
    assert digest(src) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deals.xlsx", "~$deals.xlsx"]


def test_refused_outputs(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en")
    with pytest.raises(WriteRefused, match="use --in-place"):
        _run(src, src)
    with pytest.raises(WriteRefused, match=r"\.xlsx or \.xlsm"):
        _run(src, tmp_path / "out.csv")
    with pytest.raises(WriteRefused, match="not both"):
        _run(src, tmp_path / "x.xlsx", in_place=True)
    with pytest.raises(ReadError, match="file not found"):
        _run(tmp_path / "missing.xlsx")
    assert default_output(Path("a/b.xlsm"), "checked") == Path("a/b.checked.xlsm")
    assert default_output(Path("a/b.csv"), "checked") == Path("a/b.checked.xlsx")


def test_csv_gets_an_xlsx_copy(tmp_path: Path) -> None:
    headers, rows = sample_deals(25, lang="zh", as_of=AS_OF)
    src = write_sample(tmp_path / "pipeline.csv", headers, rows)
    out = _run(src)
    assert out.out_path.name == "pipeline.checked.xlsx" and out.lost == []
    assert load_workbook(out.out_path).sheetnames == ["商机", "看板", "问题清单"]
    grid = calamine_rows(out.out_path, "商机")
    assert grid[0][-5:] == [f.header("zh") for f in RESULT_FIELDS]
    # a CSV has no widths: every column of the copy is sized to its header and values
    ws = load_workbook(out.out_path)["商机"]
    for j, header in enumerate(grid[0], start=1):
        letter = get_column_letter(j)
        if header:
            assert ws.column_dimensions[letter].width >= min(40, text_width(header) + 2), header
    again = validate_file(out.out_path, lang="zh", as_of=AS_OF).result
    assert again is not None and [(r, c) for r, _, c in again.flat()] == [
        (r, c) for r, _, c in out.result.flat()
    ]
    with pytest.raises(WriteRefused, match="in place"):
        _run(src, in_place=True)


# --------------------------------------------------------------------------- CLI function


def test_annotate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = sample_book(tmp_path, "en")
    assert annotate_command(src, as_of=AS_OF) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed and "sample_en.checked.xlsx" in printed
    assert annotate_command(tmp_path / "nope.xlsx") == 2
    assert "file not found" in capsys.readouterr().err
    drawn = _book_with_drawings(tmp_path / "drawn.xlsx")
    assert annotate_command(drawn, in_place=True, as_of=AS_OF) == 2
    assert "lacks" in capsys.readouterr().err
    assert annotate_command(drawn, tmp_path / "c.xlsx", as_of=AS_OF) == 0
    assert "note: the copy lacks: " in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert annotate_command(src, ruleset_path=str(bad)) == 2


@pytest.mark.slow
@pytest.mark.timeout(300)  # a hang guard only: the speed is measured by `make bench`
def test_five_thousand_deals_are_annotated(tmp_path: Path) -> None:
    src = sample_book(tmp_path, "en", n=5000)
    out = _run(src)
    assert len(out.result.deals) == 5000
