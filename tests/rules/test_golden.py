"""Every rule code against its golden cases, in Chinese and English, plus the registry meta-test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from excelflow.rules import load_all
from rules.golden import HERE, load_cases, run_case

CASES = load_cases()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("code", "doc", "case"), CASES, ids=[f"{c}-{case['name']}" for c, _, case in CASES]
)
def test_golden_case(
    tmp_path: Path, code: str, doc: dict[str, Any], case: dict[str, Any], lang: str
) -> None:
    found, expected, messages = run_case(tmp_path, code, doc, case, lang)  # type: ignore[arg-type]
    assert found == expected, f"{code} / {case['name']} ({lang}): found {found}, want {expected}"
    assert all(m.strip() for m in messages)
    for needle in case.get("message_contains", {}).get(lang, []):
        assert any(needle in m for m in messages), f"no {code} message contains {needle!r}"


def test_every_registered_rule_has_golden_cases_and_docs() -> None:
    registry = load_all()
    by_code: dict[str, list[dict[str, Any]]] = {}
    for code, _, case in CASES:
        by_code.setdefault(code, []).append(case)
    for code, rule in registry.items():
        assert (HERE / f"{code}.yaml").is_file(), (
            f"{code} has no golden file tests/rules/{code}.yaml"
        )
        cases = by_code.get(code, [])
        assert any(c.get("expect") for c in cases), f"{code}: no case where the rule fires"
        assert any(not c.get("expect") for c in cases), f"{code}: no case where it stays quiet"
        assert rule.description, f"{code} has no docstring"
        assert "Bad" in rule.doc and "Fix" in rule.doc, f"{code} docstring lacks a bad example/fix"
        assert rule.message.zh.strip() and rule.message.en.strip()
    assert set(by_code) <= set(registry), (
        f"golden files for unknown codes: {set(by_code) - set(registry)}"
    )


def test_codes_are_stable_and_well_formed() -> None:
    registry = load_all()
    names = [r.name for r in registry.values()]
    assert len(set(names)) == len(names)
    for code, rule in registry.items():
        assert len(code) == 4 and code[:2].isupper() and code[2:].isdigit()
        assert rule.family in {"SG", "EV", "GR", "CL", "DQ", "BD", "HX"}
        assert rule.name.count(".") == 1


def test_every_rule_has_a_short_title_in_both_languages() -> None:
    """The sheets show a rule's title beside its code, never its dotted name: every registered
    code has a short Chinese (CJK) and English title, and no title names an unknown code."""
    from excelflow.rules.titles import TITLES
    from excelflow.sheets.text import has_wide

    registry = load_all()
    assert set(TITLES) == set(registry)
    for code, rule in registry.items():
        zh, en = rule.title
        assert has_wide(zh) and not has_wide(en) and en.strip(), code
        assert len(zh) <= 8 and len(en) <= 28 and "." not in zh + en, code
