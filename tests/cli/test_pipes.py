"""``excelflow … | head -1``: a reader that stops early ends the run quietly with exit code 0, as
``cat`` or ``ruff`` would, never with a ``BrokenPipeError`` traceback."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.cli_helpers import AS_OF

EXCELFLOW = f"{shlex.quote(sys.executable)} -m excelflow.cli"


def _assert_quiet(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert "Exception ignored" not in proc.stderr, proc.stderr


pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _run_piped(command: str, reader: str = "head -1") -> subprocess.CompletedProcess[str]:
    # 3>&2: ExcelFlow's stderr goes to ours, the reader's to the void
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; exec 3>&2; {EXCELFLOW} {command} 2>&3 | {reader}"],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "command",
    [
        "rules show --format json",
        "rules show --lang zh",
        "rules list --verbose",
        "--help",
        "validate --help",
    ],
)
def test_head_of_a_short_output(command: str) -> None:
    proc = _run_piped(command)
    _assert_quiet(proc)
    assert proc.stdout.count("\n") == 1


def test_reader_gone_before_anything_is_written() -> None:
    """The reader closes the pipe before ExcelFlow writes a byte: every write fails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "excelflow.cli", "rules", "show", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_head_of_a_long_report(make_sample: Callable[..., Path]) -> None:
    """A report far longer than a pipe's buffer (about 1.5 MB of JSON): ExcelFlow is still
    writing when the reader exits."""
    sample = make_sample(3000)
    proc = _run_piped(
        f"validate {shlex.quote(str(sample))} {' '.join(AS_OF)} --format json", "head -c 100"
    )
    _assert_quiet(proc)
    assert len(proc.stdout) == 100


def test_head_of_a_long_text_report(shared_data: Path) -> None:
    """The Maven CRM export's 20,000 findings as text (2.4 MB), read up to its first line."""
    crm = shared_data / "crm-sales-opportunities" / "sales_pipeline.csv"
    proc = _run_piped(f"validate {shlex.quote(str(crm))} {' '.join(AS_OF)} --limit 0")
    _assert_quiet(proc)
    assert proc.stdout.count("\n") == 1
