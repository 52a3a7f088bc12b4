"""Stated vs gate-adjusted forecast: totals, groups, and strict JSON."""

from __future__ import annotations

import datetime as dt
import json
import math

import jsonschema
import pytest

from excelflow import engine
from excelflow.engine.forecast import Forecast, ForecastRow, forecast, forecast_dict
from excelflow.engine.report import FileReport, to_json, to_text, weighted_pipeline
from excelflow.pipeline.normalize import build_pipeline
from excelflow.pipeline.resources import load_schema
from excelflow.pipeline.ruleset import load_ruleset

AS_OF = dt.date(2026, 11, 28)
HEADER = ["ID", "Customer", "Owner", "Stage", "Status", "Amount", "Probability", "Coach"]


def _run(rows: list[list[object]]) -> engine.Result:
    rs = load_ruleset()
    pipeline = build_pipeline([HEADER, *rows], rs, source="forecast.xlsx")
    return engine.run(pipeline, rs, as_of=AS_OF)


ROWS: list[list[object]] = [
    # stage 3 without its coach: forced, 0.6 → 0.3
    ["D-1", "Acme", "Ann", 3, "", 100_000, 0.6, ""],
    # stage 3 with its coach: no penalty
    ["D-2", "Hooli", "Ann", 3, "", 200_000, 0.5, "✓"],
    ["D-3", "Initech", "Bob", 2, "", 50_000, 0.4, ""],
    # no amount: adds nothing, still counted as a deal
    ["D-4", "Umbrella", "", 2, "", None, 0.4, ""],
    # closed deals are outcomes, not forecast
    ["D-5", "Globex", "Bob", 5, "Won", 900_000, 1.0, "✓"],
    ["D-6", "Soylent", "Bob", 4, "Lost", 700_000, 0.2, ""],
]


def test_stated_adjusted_and_the_gap() -> None:
    res = _run(ROWS)
    f = forecast(res.deals)
    assert f.stated == pytest.approx(100_000 * 0.6 + 200_000 * 0.5 + 50_000 * 0.4)
    assert f.adjusted == pytest.approx(100_000 * 0.3 + 200_000 * 0.5 + 50_000 * 0.4)
    assert f.gap == pytest.approx(30_000)  # D-1's forced advance
    # the adjusted total is the weighted pipeline every report shows
    assert f.adjusted == pytest.approx(weighted_pipeline(res))
    assert f.deals == 4

    assert [r.key for r in f.by_stage] == ["2", "3"]
    stage3 = f.by_stage[1]
    assert (stage3.deals, stage3.stated, stage3.adjusted) == (2, 160_000, 130_000)
    assert stage3.gap == pytest.approx(30_000)
    # owners from the largest stated amount down; the deal without an owner last
    assert [(r.key, r.deals) for r in f.by_owner] == [("Ann", 2), ("Bob", 1), ("", 1)]
    assert f.by_owner[0].adjusted == pytest.approx(130_000)
    assert sum(r.stated for r in f.by_grade) == pytest.approx(f.stated)
    assert sum(r.adjusted for r in f.by_owner) == pytest.approx(f.adjusted)
    assert all(r.key for r in f.by_grade)  # every open deal is graded


def test_unknown_stage_and_probability_add_zero_and_stay_finite() -> None:
    rows: list[list[object]] = [
        ["D-1", "Acme", "Ann", "??", "", 100_000, None, ""],  # no stage, no probability
        ["D-2", "Acme", "Ann", 1, "", float("nan"), 0.1, ""],
    ]
    f = forecast(_run(rows).deals)
    assert (f.stated, f.adjusted, f.gap) == (0.0, 0.0, 0.0)
    assert [r.key for r in f.by_stage] == ["1", ""]
    doc = json.loads(json.dumps(forecast_dict(f), allow_nan=False))
    assert doc["by_stage"][1] == {"key": "", "deals": 1, "stated": 0, "adjusted": 0, "gap": 0}


def test_no_open_deal_is_an_empty_forecast() -> None:
    f = forecast(_run([["D-1", "Acme", "Ann", 6, "Won", 10, 1, "✓"]]).deals)
    assert f == Forecast(0.0, 0.0, (), (), ())
    assert forecast_dict(f) == {
        "stated": 0.0,
        "adjusted": 0.0,
        "gap": 0.0,
        "deals": 0,
        "by_stage": [],
        "by_owner": [],
        "by_grade": [],
    }


def test_forecast_dict_is_strict_json_and_matches_the_rows() -> None:
    f = forecast(_run(ROWS).deals)
    text = json.dumps(forecast_dict(f), allow_nan=False)
    doc = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert doc["gap"] == pytest.approx(30_000)
    assert doc["by_owner"][0] == {
        "key": "Ann",
        "deals": 2,
        "stated": 160_000.0,
        "adjusted": 130_000.0,
        "gap": 30_000.0,
    }
    assert ForecastRow("x", 1, 2.0, 1.5).gap == 0.5
    assert all(math.isfinite(r["stated"]) for r in doc["by_stage"])


def test_open_deals_without_values_forecast_zero() -> None:
    """Open deals without a value (like the Maven export's) give zeros, never NaN."""
    rows: list[list[object]] = [[f"D-{i}", "Acme", "Ann", 2, "", None, None, ""] for i in range(3)]
    res = _run(rows)
    f = forecast(res.deals)
    assert (f.stated, f.adjusted, f.deals) == (0.0, 0.0, 3)
    assert f.by_owner == (ForecastRow("Ann", 3, 0.0, 0.0),)
    assert weighted_pipeline(res) == f.adjusted


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reports_show_stated_and_adjusted_side_by_side(lang: str) -> None:
    res = _run(ROWS)
    reports = [FileReport("forecast.xlsx", res)]
    doc = json.loads(
        to_json(reports, res.ruleset, as_of=AS_OF, lang=lang),  # type: ignore[arg-type]
        parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"),
    )
    jsonschema.Draft202012Validator(load_schema("report.schema.json")).validate(doc)
    block = doc["files"][0]["forecast"]
    assert block == forecast_dict(forecast(res.deals))
    assert doc["summary"]["forecast"] == {"stated": 180_000, "adjusted": 150_000, "gap": 30_000}
    assert doc["summary"]["forecast"]["adjusted"] == doc["summary"]["weighted_pipeline"]

    text = to_text(reports, lang=lang)  # type: ignore[arg-type]
    gap_line = {"zh": "差额就是强行推进的代价", "en": "The gap is the cost of forced advances"}
    head = next(line for line in text.splitlines() if gap_line[lang] in line)
    assert "180,000" in head and "150,000" in head and "30,000" in head
    stage3 = {"zh": "3 提案阶段", "en": "3 Proposal"}[lang]
    row = next(line for line in text.splitlines() if line.strip().startswith(stage3))
    assert row.split()[-4:] == ["2", "160,000", "130,000", "30,000"]
    owner = next(line for line in text.splitlines() if line.strip().startswith("Ann"))
    assert owner.split()[1:] == ["2", "160,000", "130,000", "30,000"]
