"""Which bid a deal's Bid sheet gets: imported, refreshed from its own sheet, or seeded anew.

``excelflow bid`` (through :func:`excelflow.api.write_bid`) and the ribbon's Bid analysis button
(:mod:`excelflow.xl.macros_sheets`) both call :func:`choose_bid`, so a deal gets the same sheet
from either door.

A new sheet is **seeded** from the deal's row: deal ID, customer, project, and whether the
purchasing criteria favour us from the stage-3 milestone column (ticked: yes, "No": no, blank: not
assessed). The budget stays blank: the pipeline's Amount is our own forecast, not the customer's
budget, and BD02 would otherwise compare our price with our own guess. One placeholder cost line
per category (quantity 1, unit cost blank) lists what to price; margins start at 25 % target /
10 % minimum, to be set by finance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from excelflow.bid.entry import BidEntry
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.pipeline.coerce import parse_tick
from excelflow.pipeline.fields import CRITERIA_MILESTONE, milestone_key
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.ruleset import Lang

SEED_TARGET_MARGIN = 0.25
SEED_MIN_MARGIN = 0.10


class UnusableBidSheet(Exception):
    """The deal's Bid sheet has inputs that cannot be used; it is never rewritten (that could
    lose what the user typed)."""

    def __init__(self, entry: BidEntry) -> None:
        super().__init__(entry.sheet)
        self.entry = entry

    def problem_lines(self, lang: Lang) -> str:
        """One indented line per problem: ``  CELL: message``."""
        entry = self.entry
        return "\n".join(f"  {p.cell or entry.sheet}: {p.message(lang)}" for p in entry.problems)


class UnknownDeal(Exception):
    """No deal row has the ID."""

    def __init__(self, deal: str, deals: int) -> None:
        super().__init__(deal)
        self.deal = deal
        self.deals = deals


@dataclass(frozen=True)
class BidChoice:
    """The bid to write for a deal.

    Attributes:
        model: The bid.
        action: ``"imported"``, ``"refreshed"`` or ``"seeded"``.
        replace: The deal's existing Bid sheet (replaced in place), else None.
    """

    model: BidModel
    action: str
    replace: str | None


def seed_model(pipeline: Pipeline, pos: int) -> BidModel:
    """A new bid for the deal at ``pos``: identity and criteria from its row, placeholder lines."""
    frame = pipeline.frame
    key = milestone_key(CRITERIA_MILESTONE)
    criteria: bool | None = None
    raw = pipeline.raw.get(key)
    tick = None if raw is None else parse_tick(raw[pos])
    if tick is not None:
        criteria = tick[0]
    elif key in frame and bool(frame[key].iloc[pos]):
        criteria = True  # blank tick but the milestone's date column is filled

    def text(field: str) -> str | None:
        value = frame[field].iloc[pos] if field in frame else None
        return None if value is None or value != value else str(value)

    return BidModel(
        deal_id=str(frame["deal_id"].iloc[pos]),
        customer=text("customer"),
        project=text("project"),
        cost_lines=tuple(CostLine(c, "", 1.0, None) for c in CostCategory),
        target_margin=SEED_TARGET_MARGIN,
        min_margin=SEED_MIN_MARGIN,
        criteria_favourable=criteria,
    )


def find_deal(pipeline: Pipeline | None, deal: str) -> int | None:
    """The position of the first deal row with the ID ``deal``, else None."""
    if pipeline is None:
        return None
    ids = pipeline.frame["deal_id"].to_numpy(dtype=object)
    hits = [i for i, d in enumerate(ids) if d is not None and str(d) == deal]
    return hits[0] if hits else None


def choose_bid(
    deal: str,
    entries: Sequence[BidEntry],
    pipeline: Pipeline | None,
    *,
    imported: BidModel | None = None,
    pos: int | None = None,
) -> BidChoice:
    """The bid for ``deal``: ``imported`` if given, else its Bid sheet's own inputs (refresh),
    else a new one seeded from its row.

    Args:
        deal: The deal's ID.
        entries: The workbook's Bid sheets (the first one naming the deal is its sheet).
        pipeline: The workbook's deals (None when it has none; only seeding needs them).
        imported: A bid from ``--json`` or built in Python.
        pos: The deal's row position when the caller knows it (the selected row), else the
            first row with the ID.

    Raises:
        UnusableBidSheet: the deal's sheet has inputs that cannot be used (and no import).
        UnknownDeal: nothing to import or refresh and no deal row has the ID.
    """
    existing = next((e for e in entries if e.deal_id == deal), None)
    replace = existing.sheet if existing is not None else None
    if imported is not None:
        return BidChoice(imported, "imported", replace)
    if existing is not None:
        if existing.model is None or existing.problems:
            raise UnusableBidSheet(existing)
        return BidChoice(existing.model, "refreshed", replace)
    where = find_deal(pipeline, deal) if pos is None else pos
    if pipeline is None or where is None:
        raise UnknownDeal(deal, 0 if pipeline is None else len(pipeline))
    return BidChoice(seed_model(pipeline, where), "seeded", None)
