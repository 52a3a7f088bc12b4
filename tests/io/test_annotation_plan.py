"""The annotation plan (pure): every value it carries agrees with the engine's Result."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from annotate_support import AS_OF, sample_book
from excelflow.annotate.labels import GATE_LABEL, SEVERITY_FILL, SEVERITY_LABEL, SEVERITY_RANK
from excelflow.annotate.plan import AnnotationPlan, build_plan, quote_sheet
from excelflow.api import validate_file
from excelflow.engine import Result, report
from excelflow.pipeline.fields import RESULT_FIELDS
from excelflow.pipeline.ruleset import Lang
from excelflow.rules import load_all
from excelflow.workbook.sample import sample_deals, write_sample


def _result(path: Path, lang: Lang | None = None) -> Result:
    rep = validate_file(path, lang=lang, as_of=AS_OF)
    assert rep.result is not None, rep.error
    return rep.result


@pytest.fixture(scope="module", params=["en", "zh"])
def checked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Result:
    lang: Lang = request.param
    return _result(sample_book(tmp_path_factory.mktemp(f"plan_{lang}"), lang, n=80), lang)


def _codes_per_deal(res: Result) -> dict[int, str]:
    """The warnings text computed independently: codes by severity then code, ×n for repeats,
    each with the registry's title in the result's language."""
    registry = load_all()
    join = "、" if res.lang == "zh" else ", "
    out: dict[int, str] = {}
    f = res.findings[res.findings["pos"] >= 0]
    for pos, grp in f.groupby("pos"):
        counts = Counter(zip(grp["severity"], grp["code"], strict=True))
        items = sorted(counts.items(), key=lambda kv: (-SEVERITY_RANK[kv[0][0]], kv[0][1]))
        out[int(pos)] = join.join(
            f"{c if n == 1 else f'{c}×{n}'} {registry[c].title(res.lang)}" for (_, c), n in items
        )
    return out


def test_result_columns_equal_deals_detail(checked: Result) -> None:
    lang = checked.lang
    plan = build_plan(checked)
    detail = report.deals_detail(checked, lang)
    cols = {c.key: c for c in plan.result_columns}
    assert [c.key for c in plan.result_columns] == [f.key for f in RESULT_FIELDS]
    assert [c.header for c in plan.result_columns] == [f.header(lang) for f in RESULT_FIELDS]
    assert all(c.letter is None for c in plan.result_columns)  # the sample has none yet
    assert plan.rows == detail["row"].tolist()
    assert cols["ef_grade"].values == [None if pd.isna(g) else g for g in detail["grade"]]
    assert cols["ef_score"].values == [None if pd.isna(s) else s for s in detail["score"]]
    adj = detail["adjusted_probability"]
    assert cols["ef_adj_prob"].values == [None if pd.isna(p) else p for p in adj]
    for gate, text, missing in zip(
        detail["gate"], cols["ef_gate"].values, detail["missing"], strict=True
    ):
        if pd.isna(gate):
            assert text is None
        elif gate == "pass":
            assert text == GATE_LABEL["pass"](lang)
        else:
            assert text.startswith(GATE_LABEL["forced"](lang)) and missing in text
    expected = _codes_per_deal(checked)
    assert cols["ef_warnings"].values == [expected.get(i) for i in range(len(detail))]


def test_warnings_text_and_row_severity(checked: Result) -> None:
    plan = build_plan(checked)
    warnings = {c.key: c for c in plan.result_columns}["ef_warnings"].values
    # the sample's first deal misses three milestone parts, one of them the purchasing criteria
    # marked no at the bidding stage: the withdraw hint from the row (no Bid sheet)
    zh = checked.lang == "zh"
    assert warnings[0] == ("、" if zh else ", ").join(
        [
            "BD03 " + ("建议放弃投标" if zh else "Withdrawal advised"),
            "SG01×3 " + ("跳过节点" if zh else "Skipped milestone"),
        ]
    )
    f = checked.findings
    for i, sev in enumerate(plan.row_severity):
        mine = f.loc[f["pos"] == i, "severity"]
        if mine.empty:
            assert sev is None and warnings[i] is None
        else:
            assert sev == max(mine, key=SEVERITY_RANK.__getitem__)
            assert plan.row_fill(i) == SEVERITY_FILL[sev]
    by_sev = plan.rows_by_severity()
    assert sorted(r for rows in by_sev.values() for r in rows) == sorted(
        r for r, s in zip(plan.rows, plan.row_severity, strict=True) if s is not None
    )
    assert [item.severity for item in plan.legend] == ["error", "warning", "info"]


def test_findings_rows_equal_engine_findings(checked: Result) -> None:
    lang = checked.lang
    plan = build_plan(checked)
    f = checked.findings
    assert len(plan.findings.rows) == len(f)
    sheet = checked.pipeline.sheet
    for row, link, (_, fnd) in zip(
        plan.findings.rows, plan.findings.links, f.iterrows(), strict=True
    ):
        sev, code, deal, where, cell, column, _value, message = row
        assert sev == SEVERITY_LABEL[fnd["severity"]](lang)
        assert (code, deal, where, cell, column) == (
            fnd["code"],
            fnd["deal_id"],
            sheet,
            fnd["cell"],
            fnd["column"],
        )
        assert message == fnd[f"message_{lang}"]
        assert link == f"'{sheet}'!{fnd['cell']}"


def test_notes_cover_every_finding_cell(checked: Result) -> None:
    plan = build_plan(checked)
    notes = {(n.sheet, n.cell): n for n in plan.notes}
    f = checked.findings
    for _, fnd in f[f["cell"].notna()].iterrows():
        note = notes[(checked.pipeline.sheet, fnd["cell"])]
        assert any(fnd["message"] in line and fnd["code"] in line for line in note.lines)
    assert len(notes) == f["cell"].nunique()


def test_two_findings_on_one_cell_share_one_note(tmp_path: Path) -> None:
    res = _result(sample_book(tmp_path, "en", n=20))
    extra = res.findings.iloc[[0]].copy()  # a second finding on the first finding's cell
    extra["code"], extra["severity"] = "DQ99", "error"
    extra["message"] = extra["message_en"] = "Second problem on the same cell"
    res.findings = pd.concat([res.findings, extra], ignore_index=True)
    plan = build_plan(res)
    note = next(n for n in plan.notes if n.cell == res.findings.loc[0, "cell"])
    assert len(note.lines) == 2 and note.severity == "error"
    assert note.text.splitlines()[1] == "DQ99 Error: Second problem on the same cell"


def test_other_language_than_the_workbook(tmp_path: Path) -> None:
    res = _result(sample_book(tmp_path, "en", n=20))
    plan = build_plan(res, "zh")
    assert plan.lang == "zh"
    assert plan.findings.headers[0] == "级别"
    assert plan.sheet_names == {"findings": "问题清单", "dashboard": "看板"}
    assert plan.findings.rows[0][-1] == res.findings.loc[0, "message_zh"]
    assert plan.deals_sheet == "Deals"


def test_csv_plan_points_at_the_deals_sheet(tmp_path: Path) -> None:
    headers, rows = sample_deals(15, lang="en", as_of=AS_OF)
    res = _result(write_sample(tmp_path / "p.csv", headers, rows))
    assert res.pipeline.sheet is None
    plan = build_plan(res)
    assert plan.deals_sheet == "Deals"
    assert {n.sheet for n in plan.notes} == {"Deals"}
    assert all(link is None or link.startswith("'Deals'!") for link in plan.findings.links)


def test_clean_pipeline_has_an_empty_plan(tmp_path: Path) -> None:
    headers, rows = sample_deals(10, lang="en", as_of=AS_OF, violations=False)
    res = _result(write_sample(tmp_path / "clean.xlsx", headers, rows))
    res.findings = res.findings.iloc[0:0]
    plan: AnnotationPlan = build_plan(res)
    assert plan.findings.rows == [] and plan.notes == []
    assert set(plan.row_severity) == {None}
    assert plan.dashboard.tables["by_code"].rows == []
    assert {c.key: c for c in plan.result_columns}["ef_warnings"].values == [None] * 10


def test_quote_sheet() -> None:
    assert quote_sheet("Deals") == "'Deals'"
    assert quote_sheet("Bob's deals") == "'Bob''s deals'"
