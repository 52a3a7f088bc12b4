"""Stage gates (SG): a deal may only be at stage k when the milestones of stages 1..k-1 are there.

"If the milestone is not reached, the process cannot enter the next stage; if it is forced into
the next stage anyway, the project's probability of success drops sharply."
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.fields import milestone_date_key, milestone_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import RuleSet, Text
from excelflow.rules import Context, hits, label_column, no_hits, rule, stage_names


def unknown_milestones(present: Collection[str], ruleset: RuleSet) -> frozenset[str]:
    """Keys of the milestone parts that cannot be checked: the sheet has neither their tick nor
    their date column, and the rule set treats such a column as unknown (the default)."""
    if ruleset.missing_milestone_column != "unknown":
        return frozenset()
    return frozenset(
        ms.key
        for ms in ruleset.milestones
        if milestone_key(ms.key) not in present and milestone_date_key(ms.key) not in present
    )


def missing_parts(
    frame: pd.DataFrame,
    ruleset: RuleSet,
    is_open: pd.Series,
    unknown: Collection[str] = frozenset(),
) -> pd.DataFrame:
    """Boolean frame (deals x milestone keys): True where an open deal is past that milestone's
    stage but the milestone part is not ticked (nor dated). A part in ``unknown`` (its column is
    absent) is never missing: it cannot be checked."""
    stage = frame["stage"].astype("Float64").fillna(0).to_numpy(dtype=float)
    open_ = is_open.to_numpy(dtype=bool)
    out = {}
    for ms in ruleset.milestones:
        if ms.key in unknown:
            out[ms.key] = np.zeros(len(frame), dtype=bool)
            continue
        done = frame[milestone_key(ms.key)].to_numpy(dtype=bool)
        out[ms.key] = open_ & (stage > ms.stage) & ~done
    return pd.DataFrame(out, index=frame.index)


def unchecked_gates(frame: pd.DataFrame, ruleset: RuleSet, unknown: Collection[str]) -> np.ndarray:
    """Per deal: True when the deal is past a stage whose milestone part cannot be checked."""
    stage = frame["stage"].astype("Float64").fillna(0).to_numpy(dtype=float)
    stages = [ms.stage for ms in ruleset.milestones if ms.key in unknown]
    if not stages:
        return np.zeros(len(frame), dtype=bool)
    out: np.ndarray = stage > min(stages)
    return out


def gate_summary(missing: pd.DataFrame, ruleset: RuleSet) -> pd.DataFrame:
    """Per deal: missing part count, missing milestone (stage) count, and the missing parts as
    text in both languages (``"内线; 采购标准"``)."""
    parts = missing.sum(axis=1).to_numpy()
    bits = missing.to_numpy(dtype=bool)
    stages_missing = np.zeros(len(missing), dtype=int)
    column = {key: i for i, key in enumerate(missing.columns)}
    for stage in ruleset.stages:
        at = [column[m.key] for m in stage.milestones]
        if at:
            stages_missing += bits[:, at].any(axis=1)
    # Deals share few distinct gaps: label each distinct pattern once, then spread to the deals.
    pattern = (
        bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))
        if bits.size
        else np.zeros(len(missing), dtype=np.int64)
    )
    codes, uniques = pd.factorize(pattern)
    text: dict[str, Any] = {}
    for lang in ("zh", "en"):
        labels = [f"M{ms.stage} {ms.column(lang)}" for ms in ruleset.milestones]
        per_pattern = ["; ".join(lb for i, lb in enumerate(labels) if p >> i & 1) for p in uniques]
        text[lang] = label_column(per_pattern, codes)
    return pd.DataFrame(
        {
            "missing_parts": parts,
            "missing_milestones": stages_missing,
            "missing_zh": text["zh"],
            "missing_en": text["en"],
        },
        index=missing.index,
    )


@rule(
    "SG01",
    "stage_gate.milestone_missing",
    Severity.WARNING,
    Text(
        zh="强行推进：商机处于第{stage}阶段（{stage_name}），但缺少第{ms_stage}阶段的关键节点"
        "「{milestone}」，赢率按规则下调",
        en="Forced advance: the deal is at stage {stage} ({stage_name}) without the stage "
        "{ms_stage} milestone '{milestone}'; its probability is cut",
    ),
)
def forced_advance(ctx: Context) -> pd.DataFrame:
    """An open deal at stage k lacks a milestone part of an earlier stage (forced advance).

    One finding per missing part, on that part's cell. Bad row: stage 4 (Bidding) with the
    Coach column blank. Fix: record the milestone (tick it or enter the date) or move the deal
    back to the stage it has really reached.
    """
    missing = ctx.missing
    stage = ctx.frame["stage"]
    stage_name = stage_names(ctx.ruleset, stage)
    frames = [
        hits(
            missing[ms.key],
            milestone_key(ms.key),
            stage=stage,
            stage_name=stage_name,
            ms_stage=ms.stage,
            milestone=ms.name,
        )
        for ms in ctx.ruleset.milestones
        if missing[ms.key].any()
    ]
    return pd.concat(frames, ignore_index=True) if frames else no_hits()


@rule(
    "SG02",
    "stage_gate.late_entry",
    Severity.WARNING,
    Text(
        zh="介入过晚：客户需要定制/非标方案，但我方首次介入已在第{first}阶段（{first_name}）；"
        "此类商机应在第{limit}阶段之前介入",
        en="Late entry: the customer needs a custom or non-standard solution but we first "
        "engaged at stage {first} ({first_name}); enter such deals before stage {limit}",
    ),
)
def late_entry(ctx: Context) -> pd.DataFrame:
    """A deal needing a custom / non-standard solution was first engaged at stage 3 or later.

    "The earlier the seller enters, the higher the chance." Bad row: Custom solution ✓, First
    engaged stage 3 (Proposal). Fix: nothing to fix in the data — weigh the deal accordingly, or
    correct the first engaged stage if it was earlier.
    """
    limit = ctx.ruleset.late_entry_stage
    first = ctx.frame["first_stage"]
    mask = (
        ctx.is_open
        & ctx.frame["custom_solution"].astype(bool)
        & first.ge(limit).fillna(False).astype(bool)
    )
    return hits(
        mask, "first_stage", first=first, first_name=stage_names(ctx.ruleset, first), limit=limit
    )
