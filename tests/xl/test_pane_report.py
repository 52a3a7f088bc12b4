"""The report a script hands the task pane (``report="pane"``): one ``runMacro`` action calling
the pane's callback with strict JSON holding the deal count, the grade mix and the engine's
forecast (stated vs gate-adjusted), the same as ``excelflow.api`` gives for the saved file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotate_support import AS_OF, sample_book
from excelflow.api import validate_file
from excelflow.engine.forecast import forecast, forecast_dict
from excelflow.pipeline.ruleset import Lang
from excelflow.xl import pane
from xl.macro_support import only_alert, payload_of, run

DAY = AS_OF.isoformat()
TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "pipeline.xlsx"


def strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def reports(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pane reports among the actions (runMacro of the pane's callback)."""
    out = []
    for action in actions:
        if action["func"] == "runMacro":
            name, text = action["args"]
            assert name == pane.CALLBACK
            out.append(strict(text))
    return out


def expected(path: Path, lang: Lang | None = None) -> dict[str, Any]:
    result = validate_file(path, lang=lang, as_of=AS_OF).result
    assert result is not None
    deals = result.deals
    grades = [str(g) for g in deals["grade"]]
    return {
        "deals": len(deals),
        "open": int(deals["is_open"].sum()),
        "grades": {g: grades.count(g) for g in "ABCD"},
        "forecast": forecast_dict(forecast(deals)),
    }


@pytest.mark.parametrize("script", ["validate_pipeline", "grade_deals", "refresh_dashboard"])
def test_a_pane_run_reports_the_engines_numbers(script: str) -> None:
    actions, _book = run(script, payload_of(TEMPLATE), None, DAY, "pane")
    (report,) = reports(actions)
    assert actions[-1]["func"] == "alert"  # the report comes before the one alert
    assert report["script"] == script and report["ok"] is True and report["lang"] == "zh"
    assert report["message"] == actions[-1]["args"][0]
    want = expected(TEMPLATE)
    assert {k: report[k] for k in want} == want
    assert report["deals"] == 12
    assert sum(report["grades"].values()) + report["ungraded"] == 12
    fc = report["forecast"]
    assert fc["gap"] == pytest.approx(fc["stated"] - fc["adjusted"], abs=0.011)
    assert fc["stated"] > fc["adjusted"] > 0  # the template has forced advances


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_follows_the_workbooks_language(tmp_path: Path, lang: Lang) -> None:
    src = sample_book(tmp_path, lang, n=40)
    actions, _book = run("validate_pipeline", payload_of(src), None, DAY, "pane")
    (report,) = reports(actions)
    assert report["lang"] == lang
    want = expected(src, lang)
    assert {k: report[k] for k in want} == want


@pytest.mark.parametrize("script", ["validate_pipeline", "grade_deals", "bid_analysis"])
def test_without_pane_nothing_is_reported(script: str) -> None:
    actions, _book = run(script, payload_of(TEMPLATE), None, DAY)
    assert reports(actions) == []


def test_a_refused_run_still_tells_the_pane() -> None:
    """Bid without a deal row selected: the pane gets the reason (not ok, no numbers)."""
    actions, _book = run("bid_analysis", payload_of(TEMPLATE), None, DAY, "pane")
    (report,) = reports(actions)
    assert report["ok"] is False and report["script"] == "bid_analysis"
    assert report["message"] == actions[-1]["args"][0]
    assert "deals" not in report


def test_an_unknown_report_value_is_refused() -> None:
    actions, _book = run("grade_deals", payload_of(TEMPLATE), None, DAY, "sheet")
    assert "sheet" in only_alert(actions)
