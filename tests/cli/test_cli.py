"""The `excelflow` command: exit codes, report formats, languages, bad input without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from cli.cli_helpers import AS_OF, run
from excelflow.cli import main
from excelflow.pipeline.resources import load_schema
from excelflow.rules import load_all


def test_exit_codes_follow_fail_on(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    dirty = make_sample(40)
    clean = make_sample(30, violations=False)
    assert run(capsys, "validate", str(clean), *AS_OF)[0] == 0
    assert run(capsys, "validate", str(dirty), *AS_OF)[0] == 1
    assert run(capsys, "validate", str(dirty), *AS_OF, "--fail-on", "never")[0] == 0
    code, out, _ = run(capsys, "validate", str(clean), *AS_OF, "--fail-on", "warning")
    assert code == 0 and "no findings" in out
    # an only-warnings workbook: the clean one checked a year later (close dates now past)
    code, out, _ = run(capsys, "validate", str(clean), "--as-of", "2028-06-01")
    assert code == 0 and "DQ05" in out
    assert (
        run(capsys, "validate", str(clean), "--as-of", "2028-06-01", "--fail-on", "warning")[0] == 1
    )


def test_json_report_matches_schema_and_engine(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    sample = make_sample(40)
    out_file = tmp_path / "report.json"
    code, out, _ = run(
        capsys, "validate", str(sample), *AS_OF, "--format", "json", "-o", str(out_file)
    )
    assert code == 1 and out == ""
    report = json.loads(out_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema("report.schema.json")).validate(report)
    (file,) = report["files"]
    assert file["status"] == "ok" and file["deals"] == 40 and len(file["deals_detail"]) == 40
    codes = {f["code"] for f in file["findings"]}
    assert {
        "SG01",
        "SG02",
        "EV01",
        "EV02",
        "GR01",
        "DQ01",
        "DQ02",
        "DQ03",
        "DQ04",
        "DQ05",
        "DQ06",
    } <= codes
    assert report["summary"]["deals"] == 40
    assert report["summary"]["errors"] == sum(f["severity"] == "error" for f in file["findings"])
    forced = [d for d in file["deals_detail"] if d["gate"] == "forced"]
    assert forced and all(d["adjusted_probability"] < d["probability"] for d in forced)


def test_one_bad_file_does_not_stop_the_others(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    good = make_sample(20, violations=False)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\x00" * 64)
    code, out, err = run(
        capsys, "validate", str(empty), str(good), str(junk), *AS_OF, "--format", "json"
    )
    assert code == 2
    report = json.loads(out)
    statuses = [(Path(f["path"]).name, f["status"]) for f in report["files"]]
    assert statuses == [("empty.xlsx", "error"), (good.name, "ok"), ("junk.xlsx", "error")]
    assert report["files"][1]["deals"] == 20
    assert err.count("\n") == 2 and "empty.xlsx: the file is empty" in err
    code, out, _ = run(capsys, "validate", str(empty), str(good), *AS_OF)
    assert code == 2 and "✗" in out and good.name in out


def test_language_from_headers_or_flag(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    zh = make_sample(20, lang="zh")
    _, out, _ = run(capsys, "validate", str(zh), *AS_OF)
    assert "强行推进" in out and "个商机" in out
    _, out, _ = run(capsys, "validate", str(zh), *AS_OF, "--lang", "en")
    assert "Forced advance" in out and "强行推进" not in out


def test_as_of_makes_results_reproducible(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(20)
    _, early, _ = run(capsys, "validate", str(sample), "--as-of", "2026-01-01", "--format", "json")
    _, late, _ = run(capsys, "validate", str(sample), "--as-of", "2028-01-01", "--format", "json")
    count = [
        sum(f["code"] == "DQ05" for f in json.loads(t)["files"][0]["findings"])
        for t in (early, late)
    ]
    assert count[0] < count[1]


def test_folder_argument_and_limit(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(40)
    (sample.parent / "~$sample.xlsx").write_bytes(b"lock")
    code, out, _ = run(capsys, "validate", str(sample.parent), *AS_OF, "--limit", "3")
    assert code == 1 and "~$" not in out and "more not shown" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as err:
        main(["validate", "x.xlsx", "--as-of", "tomorrow"])
    assert err.value.code == 2
    with pytest.raises(SystemExit) as err:
        main(["validate"])
    assert err.value.code == 2
    code, _, err_text = run(capsys, "validate", str(tmp_path))
    assert code == 2 and "no spreadsheet or CSV files" in err_text


def test_rules_list_names_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0
    for rule_code in load_all():
        assert rule_code in out
    _, out, _ = run(capsys, "rules", "list", "--format", "json")
    assert {r["code"] for r in json.loads(out)} == set(load_all())


def test_readme_table_of_checks_is_the_registrys(capsys: pytest.CaptureFixture[str]) -> None:
    code, table, _ = run(capsys, "rules", "list", "--format", "markdown")
    assert code == 0 and table.count("\n") == len(load_all()) + 2
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The checks") :]
    start = section.index("| code | severity |")
    shown = section[start : section.index("\n\n", start) + 1]
    assert shown == table, (
        "README.md's table of checks differs: paste the output of "
        "`excelflow rules list --format markdown` under '### The checks'"
    )


def test_rules_show_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    _, zh, _ = run(capsys, "rules", "show", "--lang", "zh")
    _, en, _ = run(capsys, "rules", "show")
    assert "投标阶段" in zh and "全力以赴" in zh and "Bidding" in en and "All-out" in en
    _, doc, _ = run(capsys, "rules", "show", "--format", "json")
    assert json.loads(doc)["name"] == "standard"


def test_broken_rule_set_names_the_json_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = json.loads(run(capsys, "rules", "show", "--format", "json")[1])
    del doc["stages"][2]["milestones"][0]["column"]
    doc["stages"][1]["probability"] = 1.7
    doc["grades"][0]["colour"] = "red"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = run(capsys, "rules", "show", "--ruleset", str(broken))
    assert code == 2
    assert "stages[2].milestones[0].column: required" in err
    assert "stages[1].probability: 1.7 is greater than the maximum of 1" in err
    assert "grades[0].colour: unknown key" in err
    code, _, err = run(capsys, "validate", "whatever.xlsx", "--ruleset", str(broken))
    assert code == 2 and "stages[2].milestones[0].column: required" in err
    (tmp_path / "bad.json").write_text("{ not json", encoding="utf-8")
    code, _, err = run(capsys, "rules", "show", "--ruleset", str(tmp_path / "bad.json"))
    assert code == 2 and "line 1 column 3" in err


def test_console_script_runs_as_a_real_process(make_sample: Callable[..., Path]) -> None:
    sample = make_sample(10)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "excelflow.cli",
            "validate",
            str(sample),
            *AS_OF,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["summary"]["deals"] == 10
