"""Locate the data files that ship with ExcelFlow (JSON schemas, built-in rule sets, templates).

In an installed wheel the ``schemas/`` folder lives inside the package (hatch ``force-include``);
in a source checkout or editable install it lives at the repository root. Both are found here so
no caller needs to know which case it is in.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_RULESETS_DIR = Path(__file__).resolve().parent / "rulesets"


def _schemas_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "schemas", _PACKAGE_DIR.parents[1] / "schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("ExcelFlow's schemas/ folder is missing from this installation")


def schema_path(name: str) -> Path:
    """Return the path of a bundled JSON schema, e.g. ``schema_path("report.schema.json")``."""
    path = _schemas_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"schema {name!r} is not bundled with ExcelFlow")
    return path


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load (once) and return a bundled JSON schema as a dict."""
    with schema_path(name).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def ruleset_path(name: str) -> Path:
    """Return the path of a built-in rule set such as ``standard``."""
    path = _RULESETS_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no built-in rule set named {name!r}")
    return path


def shipped_mappings() -> dict[str, Path]:
    """The mappings shipped for common CRM exports (``examples/mappings/`` in a checkout,
    ``excelflow/mappings/`` in a wheel), by name: ``salesforce``, ``maven-crm``…"""
    for candidate in (_PACKAGE_DIR / "mappings", _PACKAGE_DIR.parents[1] / "examples" / "mappings"):
        if candidate.is_dir():
            return {p.stem: p for p in sorted(candidate.glob("*.json"))}
    return {}


def builtin_rulesets() -> list[str]:
    """Names of the built-in rule sets."""
    return sorted(p.stem for p in (_RULESETS_DIR).glob("*.json"))
