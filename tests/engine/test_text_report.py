"""The text report's findings table and ``--quiet`` lines: built from plain column lists, ASCII
measured and padded in C (``--limit 0`` on 260k findings in a fraction of the time), and still
the same text as the plain per-finding definition below, for every shape of finding: CJK and
full-width text, findings on another sheet or without a cell, blank or numeric deal IDs, and
cell text holding control characters (escaped on the way out, never sent raw)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from excelflow import api, engine
from excelflow.cli import main
from excelflow.engine.report import LABELS, FileReport, to_text
from excelflow.pipeline.normalize import build_pipeline
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.pipeline.textutil import pad, width

AS_OF = dt.date(2026, 11, 28)


def plain_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def plain_table(res: engine.Result, lg: Lang, limit: int = 0) -> list[str]:
    """The findings table as it was written one finding at a time (the definition)."""
    lab = LABELS[lg]
    f = res.findings
    shown = f if limit <= 0 else f.head(limit)
    own = res.pipeline.sheet
    where = [
        f"{sh}!{c}" if c and sh and sh != own else (c or "")
        for sh, c in zip(shown["sheet"], shown["cell"], strict=True)
    ]
    rows = [
        (str(c or ""), str(d or ""), code, lab[f"sev_{sev}"], msg)
        for c, d, code, sev, msg in zip(
            where,
            shown["deal_id"].fillna(""),
            shown["code"],
            shown["severity"],
            shown[f"message_{lg}"],
            strict=True,
        )
    ]
    head = (lab["cell"], lab["deal"], lab["code"], lab["severity"], lab["message"])
    widths = [max(plain_width(r[i]) for r in [head, *rows]) for i in range(4)]
    return [
        "  "
        + "  ".join(r[i] + " " * (widths[i] - plain_width(r[i])) for i in range(4))
        + "  "
        + r[4]
        for r in [head, *rows]
    ]


def plain_quiet(rep: FileReport, lg: Lang) -> str:
    assert rep.result is not None
    f = rep.result.findings
    lines = []
    for sh, cell, code, msg in zip(
        f["sheet"], f["cell"], f["code"], f[f"message_{lg}"], strict=True
    ):
        where = "!".join(str(p) for p in (sh, cell) if isinstance(p, str) and p)
        lines.append(f"{rep.path}:{where}: {code} {msg}" if where else f"{rep.path}: {code} {msg}")
    return "".join(line + "\n" for line in lines)


HEADER = ["ID", "Customer", "Owner", "Stage", "Status", "Amount", "Probability", "Coach"]
ROWS: list[list[object]] = [
    ["D-1", "Acme", "Ann", 3, "", 100_000, 0.6, ""],
    ["商机-二", "华为", "张三", 4, "", "120万", 0.7, ""],
    ["ＦＵＬＬ", "Initech", "Bob", 2, "", "lots", 1.7, ""],
    [None, "Umbrella", "", "stage nine", "", None, 0.4, ""],
    [42, "Globex", "Bob", 5, "maybe", 900_000, "high", "✓"],
    ["D\x1b[2J-6", "Soylent\x07", "Bob", 3, "", 70_000, 0.2, ""],
]


def odd_result(lang: Lang) -> engine.Result:
    """A checked pipeline whose findings take every shape the table must handle: some moved to
    another sheet, some without a cell, some without a deal, a numeric deal ID."""
    rs = load_ruleset()
    header = HEADER if lang == "en" else ["商机编号", "客户", "负责人", "阶段", "状态", "金额",
                                          "赢率", "内线"]  # fmt: skip
    pipeline = build_pipeline([header, *ROWS], rs, source="odd.xlsx")
    res = engine.run(pipeline, rs, as_of=AS_OF, lang=lang)
    f = res.findings.copy()
    assert len(f) >= 8
    sheet = f["sheet"].to_numpy(dtype=object).copy()
    cell = f["cell"].to_numpy(dtype=object).copy()
    deal = f["deal_id"].to_numpy(dtype=object).copy()
    sheet[1::4] = "投标 Bid"  # another sheet: shown as SHEET!CELL
    cell[2::5] = None  # a whole-row finding
    sheet[3::7], cell[3::7] = None, None  # a whole-file finding
    deal[0::3] = np.nan
    deal[4] = 7.0
    f["sheet"], f["cell"], f["deal_id"] = sheet, cell, deal
    return replace(res, findings=f)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_findings_table_is_the_plain_definition(lang: Lang) -> None:
    res = odd_result(lang)
    rep = FileReport(path="odd.xlsx", result=res)
    for limit in (0, 3):
        text = to_text([rep], limit=limit)
        table = plain_table(res, lang, limit)
        start = text.splitlines().index(table[0])
        assert text.splitlines()[start : start + len(table)] == table
    # the columns line up on the screen, CJK and full-width counted twice
    lines = plain_table(res, lang)
    code_col = {plain_width(line[: line.index(code)]) for line, code in
                zip(lines[1:], res.findings["code"], strict=True)}  # fmt: skip
    assert len(code_col) == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_quiet_lines_are_the_plain_definition(lang: Lang) -> None:
    rep = FileReport(path="odd.xlsx", result=odd_result(lang))
    out = to_text([rep], quiet=True)
    assert out == plain_quiet(rep, lang)
    assert "odd.xlsx: " in out and "odd.xlsx:投标 Bid!" in out  # no place; another sheet


def test_real_workbooks_give_the_plain_table(shared_data: Path) -> None:
    crm = shared_data / "real-workbooks" / "sales_pipeline.xlsx"
    rs = load_ruleset()
    rep = api.validate_file(crm, rs, as_of=AS_OF)
    assert rep.result is not None and len(rep.result.findings) > 1000
    lines = to_text([rep], limit=0).splitlines()
    table = plain_table(rep.result, rep.result.lang)
    start = lines.index(table[0])
    assert lines[start : start + len(table)] == table
    assert to_text([rep], quiet=True) == plain_quiet(rep, rep.result.lang)


def test_width_is_the_east_asian_width_of_each_character() -> None:
    texts = [chr(c) for c in range(128)] + [
        "",
        "abc",
        "商机",
        "ＦＵＬＬ",
        "e\u0301",
        "Ä",
        "😀",
        "半角ｶﾅ",
    ]
    for text in texts * 2:  # the second round from the cache
        assert width(text) == plain_width(text), text
        assert width(pad(text, 12)) == max(12, plain_width(text))


def test_control_characters_in_the_table_are_escaped_in_the_report_file(tmp_path: Path) -> None:
    """A deal ID holding ESC and a customer holding BEL reach the findings table; the report
    file shows them as escapes, on every line of a 0-limit table and in ``-q`` lines."""
    csv = tmp_path / "ctl.csv"
    frame = pd.DataFrame(ROWS, columns=HEADER)
    frame.to_csv(csv, index=False)
    for extra in (["--limit", "0"], ["-q"]):
        out = tmp_path / "report.txt"
        code = main(["validate", str(csv), "--as-of", "2026-11-28", "-o", str(out), *extra])
        assert code == 1
        text = out.read_text(encoding="utf-8")
        assert "\x1b" not in text and "\x07" not in text
        if extra[0] == "--limit":  # the deal column (-q lines name no deal)
            assert "D\\x1b[2J-6" in text


def test_count_values_is_value_counts() -> None:
    """Result.counts, the per-code tally and the grade mix count with ``count_values``: the
    same numbers as ``Series.value_counts`` (blanks of every kind not counted; ``1`` and ``"1"``
    apart), on string and object columns."""
    from excelflow.engine import count_values

    values = ["error", "warning", None, "error", np.nan, "info", "error", pd.NA, "1", 1, 1.0]
    for column in (
        pd.Series(values, dtype=object),
        pd.Series(
            [v for v in values if not isinstance(v, int | float) or pd.isna(v)], dtype="string"
        ),
        pd.Series([], dtype=object),
    ):
        expected = {k: int(n) for k, n in column.value_counts().items()}
        assert count_values(column) == expected


def test_forecast_groups_sum_as_a_named_aggregation_does() -> None:
    """The forecast's per-group sums are pandas' compensated sums, bit for bit the numbers the
    named aggregation it replaced gave (the report rounds them: a last-bit change could move a
    cent)."""
    from excelflow.engine.forecast import forecast

    rng = np.random.default_rng(7)
    n = 5000
    deals = pd.DataFrame(
        {
            "is_open": rng.random(n) < 0.7,
            "amount": rng.random(n) * 1e7,
            "probability": rng.random(n),
            "adjusted_probability": rng.random(n) / 2,
            "stage": pd.array(rng.integers(1, 7, n), dtype="Int64"),
            "owner": rng.choice(np.array(["张三", "Ann", "", None], dtype=object), n),
            "grade": pd.array(rng.choice(["A", "B", "C", "D"], n), dtype="string"),
        }
    )
    deals.loc[::13, "amount"] = np.nan
    got = forecast(deals)
    d = deals[deals["is_open"]]
    stated = (d["amount"] * d["probability"]).fillna(0.0).to_numpy()
    adjusted = (d["amount"] * d["adjusted_probability"]).fillna(0.0).to_numpy()
    key = d["stage"].astype(object).map(lambda v: "" if pd.isna(v) else str(v)).to_numpy()
    frame = pd.DataFrame({"key": key, "stated": stated, "adjusted": adjusted})
    agg = frame.groupby("key", sort=False).agg(
        deals=("stated", "size"), stated=("stated", "sum"), adjusted=("adjusted", "sum")
    )
    expected = {k: (int(r.deals), r.stated, r.adjusted) for k, r in agg.iterrows()}
    assert {r.key: (r.deals, r.stated, r.adjusted) for r in got.by_stage} == expected
