"""``validate --select/--ignore CODES`` (prefixes allowed) and ``--statistics``, as in ruff."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.cli_helpers import AS_OF, run


def _codes(capsys: pytest.CaptureFixture[str], sample: Path, *argv: str) -> set[str]:
    code, out, _ = run(capsys, "validate", str(sample), *AS_OF, "--format", "json", *argv)
    assert code in (0, 1)
    return {f["code"] for f in json.loads(out)["files"][0]["findings"]}


def test_select_and_ignore_take_codes_and_prefixes(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(40)
    every = _codes(capsys, sample)
    assert {"SG01", "SG02", "DQ01", "DQ05", "GR01"} <= every
    assert _codes(capsys, sample, "--select", "SG,DQ0") == {
        c for c in every if c.startswith(("SG", "DQ0"))
    }
    assert _codes(capsys, sample, "--select", "dq01") == {"DQ01"}  # case does not matter
    assert _codes(capsys, sample, "--ignore", "DQ,GR01") == {
        c for c in every if not c.startswith(("DQ", "GR01"))
    }
    assert _codes(capsys, sample, "--select", "DQ", "--ignore", "DQ05") == {
        c for c in every if c.startswith("DQ") and c != "DQ05"
    }
    # the exit code follows what is reported
    assert run(capsys, "validate", str(sample), *AS_OF, "--select", "GR")[0] == 0
    assert run(capsys, "validate", str(sample), *AS_OF, "--select", "DQ01")[0] == 1
    # the text report and its totals agree with the selection
    out = run(capsys, "validate", str(sample), *AS_OF, "--select", "SG01", "--limit", "0")[1]
    assert "By code: SG01" in out and "DQ01" not in out


def test_unknown_code_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(5)
    for bad in ("XX", "SG99", "S-1", "ALL"):
        with pytest.raises(SystemExit) as exc:
            run(capsys, "validate", str(sample), "--select", bad)
        assert exc.value.code == 2
        assert "no rule code starts with" in capsys.readouterr().err


def test_statistics_counts_per_code(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(40)
    _, full, _ = run(capsys, "validate", str(sample), *AS_OF, "--format", "json")
    findings = json.loads(full)["files"][0]["findings"]
    expected = {c: sum(f["code"] == c for f in findings) for c in {f["code"] for f in findings}}
    code, out, _ = run(capsys, "validate", str(sample), *AS_OF, "--statistics", "--format", "json")
    assert code == 1
    rows = json.loads(out)
    assert {r["code"]: r["count"] for r in rows} == expected
    assert [r["count"] for r in rows] == sorted(expected.values(), reverse=True)
    code, out, _ = run(capsys, "validate", str(sample), *AS_OF, "--statistics")
    lines = out.splitlines()
    assert len(lines) == len(expected)  # counts only: no table, no header report
    for line in lines:
        count, rule = line.split()[:2]
        assert int(count.replace(",", "")) == expected[rule]
    code, out, _ = run(capsys, "validate", str(sample), *AS_OF, "--statistics", "--select", "SG")
    assert {line.split()[1] for line in out.splitlines()} == {
        c for c in expected if c.startswith("SG")
    }
