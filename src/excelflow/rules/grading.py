"""Grading (GR): customers A-D by expected closing time and likelihood of closing.

"Put resources and time on A customers first." Bands come from the rule set (defaults: A <= 90
days and >= 60 %, B <= 180 days and >= 40 %, C <= 365 days and >= 20 %, D anything else).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from excelflow.findings import Severity
from excelflow.rules import Context, hits, rule
from excelflow.ruleset import RuleSet, Text


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
    letters = [b.grade for b in ruleset.grades]
    grade = np.select(conditions, letters, default=letters[-1]).astype(object)
    open_ = is_open.to_numpy(dtype=bool)
    grade[~open_] = None
    out = {"grade": grade}
    for lang in ("zh", "en"):
        actions = {b.grade: b.action(lang) for b in ruleset.grades}
        out[f"action_{lang}"] = np.array([None] + [actions[g] for g in letters], dtype=object)[
            np.select([grade == g for g in letters], range(1, len(letters) + 1), default=0)
        ]
    return pd.DataFrame(out, index=probability.index)


def parse_grade(given: pd.Series, letters: list[str]) -> pd.Series:
    """The letter a user wrote ("A", "a级", "B 级客户"), or None when it names no known grade."""
    letter = given.astype("string").str.extract(r"(?<![A-Za-z])([A-Za-z])(?![A-Za-z])")[0]
    letter = letter.str.upper()
    return letter.where(letter.isin(letters)).astype(object).where(letter.isin(letters), None)


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
    given = parse_grade(ctx.frame["grade"], letters)
    computed = ctx.deals["grade"]
    mask = ctx.is_open & given.notna() & computed.notna() & (given != computed)
    days = (
        ctx.deals["days_to_close"]
        .astype("Int64")
        .astype(object)
        .where(ctx.deals["days_to_close"].notna(), "?")
    )
    return hits(
        mask,
        "grade",
        given=given,
        grade=computed,
        days=days,
        prob=ctx.deals["grade_probability"],
    )
