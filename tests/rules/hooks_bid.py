"""The ``bid`` hook of the golden cases: Bid sheets next to the Deals sheet.

A case with ``hook: bid`` lists ``bids``: each a ``bid.schema.json`` document whose keys
override :data:`BID_BASE`, plus optional ``cells`` (``{"B9": "about twenty"}``) typed over the
written sheet, as a user would. The layout is the same in both languages, so expected rows are
Bid-sheet rows: 8 price at target margin, 13 quoted price, 21 bid/withdraw advice, 24 the cost
table's header and 25… its lines, 5 the Deal ID.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl import Workbook

from excelflow.bid.doc import load_bid
from excelflow.pipeline.ruleset import Lang
from excelflow.workbook.bid import write_bid_sheet

BID_BASE: dict[str, Any] = {
    "deal_id": "D-001",
    "cost_lines": [
        {"category": "equipment", "description": "Servers", "quantity": 2, "unit_cost": 1000},
        {"category": "services", "description": "Training", "quantity": 3, "unit_cost": 500},
        {"category": "logistics", "description": "Freight", "quantity": 1, "unit_cost": 250},
    ],
    "overhead_pct": 0.08,
    "target_margin": 0.25,
    "min_margin": 0.10,
}
"""Total cost 3 750 × 1.08 = 4 050; price at target margin 5 400; floor price 4 500."""


def bid_sheets(wb: Workbook, case: dict[str, Any], lang: Lang) -> None:
    """Write one Bid sheet per ``case["bids"]`` entry into ``wb``."""
    for spec in case.get("bids") or []:
        doc = {**BID_BASE, **spec}
        cells = doc.pop("cells", {})
        layout = write_bid_sheet(wb, load_bid(doc), lang, when=dt.date(2026, 11, 28))
        for ref, value in cells.items():
            wb[layout.sheet][ref] = value


def _register() -> None:
    from rules.golden import HOOKS

    HOOKS["bid"] = bid_sheets


_register()
