"""Closing the loop (CL): the outcome a deal is marked with must match the stage it reached.

The rule set's ``closing.finished`` milestones (default: the last stage's, acceptance and project
close) mean the work is finished; its ``closing.contract`` milestones (default: the stage before
the last, approval and signature) sign the contract, without which a deal is not won. With the
standard rule set: stage 6 closes the deal, stage 5 signs it. Milestone columns the
sheet does not have are unknown, never failed; a part dated after the as-of date is planned,
not reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from excelflow.pipeline.fields import milestone_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import Milestone, RuleSet, Stage, Text
from excelflow.rules import Context, hits, no_hits, rule, stage_names
from excelflow.rules.gates import unknown_milestones


def _named(
    ruleset: RuleSet, keys: tuple[str, ...], default: Stage
) -> tuple[Stage, tuple[Milestone, ...]]:
    if not keys:
        return default, default.milestones
    by_key = {ms.key: ms for ms in ruleset.milestones}
    parts = tuple(by_key[k] for k in keys if k in by_key)
    if not parts:  # a document the loader checked names known keys; be safe all the same
        return default, default.milestones
    return ruleset.stage(max(ms.stage for ms in parts)), parts


def closing_milestones(ruleset: RuleSet) -> tuple[Stage, tuple[Milestone, ...]]:
    """The milestones that finish the work (``closing.finished``, default: the last stage's)
    and the stage they belong to (the latest of them)."""
    return _named(ruleset, ruleset.closing_finished, ruleset.stages[-1])


def contract_milestones(ruleset: RuleSet) -> tuple[Stage, tuple[Milestone, ...]]:
    """The milestones of the signed contract (``closing.contract``, default: the stage before
    the last) and the stage they belong to (the latest of them)."""
    default = ruleset.stages[max(len(ruleset.stages) - 2, 0)]
    return _named(ruleset, ruleset.closing_contract, default)


def _stage_numbers(ctx: Context) -> np.ndarray:
    out: np.ndarray = ctx.frame["stage"].to_numpy(dtype=float, na_value=np.nan)
    return out


def _status(ctx: Context) -> np.ndarray:
    out: np.ndarray = ctx.frame["status"].to_numpy(dtype=object)
    return out


@rule(
    "CL01",
    "closing.finished_but_open",
    Severity.WARNING,
    Text(
        zh="第{stage}阶段（{stage_name}）的关键节点「{milestones}」均已完成，商机仍为进行中："
        "请关闭为赢单",
        en="Every stage {stage} ({stage_name}) milestone is done ({milestones}) but the deal "
        "is still open: close it as won",
    ),
)
def finished_but_open(ctx: Context) -> pd.DataFrame:
    """An open deal at the last stage has every milestone part of that stage (finished work).

    Bad row: status open, stage 6 (Implementation), Acceptance ✓ and Project closed ✓. Fix:
    mark the deal won (赢单), so the forecast no longer counts it as open.
    """
    last, parts = closing_milestones(ctx.ruleset)
    unknown = unknown_milestones(ctx.pipeline.present, ctx.ruleset)
    if not parts or any(ms.key in unknown for ms in parts):
        return no_hits()
    mask = ctx.is_open.to_numpy(dtype=bool) & (_stage_numbers(ctx) == last.number)
    for ms in parts:
        mask &= ctx.reached(ms.key)
    names = Text(zh="、".join(ms.name.zh for ms in parts), en=", ".join(ms.name.en for ms in parts))
    return hits(mask, "status", stage=last.number, stage_name=last.name, milestones=names)


@rule(
    "CL02",
    "closing.won_without_contract",
    Severity.WARNING,
    Text(
        zh="商机已标记为赢单，但缺少第{ms_stage}阶段的关键节点「{milestone}」",
        en="The deal is marked won without the stage {ms_stage} milestone '{milestone}'",
    ),
)
def won_without_contract(ctx: Context) -> pd.DataFrame:
    """A deal marked won lacks a part of the contract milestone (stage 5: approved and signed).

    One finding per missing part, on its cell; a won deal below the contract stage is CL03's.
    Bad row: status won, stage 5, Contract signed blank (or dated next month). Fix: record
    the signature (tick it or enter the date signed), or set the status back to open.
    """
    sign, parts = contract_milestones(ctx.ruleset)
    unknown = unknown_milestones(ctx.pipeline.present, ctx.ruleset)
    stage = _stage_numbers(ctx)
    won = (_status(ctx) == "won") & ~(stage < sign.number)  # a blank stage is not below
    frames = [
        hits(
            won & ~ctx.reached(ms.key),
            milestone_key(ms.key),
            ms_stage=sign.number,
            milestone=ms.name,
        )
        for ms in parts
        if ms.key not in unknown
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else no_hits()


@rule(
    "CL03",
    "closing.won_too_early",
    Severity.WARNING,
    Text(
        zh="商机在第{stage}阶段（{stage_name}）即标记为赢单，早于签订合同的第{sign}阶段"
        "（{sign_name}）：请核对阶段或状态",
        en="The deal is marked won at stage {stage} ({stage_name}), before stage {sign} "
        "({sign_name}) where the contract is signed: check the stage or the status",
    ),
)
def won_too_early(ctx: Context) -> pd.DataFrame:
    """A deal marked won is at a stage before the contract stage (stage 5, Negotiation).

    Bad row: status won, stage 3 (Proposal). Fix: move the stage to where the deal really is
    (at least 5, with the contract signed), or correct the status.
    """
    sign, _ = contract_milestones(ctx.ruleset)
    stage = ctx.frame["stage"]
    mask = (_status(ctx) == "won") & (_stage_numbers(ctx) < sign.number)
    return hits(
        mask,
        "stage",
        stage=stage,
        stage_name=stage_names(ctx.ruleset, stage),
        sign=sign.number,
        sign_name=sign.name,
    )
