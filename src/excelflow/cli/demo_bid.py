"""The demo bid: a priced stage-4 bid for the template's deal D-1011 (Keystone Bank / 恒信银行).

``make demo`` calls :func:`demo_bid` to write ``out/pipeline.bid.xlsx`` (the template with a
filled-in Bid sheet): branch equipment refresh, three competitors (one with a P(beat) history,
two with a bid/cost ratio model), Gates model, budget 900 000 and a quote of 850 000.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from excelflow.bid.competitors import Competitor
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.cli.bid import BidOutcome, write_bid
from excelflow.pipeline.ruleset import Lang, Text

DEMO_DEAL = "D-1011"

_LINES: tuple[tuple[CostCategory, Text, float, float, str | None], ...] = (
    (CostCategory.EQUIPMENT, Text("智能柜员机", "Teller machines"), 6, 52_000, "GRG"),
    (CostCategory.EQUIPMENT, Text("网点服务器", "Branch servers"), 3, 28_000, "Inspur"),
    (CostCategory.SOFTWARE, Text("终端管理软件", "Device management licence"), 1, 64_000, None),
    (CostCategory.ENGINEERING, Text("安装调试", "Installation and commissioning"), 12, 6_500, None),
    (CostCategory.SERVICES, Text("三年维保", "Three-year maintenance"), 3, 26_000, None),
    (CostCategory.LOGISTICS, Text("运输与保险", "Freight and insurance"), 1, 9_500, None),
    (CostCategory.FINANCING, Text("履约保函", "Performance bond"), 1, 6_000, None),
    (CostCategory.CONTINGENCY, Text("不可预见费", "Contingency"), 1, 18_000, None),
)


def demo_model(lang: Lang, customer: str | None = None, project: str | None = None) -> BidModel:
    """The demo bid for D-1011 with descriptions in ``lang``."""
    names = {
        "zh": ("竞争对手甲", "竞争对手乙", "竞争对手丙"),
        "en": ("Rival A", "Rival B", "Rival C"),
    }
    a, b, c = names[lang]
    return BidModel(
        deal_id=DEMO_DEAL,
        customer=customer or Text("恒信银行", "Keystone Bank")(lang),
        project=project or Text("网点设备更新", "Branch equipment refresh")(lang),
        cost_lines=tuple(
            CostLine(cat, text(lang), qty, unit, supplier)
            for cat, text, qty, unit, supplier in _LINES
        ),
        overhead_pct=0.06,
        target_margin=0.22,
        min_margin=0.08,
        budget=900_000.0,
        quoted_price=850_000.0,
        our_rank=2,
        criteria_favourable=True,
        competitors=(
            Competitor(
                a,
                rank=1,
                p_beat=((0.05, 0.85), (0.10, 0.65), (0.15, 0.45), (0.25, 0.20)),
            ),
            Competitor(b, rank=3, ratio_mean=1.18, ratio_sd=0.08),
            Competitor(c, expected_price=880_000.0, ratio_mean=1.25, ratio_sd=0.12),
        ),
        win_model="gates",
        withdraw_threshold=10_000.0,
    )


def demo_bid(template: Path, out: Path, lang: Lang, as_of: dt.date) -> BidOutcome:
    """Write the template plus the demo Bid sheet to ``out`` (the template is not changed).

    Raises:
        excelflow.cli.bid.BidCommandError: the template has no deal D-1011.
        excelflow.pipeline.read.ReadError: the template cannot be read.
    """
    return write_bid(template, DEMO_DEAL, None, out, lang=lang, as_of=as_of, model=demo_model(lang))
