"""Grading (GR): customers A-D by expected closing time and likelihood of closing.

"Put resources and time on A customers first." Bands come from the rule set (defaults: A <= 90
days and >= 60 %, B <= 180 days and >= 40 %, C <= 365 days and >= 20 %, D anything else).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import RuleSet, Text
from excelflow.rules import Context, hits, label_column, no_hits, rule


def grade_deals(
    probability: pd.Series, days: pd.Series, is_open: pd.Series, ruleset: RuleSet
) -> pd.DataFrame:
    """Per deal: ``grade`` (letter, None for deals that are not open) and ``action_zh/en``.

    A deal takes the first band whose limits it meets; a missing close date or probability meets
    no limit, so such deals fall through to the catch-all band.
    """
    prob = probability.to_numpy(dtype=float)
    days_arr = days.to_numpy(dtype=float)
    conditions = []
    for band in ruleset.grades:
        cond = np.ones(len(prob), dtype=bool)
        if band.max_days is not None:
            cond &= days_arr <= band.max_days
        if band.min_probability is not None:
            cond &= prob >= band.min_probability - 1e-9
        conditions.append(cond)
    chosen = np.select(conditions, np.arange(len(conditions)), default=len(conditions) - 1)
    chosen = np.where(is_open.to_numpy(dtype=bool), chosen + 1, 0)  # 0: not graded (not open)
    out = {"grade": label_column([None, *(b.grade for b in ruleset.grades)], chosen)}
    for lang in ("zh", "en"):
        out[f"action_{lang}"] = label_column(
            [None, *(b.action(lang) for b in ruleset.grades)], chosen
        )
    return pd.DataFrame(out, index=probability.index)


def parse_grade(given: pd.Series, letters: list[str]) -> pd.Series:
    """The letter a user wrote ("A", "a级", "Grade B"), or None when it names no known grade."""
    codes, uniques = pd.factorize(given, use_na_sentinel=True)
    found = [_GRADE_RE.search(str(u)) for u in uniques]
    parsed = [m.group(1).upper() if m else None for m in found]
    known = np.array([p if p in letters else None for p in parsed] + [None], dtype=object)
    return pd.Series(known[codes], index=given.index, dtype=object)


_GRADE_RE = re.compile(r"(?<![A-Za-z])([A-Za-z])(?![A-Za-z])")


@rule(
    "GR01",
    "grading.grade_mismatch",
    Severity.INFO,
    Text(
        zh="表中客户级别为 {given}，系统评级为 {grade}（距预计成交 {days} 天，赢率 {prob:.0%}）",
        en="The workbook grades this deal {given}; ExcelFlow grades it {grade} "
        "({days} days to close, {prob:.0%} probability)",
    ),
)
def grade_mismatch(ctx: Context) -> pd.DataFrame:
    """The workbook's own grade for an open deal differs from the grade the rule set computes.

    Bad row: Customer grade A, expected close in 200 days, probability 30 % (computes C). Fix:
    update the grade, or the close date / probability if those are what is out of date.
    """
    letters = [b.grade for b in ctx.ruleset.grades]
    if "grade" not in ctx.pipeline.present:
        return no_hits()
    given = parse_grade(ctx.frame["grade"], letters)
    computed = ctx.deals["grade"]
    candidates = np.flatnonzero((ctx.is_open & given.notna() & computed.notna()).to_numpy())
    differ = given.to_numpy()[candidates] != computed.to_numpy()[candidates]
    mask = np.zeros(len(given), dtype=bool)
    mask[candidates[differ]] = True
    # Only the hits need their days as text: "?" where unknown, else the whole number of days.
    raw_days = ctx.deals["days_to_close"].to_numpy(dtype=float)
    days = np.full(len(given), None, dtype=object)
    at = np.flatnonzero(mask)
    hit_days = raw_days[at]
    known = ~np.isnan(hit_days)
    picked = np.full(len(at), "?", dtype=object)
    picked[known] = hit_days[known].astype(np.int64).tolist()
    days[at] = picked
    return hits(
        mask,
        "grade",
        given=given,
        grade=computed,
        days=days,
        prob=ctx.deals["grade_probability"],
    )
