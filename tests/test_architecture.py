"""The shape we hold ourselves to: the import-linter contracts of pyproject.toml, and docstrings.

`make test` runs the contracts with `lint-imports`; this test runs the same contracts in-process
(one static import graph, about a second), so a plain `pytest` catches a broken one too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "excelflow"
PYPROJECT = REPO / "pyproject.toml"


def test_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """Layers only import downwards; only workbook imports openpyxl, only xl imports xlwings."""
    import importlinter.api  # noqa: F401  (configures import-linter's adapters)
    from importlinter.application.use_cases import lint_imports

    kept = lint_imports(config_filename=str(PYPROJECT), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out


def test_the_layers_contract_names_every_bid_domain_module() -> None:
    """import-linter cannot put bid.sheet and bid in two layers (one contains the other), so the
    "layers" contract names bid's domain modules one by one; the exhaustive "bid" contract lists
    every bid module. The two lists must agree, or a new bid module escapes the layers."""
    from importlinter.api import read_configuration

    contracts = {c["id"]: c for c in read_configuration(str(PYPROJECT))["contracts_options"]}

    def names(layers: list[str]) -> set[str]:
        return {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}

    in_layers = {n.removeprefix("bid.") for n in names(contracts["layers"]["layers"]) if "." in n}
    assert in_layers - {"sheet"} == names(contracts["bid"]["layers"]) - {"sheet"}


def test_every_module_has_a_docstring() -> None:
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(SRC)} has no module docstring"
