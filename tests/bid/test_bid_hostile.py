"""Issue 15: hostile bid JSON is one line naming the field and the bound, exit code 2 — never
OverflowError, ZeroDivisionError, ValueError or RecursionError, never "inf CNY"."""

from __future__ import annotations

from pathlib import Path

import pytest

import hostile_corpus as corpus
from cli.cli_helpers import run

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("case", list(corpus.BID_JSON))
def test_hostile_bid_json_is_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bid = corpus.bid_json(tmp_path / "bid.json", case)
    expected = corpus.BID_JSON[case][1]
    code, out, err = run(capsys, "bid", "--json", str(bid), "-o", str(tmp_path / "out.xlsx"))
    assert code == 2 and expected in err and "inf CNY" not in out + err
    assert len(err) < 1000 and len(err.splitlines()) <= 3
    assert not (tmp_path / "out.xlsx").exists()
