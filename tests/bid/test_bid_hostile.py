"""Issue 15: hostile bid JSON is one line naming the field and the bound, exit code 2 — never
OverflowError, ZeroDivisionError, ValueError or RecursionError, never "inf CNY"."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cli.cli_helpers import run

EXAMPLE = Path(__file__).with_name("example_bid.json")

pytestmark = pytest.mark.timeout(60)


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    doc.pop("$schema", None)
    return doc


def _huge_costs(d: dict[str, Any]) -> None:
    line = {"category": "other", "description": "x", "quantity": 1, "unit_cost": 1e308}
    d["cost_lines"].extend([line, dict(line)])


def _many(d: dict[str, Any]) -> None:
    d["competitors"] = [
        {"name": f"c{i}", "ratio_mean": 1.1, "ratio_sd": 0.1} for i in range(100_000)
    ]


CASES: dict[str, tuple[Any, str]] = {
    "two 1e308 cost lines": (_huge_costs, "unit_cost"),
    "-1e308 margins": (lambda d: d.update(target_margin=-1e308, min_margin=-1e308), "margin"),
    "100k competitors": (_many, "competitors: 100,000 items, over the maximum of 1,000"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_values_are_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, expected = CASES[case]
    doc = copy.deepcopy(_doc())
    change(doc)
    bid = tmp_path / "bid.json"
    bid.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "bid", "--json", str(bid), "-o", str(tmp_path / "out.xlsx"))
    assert code == 2 and expected in err and "inf CNY" not in out + err
    assert len(err) < 1000 and not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (json.dumps(_doc()).replace('"budget": 780000', '"budget": ' + "9" * 5000), "digits"),
        ('{"deal_id": "X", "cost_lines": ' + "[" * 100_000 + "]" * 100_000 + "}", "too deeply"),
        (json.dumps(_doc()).replace('"budget": 780000', '"budget": 1e400'), "finite"),
    ],
    ids=["5000 digits", "100k deep", "1e400"],
)
def test_hostile_json_is_one_line(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = tmp_path / "bid.json"
    bid.write_text(text, encoding="utf-8")
    code, _out, err = run(capsys, "bid", "--json", str(bid), "-o", str(tmp_path / "out.xlsx"))
    assert code == 2 and expected in err and len(err.splitlines()) <= 3
