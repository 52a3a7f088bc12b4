"""Helpers shared by the macro tests: run a script on a saved workbook and compare sheets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from annotate_support import calamine_rows
from excelflow.xl import macros
from xl.book_payload import VirtualBook, VirtualSheet, apply_actions, book_payload, run_script


def payload_of(path: Path, **kw: Any) -> dict[str, Any]:
    """The add-in's request body for the saved workbook at ``path``."""
    return book_payload(load_workbook(path, data_only=True), name=path.name, **kw)


def run(
    script: str, payload: dict[str, Any], *args: Any
) -> tuple[list[dict[str, Any]], VirtualBook]:
    """Run a script; returns its actions and the sheets after applying them."""
    actions = run_script(macros, script, payload, list(args))
    return actions, apply_actions(payload, actions)


def only_alert(actions: list[dict[str, Any]]) -> str:
    """The text of the one critical alert a refused call returns (and nothing else)."""
    assert [a["func"] for a in actions] == ["alert"], [a["func"] for a in actions]
    text, title, buttons, mode = actions[0]["args"][:4]
    assert (title, buttons, mode) == ("ExcelFlow", "ok", "critical")
    assert "Traceback" not in text
    return str(text)


def same(a: Any, b: Any) -> bool:
    """Cell values equal as Excel shows them (blank is blank, floats to 12 digits)."""
    a = None if a == "" else a
    b = None if b == "" else b
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return bool(a == b)


def differences(
    path: Path, name: str, sheet: VirtualSheet, skip: Any = lambda r, c: False
) -> list[tuple[int, int, Any, Any]]:
    """Cells where the saved sheet (read with python-calamine) and the macro's sheet differ
    (cells for which ``skip(row, col)`` is true left out)."""
    rows = calamine_rows(path, name)
    width = max((len(r) for r in rows), default=0)
    out = []
    cells = {(r + 1, c + 1) for r in range(len(rows)) for c in range(width)} | set(sheet.values)
    for r, c in sorted(cells):
        theirs = rows[r - 1][c - 1] if r <= len(rows) and c <= len(rows[r - 1]) else None
        mine = sheet.value((r, c))
        if not skip(r, c) and not same(theirs, mine):
            out.append((r, c, theirs, mine))
    return out
