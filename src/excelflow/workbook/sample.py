"""Generate realistic pipelines for demos, tests and benchmarks (zh or en headers).

``sample_deals`` returns headers and rows shaped like a sales team's Deals sheet. With
``violations=True`` the first rows break every rule family on purpose (forced advance, late entry,
failed evaluation, knock-out, grade mismatch, each data-quality problem); the rest are plausible
deals where a share of them skip a milestone, as real pipelines do.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from excelflow.pipeline.fields import (
    BASE_FIELDS,
    factor_key,
    input_fields,
    milestone_date_key,
    milestone_key,
    ruleset_fields,
)
from excelflow.pipeline.ruleset import Lang, RuleSet, load_ruleset

CUSTOMERS = {
    "zh": [
        "华东电网",
        "星河制药",
        "蓝海物流",
        "北辰汽车",
        "中科仪器",
        "南方水务",
        "天成钢铁",
        "云杉医院",
        "金桥地铁",
        "东方港务",
        "恒信银行",
        "远景能源",
    ],
    "en": [
        "Northwind Grid",
        "Helios Pharma",
        "Bluewater Logistics",
        "Polaris Motors",
        "Quanta Instruments",
        "Southern Water",
        "Titan Steel",
        "Spruce Hospital",
        "Metro Link",
        "Eastport Authority",
        "Keystone Bank",
        "Vista Energy",
    ],
}
PROJECTS = {
    "zh": [
        "调度系统升级",
        "生产线自动化",
        "仓储管理系统",
        "数据中心改造",
        "实验室信息化",
        "智能水表",
        "能耗监测平台",
        "门诊信息系统",
    ],
    "en": [
        "Dispatch system upgrade",
        "Line automation",
        "Warehouse management",
        "Data centre refit",
        "Lab information system",
        "Smart metering",
        "Energy monitoring",
        "Outpatient system",
    ],
}
OWNERS = {
    "zh": ["张伟", "李娜", "王强", "刘洋", "陈静"],
    "en": ["Alice Chen", "Bob Li", "Carol Wang", "David Liu", "Eva Zhang"],
}
STATUS = {"zh": ["进行中", "赢单", "丢单", "放弃"], "en": ["open", "won", "lost", "withdrawn"]}
TICK = {"zh": "是", "en": "✓"}


def sample_headers(ruleset: RuleSet, lang: Lang) -> list[str]:
    """Every input column of the rule set, in template order, in ``lang``."""
    return [f.header(lang) for f in input_fields(ruleset)]


def sample_deals(
    n: int = 60,
    *,
    lang: Lang = "en",
    seed: int = 7,
    as_of: dt.date = dt.date(2026, 11, 28),
    violations: bool = True,
    ruleset: RuleSet | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """Headers and ``n`` deal rows (blank cells as None)."""
    rs = ruleset or load_ruleset()
    rng = random.Random(seed)
    headers = sample_headers(rs, lang)
    col = {h: i for i, h in enumerate(headers)}
    keys = _header_keys(rs, lang)
    rows = [_clean_row(i, rng, rs, lang, as_of, keys, col, skip=violations) for i in range(n)]
    if violations:
        _inject(rows, rs, lang, as_of, keys, col)
    return headers, rows


def _header_keys(rs: RuleSet, lang: Lang) -> dict[str, str]:
    base = {f.key: f.header(lang) for f in BASE_FIELDS}
    return {**base, **{f.key: f.header(lang) for f in ruleset_fields(rs)}}


def _clean_row(
    i: int,
    rng: random.Random,
    rs: RuleSet,
    lang: Lang,
    as_of: dt.date,
    keys: dict[str, str],
    col: dict[str, int],
    *,
    skip: bool,
) -> list[Any]:
    row: list[Any] = [None] * len(col)

    def put(key: str, value: Any) -> None:
        row[col[keys[key]]] = value

    stage = rng.choices(
        range(1, len(rs.stages) + 1), weights=[30, 25, 20, 12, 8, 5][: len(rs.stages)]
    )[0]
    status_i = rng.choices(range(4), weights=[85, 8, 5, 2])[0]
    if status_i == 1:  # a won deal has reached the last stage, its contract signed (CL02/CL03)
        stage = len(rs.stages)
    put("deal_id", f"D-{i + 1:05d}")
    put("customer", rng.choice(CUSTOMERS[lang]))
    put("project", rng.choice(PROJECTS[lang]))
    put("owner", rng.choice(OWNERS[lang]))
    put("status", STATUS[lang][status_i])
    put("stage", rs.stage(stage).name(lang) if rng.random() < 0.5 else stage)
    put("first_stage", rng.choice([1, 1, 1, 2]) if stage > 1 else 1)
    custom = rng.random() < 0.3
    put("custom_solution", TICK[lang] if custom else None)
    put("expected_close", as_of + dt.timedelta(days=rng.randint(15, 420)))
    default = rs.stage(stage).probability or 0.5
    put("probability", round(min(0.95, max(0.05, default + rng.uniform(-0.1, 0.1))), 2))
    put("amount", round(rng.lognormvariate(13, 0.8), -3))
    for ms in rs.milestones:
        if ms.stage < stage:
            missed = skip and rng.random() < 0.08
            if not missed:
                put(milestone_key(ms.key), TICK[lang])
                if ms.date_column is not None:
                    put(milestone_date_key(ms.key), as_of - dt.timedelta(days=rng.randint(5, 90)))
    for fa in rs.factors:
        low = 1 if skip and rng.random() < 0.02 else 3
        put(factor_key(fa.key), rng.randint(low, 5))
    return row


def _inject(
    rows: list[list[Any]],
    rs: RuleSet,
    lang: Lang,
    as_of: dt.date,
    keys: dict[str, str],
    col: dict[str, int],
) -> None:
    """Make the first rows break one rule each, so every code shows up."""
    zh = lang == "zh"

    def put(r: int, key: str, value: Any) -> None:
        if r < len(rows):
            rows[r][col[keys[key]]] = value

    for r in range(min(12, len(rows))):  # start from open stage-2 deals with every gate met
        put(r, "status", STATUS[lang][0])
        put(r, "stage", 2)
        put(r, "first_stage", 1)
        put(r, "custom_solution", None)
        put(r, "probability", 0.3)
        put(r, "grade", None)
        put(r, milestone_key("evaluated"), TICK[lang])
    put(0, "stage", 4)  # SG01: at bidding without the stage 2/3 milestones
    put(0, milestone_key("coach"), None)
    put(0, milestone_key("criteria"), "否" if zh else "No")
    put(1, "custom_solution", TICK[lang])  # SG02: custom solution, first engaged at proposal
    put(1, "stage", 3)
    put(1, milestone_key("key_persons"), TICK[lang])
    put(1, milestone_key("coach"), TICK[lang])
    put(1, "first_stage", "提案阶段" if zh else "Proposal")
    for fa in rs.factors:  # EV01: every factor scored 2
        put(2, factor_key(fa.key), 2)
    put(3, factor_key("funding"), 1)  # EV02: funding at risk
    put(4, "grade", "A")  # GR01: graded A, computes C
    put(4, "expected_close", as_of + dt.timedelta(days=300))
    put(5, "customer", None)  # DQ01: no customer
    put(6, "deal_id", "D-00001")  # DQ02: duplicate of the first deal
    put(7, "stage", "签约" if zh else "Closing")  # DQ03: not a stage
    put(8, "expected_close", "明年春天" if zh else "next spring")  # DQ04
    put(9, "expected_close", as_of - dt.timedelta(days=45))  # DQ05: past close date
    put(10, "probability", 150)  # DQ06: out of range


def write_sample(
    path: Path, headers: list[str], rows: list[list[Any]], *, sheet: str = "Deals"
) -> Path:
    """Write headers and rows to an .xlsx (openpyxl, write-only) or .csv file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerows(["" if v is None else v for v in r] for r in rows)
        return path
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path
