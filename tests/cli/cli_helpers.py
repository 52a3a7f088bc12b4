"""Shared helpers of the CLI tests."""

from __future__ import annotations

import pytest

from excelflow.cli import main

AS_OF = ["--as-of", "2026-11-28"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``excelflow ARGV`` in this process: exit code, stdout and stderr (never a traceback)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err
