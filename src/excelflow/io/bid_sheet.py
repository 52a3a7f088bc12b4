"""Bid sheets in a workbook (stub until the bid-sheet work lands)."""

from __future__ import annotations

from typing import Any

from excelflow.io.read import Source
from excelflow.normalize import Pipeline
from excelflow.ruleset import RuleSet


def workbook_bids(source: Source, pipeline: Pipeline, ruleset: RuleSet) -> dict[str, Any]:
    """Engine extras describing the bid models found in the workbook (none yet)."""
    return {}
