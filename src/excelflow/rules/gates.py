"""Stage gates (SG): a deal may only be at stage k when the milestones of stages 1..k-1 are there.

"If the milestone is not reached, the process cannot enter the next stage; if it is forced into
the next stage anyway, the project's probability of success drops sharply."
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.coerce import repeated
from excelflow.pipeline.fields import factor_key, milestone_date_key, milestone_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.ruleset import EVALUATION_FACTORS, Milestone, RuleSet, Text, proof_key
from excelflow.rules import Context, hits, label_column, no_hits, rule, stage_names


def unknown_milestones(present: Collection[str], ruleset: RuleSet) -> frozenset[str]:
    """Keys of the milestone parts that cannot be checked: the sheet has neither their tick nor
    their date column, and the rule set treats such a column as unknown (the default)."""
    if ruleset.missing_milestone_column != "unknown":
        return frozenset()
    return frozenset(
        ms.key
        for ms in ruleset.milestones
        if milestone_key(ms.key) not in present
        and milestone_date_key(ms.key) not in present
        and not provable(ms, ruleset, present)
    )


def proof_columns(ms: Milestone, ruleset: RuleSet) -> tuple[str, ...]:
    """The field keys of the columns that prove ``ms`` (its ``proof``; ``evaluation_factors``
    stands for every factor's score column)."""
    out: list[str] = []
    for name in map(proof_key, ms.proof):
        if name == EVALUATION_FACTORS:
            out.extend(factor_key(fa.key) for fa in ruleset.factors)
        else:
            out.append(name)
    return tuple(out)


def provable(ms: Milestone, ruleset: RuleSet, present: Collection[str]) -> bool:
    """Whether the sheet has every column that proves ``ms`` (so the proof can be checked)."""
    cols = proof_columns(ms, ruleset)
    return bool(cols) and all(c in present for c in cols)


def proved_parts(frame: pd.DataFrame, ruleset: RuleSet, present: Collection[str]) -> pd.DataFrame:
    """Boolean frame (deals x milestone keys): every column of the part's ``proof`` is filled
    (a score, a grade, a text that is not blank). False for a part without a proof, or when
    the sheet lacks one of its proof columns."""
    out = {}
    for ms in ruleset.milestones:
        filled = np.zeros(len(frame), dtype=bool)
        if provable(ms, ruleset, present):
            filled = ~filled
            for col in proof_columns(ms, ruleset):
                values = frame[col]
                blank = values.isna().to_numpy(dtype=bool, copy=True)
                if values.dtype == object:
                    text = values.astype(str).str.strip().to_numpy(dtype=object)
                    blank |= text == ""
                filled &= ~blank
        out[ms.key] = filled
    return pd.DataFrame(out, index=frame.index)


def planned_parts(pipeline: Pipeline, ruleset: RuleSet, as_of: pd.Timestamp) -> pd.DataFrame:
    """Dates frame (deals x milestone keys): the date a milestone part is given for when that
    date is after ``as_of`` — a plan, not a milestone reached — else NaT.

    The date in the tick cell counts first, then the part's date column; a tick (✓) beside a
    future date is a plan too: the date says when.
    """
    frame = pipeline.frame
    nat = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    out = {}
    for ms in ruleset.milestones:
        tick = pipeline.tick_dates.get(milestone_key(ms.key))
        dated = frame.get(milestone_date_key(ms.key))
        given = nat if tick is None else tick.set_axis(frame.index)
        if dated is not None:
            given = given.fillna(dated)
        out[ms.key] = given.where(given.gt(as_of).fillna(False).astype(bool))
    return pd.DataFrame(out, index=frame.index)


def done_parts(
    frame: pd.DataFrame,
    ruleset: RuleSet,
    planned: pd.DataFrame,
    present: Collection[str] = frozenset(),
) -> pd.DataFrame:
    """Boolean frame (deals x milestone keys): the part is ticked or dated, or proved by its
    ``proof`` columns (all filled; needs ``present``, the sheet's field keys), and not only
    planned (dated after the as-of date)."""
    proved = proved_parts(frame, ruleset, present)
    return pd.DataFrame(
        {
            ms.key: (frame[milestone_key(ms.key)].to_numpy(dtype=bool) | proved[ms.key].to_numpy())
            & planned[ms.key].isna().to_numpy(dtype=bool)
            for ms in ruleset.milestones
        },
        index=frame.index,
    )


def missing_parts(
    frame: pd.DataFrame,
    ruleset: RuleSet,
    is_open: pd.Series,
    unknown: Collection[str] = frozenset(),
    done: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Boolean frame (deals x milestone keys): True where an open deal is past that milestone's
    stage but the milestone part is not done (``done``, default: ticked or dated). A part in
    ``unknown`` (its column is absent) is never missing: it cannot be checked."""
    stage = frame["stage"].astype("Float64").fillna(0).to_numpy(dtype=float)
    open_ = is_open.to_numpy(dtype=bool)
    out = {}
    for ms in ruleset.milestones:
        if ms.key in unknown:
            out[ms.key] = np.zeros(len(frame), dtype=bool)
            continue
        ticked = done[ms.key] if done is not None else frame[milestone_key(ms.key)]
        out[ms.key] = open_ & (stage > ms.stage) & ~ticked.to_numpy(dtype=bool)
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
        "「{milestone}」{planned}，赢率按规则下调",
        en="Forced advance: the deal is at stage {stage} ({stage_name}) without the stage "
        "{ms_stage} milestone '{milestone}'{planned}; its probability is cut",
    ),
)
def forced_advance(ctx: Context) -> pd.DataFrame:
    """An open deal at stage k lacks a milestone part of an earlier stage (forced advance).

    One finding per missing part, on that part's cell. A part given as a date after today (or
    ``--as-of``) is a plan, not a milestone reached: it is missing, and the finding (on the cell
    holding the date) says "planned for …, not yet done". Bad row: stage 4 (Bidding) with the
    Coach column blank, or stage 5 with Bid submitted dated next month. Fix: record the
    milestone (tick it or enter the date done) or move the deal back to the stage it has really
    reached.
    """
    missing = ctx.missing
    stage = ctx.frame["stage"]
    stage_name = stage_names(ctx.ruleset, stage)
    planned = ctx.planned
    frames = []
    for ms in ctx.ruleset.milestones:
        if not missing[ms.key].any():
            continue
        key = milestone_key(ms.key)
        field: Any = key
        note: Any = None
        if planned is not None and planned[ms.key].notna().any():
            when = planned[ms.key]
            tick = ctx.pipeline.tick_dates.get(key)
            in_tick = np.zeros(len(when), dtype=bool) if tick is None else tick.eq(when).to_numpy()
            in_dates = when.notna().to_numpy() & ~in_tick
            field = repeated(key, len(when))  # one shared text, not a copy per deal
            field[in_dates] = milestone_date_key(ms.key)
            note = _planned_notes(when)
        frames.append(
            hits(
                missing[ms.key],
                field,
                stage=stage,
                stage_name=stage_name,
                ms_stage=ms.stage,
                milestone=ms.name,
                planned=note,
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else no_hits()


def _planned_notes(when: pd.Series) -> np.ndarray:
    """Per deal, "(planned for 2027-03-01, not yet done)" as a :class:`Text`, None when the
    part is not planned; one text per distinct date."""
    codes, uniques = pd.factorize(when, use_na_sentinel=True)
    labels = np.empty(len(uniques) + 1, dtype=object)  # Text is a tuple: fill one by one
    for i, day in enumerate(uniques):
        shown = pd.Timestamp(day).strftime("%Y-%m-%d")
        labels[i] = Text(
            zh=f"（计划于 {shown}，尚未完成）", en=f" (planned for {shown}, not yet done)"
        )
    out: np.ndarray = labels[codes]
    return out


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
