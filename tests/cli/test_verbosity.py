"""``validate -q`` / ``-v``, headline numbers, the per-file table of folder runs, the progress
bar (a real pseudo-terminal), ``--compact`` JSON, report files without control characters, and
``select`` / ``ignore`` set in the rule set."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cli.cli_helpers import AS_OF, run
from excelflow.pipeline.resources import load_schema


def test_quiet_prints_one_line_per_finding_only(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(40)
    _, full, _ = run(capsys, "validate", str(sample), *AS_OF, "--format", "json")
    findings = json.loads(full)["files"][0]["findings"]
    code, out, err = run(capsys, "validate", str(sample), *AS_OF, "-q")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert len(lines) == len(findings)  # no header, hint, table head, grade mix or limit
    for line, f in zip(lines, findings, strict=True):
        assert line.startswith(f"{sample}:") and f" {f['code']} " in line
        if f["cell"]:
            assert f"!{f['cell']}: " in line


def test_verbose_shows_the_row_context(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(40)
    _, plain, _ = run(capsys, "validate", str(sample), *AS_OF, "--limit", "0")
    _, verbose, _ = run(capsys, "validate", str(sample), *AS_OF, "--limit", "0", "-v")
    assert "│" not in plain
    context = [line for line in verbose.splitlines() if "│" in line]
    assert context and all(("stage" in c or "cell value" in c) for c in context)
    assert re.search(r"│ stage \d \w+", verbose)
    zh = make_sample(20, lang="zh")
    out = run(capsys, "validate", str(zh), *AS_OF, "--limit", "0", "-v")[1]
    assert re.search(r"│ 阶段 \d ", out)


def test_headline_numbers_have_thousands_separators(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    crm = shared_data / "real-workbooks" / "sales_pipeline.xlsx"
    out = run(capsys, "validate", str(crm), *AS_OF, "--limit", "1")[1]
    head = out.splitlines()[0]
    assert re.search(r"8,800 deals · \d{1,3},\d{3} errors", head), head
    out = run(capsys, "validate", str(crm), *AS_OF, "--limit", "1", "--lang", "zh")[1]
    assert re.search(r"8,800 个商机 · \d{1,3},\d{3} 错误", out.splitlines()[0])


def test_folder_run_has_a_per_file_table(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    a, b = make_sample(30), make_sample(1200)
    (tmp_path / "notes.csv").write_text("name,phone\nx,1\n", encoding="utf-8")
    out = run(capsys, "validate", str(tmp_path), *AS_OF, "--limit", "1")[1]
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("File "))
    table = lines[head : head + 4]
    assert table[0].split() == ["File", "Deals", "Errors", "Warnings", "Info", "Status"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:]}
    assert rows[str(b)][0] == "1,200" and rows[str(b)][-1] == "checked"
    assert rows[str(a)][0] == "30"
    assert rows[str(tmp_path / "notes.csv")] == ["skipped"]
    assert lines[-1].startswith("Total: 3 files (0 could not be read, 1 skipped), 1,230 deals")


def _pty_run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, bytes]:
    """Run ``excelflow ARGV`` with stdout and stderr on a pseudo-terminal; its exit code and
    everything the terminal received."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "excelflow.cli", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks)


def test_progress_bar_on_a_terminal_only(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    make_sample(30)
    make_sample(40)
    env = {**os.environ, "EXCELFLOW_PROGRESS_DELAY": "0", "COLUMNS": "120"}
    code, shown = _pty_run(["validate", str(tmp_path), *AS_OF], tmp_path, env)
    assert code == 1
    text = shown.decode("utf-8", "replace")
    assert "\x1b[" in text  # rich drew (and erased) its bar
    assert re.search(r"\d/2", text), text[:2000]  # files done / total
    assert "Deals" in text and "Total: 2 files" in text  # the rich table
    _, quiet = _pty_run(["validate", str(tmp_path), *AS_OF, "-q"], tmp_path, env)
    assert b"\x1b[" not in quiet and not re.search(rb"\d/2", quiet)
    # piped: no bar and no escape sequence at all
    piped = subprocess.run(
        [sys.executable, "-m", "excelflow.cli", "validate", str(tmp_path), *AS_OF],
        capture_output=True,
        env=env,
        check=False,
    )
    assert b"\x1b" not in piped.stdout + piped.stderr
    assert b"File " in piped.stdout  # the plain table


def test_annotate_spinner_on_a_terminal(make_sample: Callable[..., Path], tmp_path: Path) -> None:
    sample = make_sample(30)
    env = {**os.environ, "EXCELFLOW_PROGRESS_DELAY": "0", "COLUMNS": "120"}
    code, shown = _pty_run(["annotate", str(sample), *AS_OF], tmp_path, env)
    assert code == 0
    text = shown.decode("utf-8", "replace")
    assert "\x1b[" in text and "excelflow: wrote" in text
    assert "checking" in text or "writing" in text  # the phase is shown


def test_compact_applies_to_json_only(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    code, out, err = run(capsys, "validate", str(make_sample(5)), "--compact")
    assert code == 2 and out == "" and "--compact applies to --format json only" in err


def test_compact_json_is_valid_and_carries_the_same_findings(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], shared_data: Path
) -> None:
    crm = shared_data / "real-workbooks" / "sales_pipeline.xlsx"
    paths = [str(make_sample(40)), str(crm), str(make_sample(1))]
    _, full_text, _ = run(capsys, "validate", *paths, *AS_OF, "--format", "json")
    _, compact_text, _ = run(capsys, "validate", *paths, *AS_OF, "--format", "json", "--compact")
    full, compact = (json.loads(t, parse_constant=pytest.fail) for t in (full_text, compact_text))
    validator = jsonschema.Draft202012Validator(load_schema("report.schema.json"))
    validator.validate(full)
    validator.validate(compact)
    assert compact["compact"] is True
    assert len(compact_text) < len(full_text) / 2
    for f_full, f_compact in zip(full["files"], compact["files"], strict=True):
        table = f_compact["findings"]
        cols = table["columns"]

        def text(
            entry: str | dict[str, Any], templates: dict[str, str] = table["templates"]
        ) -> str:
            if isinstance(entry, str):
                return entry
            return templates[entry["code"]].format(**entry["args"])

        rebuilt = [
            {
                **{k: cols[k][i] for k in cols if k != "message"},
                "message": text(table["messages"][cols["message"][i]]),
            }
            for i in range(len(cols.get("code", [])))
        ]
        as_templates = [m for m in table["messages"] if isinstance(m, dict)]
        assert len(as_templates) >= len(table["messages"]) * 0.9  # nearly all read back
        assert rebuilt == f_full["findings"]
        deals = f_compact["deals_detail"]
        n = len(f_full["deals_detail"])
        assert all(len(v) == n for v in deals.values())
        assert [
            dict(zip(deals, row, strict=True)) for row in zip(*deals.values(), strict=True)
        ] == f_full["deals_detail"]
    assert len(compact["files"][1]["findings"]["messages"]) < len(full["files"][1]["findings"])


def test_report_files_hold_no_control_characters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "esc.csv"
    src.write_text(
        "Deal ID,Customer,Stage,Expected close,Amount\n"
        "D\x1b]0;pwned\x07-1,ACME,\x1b[2Jweird\x9b,2026-12-30,100\n",
        encoding="utf-8",
    )
    for fmt in ("text", "json", "markdown", "github"):
        target = tmp_path / f"r.{fmt}"
        run(capsys, "validate", str(src), *AS_OF, "--format", fmt, "-o", str(target), "-v")
        written = target.read_text(encoding="utf-8")
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", written.replace("\r\n", "")), fmt
        if fmt != "markdown":  # a summary: counts per code, no cell text
            assert ("\\u001b" if fmt == "json" else "\\x1b") in written, fmt
        if fmt == "json":
            doc = json.loads(written, parse_constant=pytest.fail)
            values = {f["value"] for f in doc["files"][0]["findings"]}
            assert "\x1b[2Jweird\x9b" in values  # JSON reads the escapes back as the cell text


def test_select_and_ignore_in_the_rule_set(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    from excelflow.pipeline.ruleset import RuleSetError, load_ruleset

    sample = make_sample(40)
    doc = dict(load_ruleset().document)
    doc.pop("$schema", None)

    def codes(ruleset: dict[str, object], *argv: str) -> set[str]:
        path = tmp_path / "rs.json"
        path.write_text(json.dumps(ruleset), encoding="utf-8")
        out = run(
            capsys, "validate", str(sample), *AS_OF, "--ruleset", str(path), "--format", "json",
            *argv,
        )[1]  # fmt: skip
        return {f["code"] for f in json.loads(out)["files"][0]["findings"]}

    every = codes(doc)
    assert {"SG01", "DQ01", "GR01"} <= every
    assert codes({**doc, "select": ["SG", "DQ0"]}) == {
        c for c in every if c.startswith(("SG", "DQ0"))
    }
    assert codes({**doc, "ignore": ["DQ", "GR01"]}) == {
        c for c in every if not c.startswith(("DQ", "GR01"))
    }
    # the command line overrides the rule set
    assert codes({**doc, "select": ["SG"]}, "--select", "GR") == {"GR01"}
    assert codes({**doc, "ignore": ["SG"]}, "--ignore", "DQ") == {
        c for c in every if not c.startswith("DQ")
    }
    # a prefix that starts no code is a configuration error, not a silent empty report
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({**doc, "ignore": ["SG", "XY"]}), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(sample), *AS_OF, "--ruleset", str(typo))
    assert code == 2 and out == "" and "no rule code starts with 'XY'" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**doc, "select": ["sg-1"]}), encoding="utf-8")
    with pytest.raises(RuleSetError):
        load_ruleset(bad)
