"""Issue 15's remaining cases, one test each: output paths that are a device, a folder or on a
read-only file system (bid, validate, annotate); huge numbers (DQ06 shows 1e308, amounts beyond
1e15 are not understood and never overflow the forecast); a 40,000-character value in a note
(cut to Excel's 32,767); schema errors said once."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import hostile_corpus as corpus
from cli.cli_helpers import AS_OF, run
from excelflow import api

pytestmark = pytest.mark.timeout(120)

TEMPLATE = corpus.TEMPLATE


@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/null", "folder.xlsx"])
def test_bid_output_to_a_device_or_a_folder_is_one_line(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "folder.xlsx").mkdir()
    out = target if target.startswith("/") else str(tmp_path / target)
    code, printed, err = run(capsys, "bid", str(TEMPLATE), "--deal", "D-1001", "-o", out, *AS_OF)
    assert code == 2 and printed == "" and len(err.strip().splitlines()) == 1, err
    assert out in err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and (tmp_path / "folder.xlsx").is_dir()


def test_validate_output_to_a_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r.json").mkdir()
    code, _, err = run(capsys, "validate", str(TEMPLATE), "-o", str(tmp_path / "r.json"), *AS_OF)
    assert code == 2 and "is a folder" in err and len(err.strip().splitlines()) == 1


def _read_only_mounts() -> bool:
    """True when this process may bind-mount a folder read-only in a private mount namespace
    (root with CAP_SYS_ADMIN, as in the CI container)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _read_only_mounts(), reason="cannot bind-mount read-only here")
@pytest.mark.parametrize(
    "argv",
    [
        ["validate", str(TEMPLATE), "-o", "{ro}/report.txt"],
        ["bid", str(TEMPLATE), "--deal", "D-1001", "-o", "{ro}/bid.xlsx"],
        ["annotate", str(TEMPLATE), "-o", "{ro}/checked.xlsx"],
        ["annotate", "{ro}/pipeline.xlsx", "--in-place"],
    ],
    ids=["validate", "bid", "annotate", "annotate-in-place"],
)
def test_a_read_only_folder_is_one_line_even_as_root(argv: list[str], tmp_path: Path) -> None:
    """Root ignores a folder's mode bits, so the folder sits on a read-only mount."""
    ro = tmp_path / "ro"
    ro.mkdir()
    shutil.copy(TEMPLATE, ro / "pipeline.xlsx")
    before = (ro / "pipeline.xlsx").read_bytes()
    command = " ".join(
        [sys.executable, "-m", "excelflow.cli", *[a.format(ro=ro) for a in argv], *AS_OF]
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind {ro} {ro} && "
         f"mount -o remount,bind,ro {ro} && exec {command}"],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr[-2000:]
    assert "read-only" in lines[0] and "Traceback" not in done.stderr
    assert sorted(p.name for p in ro.iterdir()) == ["pipeline.xlsx"]
    assert (ro / "pipeline.xlsx").read_bytes() == before


def test_1e308_cells_show_their_value_and_never_overflow_the_forecast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = corpus.huge_numbers_workbook(tmp_path / "huge.xlsx")
    code, out, err = run(capsys, "validate", str(book), "--format", "json", *AS_OF)
    assert code == 1 and err == ""  # no numpy overflow warning either
    report = json.loads(out, parse_float=lambda s: float(s) if abs(float(s)) < 1e300 else s)
    findings = report["files"][0]["findings"]
    dq06 = [f for f in findings if f["code"] == "DQ06"]
    assert len(dq06) == 3 and dq06[0]["value"] == "1e+308" and "1e+308" in dq06[0]["message"]
    amounts = [f for f in findings if f["code"] == "DQ04" and f["column"] == "Amount"]
    assert len(amounts) == 3  # beyond 1e15: not an amount
    assert report["summary"]["forecast"]["stated"] == 0  # and not inf
    csv = corpus.huge_numbers_csv(tmp_path / "huge.csv")
    rep = api.validate_file(csv, as_of=None)
    assert rep.result is not None and "1e308" in set(rep.result.findings["value"].astype(str))


def test_a_note_never_passes_excels_32767_characters(tmp_path: Path) -> None:
    src = corpus.long_note_csv(tmp_path / "long.csv")
    api.annotate(src, tmp_path / "long.xlsx")
    wb = load_workbook(tmp_path / "long.xlsx")
    notes = [c.comment.text for ws in wb for row in ws.iter_rows() for c in row if c.comment]
    assert notes and max(len(n) for n in notes) <= 32_767
    assert any(len(n) > 30_000 and n.endswith("…") for n in notes)  # cut, and says so


def test_schema_errors_are_said_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bid = tmp_path / "bid.json"
    bid.write_text('{"deal_id": "X", "cost_lines": "no", "budget": -5}', encoding="utf-8")
    code, _, err = run(capsys, "bid", "--json", str(bid), "-o", str(tmp_path / "o.xlsx"))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == len(set(lines)) >= 3, err
    for name, text in corpus.RULESETS.items():
        rules = tmp_path / name
        rules.write_text(text, encoding="utf-8")
        code, _, err = run(capsys, "validate", str(TEMPLATE), "--ruleset", str(rules), *AS_OF)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        parts = err.split(": invalid rule set: ", 1)[-1].split("; ")
        assert len(parts) == len(set(parts)), err


def test_every_test_the_reliability_table_names_exists() -> None:
    """The README's case -> behaviour -> test table names real tests."""
    import re

    readme = (corpus.REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("| case (issue 15) |")
    table = readme[start : readme.index("\n\n", start)]
    current: Path | None = None  # "…::name" is in the file named last before it
    for row in table.splitlines()[2:]:
        test_cell = row.rstrip("|").rsplit("|", 1)[-1]
        for ref in re.findall(r"`([^`]+)`", test_cell):
            file, _, name = ref.partition("::")
            if file.startswith("tests/"):
                current = corpus.REPO / file
                assert current.exists(), ref
            if name:
                assert current is not None, row
                source = current.read_text(encoding="utf-8")
                assert f"def {name}(" in source, (ref, current.name)


def test_a_rules_sheet_with_nan_and_1e308_is_said_once_per_cell(tmp_path: Path) -> None:
    wb = load_workbook(TEMPLATE)
    wb["Rules"]["D51"] = "nan"  # forced-advance factor
    wb["Rules"]["D57"] = 1e308  # pass mark
    wb.save(tmp_path / "rules.xlsx")
    rep = api.validate_file(tmp_path / "rules.xlsx")
    assert rep.result is not None
    dq08 = rep.result.findings[rep.result.findings["code"] == "DQ08"]
    assert sorted(dq08["cell"]) == ["D51", "D57"]  # each once
    [pass_mark] = dq08[dq08["cell"] == "D57"]["message"]
    assert "not 1e+308" in pass_mark and len(pass_mark) < 200
