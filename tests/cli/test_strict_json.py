"""Every JSON document ExcelFlow writes is valid JSON for a strict reader: no NaN, no Infinity
(``JSON.parse`` and most parsers reject them), and the same numbers as the text report."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli.cli_helpers import AS_OF, run
from conftest import REPO

CHINESE_SHEET = """客户,项目,阶段,赢率,预计签约,负责销售
华东电力,配网改造,投标,60%,2027年3月1日,张三
明远制造,MES升级,提案,0.4,2027/5/1,李四
"""
"""A hand-typed Chinese sheet without an amount column: no weighted amount is known."""


def strict_loads(text: str) -> Any:
    """``json.loads`` that refuses NaN, Infinity and -Infinity as a strict parser does."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _crm(shared_data: Path) -> Path:
    return shared_data / "crm-sales-opportunities" / "sales_pipeline.csv"


def _validate_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = run(capsys, "validate", *argv, *AS_OF, "--format", "json")
    assert code in (0, 1, 2)
    doc = strict_loads(out)
    assert isinstance(doc, dict)
    return doc


def _text_weighted(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    _, out, _ = run(capsys, "validate", *argv, *AS_OF, "--limit", "1")
    return re.findall(r"(?:weighted pipeline|加权管道金额) ([\d,]+)", out)


def test_crm_export_with_its_mapping_is_strict_json(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    doc = _validate_json(capsys, str(_crm(shared_data)), "--mapping", "maven-crm")
    assert doc["summary"]["weighted_pipeline"] == 0  # no value on any open deal
    assert _text_weighted(capsys, str(_crm(shared_data)), "--mapping", "maven-crm") == ["0"]


def test_every_validate_report_is_strict_json(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    make_sample: Callable[..., Path],
    tmp_path: Path,
) -> None:
    zh = tmp_path / "手工商机.csv"
    zh.write_text(CHINESE_SHEET, encoding="utf-8")
    template = REPO / "templates" / "pipeline.xlsx"
    messy = [make_sample(60), make_sample(30, lang="zh", suffix=".csv")]
    crm = _crm(shared_data)
    runs: list[tuple[str, ...]] = [
        (str(zh),),
        (str(template),),
        (str(template), str(crm)),
        (str(crm),),
        *((str(m),) for m in messy),
        (str(zh), str(template), str(crm), *map(str, messy)),
        (str(shared_data / "crm-sales-opportunities"),),
    ]
    for argv in runs:
        doc = _validate_json(capsys, *argv)
        total = doc["summary"]["weighted_pipeline"]
        assert isinstance(total, int | float)
        # the text report says the same numbers, per file and in total
        per_file = _text_weighted(capsys, *argv)
        ok = [f for f in doc["files"] if f["status"] == "ok"]
        assert len(per_file) == len(ok), argv
        assert sum(int(n.replace(",", "")) for n in per_file) == pytest.approx(total, abs=len(ok))
    # the Chinese sheet alone: no amount, so 0 (not NaN) in JSON and in text
    assert _validate_json(capsys, str(zh))["summary"]["weighted_pipeline"] == 0
    assert _text_weighted(capsys, str(zh)) == ["0"]


def test_rules_and_mapping_json_are_strict(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    for argv in (
        ("rules", "list", "--format", "json"),
        ("rules", "show", "--format", "json"),
        ("rules", "show", "--format", "json", "--lang", "zh"),
    ):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and strict_loads(out)
    zh = tmp_path / "手工商机.csv"
    zh.write_text(CHINESE_SHEET, encoding="utf-8")
    for source in (zh, _crm(shared_data), REPO / "templates" / "pipeline_en.xlsx"):
        target = tmp_path / f"{source.stem}-mapping.json"
        code, _, _ = run(capsys, "mapping", "suggest", str(source), "-o", str(target))
        assert code == 0 and strict_loads(target.read_text(encoding="utf-8"))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_rule_set_with_a_non_finite_number_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, constant: str
) -> None:
    """``json.loads`` reads ``NaN`` and YAML reads ``.nan``: such a rule set is invalid, by path,
    rather than shown or used (``rules show --format json`` would write it back out)."""
    doc = json.loads((REPO / "src/excelflow/pipeline/rulesets/standard.json").read_text("utf-8"))
    doc["evaluation"]["pass_mark"] = float(constant.replace("Infinity", "inf"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "rules", "show", "--ruleset", str(bad), "--format", "json")
    assert code == 2 and out == ""
    assert "evaluation.pass_mark: not a finite number" in err
