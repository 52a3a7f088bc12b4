"""The example deals of the pipeline template: twelve deals that tell the stage-gate story.

Checked as of 2026-11-28 with the standard rules they give exactly these findings:

======  ===============================================  ==========================
deal    story                                            finding (cell)
======  ===============================================  ==========================
D-1001  clean A deal in negotiation                      none
D-1002  at bidding without the coach and the criteria    SG01 (Coach), SG01 (Criteria)
D-1003  custom solution, first engaged at proposal       SG02 (First engaged stage)
D-1004  funding scored 1                                 EV02 (Eval: funding)
D-1005  graded A by the salesperson, computes C          GR01 (Customer grade)
D-1006  weak evaluation (score 38 of 100)                EV01 (Eval: price)
D-1007  won, in implementation                           none
D-1008  lost at bidding (criteria never in our favour)   none
D-1009  fresh lead, evaluated, grade D                   none
D-1010  withdrawn: criteria against us                   none
D-1011  clean B deal at bidding                          none
D-1012  custom solution entered early                    none
======  ===============================================  ==========================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from excelflow.pipeline.fields import all_fields, factor_key, milestone_date_key, milestone_key
from excelflow.pipeline.ruleset import Lang, RuleSet, Text

STATUS = {
    "zh": {"open": "进行中", "won": "赢单", "lost": "丢单", "withdrawn": "放弃"},
    "en": {"open": "Open", "won": "Won", "lost": "Lost", "withdrawn": "Withdrawn"},
}
YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
TICK = "✓"


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


@dataclass(frozen=True)
class Example:
    """One example deal, independent of the language and (mostly) of the rule set.

    Milestones of the stages before ``stage`` are ticked except those in ``missing``; ``ahead``
    lists milestones already reached in the current stage or later. Factors not in ``scores``
    score ``base``.
    """

    deal_id: str
    customer: Text
    project: Text
    owner: Text
    status: str
    stage: int
    first_stage: int
    custom: bool
    close: dt.date
    probability: float
    amount: int
    grade: str | None = None
    missing: tuple[str, ...] = ()
    ahead: tuple[str, ...] = ()
    dates: Mapping[str, dt.date] = field(default_factory=dict)
    scores: Mapping[str, int] = field(default_factory=dict)
    base: int = 4


D = dt.date
OWNERS = {
    "zhang": _t("张伟", "Alice Chen"),
    "li": _t("李娜", "Bob Li"),
    "wang": _t("王强", "Carol Wang"),
    "liu": _t("刘洋", "David Liu"),
    "chen": _t("陈静", "Eva Zhang"),
}

EXAMPLES: tuple[Example, ...] = (
    Example(
        "D-1001", _t("华东电网", "Northwind Grid"), _t("调度系统升级", "Dispatch system upgrade"),
        OWNERS["zhang"], "open", 5, 1, False, D(2027, 1, 29), 0.8, 2_860_000, "A",
        ahead=("contract_approved",), dates={"bid_submitted": D(2026, 10, 16)},
        scores={"project_level": 5, "relationship": 5, "price": 3},
    ),
    Example(
        "D-1002", _t("星河制药", "Helios Pharma"), _t("生产线自动化", "Line automation"),
        OWNERS["li"], "open", 4, 1, False, D(2027, 2, 26), 0.6, 1_750_000,
        missing=("coach", "criteria"), scores={"relationship": 3, "solution": 3},
    ),
    Example(
        "D-1003", _t("蓝海物流", "Bluewater Logistics"),
        _t("仓储管理系统", "Warehouse management system"),
        OWNERS["wang"], "open", 3, 3, True, D(2027, 5, 14), 0.4, 1_200_000, "B",
        scores={"technical_fit": 3, "relationship": 3},
    ),
    Example(
        "D-1004", _t("北辰汽车", "Polaris Motors"), _t("数据中心改造", "Data centre refit"),
        OWNERS["liu"], "open", 2, 1, False, D(2027, 8, 31), 0.2, 3_400_000, "C",
        scores={"funding": 1, "project_level": 5},
    ),
    Example(
        "D-1005", _t("中科仪器", "Quanta Instruments"),
        _t("实验室信息化", "Lab information system"),
        OWNERS["chen"], "open", 3, 1, False, D(2027, 9, 30), 0.4, 680_000, "A",
        scores={"price": 3},
    ),
    Example(
        "D-1006", _t("东方港务", "Eastport Authority"),
        _t("码头设备监控", "Terminal equipment monitoring"),
        OWNERS["zhang"], "open", 2, 2, False, D(2027, 10, 29), 0.2, 450_000, "C",
        scores={
            "project_level": 3, "funding": 3, "technical_fit": 3, "relationship": 2,
            "credit": 3, "product": 3, "price": 1, "solution": 2, "service": 2,
        },
    ),
    Example(
        "D-1007", _t("南方水务", "Southern Water"), _t("智能水表", "Smart metering"),
        OWNERS["li"], "won", 6, 1, False, D(2026, 10, 30), 1.0, 980_000,
        dates={"bid_submitted": D(2026, 8, 20), "contract_signed": D(2026, 10, 28)},
        scores={"credit": 5, "service": 5},
    ),
    Example(
        "D-1008", _t("天成钢铁", "Titan Steel"), _t("能耗监测平台", "Energy monitoring platform"),
        OWNERS["wang"], "lost", 4, 2, False, D(2026, 11, 20), 0.6, 1_500_000,
        missing=("criteria",), ahead=("bid_submitted",), dates={"bid_submitted": D(2026, 11, 6)},
        scores={"price": 2, "relationship": 3},
    ),
    Example(
        "D-1009", _t("云杉医院", "Spruce Hospital"), _t("门诊信息系统", "Outpatient system"),
        OWNERS["chen"], "open", 1, 1, False, D(2027, 12, 17), 0.1, 2_100_000, "D",
        scores={"relationship": 3, "technical_fit": 5},
    ),
    Example(
        "D-1010", _t("金桥地铁", "Metro Link"), _t("综合监控系统", "Integrated supervision"),
        OWNERS["liu"], "withdrawn", 4, 2, False, D(2027, 3, 31), 0.3, 5_200_000,
        missing=("criteria",), scores={"solution": 2, "price": 2},
    ),
    Example(
        "D-1011", _t("恒信银行", "Keystone Bank"), _t("网点设备更新", "Branch equipment refresh"),
        OWNERS["chen"], "open", 4, 1, False, D(2027, 4, 30), 0.6, 890_000, "B",
        scores={"credit": 5},
    ),
    Example(
        "D-1012", _t("远景能源", "Vista Energy"), _t("风场集控升级", "Wind farm control upgrade"),
        OWNERS["wang"], "open", 3, 1, True, D(2027, 6, 30), 0.45, 2_450_000, "C",
        scores={"solution": 5, "technical_fit": 5},
    ),
)  # fmt: skip


def example_rows(ruleset: RuleSet, lang: Lang) -> list[dict[str, Any]]:
    """The example deals as rows of cell values keyed by field (``all_fields`` keys)."""
    keys = [f.key for f in all_fields(ruleset)]
    return [{k: v for k, v in _row(ex, ruleset, lang).items() if k in keys} for ex in EXAMPLES]


def _row(ex: Example, rs: RuleSet, lang: Lang) -> dict[str, Any]:
    last = len(rs.stages)
    stage = rs.stage(min(ex.stage, last))
    first = rs.stage(min(ex.first_stage, last))
    yes, no = YES_NO[lang]
    row: dict[str, Any] = {
        "deal_id": ex.deal_id,
        "customer": ex.customer(lang),
        "project": ex.project(lang),
        "owner": ex.owner(lang),
        "status": STATUS[lang][ex.status],
        "stage": stage.name(lang),
        "first_stage": first.name(lang),
        "custom_solution": yes if ex.custom else no,
        "expected_close": ex.close,
        "probability": ex.probability,
        "amount": ex.amount,
        "grade": ex.grade,
    }
    for ms in rs.milestones:
        done = (ms.stage < stage.number and ms.key not in ex.missing) or ms.key in ex.ahead
        row[milestone_key(ms.key)] = TICK if done else None
        if ms.date_column is not None:
            row[milestone_date_key(ms.key)] = ex.dates.get(ms.key) if done else None
    low, high = rs.scale_min, rs.scale_max
    for fa in rs.factors:
        score = float(ex.scores.get(fa.key, ex.base))
        row[factor_key(fa.key)] = int(min(high, max(low, score)))
    return row
