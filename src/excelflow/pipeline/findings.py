"""Severities and findings: what a check says about one cell of one deal."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import pandas as pd


class Severity(StrEnum):
    """How bad a finding is; ``--fail-on`` compares against this order."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info."""
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Finding:
    """One problem on one cell (``cell`` is None for a problem with a whole column or file).

    ``row`` is the Excel row (1-based), ``column`` the header text as written in the source.
    """

    code: str
    rule: str
    severity: Severity
    deal_id: str | None
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    value: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (severity as its string)."""
        out = asdict(self)
        out["severity"] = self.severity.value
        return out


FINDING_COLUMNS = (
    "code",
    "rule",
    "severity",
    "deal_id",
    "sheet",
    "row",
    "column",
    "cell",
    "value",
    "message",
)


def findings_from_frame(frame: pd.DataFrame) -> list[Finding]:
    """Materialize a findings frame (the engine's vectorized form) as :class:`Finding` objects."""
    out: list[Finding] = []
    cols = [frame[c].tolist() for c in FINDING_COLUMNS]
    for code, rule, sev, deal, sheet, row, column, cell, value, msg in zip(*cols, strict=True):
        out.append(
            Finding(
                code=code,
                rule=rule,
                severity=Severity(sev),
                deal_id=_none(deal),
                sheet=_none(sheet),
                row=None if _none(row) is None else int(row),
                column=_none(column),
                cell=_none(cell),
                value=_none(value),
                message=msg,
            )
        )
    return out


def _none(value: Any) -> Any:
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value
