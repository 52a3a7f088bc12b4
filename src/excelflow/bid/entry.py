"""One Bid sheet as the rest of ExcelFlow sees it: the model read from it, its analysis, the BD
conditions, the problems found on its cells and where things sit. Read by
:mod:`excelflow.bid.sheet.read`; checked by the BD rules (:mod:`excelflow.rules.bid`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from excelflow.bid.model import BidModel
from excelflow.bid.result import BidIssue, BidResult
from excelflow.pipeline.ruleset import Text


@dataclass(frozen=True)
class BidProblem:
    """Something on a Bid sheet that could not be used as it stands.

    Attributes:
        cell: Where (``"B9"``); None for the sheet as a whole.
        value: The cell's value as read.
        message: What is wrong, in both languages.
    """

    cell: str | None
    value: Any
    message: Text


@dataclass(frozen=True)
class LineCells:
    """Where one cost line sits: its Excel row and the cells of its category, quantity and
    unit cost (aligned with ``BidModel.cost_lines``)."""

    row: int
    category: str
    quantity: str
    unit_cost: str


@dataclass(frozen=True)
class BidEntry:
    """One Bid sheet of a workbook, read and analysed.

    Attributes:
        deal_id: The deal named in its Deal ID cell (None when blank).
        sheet: The sheet's name.
        model: The bid inputs, None when they cannot make a model (see ``problems``).
        result: :func:`~excelflow.bid.analysis.analyze_bid` of the model, None when it failed.
        issues: The BD01–BD04 conditions (:func:`~excelflow.bid.analysis.bid_issues`).
        problems: Unreadable or unusable inputs (reported as BD05).
        cells: Input and result key -> cell (``quoted_price`` -> ``"B13"``, ``target_price``
            -> ``"E8"``, ``withdraw`` -> ``"E21"``, ``table.costs`` -> the table's header).
        lines: Cell positions of each cost line of ``model``.
        values: Input key -> the raw value of its cell.
    """

    deal_id: str | None
    sheet: str
    model: BidModel | None
    result: BidResult | None
    issues: tuple[BidIssue, ...]
    problems: tuple[BidProblem, ...]
    cells: Mapping[str, str]
    lines: tuple[LineCells, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)

    def with_problem(self, problem: BidProblem) -> BidEntry:
        """A copy with one more problem."""
        return BidEntry(
            self.deal_id,
            self.sheet,
            self.model,
            self.result,
            self.issues,
            (*self.problems, problem),
            self.cells,
            self.lines,
            self.values,
        )
