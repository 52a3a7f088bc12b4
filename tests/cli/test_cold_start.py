"""`excelflow validate` starts without the heavy packages it does not use (issue 16: cold start).

The import floor is ``python -c "import pandas, python_calamine"``; ``make bench`` measures the
ratio. Here we only check which modules a real ``python -X importtime -m excelflow validate``
process loads: one heavy import slipping back in (a module-level ``import openpyxl`` in a module
validate reaches) fails this test, whatever the machine's speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HEAVY = ("openpyxl", "jsonschema", "xlwings", "yaml", "rich", "sqlalchemy", "dask")
"""Top-level packages `validate` must not import: writers, the schema validator (the built-in
rule set's digest is recorded), Excel automation, YAML (JSON rule sets), and a few that would
only come in by accident."""


def imported_modules(*args: str, cwd: Path) -> set[str]:
    """Every module a fresh ``python -X importtime -m excelflow ARGS`` imports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS")}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "excelflow", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("import time:")]
    assert lines, "no -X importtime output"
    return {ln.rsplit("|", 1)[1].strip() for ln in lines}


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


UNUSED = (
    "excelflow.bid",  # a workbook without Bid sheets: rules.bid imports the bid modules lazily
    "excelflow.rulesheet.grid",  # no Rules sheet: its reader is not loaded
    "excelflow.rulesheet.check",
    "excelflow.rulesheet.doc",
    "excelflow.rulesheet.layout",
    "excelflow.cli.annotate",  # the parser registers the command that runs, not all of them
    "excelflow.cli.batch",
    "excelflow.cli.serve",
    "excelflow.cli.template",
    "excelflow.cli.history",
    "excelflow.cli.mapping",
    "excelflow.cli.rules",
    "excelflow.cli.bid",
    "multiprocessing",  # only folders fork a child per file
)
"""Our own modules (and stdlib ones) that checking one plain workbook never needs: each costs
milliseconds of the cold start (dataclasses, tables built at import)."""


def unused(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == u or m.startswith(f"{u}.") for u in UNUSED))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_validate_imports_no_heavy_module(
    make_sample: Callable[..., Path], tmp_path: Path, fmt: str
) -> None:
    tiny = make_sample(1)
    modules = imported_modules(
        "validate", str(tiny), "--as-of", "2026-11-28", "--format", fmt, cwd=tmp_path
    )
    assert "excelflow.engine" in modules and "python_calamine" in modules  # it did run
    assert heavy(modules) == []
    assert unused(modules) == []
    assert "importlib.metadata" not in modules  # __version__ is a literal, not a lookup
    assert not any(
        m.startswith("excelflow.workbook.") and m != "excelflow.workbook.safe_write"
        for m in modules
    )


def test_validate_of_a_chinese_workbook_imports_no_heavy_module(
    make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    tiny = make_sample(3, lang="zh")
    modules = imported_modules("validate", str(tiny), "--as-of", "2026-11-28", cwd=tmp_path)
    assert heavy(modules) == []
    assert unused(modules) == []


def test_the_shipped_mapping_hint_imports_no_schema_validator(tmp_path: Path) -> None:
    """A CRM export read without a mapping gets the hint naming the shipped mapping that fits
    its stage values; trying the shipped mappings loads them by their recorded digests, without
    jsonschema (~0.1 s on every messy file the hint is looked for)."""
    export = tmp_path / "crm.csv"
    export.write_text(
        "Opportunity Name,Account Name,Stage,Close Date,Amount\n"
        "A,Hooli,Needs Analysis,2027-03-15,120000\n"
        "B,Initech,Value Proposition,2027-04-01,80000\n"
        "C,Globex,Closed Won,2026-01-10,5000\n"
        "D,Acme,Prospecting,2027-12-31,1000\n",
        encoding="utf-8",
    )
    out = tmp_path / "report.txt"
    modules = imported_modules(
        "validate", str(export), "--as-of", "2026-11-28", "-o", str(out), cwd=tmp_path
    )
    assert "--mapping salesforce" in out.read_text(encoding="utf-8")  # it did look
    assert heavy(modules) == []


def test_the_probe_sees_a_heavy_import(make_sample: Callable[..., Path], tmp_path: Path) -> None:
    """The same probe does see openpyxl where a command needs it (annotate writes with it)."""
    tiny = make_sample(1)
    modules = imported_modules(
        "annotate",
        str(tiny),
        "-o",
        str(tmp_path / "out.xlsx"),
        "--as-of",
        "2026-11-28",
        cwd=tmp_path,
    )
    assert "openpyxl" in heavy(modules)
