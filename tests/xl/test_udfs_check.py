"""EF_CHECK through xlwings' dispatcher, and the one-engine promise: every UDF agrees with
``excelflow.api.validate_file`` on the same workbook, written with openpyxl and read back with
python-calamine the way Excel would hand the cells over."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import python_calamine as pc

from excelflow import api
from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.normalize import column_letter
from excelflow.pipeline.ruleset import load_ruleset
from excelflow.workbook.sample import sample_deals, write_sample
from excelflow.xl import udfs
from xl.udf_payload import NA_ERROR_IN, call, cell, column, officejs_rows, serial

AS_OF = dt.date(2026, 11, 28)
HEADER_EN = ["Deal", "Cell", "Code", "Severity", "Message"]
HEADER_ZH = ["商机", "单元格", "代码", "级别", "说明"]


def workbook(tmp_path: Path, n: int = 60, lang: str = "en") -> tuple[Path, list[list[Any]]]:
    """A generated pipeline saved as .xlsx, and its Deals sheet as calamine reads it back."""
    headers, rows = sample_deals(n, lang=lang, as_of=AS_OF)  # type: ignore[arg-type]
    path = write_sample(tmp_path / f"deals-{lang}.xlsx", headers, rows, sheet=SHEETS["deals"](lang))  # type: ignore[arg-type]
    book = pc.CalamineWorkbook.from_path(str(path))
    grid = book.get_sheet_by_name(SHEETS["deals"](lang)).to_python()  # type: ignore[arg-type]
    book.close()
    return path, grid


def engine_rows(path: Path) -> list[list[Any]]:
    """validate_file's findings as EF_CHECK rows (deal, cell, code, severity, message)."""
    rep = api.validate_file(path, load_ruleset(), as_of=AS_OF)
    assert rep.result is not None, rep.error
    f = rep.result.findings
    return [
        [d or "", c or "", code, sev, msg]
        for d, c, code, sev, msg in zip(
            f["deal_id"], f["cell"], f["code"], f["severity"], f["message"], strict=True
        )
    ]


def test_check_equals_validate_file_on_the_same_workbook(tmp_path: Path) -> None:
    path, grid = workbook(tmp_path)
    result = call("ef_check", officejs_rows(grid), cell("en"), cell(serial(AS_OF)))
    assert result[0] == HEADER_EN
    assert result[1:] == engine_rows(path)
    codes = {r[2] for r in result[1:]}
    assert {"SG01", "SG02", "EV01", "EV02", "GR01", "DQ01", "DQ02", "DQ03", "DQ04"} <= codes
    assert ["D-00008", "F9", "DQ03", "error"] in [r[:4] for r in result]  # stage "Closing"


def test_check_com_style_table_gives_the_same_rows(tmp_path: Path) -> None:
    """Classic desktop: a tuple of tuples, dates as datetimes, blanks as None."""
    _, grid = workbook(tmp_path, 30)
    com = tuple(
        tuple(
            None if v == "" else dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v
            for v in row
        )
        for row in grid
    )
    direct = udfs.ef_check(com, "en", dt.datetime(2026, 11, 28))
    assert direct == call("ef_check", officejs_rows(grid), cell("en"), cell(serial(AS_OF)))


def test_check_in_chinese_and_language_override(tmp_path: Path) -> None:
    _, grid = workbook(tmp_path, 20, "zh")
    table = officejs_rows(grid)
    zh = call("ef_check", table, None, cell(serial(AS_OF)))
    assert zh[0] == HEADER_ZH
    assert any(r[3] == "警告" and r[4].startswith("强行推进") for r in zh[1:])
    en = call("ef_check", table, cell("English"), cell(serial(AS_OF)))
    assert en[0] == HEADER_EN
    assert [r[:3] for r in en[1:]] == [r[:3] for r in zh[1:]]


def shifted(address: str, columns: int, rows: int) -> str:
    """``address`` moved right by ``columns`` and down by ``rows`` ("AB12", 2, 4 -> "AD16")."""
    letters = address.rstrip("0123456789")
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return column_letter(index - 1 + columns) + str(int(address[len(letters) :]) + rows)


@pytest.mark.parametrize("origin", ["C5", "$C$5", "Deals!C5:AK65", "[pipeline.xlsx]Deals!$C$5"])
def test_check_cells_follow_the_tables_place_in_the_sheet(tmp_path: Path, origin: str) -> None:
    _, grid = workbook(tmp_path, 15)
    table = officejs_rows(grid)
    at_a1 = call("ef_check", table, cell("en"), cell(serial(AS_OF)))
    moved = call("ef_check", table, cell("en"), cell(serial(AS_OF)), cell(origin))
    assert len(moved) == len(at_a1) > 10
    pairs = list(zip(at_a1[1:], moved[1:], strict=True))
    assert any(a[1][1:2].isdigit() and b[1][1:2].isalpha() for a, b in pairs)  # Y5 -> AA9
    for a, b in pairs:
        assert b[1] == (shifted(a[1], 2, 4) if a[1] else "")
        assert [b[0], *b[2:4]] == [a[0], *a[2:4]]


def test_empty_and_clean_tables_give_just_the_header() -> None:
    assert call("ef_check", cell(None)) == [HEADER_EN]
    assert call("ef_check", [["", None], [None, ""]], cell("zh")) == [HEADER_ZH]
    headers, _ = sample_deals(1)  # every template column, no deal
    assert call("ef_check", [headers], cell("en"), cell(serial(AS_OF))) == [HEADER_EN]


def test_check_bad_arguments_are_readable() -> None:
    no_stage = call("ef_check", [["Customer", "Amount"], ["Acme", 100.0]])
    assert no_stage == [
        ["#VALUE! no deals table found: the range needs a header row with a Stage column"]
    ]
    zh = call("ef_check", [["客户", "金额"], ["甲", 1.0]], cell("zh"))
    assert zh == [["#VALUE! 未找到商机表：需要包含「阶段」列的表头行"]]
    table = [["Deal ID", "Stage"], ["D1", 2.0]]
    assert call("ef_check", table, cell("de"))[0][0] == "#VALUE! language 'de': use zh or en"
    assert "not understood" in call("ef_check", table, None, cell("soon"))[0][0]
    assert "not a cell address" in call("ef_check", table, None, None, cell("here"))[0][0]


def test_error_cells_in_the_table_are_reported_on_their_cell(tmp_path: Path) -> None:
    _, grid = workbook(tmp_path, 12)
    table = officejs_rows(grid)
    close = grid[0].index("Expected close")
    table[11][close] = NA_ERROR_IN  # Excel row 12
    rows = call("ef_check", table, cell("en"), cell(serial(AS_OF)))
    hit = [r for r in rows if r[1] == f"{chr(65 + close)}12"]
    assert [r[2] for r in hit] == ["DQ04"]
    assert "'#N/A' in Expected close is not understood" in hit[0][4]


# --------------------------------------------------------------------------- one engine


def test_every_deal_udf_agrees_with_the_engine(tmp_path: Path) -> None:
    path, grid = workbook(tmp_path, 120)
    rep = api.validate_file(path, load_ruleset(), as_of=AS_OF)
    assert rep.result is not None
    deals = rep.result.deals
    rs = rep.result.ruleset
    header = grid[0]
    body = officejs_rows(grid[1:])

    def col(name: str) -> list[list[Any]]:
        j = header.index(name)
        return [[r[j]] for r in body]

    def block(names: list[str]) -> list[list[Any]]:
        idx = [header.index(n) for n in names]
        return [[r[j] for j in idx] for r in body]

    ms = block([m.column.en for m in rs.milestones])
    stages = col("Stage")
    given = rep.result.pipeline.frame["probability"]
    in_range = given.isna() | given.between(0, 1)  # out of range: the engine falls back, we flag
    usable = (deals["is_open"] & deals["stage"].notna() & in_range).to_numpy()

    stage_out = [r[0] for r in call("ef_stage", stages)]
    known = deals["stage"].notna().to_numpy()
    engine_stages = deals["stage"].dropna().tolist()
    assert [s for s, k in zip(stage_out, known, strict=True) if k] == engine_stages

    score = [r[0] for r in call("ef_score", block([f.column.en for f in rs.factors]))]
    want = deals["score"].tolist()
    assert [s for s, w in zip(score, want, strict=True) if w == w] == [w for w in want if w == w]

    gate = [r[0] for r in call("ef_gate", stages, ms)]
    adj = [r[0] for r in call("ef_adjprob", stages, ms, col("Probability"))]
    grade = [
        r[0]
        for r in call(
            "ef_grade",
            col("Expected close"),
            column(*deals["adjusted_probability"].tolist()),
            cell(serial(AS_OF)),
        )
    ]
    assert usable.sum() > 80
    bad_close = rep.result.pipeline.bad["expected_close"]
    for i in usable.nonzero()[0]:
        assert gate[i] == deals["missing_en"].iat[i], i
        assert adj[i] == pytest.approx(deals["adjusted_probability"].iat[i]), i
        if bad_close[i]:  # the engine reports DQ04 and grades D; the UDF shows why it cannot
            assert grade[i].startswith("#VALUE! 'next spring' is not understood"), i
        else:
            assert grade[i] == deals["grade"].iat[i], i
