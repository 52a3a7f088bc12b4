"""A column the sheet lacks is unknown, not failed: no SG01, no penalty, gates and rates n/a."""

from __future__ import annotations

import datetime as dt

from excelflow import engine
from excelflow.annotate.dashboard import dashboard
from excelflow.annotate.plan import result_columns
from excelflow.pipeline.normalize import build_pipeline
from excelflow.pipeline.ruleset import load_ruleset

AS_OF = dt.date(2026, 11, 28)


def _run(header: list[str], rows: list[list[object]]) -> engine.Result:
    rs = load_ruleset()
    pipeline = build_pipeline([header, *rows], rs, source="typed.xlsx")
    return engine.run(pipeline, rs, as_of=AS_OF)


def test_no_checkable_deal_gives_an_unknown_gate_and_an_na_rate() -> None:
    res = _run(
        ["ID", "Customer", "Owner", "Stage", "Probability"],
        [["D-1", "Acme", "Ann", 2, 0.5], ["D-2", "Hooli", "Bob", 4, 0.8]],
    )
    assert not (res.findings["code"] == "SG01").any()
    assert list(res.deals["gate"]) == ["unknown", "unknown"]
    assert list(res.deals["adjusted_probability"]) == [0.5, 0.8]
    for lang, na in (("en", "n/a"), ("zh", "不适用")):
        dash = dashboard(res, lang)  # type: ignore[arg-type]
        assert {k.key: k.value for k in dash.kpis}["forced_rate"] == na
        assert dash.tables["by_owner"].rows == []
    gate = next(c for c in result_columns(res, "en") if c.key == "ef_gate")
    assert list(gate.values) == ["Unknown (milestone column missing)"] * 2


def test_a_known_missing_milestone_is_still_forced_beside_an_unknown_one() -> None:
    res = _run(
        ["ID", "Customer", "Owner", "Stage", "Coach", "Key persons", "Probability"],
        [["D-1", "Acme", "Ann", 3, "", "✓", 0.5], ["D-2", "Hooli", "Ann", 3, "✓", "✓", 0.5]],
    )
    assert [(r, c) for r, c, code in res.flat() if code == "SG01"] == [(2, "Coach")]
    assert list(res.deals["gate"]) == ["forced", "unknown"]
    assert list(res.deals["adjusted_probability"]) == [0.25, 0.5]
    rate = {k.key: k.value for k in dashboard(res, "en").kpis}["forced_rate"]
    assert rate == 1.0  # D-2 cannot be checked (no Evaluated & graded column): not counted
