"""The engine: per-deal metrics, then every registered rule, then findings with cells and messages.

``run(pipeline, ruleset)`` is the one entry point every door (CLI, batch, UDF, ribbon macro)
uses. It computes, per deal: stage, evaluation score and result, stated and adjusted probability
(the forced-advance penalty), weighted amount, gate status and grade with its action; then runs
the rules and returns a :class:`Result`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from excelflow.engine.collect import Shared, findings_frame, rule_findings
from excelflow.pipeline.arguments import as_of_timestamp
from excelflow.pipeline.fields import all_fields
from excelflow.pipeline.findings import Finding, Severity, findings_from_frame
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.rules import Context, WorkbookInputs, label_column, load_all
from excelflow.rules.evaluation import evaluate
from excelflow.rules.gates import (
    done_parts,
    gate_summary,
    missing_parts,
    planned_parts,
    unchecked_gates,
    unknown_milestones,
)
from excelflow.rules.grading import grade_deals


@dataclass
class Result:
    """What the engine found in one pipeline.

    ``findings`` has the :data:`FINDING_COLUMNS` plus ``message_zh``, ``message_en``, ``pos``
    (deal position, -1 for whole-sheet findings) and ``field``; ``deals`` has one row per deal.
    Findings on the pipeline's own sheet come first, in row and column order.
    """

    pipeline: Pipeline
    ruleset: RuleSet
    lang: Lang
    as_of: pd.Timestamp
    findings: pd.DataFrame
    deals: pd.DataFrame
    inputs: WorkbookInputs = field(default_factory=WorkbookInputs)
    done: pd.DataFrame | None = None
    """Per deal and milestone part: reached by ``as_of`` (what a history snapshot records)."""

    def counts(self) -> dict[str, int]:
        """Findings per severity: ``{"error": n, "warning": n, "info": n}``."""
        counts = count_values(self.findings["severity"])
        return {s.value: counts.get(s.value, 0) for s in Severity}

    def finding_list(self) -> list[Finding]:
        """The findings as :class:`Finding` objects, in sheet order."""
        return findings_from_frame(self.findings)

    def flat(self) -> list[tuple[int | None, str | None, str]]:
        """``[(row, column, code), …]`` — handy for tests and diffs."""
        return [(f.row, f.column, f.code) for f in self.finding_list()]


def count_values(column: pd.Series) -> dict[object, int]:
    """How many times each value of ``column`` occurs (blanks not counted), in the order the
    values first appear: ``Series.value_counts`` without its cost on a string column (a check
    of every cell for NA, then an index): hashed once as plain objects and counted in C, ~3x
    faster on 260k findings."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return {value: int(n) for value, n in zip(uniques, counts, strict=True)}


class Metrics(NamedTuple):
    """What :func:`compute_deals` computes: the per-deal metrics, and the intermediate frames
    the rules reuse (the evaluation, the missing milestone parts)."""

    deals: pd.DataFrame
    evaluation: pd.DataFrame
    missing: pd.DataFrame
    planned: pd.DataFrame | None = None
    done: pd.DataFrame | None = None


def compute_deals(pipeline: Pipeline, ruleset: RuleSet, as_of: pd.Timestamp) -> Metrics:
    """Per-deal metrics, plus the intermediate frames the rules reuse."""
    f = pipeline.frame
    status = f["status"]
    open_ = status.to_numpy() == "open"
    is_open = pd.Series(open_, index=f.index)
    stage = f["stage"]
    stage_num = stage.to_numpy(dtype=float, na_value=np.nan)
    known_stage = ~np.isnan(stage_num)
    unknown = unknown_milestones(pipeline.present, ruleset)
    planned = planned_parts(pipeline, ruleset, as_of)  # dated after as_of: a plan, not done
    done = done_parts(f, ruleset, planned, pipeline.present)
    missing = missing_parts(f, ruleset, is_open, unknown, done)
    gates = gate_summary(missing, ruleset)
    evaluation = evaluate(f, ruleset)

    defaults = np.array(
        [np.nan] + [np.nan if s.probability is None else s.probability for s in ruleset.stages]
    )
    stage_default = defaults[np.where(known_stage, stage_num, 0).astype(int)]
    given = f["probability"].to_numpy(dtype=float)
    stated = np.where((given >= 0) & (given <= 1), given, stage_default)
    count = gates["missing_milestones" if ruleset.penalty_per == "milestone" else "missing_parts"]
    penalized = stated * np.power(ruleset.penalty_factor, count.to_numpy(dtype=float))
    closed = np.where(status.to_numpy() == "won", 1.0, 0.0)
    adjusted = np.where(open_, penalized, closed)
    amount = f["amount"].to_numpy(dtype=float)

    days = (f["expected_close"] - as_of).dt.days.to_numpy(dtype=float, na_value=np.nan)
    grade_prob = adjusted if ruleset.grade_probability == "adjusted" else stated
    grades = grade_deals(pd.Series(grade_prob), pd.Series(days), is_open, ruleset)
    if ruleset.fail_action is not None:  # a failed evaluation caps the action, not the grade
        failed = open_ & evaluation["evaluation"].isin(("fail", "knockout")).to_numpy(dtype=bool)
        if failed.any():
            for lang in ("zh", "en"):
                grades[f"action_{lang}"] = grades[f"action_{lang}"].mask(
                    failed, ruleset.fail_action(lang)
                )

    # a deal past a milestone whose column is absent has an unknown gate, unless a milestone
    # that could be checked is missing: then it is a forced advance all the same
    unchecked = unchecked_gates(f, ruleset, unknown)
    forced = np.where(gates["missing_parts"].to_numpy() > 0, 1, np.where(unchecked, 3, 2))
    gate = label_column(
        [None, "forced", "pass", "unknown"], np.where(open_ & known_stage, forced, 0)
    )

    deals = pd.DataFrame(
        {
            "deal_id": f["deal_id"],
            "row": pipeline.rows,
            "stage": stage,
            "status": status,
            "owner": f["owner"],
            "is_open": is_open,
            "score": evaluation["score"].round(1),
            "evaluation": evaluation["evaluation"],
            "grade": grades["grade"],
            "action_zh": grades["action_zh"],
            "action_en": grades["action_en"],
            "probability": stated,
            "adjusted_probability": adjusted,
            "amount": amount,
            "weighted_amount": amount * adjusted,
            "gate": gate,
            "missing_parts": gates["missing_parts"],
            "missing_milestones": gates["missing_milestones"],
            "missing_zh": gates["missing_zh"],
            "missing_en": gates["missing_en"],
            "days_to_close": days,
            "grade_probability": grade_prob,
        },
        index=f.index,
        copy=False,  # the columns are ours: no consolidating copy
    )
    return Metrics(deals, evaluation, missing, planned, done)


def run(
    pipeline: Pipeline,
    ruleset: RuleSet,
    *,
    as_of: dt.date | str | pd.Timestamp | None = None,
    lang: Lang | None = None,
    inputs: WorkbookInputs | None = None,
    previous: pd.DataFrame | None = None,
) -> Result:
    """Check a normalized pipeline against a rule set.

    Args:
        pipeline: from :func:`excelflow.pipeline.normalize.build_pipeline`.
        ruleset: from :func:`excelflow.pipeline.ruleset.load_ruleset`.
        as_of: "today" for date checks and grading (default: the real today).
        lang: message language (default: the pipeline's guessed language).
        inputs: what the workbook holds besides the deals (its Rules-sheet problems and Bid
            sheets) for the DQ08 and BD rules; None for a bare table.
        previous: the workbook's last recorded snapshot, for the HX rules (see
            :data:`excelflow.rules.history.PREVIOUS_COLUMNS`); None: no history.
    """
    stamp = as_of_timestamp(as_of)
    language: Lang = lang or pipeline.lang
    deals, evaluation, missing, planned, done = compute_deals(pipeline, ruleset, stamp)
    given = inputs or WorkbookInputs()
    ctx = Context(
        pipeline,
        ruleset,
        stamp,
        deals,
        evaluation,
        missing,
        given,
        planned=planned,
        done=done,
        previous=previous,
    )
    specs = {s.key: s for s in all_fields(ruleset)}
    shared = Shared(pipeline)  # what every rule's findings take from the pipeline
    parts = []
    for code, rule in sorted(load_all().items()):
        if code in ruleset.disabled:
            continue
        found = rule.check(ctx)
        if len(found):
            parts.append(rule_findings(found, rule, ctx, language, specs, shared))
    findings = findings_frame(parts, pipeline)
    return Result(pipeline, ruleset, language, stamp, findings, deals, given, done)
