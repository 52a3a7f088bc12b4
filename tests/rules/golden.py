"""Golden cases: one YAML file per rule code, run against real workbooks in both languages.

A case file ``tests/rules/<CODE>.yaml``::

    code: SG01
    as_of: 2026-11-28          # optional (default 2026-11-28)
    cases:
      - name: bidding deal without coach and criteria
        rows:                  # each row overrides the clean base deal; keys are field keys
          - {stage: 4, "m:coach": null, "m:criteria": null}
        expect:                # [Excel row, field key] where CODE fires, and nowhere else
          - [2, "m:coach"]
          - [2, "m:criteria"]
      - name: all gates met
        rows: [{stage: 4}]
        expect: []

Row keys are field keys (``stage``, ``m:coach``, ``f:funding``, …), so one case runs with
Chinese and with English headers. ``null`` is a blank cell; ``today+30`` / ``today-10`` are
dates relative to ``as_of``. ``omit: [keys]`` drops columns; ``ruleset: {...}`` is merged
(recursively) into the standard rule set for the case; ``hook: name`` lets a rule family
add sheets to the workbook (see ``HOOKS``; a family registers its hooks in a module
``tests/rules/hooks_<family>.py``, imported automatically). An ``expect`` entry whose field is
null is a whole-sheet finding.

``previous: [...]`` (the HX rules) is the workbook's last recorded snapshot, one entry per deal
in row order (``null`` or ``{recorded: false}``: that deal was not recorded). Each entry
overrides a snapshot of the clean base deal: ``stage`` 3, ``status`` open, every milestone
reached, ``as_of`` today-7 and ``stage_since`` equal to ``as_of``; ``missing: [keys]`` takes
milestone parts out of it.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from openpyxl import Workbook

from excelflow import api
from excelflow.pipeline.fields import SHEETS, all_fields
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.rules.history import PREVIOUS_COLUMNS

HERE = Path(__file__).resolve().parent
DEFAULT_AS_OF = dt.date(2026, 11, 28)
_RELATIVE = re.compile(r"^today([+-]\d+)$")

Hook = Callable[[Workbook, dict[str, Any], Lang], None]
HOOKS: dict[str, Hook] = {}
"""Named workbook set-ups for rule families that need more than a Deals sheet (Rules, Bid)."""


def base_row(index: int, as_of: dt.date) -> dict[str, Any]:
    """A deal that passes every rule: stage 3 (proposal), all milestones ticked, factors 4/5."""
    rs = load_ruleset()
    row: dict[str, Any] = {
        "deal_id": f"D-{index:03d}",
        "customer": "Acme",
        "project": "Line automation",
        "owner": "Alice",
        "status": "open",
        "stage": 3,
        "first_stage": 1,
        "custom_solution": None,
        "expected_close": as_of + dt.timedelta(days=60),
        "probability": 0.6,
        "amount": 100000,
        "grade": None,
        "ignore": None,
    }
    for ms in rs.milestones:
        row[f"m:{ms.key}"] = "✓"
    for fa in rs.factors:
        row[f"f:{fa.key}"] = 4
    return row


def _value(value: Any, as_of: dt.date) -> Any:
    if isinstance(value, str):
        match = _RELATIVE.match(value)
        if match:
            return as_of + dt.timedelta(days=int(match.group(1)))
    return value


def write_case(path: Path, case: dict[str, Any], lang: Lang, as_of: dt.date) -> Path:
    """Write a case's rows as a Deals sheet with ``lang`` headers (plus any hook's sheets)."""
    rs = load_ruleset()
    omit = set(case.get("omit", ()))
    keys = [f.key for f in all_fields(rs) if f.key not in omit and not f.key.startswith("ef_")]
    keys = [k for k in keys if not k.startswith("md:") or any(k in r for r in case["rows"])]
    headers = {f.key: f.header(lang) for f in all_fields(rs)}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEETS["deals"](lang)
    ws.append([headers[k] for k in keys])
    for i, overrides in enumerate(case["rows"], start=1):
        row = {**base_row(i, as_of), **(overrides or {})}
        ws.append([_value(row.get(k), as_of) for k in keys])
    if case.get("hook"):
        HOOKS[case["hook"]](wb, case, lang)
    wb.save(path)
    return path


def load_hooks() -> None:
    """Import every ``hooks_*.py`` beside this file so its hooks register themselves."""
    import importlib

    for path in sorted(HERE.glob("hooks_*.py")):
        importlib.import_module(f"rules.{path.stem}")


def load_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(code, file document, case) for every case of every golden file."""
    load_hooks()
    out = []
    for path in sorted(HERE.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            out.append((doc["code"], doc, case))
    return out


def run_case(
    tmp: Path, code: str, doc: dict[str, Any], case: dict[str, Any], lang: Lang
) -> tuple[set[tuple[int, str | None]], set[tuple[int, str | None]], list[str]]:
    """Run one case; return (found, expected, messages) for ``code``."""
    as_of = doc.get("as_of", DEFAULT_AS_OF)
    path = write_case(tmp / f"{code}-{lang}.xlsx", case, lang, as_of)
    ruleset = None
    if case.get("ruleset"):
        ruleset = load_ruleset(
            _merged(copy.deepcopy(dict(load_ruleset().document)), case["ruleset"])
        )
    previous = previous_frame(case.get("previous"), as_of)
    report = api.validate_file(path, ruleset, as_of=as_of, lang=lang, previous=previous)
    assert report.result is not None, report.error
    f = report.result.findings
    mine = f[f["code"] == code]
    found = {(int(r), fld) for r, fld in zip(mine["row"], mine["field"], strict=True)}
    expected = {(int(r), fld) for r, fld in case.get("expect") or []}
    return found, expected, list(mine["message"])


def _merged(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` merged into ``base``: nested objects key by key, anything else replaced."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merged(base[key], value)
        else:
            base[key] = value
    return base


def previous_frame(entries: list[Any] | None, as_of: dt.date) -> pd.DataFrame | None:
    """A case's ``previous`` snapshot as the frame the HX rules read (None: no history)."""
    if entries is None:
        return None
    keys = [ms.key for ms in load_ruleset().milestones]
    rows = []
    for i, entry in enumerate(entries, start=1):
        if entry is None or entry.get("recorded", True) is False:
            continue
        when = _value(entry.get("as_of", "today-7"), as_of)
        missing = set(entry.get("missing", ()))
        rows.append(
            {
                "deal_id": entry.get("deal_id", f"D-{i:03d}"),
                "stage": float(entry.get("stage", 3)),
                "status": entry.get("status", "open"),
                "milestones": frozenset(k for k in keys if k not in missing),
                "as_of": pd.Timestamp(when),
                "stage_since": pd.Timestamp(_value(entry.get("stage_since", when), as_of)),
            }
        )
    return pd.DataFrame(rows, columns=list(PREVIOUS_COLUMNS))
