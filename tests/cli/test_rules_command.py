"""``excelflow rules show CODE`` and ``rules list --lang/--format``, and help text on every
option of every command (the parser walked, not a list kept by hand)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from cli.cli_helpers import run
from excelflow.cli import build_parser
from excelflow.rules import load_all
from excelflow.rules.explain import EXPLAINED


def test_every_rule_is_explained_in_both_languages() -> None:
    from excelflow.rules.explain import bad_example, fix, what

    registry = load_all()
    assert set(EXPLAINED) == set(registry)
    for code, x in EXPLAINED.items():
        rule = registry[code]
        assert rule.title.en.strip() and re.search(r"[\u4e00-\u9fff]", rule.title.zh), code
        for explain in (what, bad_example, fix):
            en, zh = explain(rule, "en"), explain(rule, "zh")
            assert en.strip() and "``" not in en, (code, explain.__name__)  # from the docstring
            assert re.search(r"[\u4e00-\u9fff]", zh), (code, explain.__name__)
        for key in x.params:  # every setting named is one the rule-set schema knows
            from excelflow.pipeline.resources import load_schema

            node = load_schema("ruleset.schema.json")
            for part in key.split("."):
                node = node["properties"][part] if "properties" in node else node
            assert node, (code, key)


def test_rules_show_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rules", "show", "SG01")
    assert code == 0
    assert out.startswith("SG01  Skipped milestone  (stage_gate.milestone_missing)")
    for label in ("Severity: warning", "Bad example: ", "Fix: ", "Message: Forced advance"):
        assert label in out
    assert "forced_advance.penalty_factor = 0.5" in out
    code, zh, _ = run(capsys, "rules", "show", "sg01", "--lang", "zh")
    assert code == 0 and "强行推进" in zh and "级别：警告" in zh and "反例：" in zh
    code, raw, _ = run(capsys, "rules", "show", "DQ01", "--format", "json")
    info = json.loads(raw, parse_constant=pytest.fail)
    assert info["settings"]["required_fields.always"] == ["deal_id", "customer"]
    assert info["severity"] == "error" and info["enabled"] is True
    # the values shown are the --ruleset's
    from excelflow.pipeline.ruleset import load_ruleset

    doc = dict(load_ruleset().document)
    doc.pop("$schema", None)
    doc["forced_advance"] = {**doc["forced_advance"], "penalty_factor": 0.25}
    doc["severities"] = {"SG01": "error"}
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps(doc), encoding="utf-8")
    out = run(capsys, "rules", "show", "SG01", "--ruleset", str(custom))[1]
    assert "penalty_factor = 0.25" in out and "Severity: error (default warning)" in out
    code, out, err = run(capsys, "rules", "show", "XX01")
    assert code == 2 and out == "" and "no rule XX01" in err


def test_rules_list_in_chinese_and_as_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    from markdown_it import MarkdownIt

    _, zh, _ = run(capsys, "rules", "list", "--lang", "zh")
    lines = zh.splitlines()
    assert len(lines) == len(load_all())
    assert all(re.match(r"^[A-Z]{2}\d{2}  (错误|警告|提示)", line) for line in lines)
    assert "``" not in zh and "stage_gate." not in zh
    _, md, _ = run(capsys, "rules", "list", "--format", "markdown", "--lang", "zh")
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert len(re.findall(r"<tr>", html)) == 1 + len(load_all())
    assert "<th>检查内容</th>" in html
    _, md_en, _ = run(capsys, "rules", "list", "--format", "markdown")
    assert md_en.startswith("| code | severity | what it finds |")  # the README's table
    _, raw, _ = run(capsys, "rules", "list", "--format", "json", "--lang", "zh")
    rows = json.loads(raw, parse_constant=pytest.fail)
    assert {r["code"] for r in rows} == set(load_all())
    assert all(re.search(r"[\u4e00-\u9fff]", r["title"] + r["description"]) for r in rows)


def _parsers(
    parser: argparse.ArgumentParser, name: str
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += _parsers(sub, f"{name} {sub_name}")
    return found


def test_every_option_of_every_command_has_help() -> None:
    missing = []
    parsers = _parsers(build_parser(), "excelflow")
    assert len(parsers) >= 10
    for name, parser in parsers:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            if action.help is None or action.help == argparse.SUPPRESS or not action.help.strip():
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, "options without --help text: " + ", ".join(missing)
