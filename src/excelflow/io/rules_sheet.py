"""The workbook's own Rules / 规则 sheet as a rule set (stub until the template work lands)."""

from __future__ import annotations

from typing import Any

from excelflow.io.read import Source
from excelflow.ruleset import RuleSet


def workbook_ruleset(source: Source, default: RuleSet) -> tuple[RuleSet, list[dict[str, Any]]]:
    """The rule set a workbook carries in its Rules sheet, else ``default``; plus problems found.

    Each problem is a dict with ``sheet``, ``cell``, ``message_zh`` and ``message_en``.
    """
    return default, []
