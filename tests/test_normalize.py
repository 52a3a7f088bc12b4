"""Value coercion and header matching: the forms a Chinese or English sales team actually types."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from excelflow.pipeline.coerce import (
    coerce_column,
    parse_date,
    parse_money,
    parse_probability,
    parse_stage,
    parse_tick,
    stage_lookup,
)
from excelflow.pipeline.fields import Kind, fold, header_index
from excelflow.pipeline.normalize import build_pipeline, column_letter, find_header
from excelflow.pipeline.ruleset import load_ruleset

RS = load_ruleset()
D = pd.Timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2027, 3, 1), D("2027-03-01")),
        (dt.datetime(2027, 3, 1, 15, 30), D("2027-03-01")),
        (46447, D("2027-03-01")),  # Excel serial
        (46447.75, D("2027-03-01")),
        ("46447", D("2027-03-01")),
        ("2027-03-01", D("2027-03-01")),
        ("2027-03-01T00:00:00", D("2027-03-01")),
        ("2027/3/1", D("2027-03-01")),
        ("2027.3.1", D("2027-03-01")),
        ("2027年3月1日", D("2027-03-01")),
        ("２０２７年３月１日", D("2027-03-01")),  # full-width digits
        ("20270301", D("2027-03-01")),
        ("next spring", None),
        ("2027-02-30", None),
        (True, None),
        (-5, None),
    ],
)
def test_parse_date(value: object, expected: object) -> None:
    assert parse_date(value) == expected


def test_parse_date_extra_formats_from_a_mapping() -> None:
    assert parse_date("3/1/2027") is None
    assert parse_date("3/1/2027", ["%m/%d/%Y"]) == D("2027-03-01")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.6, 0.6),
        (60, 0.6),
        ("60%", 0.6),
        ("60 %", 0.6),
        ("６０％", 0.6),
        ("0.6", 0.6),
        (1, 1.0),
        (100, 1.0),
        (150, 1.5),
        (-0.2, -0.2),
        ("high", None),
        (True, None),
    ],
)
def test_parse_probability(value: object, expected: float | None) -> None:
    got = parse_probability(value)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1200.0, 1200.0),
        ("1,200,000", 1_200_000.0),
        ("¥250,000", 250_000.0),
        ("￥3万", 30_000.0),
        ("1,200万", 12_000_000.0),
        ("1.5亿", 150_000_000.0),
        ("120k", 120_000.0),
        ("2M", 2_000_000.0),
        ("(500)", -500.0),
        ("USD 1,000", 1000.0),
        ("5000元", 5000.0),
        ("lots", None),
    ],
)
def test_parse_money(value: object, expected: float | None) -> None:
    assert parse_money(value) == expected


@pytest.mark.parametrize(
    "value", ["✓", "✔", "√", "Y", "y", "Yes", "是", "TRUE", True, 1, "1", "x", "X", "完成", "ok"]
)
def test_ticks_that_mean_done(value: object) -> None:
    assert parse_tick(value) == (True, None)


@pytest.mark.parametrize("value", ["N", "No", "否", "FALSE", False, 0, "0", "✗", "×", "-", "无"])
def test_ticks_that_mean_not_done(value: object) -> None:
    assert parse_tick(value) == (False, None)


def test_a_date_in_a_milestone_cell_means_done_on_that_date() -> None:
    assert parse_tick(dt.date(2026, 10, 1)) == (True, D("2026-10-01"))
    assert parse_tick("2026/10/1") == (True, D("2026-10-01"))
    assert parse_tick(46296.0) == (True, D("2026-10-01"))
    assert parse_tick("maybe") is None and parse_tick(7) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (4.0, 4),
        ("4", 4),
        ("投标阶段", 4),
        ("投标", 4),
        ("Bidding", 4),
        ("bidding", 4),
        ("BIDDING", 4),
        ("tender", 4),
        ("Stage 4", 4),
        ("stage4", 4),
        ("S4", 4),
        ("第4阶段", 4),
        ("4. Bidding", 4),
        ("4-投标阶段", 4),
        ("4 Proposal", None),
        ("开发阶段", 1),
        ("Sales entry", 2),
        ("工程实施阶段", 6),
        ("Closing", None),
        (7, None),
        (2.5, None),
        (0, None),
    ],
)
def test_parse_stage(value: object, expected: int | None) -> None:
    assert parse_stage(value, stage_lookup(RS), 6) == expected


def test_coerce_column_marks_bad_cells_and_keeps_blanks_blank() -> None:
    raw = np.array(
        ["2027-03-01", "", None, "soon", "  ", dt.date(2027, 1, 2), np.nan], dtype=object
    )
    out = coerce_column(raw, Kind.DATE, RS)
    assert list(out.bad) == [False, False, False, True, False, False, False]
    assert out.values.isna().tolist() == [False, True, True, True, True, False, True]


def test_scores_outside_the_scale_are_not_understood() -> None:
    out = coerce_column(np.array([1, 5, 6, 0, "3", ""], dtype=object), Kind.SCORE, RS)
    assert list(out.bad) == [False, False, True, True, False, False]
    assert out.values.tolist()[:2] == [1.0, 5.0] and out.values.iloc[4] == 3.0


def test_status_words_in_both_languages() -> None:
    raw = np.array(
        ["进行中", "赢单", "丢单", "放弃", "Open", "Closed Won", "", "pending"], dtype=object
    )
    out = coerce_column(raw, Kind.STATUS, RS)
    assert out.values.tolist() == [
        "open",
        "won",
        "lost",
        "withdrawn",
        "open",
        "won",
        "open",
        "open",
    ]
    assert out.bad.tolist() == [False] * 7 + [True]


def test_ids_keep_text_and_lose_float_noise() -> None:
    out = coerce_column(np.array([1001.0, " D-7 ", "", 12.5], dtype=object), Kind.ID, RS)
    assert out.values.tolist() == ["1001", "D-7", None, "12.5"]


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("阶段", "stage"),
        ("Stage", "stage"),
        ("Sales stage", "stage"),
        ("SALES_STAGE", "stage"),
        ("预计成交日期", "expected_close"),
        ("Expected close", "expected_close"),
        ("Expected Close Date", "expected_close"),
        ("赢率", "probability"),
        ("Win %", "probability"),
        ("Probability", "probability"),
        ("内线", "m:coach"),
        ("M2a", "m:coach"),
        ("评估：资金状况", "f:funding"),
        ("Eval: funding", "f:funding"),
        ("客户级别", "grade"),
        ("ExcelFlow Ignore", "ignore"),
        ("忽略规则", "ignore"),
        ("投标/议标", "m:bid_submitted"),
        ("（客户）", "customer"),
    ],
)
def test_header_aliases(header: str, key: str) -> None:
    assert header_index(RS)[fold(header)] == key


def test_find_header_skips_titles_and_needs_a_stage_column() -> None:
    grid = [["Pipeline 2027"], [], ["Deal ID", "Customer", "Stage"], ["D1", "Acme", 2]]
    assert find_header(grid, RS) == 2
    assert find_header([["Deal ID", "Customer"], ["D1", "Acme"]], RS) is None


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_duplicate_and_unknown_headers_are_reported_not_fatal() -> None:
    grid = [["Stage", "阶段", "Deal ID", "Colour"], [2, 3, "D1", "red"]]
    p = build_pipeline(grid, RS, source="x")
    assert p.columns["stage"].letter == "A"
    assert p.duplicate_headers == [("阶段", "Stage")]
    assert p.unknown_headers == ["Colour"]
    assert p.frame["stage"].tolist() == [2]


def test_rows_holding_only_excelflow_results_are_not_deals() -> None:
    grid = [
        ["Deal ID", "Stage", "ExcelFlow grade", "Warnings"],
        ["D1", 2, "A", ""],
        ["", "", "B", "SG01"],  # the user cleared the deal, our old results stayed behind
        ["D3", "", "", ""],
    ]
    p = build_pipeline(grid, RS, source="x")
    assert list(p.rows) == [2, 4]


def test_a_date_past_pandas_clock_is_not_understood_never_a_crash(tmp_path: Path) -> None:
    """Found by the hostile corpus: a close date in 2263 (beyond pandas' nanosecond clock, which
    ends in 2262) overflowed the days-to-close subtraction. Dates outside 1900..2200 are now
    'not understood' (DQ04) like any other unreadable date."""
    from excelflow import api

    path = tmp_path / "far.csv"
    path.write_text(
        "Deal ID,Customer,Stage,Expected close,Amount,Probability\n"
        "D1,Acme,3,22630101,100000,0.5\n"
        "D2,Beta,2,2263-01-01,100000,0.5\n"
        "D3,Gamma,2,1899-12-30,100000,0.5\n"
        "D4,Delta,2,2200-12-31,100000,0.5\n",
        encoding="utf-8",
    )
    res = api.validate_file(path, lang="en", as_of=dt.date(2026, 11, 28)).result
    assert res is not None
    dq04 = res.findings[res.findings["code"] == "DQ04"]
    assert sorted(dq04["deal_id"]) == ["D1", "D2", "D3"]
