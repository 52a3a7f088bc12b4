"""The shape we hold ourselves to: the engine never imports the Excel libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "excelflow"
ENGINE_MODULES = [
    "excelflow.engine",
    "excelflow.rules",
    "excelflow.rules.gates",
    "excelflow.rules.evaluation",
    "excelflow.rules.grading",
    "excelflow.rules.quality",
    "excelflow.pipeline.normalize",
    "excelflow.pipeline.coerce",
    "excelflow.pipeline.ruleset",
    "excelflow.pipeline.findings",
    "excelflow.pipeline.fields",
    "excelflow.pipeline.mapping",
    "excelflow.engine.report",
    "excelflow.bid.analysis",
    "excelflow.bid.win",
    "excelflow.annotate.plan",
    "excelflow.annotate.dashboard",
    "excelflow.annotate.labels",
    "excelflow.functions.checks",
    "excelflow.functions.bid",
    "excelflow.rules.bid",
    "excelflow.rules.sheet_quality",
    "excelflow.sheets.plan",
    "excelflow.annotate.sheets",
]


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_modules_import_neither_openpyxl_nor_xlwings(module: str) -> None:
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "import excelflow.rules; excelflow.rules.load_all(); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('openpyxl', 'xlwings')); "
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"{module} pulls in {proc.stdout.strip()}"


def test_every_module_has_a_docstring() -> None:
    import ast

    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(SRC)} has no module docstring"
