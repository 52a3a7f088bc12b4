"""The bid model file (``bid.schema.json``): loading, error paths, round trip, JSON output."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from excelflow.bid.analysis import analyze_bid, bid_issues
from excelflow.bid.checks import BidError
from excelflow.bid.doc import bid_to_dict, load_bid, model_to_dict
from excelflow.bid.model import CostCategory

SCHEMA = Path(__file__).parents[2] / "schemas" / "bid.schema.json"
EXAMPLE = Path(__file__).with_name("example_bid.json")


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    categories = schema["$defs"]["category"]["enum"]
    assert categories == [c.value for c in CostCategory]


def test_example_file_loads_and_analyzes() -> None:
    """The example file: direct cost 598 000, × 1.06 overhead = 633 880; one BD04 (zero qty)."""
    m = load_bid(EXAMPLE)
    assert m == load_bid(str(EXAMPLE)) == load_bid(example())
    assert m.deal_id == "OPP-2024-017"
    assert m.cost_lines[0].category is CostCategory.EQUIPMENT
    assert m.cost_lines[0].supplier == "华为"
    assert m.competitors[0].p_beat == ((0.05, 0.85), (0.10, 0.65), (0.15, 0.45), (0.25, 0.20))
    r = analyze_bid(m)
    direct = 2 * 180_000 + 60_000 + 85_000 + 3 * 20_000 + 8_000 + 5_000 + 20_000  # 598 000
    assert r.direct_cost == direct
    assert r.total_cost == pytest.approx(direct * 1.06)
    assert r.target.price == pytest.approx(direct * 1.06 / 0.78)
    assert r.win_model == "gates"
    assert [(i.code, i.line_index) for i in bid_issues(m, r)] == [("BD04", 7)]


def test_model_round_trips_through_its_document() -> None:
    m = load_bid(EXAMPLE)
    doc = model_to_dict(m)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    assert load_bid(doc) == m
    assert "x_note" not in doc


def test_result_json_is_plain_data() -> None:
    data = bid_to_dict(analyze_bid(load_bid(EXAMPLE)))
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    back = json.loads(text)
    assert back["subtotals"][0] == {
        "category": "equipment",
        "amount": 360000.0,
        "share": 360000 / 598000,
    }
    assert back["optimum"]["model"] == "gates"
    assert back["withdraw"]["recommended"] is False
    assert isinstance(back["sensitivity"], list)
    assert set(back["target"]) >= {"price", "markup", "margin", "p_win", "expected_profit"}


def _broken(edit: Any) -> dict[str, Any]:
    doc = copy.deepcopy(example())
    edit(doc)
    return doc


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("deal_id"), "deal_id: required"),
        (
            lambda d: d["cost_lines"][2].update(unit_cost=-5),
            r"cost_lines\[2\].unit_cost: -5 is less than the minimum of 0",
        ),
        (lambda d: d["cost_lines"][0].update(colour="red"), r"cost_lines\[0\].colour: unknown key"),
        (
            lambda d: d["cost_lines"][1].update(category="furniture"),
            r"cost_lines\[1\].category: 'furniture' is not one of",
        ),
        (
            lambda d: d["competitors"][0]["p_beat"][1].update(probability=1.2),
            r"competitors\[0\].p_beat\[1\].probability: 1.2 is greater than the maximum of 1",
        ),
        (lambda d: d.update(target_margin=1), "target_margin: 1 is greater than or equal to"),
        (lambda d: d.update(min_margin=0.3), "target_margin: 0.22 is below min_margin 0.3"),
        (
            lambda d: d["competitors"][0].update(ratio_mean=1.2, ratio_sd=0.1),
            r"competitors\[0\].p_beat: give either p_beat or ratio_mean/ratio_sd, not both",
        ),
        (
            lambda d: d["competitors"][0]["p_beat"][1].update(markup=0.05),
            r"competitors\[0\].p_beat\[1\].markup: markup 0.05 appears twice",
        ),
        (
            lambda d: d["competitors"][1].pop("ratio_sd"),
            r"competitors\[1\]: 'ratio_sd' is a dependency of 'ratio_mean'",
        ),
        (lambda d: d.update(win_model="normal"), "win_model: 'normal' needs lowest_bid_mean"),
        (
            lambda d: d["competitors"].append({"name": "竞争对手甲"}),
            r"competitors\[3\].name: '竞争对手甲' repeats competitors\[0\]",
        ),
    ],
)
def test_errors_name_the_json_path(edit: Any, message: str) -> None:
    doc = _broken(edit)
    with pytest.raises(BidError, match="^" + message):
        analyze_bid(load_bid(doc))  # win_model availability is checked at analysis time


def test_every_schema_problem_is_listed() -> None:
    def edit(d: dict[str, Any]) -> None:
        d.pop("deal_id")
        d["cost_lines"][0]["quantity"] = -1
        d["budget"] = "lots"

    with pytest.raises(BidError) as info:
        load_bid(_broken(edit))
    assert len(info.value.errors) == 3
    assert "(+2 more)" in str(info.value)
    assert any(e.startswith("cost_lines[0].quantity:") for e in info.value.errors)


def test_file_problems(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(BidError, match=r"nope\.json: cannot read file"):
        load_bid(missing)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(BidError, match=r"bad\.json: not valid UTF-8 JSON"):
        load_bid(bad)
    bom = tmp_path / "bom.json"
    bom.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert load_bid(bom).deal_id == "OPP-2024-017"


def test_minimal_document_uses_defaults() -> None:
    m = load_bid(
        {
            "deal_id": "X",
            "target_margin": 0.2,
            "cost_lines": [{"category": "other", "quantity": 1, "unit_cost": 100}],
        }
    )
    assert (m.currency, m.min_margin, m.overhead_pct, m.competitors) == ("CNY", 0.0, 0.0, ())
    assert m.cost_lines[0].description == ""
    r = analyze_bid(m)
    assert r.target.price == pytest.approx(125.0)
    assert r.optimum is None
    assert r.recommended_price == pytest.approx(125.0)
