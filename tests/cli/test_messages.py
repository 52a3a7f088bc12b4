"""What the command line says: a broken rule set once, help that matches the behaviour, rule
descriptions without reStructuredText markup, benchmarks that touch no tracked file."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cli.cli_helpers import run
from conftest import REPO

TEMPLATE = REPO / "templates" / "pipeline_en.xlsx"


def test_a_broken_rule_set_is_reported_once_by_every_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": 1}), encoding="utf-8")  # `required` fails in 4 subschemas
    book = tmp_path / "pipeline.xlsx"
    shutil.copyfile(TEMPLATE, book)
    commands = [
        ["validate", str(book)],
        ["validate", str(book), "--format", "json"],
        ["annotate", str(book)],
        ["bid", str(book), "--deal", "D-1011"],
        ["template", "-o", str(tmp_path / "t.xlsx")],
        ["rules", "show"],
        ["mapping", "suggest", str(book)],
    ]
    for argv in commands:
        code, out, err = run(capsys, *argv, "--ruleset", str(bad))
        assert code == 2 and out == "", argv
        assert err.count("\n") == 1, (argv, err)
        reasons = err.split("invalid rule set: ", 1)[1].strip().split("; ")
        assert len(reasons) == len(set(reasons)), (argv, err)
        assert "stages: required" in reasons and "name: 1 is not of type 'string'" in reasons
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "pipeline.xlsx"]


def test_ruleset_help_says_what_each_command_does_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """validate, annotate and bid use the workbook's own Rules sheet when it has one; template,
    rules show and mapping suggest use the standard set."""
    for argv, default in (
        (["validate"], "the workbook's Rules sheet, else standard"),
        (["annotate"], "the workbook's Rules sheet, else standard"),
        (["bid"], "the workbook's Rules sheet, else standard"),
        (["template"], "default: standard"),
        (["rules", "show"], "default: standard"),
        (["mapping", "suggest"], "default: standard"),
    ):
        with pytest.raises(SystemExit):
            run(capsys, *argv, "--help")
        out = " ".join(capsys.readouterr().out.split())
        assert default in out, argv


def test_rules_list_shows_no_rst_markup(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["rules", "list"], ["rules", "list", "-v"]):
        code, out, _ = run(capsys, *argv)
        assert code == 0 and "``" not in out
    assert "rule set required_fields: on every deal" in run(capsys, "rules", "list")[1]


def test_benchmark_results_go_to_an_ignored_folder() -> None:
    spec = importlib.util.spec_from_file_location("bench_common", REPO / "benchmarks/common.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = Path(module.RESULTS)
    assert results.is_relative_to(REPO / "out")
    for script in ("bench_validate.py", "bench_udf.py", "bench_batch.py"):
        text = (REPO / "benchmarks" / script).read_text(encoding="utf-8")
        assert '"results"' not in text, script
    if shutil.which("git") and (REPO / ".git").exists():
        probe = results / "bench_validate.txt"
        ignored = subprocess.run(
            ["git", "-C", str(REPO), "check-ignore", "-q", str(probe)], check=False
        )
        assert ignored.returncode == 0, f"{probe} is not git-ignored"


def test_bid_explains_its_codes_in_the_sheet_language(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A Chinese run says why in Chinese (no English model error beside 无法分析), and every code
    under 待处理 comes with its cell and message."""
    book = tmp_path / "pipeline.xlsx"
    shutil.copyfile(REPO / "templates" / "pipeline.xlsx", book)
    code, out, _ = run(capsys, "bid", str(book), "--deal", "D-1011", "--as-of", "2026-11-28")
    assert code == 0
    assert "total cost" not in out and "cost_lines" not in out
    assert "待处理: BD04" in out
    assert "  BD04 E25: 成本明细不完整" in out
    (book.with_name("pipeline.bid.xlsx")).unlink()
    code, out, _ = run(capsys, "bid", str(book), "--deal", "D-1011", "--lang", "en")
    assert code == 0 and "  BD04 E25: Cost lines incomplete" in out
