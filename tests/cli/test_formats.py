"""``validate --format sarif|github|csv|junit|markdown``, each read back by its consumer: the
OASIS SARIF 2.1.0 JSON schema, a parser of GitHub's workflow-command syntax, Python's ``csv``,
``junitparser`` and ``xml.etree``, and markdown-it (the CommonMark/GFM parser rich uses)."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from cli.cli_helpers import AS_OF, run

SARIF_SCHEMA = Path(__file__).parents[1] / "schemas" / "sarif-schema-2.1.0.json"

WEIRD_STAGE = "bad%\nstage,x:y\r\x1b[31m|<b>"
"""A stage cell holding every character a format must escape."""


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A CSV whose name has a comma and a colon, with a formula-like deal ID, a stage cell
    holding %, CR, LF, ESC, | and <, a blank customer and a negative amount."""
    path = tmp_path / "we,ird:name.csv"
    rows = [
        ["Deal ID", "Customer", "Stage", "Expected close", "Amount"],
        ['=HYPERLINK("http://x")', "ACME", WEIRD_STAGE, "2026-12-30", "100"],
        ["D-2", "", "3", "2026-01-01", "-5"],
        ["@SUM(1)", "Beta", "+9", "2027-01-01", "10"],
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _findings(capsys: pytest.CaptureFixture[str], *paths: Path) -> list[dict[str, object]]:
    _, out, _ = run(capsys, "validate", *map(str, paths), *AS_OF, "--format", "json")
    return [f for file in json.loads(out)["files"] for f in file["findings"]]


def _sample_set(make_sample: Callable[..., Path], messy: Path) -> list[Path]:
    broken = messy.parent / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    return [make_sample(30), make_sample(12, lang="zh"), messy, broken]


def test_sarif_is_valid_against_the_oasis_schema(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], messy: Path
) -> None:
    paths = _sample_set(make_sample, messy)
    code, out, _ = run(capsys, "validate", *map(str, paths), *AS_OF, "--format", "sarif")
    assert code == 2  # the broken file
    log = json.loads(out, parse_constant=pytest.fail)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(log)
    (sarif_run,) = log["runs"]
    results = sarif_run["results"]
    expected = _findings(capsys, *paths)
    assert len(results) == len(expected) > 20
    assert [r["ruleId"] for r in results] == [f["code"] for f in expected]
    rules = sarif_run["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] in ("error", "warning", "note")
    with_cell = [r for r in results if "cell" in r.get("properties", {})]
    assert with_cell
    for r in with_cell:
        region = r["locations"][0]["physicalLocation"]["region"]
        cell = r["properties"]["cell"]
        assert str(region["startLine"]) == re.sub(r"^[A-Z]+", "", cell)
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert any("broken.xlsx" in n["message"]["text"] for n in notes)
    assert sarif_run["invocations"][0]["executionSuccessful"] is False
    uris = [a["location"]["uri"] for a in sarif_run["artifacts"]]
    assert all(" " not in u for u in uris)


_COMMAND = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _unescape(text: str, prop: bool = False) -> str:
    """Undo GitHub's workflow-command escaping (actions/toolkit ``command.ts``)."""
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def test_github_annotations_follow_the_workflow_command_syntax(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], messy: Path
) -> None:
    paths = _sample_set(make_sample, messy)
    code, out, _ = run(capsys, "validate", *map(str, paths), *AS_OF, "--format", "github")
    assert code == 2
    lines = out.splitlines()
    expected = _findings(capsys, *paths)
    assert len(lines) == len(expected) + 1  # + the unreadable file
    parsed = []
    for line in lines:
        m = _COMMAND.match(line)
        assert m is not None, line
        level, props, data = m.groups()
        fields = dict(p.split("=", 1) for p in props.split(","))
        fields = {k: _unescape(v, prop=True) for k, v in fields.items()}
        parsed.append((level, fields, _unescape(data)))
    assert "\x1b" not in out  # ESC from the cell reaches the log shown, never raw
    shown_stage = WEIRD_STAGE.replace("\x1b", "\\x1b")
    weird = [p for p in parsed if shown_stage in p[2]]
    assert weird, "the stage value with %, CR and LF comes back whole"
    level, fields, _ = weird[0]
    assert level == "error" and fields["file"] == str(messy) and fields["line"] == "2"
    assert fields["col"] == "3" and fields["title"].startswith("DQ03 ")
    assert {p[0] for p in parsed} == {"error", "warning", "notice"}
    assert any(f["file"].endswith("broken.xlsx") for _, f, _ in parsed)


def test_csv_has_one_row_per_finding_and_no_live_formula(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], messy: Path
) -> None:
    paths = [make_sample(30), messy]
    out_file = messy.parent / "findings.csv"
    code, _, _ = run(
        capsys, "validate", *map(str, paths), *AS_OF, "--format", "csv", "-o", str(out_file)
    )
    assert code == 1
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    expected = _findings(capsys, *paths)
    assert len(rows) == len(expected)
    assert [r["code"] for r in rows] == [f["code"] for f in expected]
    for row in rows:
        for value in row.values():
            assert not re.match(r"\s*[=+\-@]", value), value
    ids = {r["deal_id"] for r in rows}
    assert '\'=HYPERLINK("http://x")' in ids and "'@SUM(1)" in ids
    weird = next(r for r in rows if r["code"] == "DQ03" and "bad%" in r["value"])
    assert "\x1b" not in weird["value"]  # a report file escapes control characters, as -o does
    assert weird["value"].startswith("bad%\nstage,x:y")


def test_junit_has_one_case_per_deal_and_a_failure_per_erroneous_deal(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], messy: Path
) -> None:
    from junitparser import Error, Failure, JUnitXml

    paths = _sample_set(make_sample, messy)
    out_file = messy.parent / "report.xml"
    run(capsys, "validate", *map(str, paths), *AS_OF, "--format", "junit", "-o", str(out_file))
    ET.parse(out_file)  # well-formed for a strict XML parser, ESC in a cell or not
    xml = JUnitXml.fromfile(str(out_file))
    suites = list(xml)
    assert [s.name for s in suites] == [str(p) for p in paths]
    _, out, _ = run(capsys, "validate", *map(str, paths), *AS_OF, "--format", "json")
    files = json.loads(out)["files"]
    for suite, file in zip(suites, files, strict=True):
        cases = list(suite)
        if file["status"] == "error":
            assert any(isinstance(r, Error) for c in cases for r in c.result)
            continue
        named = [c for c in cases if c.name != "(sheet)"]
        assert len(named) == file["deals"]
        error_rows = {f["row"] for f in file["findings"] if f["severity"] == "error"}
        failed = [c for c in named if any(isinstance(r, Failure) for r in c.result)]
        assert len(failed) == len(error_rows)
        assert suite.failures == len(failed) + sum(
            1
            for c in cases
            if c.name == "(sheet)" and any(isinstance(r, Failure) for r in c.result)
        )
    assert xml.tests == sum(s.tests for s in suites)


def test_markdown_summary_renders_as_tables(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], messy: Path
) -> None:
    from markdown_it import MarkdownIt

    paths = [make_sample(30), make_sample(12, lang="zh"), messy]
    _, out, _ = run(capsys, "validate", *map(str, paths), *AS_OF, "--format", "markdown")
    html = MarkdownIt("commonmark").enable("table").render(out)
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    assert len(tables) == 2
    body = re.findall(r"<tr>(.*?)</tr>", tables[0], re.S)
    assert len(body) == 1 + len(paths) + 1  # header, files, total
    for row in body:
        assert len(re.findall(r"<t[hd][ >]", row)) == 6  # a '|' in a name never adds a cell
    assert "13,903" not in out and re.search(r"\| \d{1,3}(,\d{3})* \|", out)
    stats = json.loads(
        run(capsys, "validate", *map(str, paths), *AS_OF, "--statistics", "--format", "json")[1]
    )
    assert len(re.findall(r"<tr>", tables[1])) == 1 + len(stats)
    zh = run(capsys, "validate", str(paths[1]), *AS_OF, "--format", "markdown", "--lang", "zh")[1]
    assert "检查报告" in zh and "按代码统计" in zh


def test_every_format_is_written_to_a_file_with_the_same_content(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    sample = make_sample(20)
    for fmt in ("sarif", "github", "csv", "junit", "markdown"):
        target = tmp_path / f"r.{fmt}"
        _, shown, _ = run(capsys, "validate", str(sample), *AS_OF, "--format", fmt)
        run(capsys, "validate", str(sample), *AS_OF, "--format", fmt, "-o", str(target))
        written = target.read_text(encoding="utf-8")
        if fmt == "sarif":
            assert (
                json.loads(written)["runs"][0]["results"] == json.loads(shown)["runs"][0]["results"]
            )
        else:
            assert written == shown
