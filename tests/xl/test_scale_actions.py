"""The Validate button on 5,000 deals through xlwings' own dispatcher (``custom_scripts_call``
on ``xw.Book(json=...)``): how many actions Excel has to apply (issue 16).

Values go in one write per block, fills as colour matrices over ranges, so everything but the
notes is a fixed number of actions, whatever the number of deals. Notes are one action per
flagged cell: Excel and xlwings have no bulk note call. No timing is asserted here (``make
bench`` measures); the counts are what this test pins.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from excelflow.pipeline.fields import SHEETS
from excelflow.workbook.sample import sample_deals, write_sample
from xl.macro_support import payload_of, run

AS_OF = dt.date(2026, 11, 28)


def test_validate_on_5000_deals_sends_a_bounded_number_of_actions(tmp_path: Path) -> None:
    headers, rows = sample_deals(5000, as_of=AS_OF)
    path = write_sample(tmp_path / "big.xlsx", headers, rows, sheet=SHEETS["deals"]("en"))
    actions, book = run("validate_pipeline", payload_of(path), None, AS_OF.isoformat())
    funcs = Counter(a["func"] for a in actions)
    notes = funcs.pop("addNote", 0)
    assert sum(funcs.values()) < 200, funcs.most_common()
    assert funcs["setValues"] <= 5  # result columns, Findings, Dashboard: one block each
    assert funcs["setRangeColors"] <= 10  # fills as matrices, not per cell
    flagged = {a["args"][0] for a in actions if a["func"] == "addNote"}
    assert notes == len(flagged) > 500  # one note per flagged cell, never two
    assert "Findings" in book.names and "Dashboard" in book.names
