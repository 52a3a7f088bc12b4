"""Opportunity evaluation (EV): "not every project is an opportunity".

Each factor is scored on the rule set's scale (default 1-5) and weighted into a 0-100 score with a
pass mark; knock-out factors (funding risk, too small, technically unreachable) fail the
evaluation whatever the score. A failed deal gets a recommendation, never a deletion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from excelflow.pipeline.fields import factor_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import RuleSet, Text
from excelflow.rules import Context, hits, label_column, no_hits, rule


def evaluate(frame: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Per deal: ``score`` (0-100, over the factors answered, or NaN when none is), ``answered``
    (count), ``knockout`` (bool) and ``evaluation`` ("pass", "fail", "knockout" or None)."""
    span = ruleset.scale_max - ruleset.scale_min
    scores = np.column_stack(
        [frame[factor_key(f.key)].to_numpy(dtype=float) for f in ruleset.factors]
    )
    weights = np.array([f.weight for f in ruleset.factors], dtype=float)
    answered = ~np.isnan(scores)
    weight_sum = (answered * weights).sum(axis=1)
    points = scores - ruleset.scale_min  # in place from here: (scores - min) / span * weights
    points /= span
    np.nan_to_num(points, copy=False)
    points *= weights
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(weight_sum > 0, points.sum(axis=1) / weight_sum * 100, np.nan)
    knockout = np.zeros(len(frame), dtype=bool)
    for i, fa in enumerate(ruleset.factors):
        if fa.knockout_at_or_below is not None:
            knockout |= answered[:, i] & (scores[:, i] <= fa.knockout_at_or_below)
    result = np.select([knockout, np.isnan(score), score >= ruleset.pass_mark], [0, 1, 2], 3)
    return pd.DataFrame(
        {
            "score": score,
            "answered": answered.sum(axis=1),
            "knockout": knockout,
            "evaluation": label_column(["knockout", None, "pass", "fail"], result),
        },
        index=frame.index,
    )


@rule(
    "EV01",
    "evaluation.below_pass_mark",
    Severity.WARNING,
    Text(
        zh="评估得分 {score:.0f} 低于及格线 {pass_mark:g}：建议{recommendation}",
        en="Evaluation score {score:.0f} is below the pass mark {pass_mark:g}: {recommendation}",
    ),
)
def below_pass_mark(ctx: Context) -> pd.DataFrame:
    """An open deal's weighted evaluation score is below the rule set's pass mark.

    The finding sits on the lowest-scored factor's cell. Bad row: factors scored 2, 2, 3, 2, 3,
    2, 2, 3, 2 (score 25 of 100, pass mark 60). Fix: give up or lower the contact level
    (放弃或降低接触级别), or re-score the factors if they are out of date.
    """
    ev = ctx.evaluation
    failed = ev["evaluation"].to_numpy(dtype=object) == "fail"
    mask = ctx.is_open.to_numpy(dtype=bool) & failed
    if not mask.any():
        return no_hits()
    keys = [factor_key(f.key) for f in ctx.ruleset.factors]
    scores = ctx.frame.loc[mask, keys].to_numpy(dtype=float)
    lowest = np.full(len(mask), None, dtype=object)
    lowest[mask] = np.asarray(keys, dtype=object)[np.nanargmin(scores, axis=1)]
    return hits(
        mask,
        lowest,
        score=ev["score"],
        pass_mark=ctx.ruleset.pass_mark,
        recommendation=ctx.ruleset.recommendation,
    )


@rule(
    "EV02",
    "evaluation.knockout",
    Severity.WARNING,
    Text(
        zh="否决项：{reason}（「{factor}」评分 {points:g}）：建议{recommendation}",
        en="Knock-out: {reason} ({factor} scored {points:g}): {recommendation}",
    ),
)
def knockout(ctx: Context) -> pd.DataFrame:
    """An open deal scores at or below a knock-out factor's threshold, whatever its total.

    Knock-outs: funding at risk, too small to be worth it, technically out of our reach.
    One finding per knocked-out factor, on its cell. Bad row: Eval: funding = 1. Fix: give up or
    lower the contact level (放弃或降低接触级别) until the factor changes.
    """
    frames = []
    for fa in ctx.ruleset.factors:
        if fa.knockout_at_or_below is None or fa.knockout_reason is None:
            continue
        values = ctx.frame[factor_key(fa.key)]
        mask = ctx.is_open & values.le(fa.knockout_at_or_below).fillna(False)
        if mask.any():
            frames.append(
                hits(
                    mask,
                    factor_key(fa.key),
                    reason=fa.knockout_reason,
                    factor=fa.name,
                    points=values,
                    recommendation=ctx.ruleset.recommendation,
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else no_hits()
