"""The engine: per-deal metrics, then every registered rule, then findings with cells and messages.

``run(pipeline, ruleset)`` is the one entry point every door (CLI, batch, UDF, ribbon macro)
uses. It computes, per deal: stage, evaluation score and result, stated and adjusted probability
(the forced-advance penalty), weighted amount, gate status and grade with its action; then runs
the rules and returns a :class:`Result`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from excelflow.coerce import format_id
from excelflow.fields import all_fields
from excelflow.findings import FINDING_COLUMNS, Finding, Severity, findings_from_frame
from excelflow.normalize import Pipeline
from excelflow.rules import Context, Rule, load_all, render
from excelflow.rules.evaluation import evaluate
from excelflow.rules.gates import gate_summary, missing_parts
from excelflow.rules.grading import grade_deals
from excelflow.ruleset import Lang, RuleSet

DEAL_COLUMNS = (
    "deal_id",
    "row",
    "stage",
    "status",
    "score",
    "evaluation",
    "grade",
    "action",
    "probability",
    "adjusted_probability",
    "amount",
    "weighted_amount",
    "gate",
    "missing",
    "days_to_close",
)


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
    extras: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Findings per severity: ``{"error": n, "warning": n, "info": n}``."""
        counts = self.findings["severity"].value_counts()
        return {s.value: int(counts.get(s.value, 0)) for s in Severity}

    def finding_list(self) -> list[Finding]:
        """The findings as :class:`Finding` objects, in sheet order."""
        return findings_from_frame(self.findings)

    def flat(self) -> list[tuple[int | None, str | None, str]]:
        """``[(row, column, code), …]`` — handy for tests and diffs."""
        return [(f.row, f.column, f.code) for f in self.finding_list()]


def _as_timestamp(as_of: dt.date | str | pd.Timestamp | None) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp(dt.date.today())
    return pd.Timestamp(as_of).normalize()


def compute_deals(
    pipeline: Pipeline, ruleset: RuleSet, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-deal metrics, plus the intermediate frames the rules reuse (``extras``)."""
    f = pipeline.frame
    status = f["status"]
    is_open = status.eq("open")
    open_ = is_open.to_numpy(dtype=bool)
    stage = f["stage"]
    stage_num = stage.to_numpy(dtype=float, na_value=np.nan)
    known_stage = ~np.isnan(stage_num)
    missing = missing_parts(f, ruleset, is_open)
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
    closed = np.where(status.eq("won").to_numpy(dtype=bool), 1.0, 0.0)
    adjusted = np.where(open_, penalized, closed)
    amount = f["amount"].to_numpy(dtype=float)

    days = (f["expected_close"] - as_of).dt.days.to_numpy(dtype=float, na_value=np.nan)
    grade_prob = adjusted if ruleset.grade_probability == "adjusted" else stated
    grades = grade_deals(pd.Series(grade_prob), pd.Series(days), is_open, ruleset)

    gate = np.where(gates["missing_parts"].to_numpy() > 0, "forced", "pass").astype(object)
    gate[~(open_ & known_stage)] = None

    deals = pd.DataFrame(
        {
            "deal_id": f["deal_id"],
            "row": pipeline.rows,
            "stage": stage,
            "status": status,
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
    )
    extras: dict[str, Any] = {"missing": missing, "evaluation": evaluation}
    return deals, extras


def run(
    pipeline: Pipeline,
    ruleset: RuleSet,
    *,
    as_of: dt.date | str | pd.Timestamp | None = None,
    lang: Lang | None = None,
    extras: dict[str, Any] | None = None,
) -> Result:
    """Check a normalized pipeline against a rule set.

    Args:
        pipeline: from :func:`excelflow.normalize.build_pipeline`.
        ruleset: from :func:`excelflow.ruleset.load_ruleset`.
        as_of: "today" for date checks and grading (default: the real today).
        lang: message language (default: the pipeline's guessed language).
        extras: extra inputs some rule families read (e.g. bid models keyed by deal ID).
    """
    stamp = _as_timestamp(as_of)
    language: Lang = lang or pipeline.lang
    deals, computed = compute_deals(pipeline, ruleset, stamp)
    ctx = Context(pipeline, ruleset, stamp, deals, {**(extras or {}), **computed})
    frames = []
    for code, rule in sorted(load_all().items()):
        if code in ruleset.disabled:
            continue
        found = rule.check(ctx)
        if len(found):
            frames.append(_to_findings(found, rule, ctx, language))
    findings = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(
            columns=[*FINDING_COLUMNS, "message_zh", "message_en", "pos", "field", "col_index"]
        )
    )
    findings = _drop_ignored(findings, pipeline)
    findings["elsewhere"] = findings["sheet"].notna() & (
        findings["sheet"] != (pipeline.sheet or "")
    )
    findings = findings.sort_values(
        ["elsewhere", "sheet", "row", "col_index", "code"], kind="stable", na_position="first"
    )
    findings = findings.drop(columns=["col_index", "elsewhere"]).reset_index(drop=True)
    for name in ("deal_id", "sheet", "column", "cell", "value"):  # blanks as None, never NaN
        column = findings[name].astype(object)
        findings[name] = column.where(column.notna(), None)
    return Result(pipeline, ruleset, language, stamp, findings, deals, ctx.extras)


def _to_findings(hits: pd.DataFrame, rule: Rule, ctx: Context, lang: Lang) -> pd.DataFrame:
    p = ctx.pipeline
    pos = hits["pos"].to_numpy(dtype=int)
    fields = hits["field"].to_numpy(dtype=object)
    whole = pos < 0
    take = np.where(whole, 0, pos)
    n = len(hits)
    specs = {s.key: s for s in all_fields(ctx.ruleset)}

    field_codes, field_uniques = pd.factorize(pd.Series(fields, dtype=object), use_na_sentinel=True)
    header, letter, col_index = [], [], []
    for key in field_uniques:
        col = p.columns.get(key)
        spec = specs.get(key)
        header.append(col.header if col else (spec.header(lang) if spec else None))
        letter.append(col.letter if col else None)
        col_index.append(col.index if col else -1)
    header_arr = np.asarray([*header, None], dtype=object)[field_codes]
    letter_arr = np.asarray([*letter, None], dtype=object)[field_codes]
    col_idx = np.asarray([*col_index, -1])[field_codes]

    rows = np.where(whole, p.header_row, p.rows[take] if len(p.rows) else p.header_row)
    values = np.full(n, None, dtype=object)
    for key in set(field_uniques) & set(p.raw):
        sel = (fields == key) & ~whole
        values[sel] = p.raw[key][pos[sel]]
    values = np.asarray([_json_value(v) for v in values], dtype=object)
    deal_ids = p.frame["deal_id"].to_numpy(dtype=object)[take] if len(p.frame) else values.copy()
    deal_ids[whole] = None
    no_cell = pd.isna(letter_arr) | whole
    cells = np.full(n, None, dtype=object)
    cells[~no_cell] = letter_arr[~no_cell] + rows[~no_cell].astype(str)

    sheets = np.full(n, p.sheet, dtype=object)
    rows = rows.astype(object)
    for name, target in (
        ("at_sheet", sheets),
        ("at_row", rows),
        ("at_cell", cells),
        ("at_value", values),
        ("at_deal", deal_ids),
    ):  # a rule may point a finding elsewhere (another sheet, a whole-sheet problem)
        if name in hits:
            given = hits[name].to_numpy(dtype=object)
            chosen = ~pd.isna(given)
            target[chosen] = given[chosen]

    params = hits.drop(columns=["pos", "field"])
    params["value"] = pd.Series([None if v is None else format_id(v) for v in values], dtype=object)
    if "column" not in params:
        params["column"] = header_arr
    params["deal"] = deal_ids
    severity = ctx.ruleset.severities.get(rule.code, rule.severity.value)
    messages = {lg: render(rule.message(lg), params, lg) for lg in ("zh", "en")}
    columns = (
        params["column"].map(lambda t: t(lang) if hasattr(t, "zh") else t)
        if "column" in hits
        else header_arr
    )
    return pd.DataFrame(
        {
            "code": rule.code,
            "rule": rule.name,
            "severity": severity,
            "deal_id": deal_ids,
            "sheet": sheets,
            "row": rows,
            "column": columns,
            "cell": cells,
            "value": values,
            "message": messages[lang],
            "message_zh": messages["zh"],
            "message_en": messages["en"],
            "pos": pos,
            "field": fields,
            "col_index": col_idx,
        }
    )


def _json_value(value: Any) -> Any:
    """A raw cell value as JSON can carry it (dates as ISO text, NaN as None)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if np.isnan(value) else value
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _drop_ignored(findings: pd.DataFrame, pipeline: Pipeline) -> pd.DataFrame:
    """Remove findings silenced by the row's ExcelFlow Ignore / 忽略规则 cell."""
    ignore = pipeline.frame["ignore"]
    if "ignore" not in pipeline.columns or ignore.isna().all() or findings.empty:
        return findings
    pos = findings["pos"].to_numpy(dtype=int)
    sets = ignore.to_numpy(dtype=object)
    codes = findings["code"].to_numpy(dtype=object)
    silenced = np.array(
        [p >= 0 and sets[p] is not None and c in sets[p] for p, c in zip(pos, codes, strict=True)],
        dtype=bool,
    )
    return findings[~silenced]
