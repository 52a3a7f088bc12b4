"""The console entry point (``excelflow``, ``python -m excelflow``) ends a ``validate`` run with
``os._exit`` once the report is out, instead of freeing the reports object by object
(:func:`excelflow.cli.console`): the report, the exit code and every ``atexit`` handler are
as before; ``main()`` called in-process keeps nothing and returns normally."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.cli_helpers import AS_OF
from excelflow.cli import common, main

PROBE = textwrap.dedent(
    """
    import atexit, os, sys
    from pathlib import Path

    marks = Path(sys.argv[1])

    def handler():
        with marks.open("a") as fh:
            fh.write("atexit\\n")

    def traced_exit(code, real=os._exit):
        with marks.open("a") as fh:
            fh.write(f"os._exit {{code}}\\n")
        real(code)

    atexit.register(handler)
    os._exit = traced_exit
    sys.argv = ["excelflow", *sys.argv[2:]]
    if {thread}:  # a non-daemon thread still running at the end: the ordinary exit
        import threading, time
        threading.Thread(target=time.sleep, args=(4.0,)).start()
    from excelflow.cli import console

    console()
    """
)


def _probe(tmp_path: Path, args: list[str], *, thread: bool = False) -> tuple[int, str, str]:
    marks = tmp_path / "marks.txt"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(thread=thread), str(marks), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, marks.read_text() if marks.exists() else ""


def test_a_console_run_writes_the_same_report_and_exit_code(
    tmp_path: Path, make_sample: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sample = make_sample(300)
    expected = tmp_path / "in-process.txt"
    assert main(["validate", str(sample), *AS_OF, "-o", str(expected)]) == 1
    assert common._KEPT == []  # main() in-process keeps nothing
    report = tmp_path / "console.txt"
    code, _, marks = _probe(tmp_path, ["validate", str(sample), *AS_OF, "-o", str(report)])
    assert code == 1
    assert report.read_bytes() == expected.read_bytes()
    assert marks == "atexit\nos._exit 1\n"  # the handler ran, then the process ended at once
    # to stdout (a pipe): every byte arrives before the process ends
    assert main(["validate", str(sample), *AS_OF, "--limit", "0"]) == 1
    shown = capsys.readouterr().out
    code, out, _ = _probe(tmp_path, ["validate", str(sample), *AS_OF, "--limit", "0"])
    assert code == 1 and out == shown and len(out) > 10_000


def test_exit_codes_pass_through(tmp_path: Path, make_sample: Callable[..., Path]) -> None:
    sample = make_sample(40)
    code, _, marks = _probe(tmp_path, ["validate", str(sample), *AS_OF, "--fail-on", "never"])
    assert code == 0 and marks == "atexit\nos._exit 0\n"
    code, _, _ = _probe(tmp_path, ["validate", str(tmp_path / "missing.xlsx"), *AS_OF])
    assert code == 2


def test_a_running_thread_takes_the_ordinary_exit(
    tmp_path: Path, make_sample: Callable[..., Path]
) -> None:
    """A non-daemon thread still running would be waited for by an ordinary exit: so it is."""
    sample = make_sample(40)
    code, _, marks = _probe(tmp_path, ["validate", str(sample), *AS_OF], thread=True)
    assert code == 1
    assert marks == "atexit\n"  # the ordinary exit, the handler once


def test_python_dash_m_excelflow_ends_through_the_console_entry_point(
    tmp_path: Path, make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(40)
    out = tmp_path / "r.json"
    for module in ("excelflow", "excelflow.cli"):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                module,
                "validate",
                str(sample),
                *AS_OF,
                "--format",
                "json",
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 1 and proc.stderr == ""
        assert out.read_text(encoding="utf-8").endswith("}\n")
