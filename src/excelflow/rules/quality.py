"""Data quality (DQ): the pipeline's own cells must be complete, unique and understood."""

from __future__ import annotations

import numpy as np
import pandas as pd

from excelflow.pipeline.fields import factor_key, milestone_date_key, milestone_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import Text
from excelflow.rules import Context, hits, no_hits, rule


@rule(
    "DQ01",
    "data_quality.required_missing",
    Severity.ERROR,
    Text(zh="必填字段「{column}」为空", en="Required field '{column}' is empty"),
)
def required_missing(ctx: Context) -> pd.DataFrame:
    """A required field is blank (rule set ``required_fields``: on every deal, or on open deals).

    A mapping's ``not_required_for_open`` fields (a CRM's close date and value, blank on open
    deals by design) are not required on open deals. Also flags the factors left blank when a
    deal's evaluation is partly filled in. Bad row: an
    open deal with no Expected close. Fix: fill in the cell.
    """
    rs = ctx.ruleset
    present = ctx.pipeline.present
    is_open = ctx.is_open.to_numpy(dtype=bool)
    masks = []
    wanted = [(f, False) for f in rs.required_always] + [(f, True) for f in rs.required_open]
    optional = ctx.pipeline.not_required_for_open
    for field, open_only in wanted:
        if field not in present or (open_only and field in optional):
            continue  # a whole missing column is one DQ07 finding, not one per deal
        masks.append((field, _blank(ctx, field) & is_open if open_only else _blank(ctx, field)))
    answered = ctx.evaluation["answered"].to_numpy()
    partial = is_open & (answered > 0) & (answered < len(rs.factors))
    if partial.any():
        for fa in rs.factors:
            key = factor_key(fa.key)
            if key in present:
                masks.append((key, partial & _blank(ctx, key)))
    frames = [hits(mask, field) for field, mask in masks if mask.any()]
    return pd.concat(frames, ignore_index=True) if frames else no_hits()


def _blank(ctx: Context, field: str) -> np.ndarray:
    """Cells left blank (a value that could not be read is DQ04's, not blank)."""
    blank: np.ndarray = ctx.frame[field].isna().to_numpy(dtype=bool)
    bad = ctx.pipeline.bad.get(field)
    return blank if bad is None else blank & ~bad


@rule(
    "DQ02",
    "data_quality.duplicate_id",
    Severity.ERROR,
    Text(
        zh="商机编号 {value} 重复，第{first_row}行已使用",
        en="Duplicate deal ID {value}: row {first_row} has it too",
    ),
)
def duplicate_id(ctx: Context) -> pd.DataFrame:
    """Two deals share a deal ID; every occurrence after the first is flagged.

    Bad row: D-017 on rows 5 and 40. Fix: give each deal its own ID.
    """
    ids = ctx.frame["deal_id"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    if len(uniques) == len(codes) or not len(uniques):
        return no_hits()  # every ID distinct, or none given
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    shared = np.flatnonzero((codes >= 0) & (counts[np.maximum(codes, 0)] > 1))
    if not len(shared):
        return no_hits()
    _, first_at = np.unique(codes[shared], return_index=True)  # shared is in row order
    first_pos = dict(zip(codes[shared][first_at], shared[first_at], strict=True))
    first_row = np.full(len(ids), None, dtype=object)
    mask = np.zeros(len(ids), dtype=bool)
    for pos in shared:  # only the duplicated rows
        origin = first_pos[codes[pos]]
        if origin != pos:
            mask[pos] = True
            first_row[pos] = int(ctx.pipeline.rows[origin])
    return hits(mask, "deal_id", first_row=first_row)


@rule(
    "DQ03",
    "data_quality.unknown_stage",
    Severity.ERROR,
    Text(
        zh="无法识别的阶段「{value}」：请填 1–{count} 或阶段名称（{names}）",
        en="Unknown stage '{value}': use 1-{count} or a stage name ({names})",
    ),
)
def unknown_stage(ctx: Context) -> pd.DataFrame:
    """The Stage cell holds something that is neither a stage number nor a stage name.

    Bad row: Stage "Closing". Fix: use 1-6 or a stage name of the rule set (开发阶段 …
    工程实施阶段 / Development … Implementation).
    """
    bad = ctx.pipeline.bad.get("stage")
    if bad is None:
        return no_hits()
    stages = ctx.ruleset.stages
    names = Text(zh="、".join(s.name.zh for s in stages), en=", ".join(s.name.en for s in stages))
    return hits(bad, "stage", count=len(stages), names=names)


EXPECTED = {
    "date": Text(zh="日期，如 2027-03-01", en="a date such as 2027-03-01"),
    "probability": Text(zh="0–100% 的赢率", en="a probability such as 60% or 0.6"),
    "money": Text(zh="金额数字", en="an amount"),
    "tick": Text(zh="✓/是/Y、否 或完成日期", en="a tick (✓, Yes, Y), No, or the date done"),
    "score": Text(zh="评估分数", en="a score on the evaluation scale"),
    "status": Text(zh="进行中/赢单/丢单/放弃", en="open, won, lost or withdrawn"),
    "stage": Text(zh="阶段编号或名称", en="a stage number or name"),
}


@rule(
    "DQ04",
    "data_quality.value_not_understood",
    Severity.ERROR,
    Text(
        zh="「{column}」列的值「{value}」无法识别（应为{expected}）",
        en="'{value}' in {column} is not understood (expected {expected})",
    ),
)
def value_not_understood(ctx: Context) -> pd.DataFrame:
    """A cell's value cannot be read as its column's type; the engine treats it as blank.

    Types: date, probability, amount, milestone tick, evaluation score, status. In a column
    whose header states a unit (``金额(万元)``), a cell stating another (``120k``) is not
    understood either.
    Bad row: Expected close "next spring", Coach "maybe". Fix: enter a value of the column's type.
    """
    frames = []
    for field, bad in ctx.pipeline.bad.items():
        if field in ("stage",):
            continue  # DQ03 owns the stage column
        kind = ctx.pipeline.kinds[field].value
        if kind == "score":
            lo, hi = ctx.ruleset.scale_min, ctx.ruleset.scale_max
            expected = Text(zh=f"{lo:g}–{hi:g} 的评估分数", en=f"a score from {lo:g} to {hi:g}")
        else:
            expected = EXPECTED.get(kind, Text(zh=kind, en=kind))
        unit = ctx.pipeline.units.get(field)
        if unit is not None and kind == "money":
            expected = Text(
                zh=f"以「{unit.label}」为单位的金额；单元格自带的单位与表头不符",
                en=f"an amount in {unit.label}; the cell's own unit contradicts the header's",
            )
        frames.append(hits(bad, field, expected=expected))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else no_hits()


@rule(
    "DQ05",
    "data_quality.close_date_past",
    Severity.WARNING,
    Text(
        zh="进行中的商机预计成交日期 {date} 已过（{days} 天前）",
        en="Expected close {date} is in the past ({days} days ago) for an open deal",
    ),
)
def close_date_past(ctx: Context) -> pd.DataFrame:
    """An open deal's expected close date is before today (or ``--as-of``).

    Bad row: status open, expected close 2025-12-31, checked on 2026-11-28. Fix: move the date,
    or mark the deal won, lost or withdrawn.
    """
    close = ctx.frame["expected_close"]
    mask = ctx.is_open & close.lt(ctx.as_of).fillna(False)
    days = (ctx.as_of - close).dt.days.astype("Int64")
    return hits(mask, "expected_close", date=close, days=days)


@rule(
    "DQ06",
    "data_quality.probability_range",
    Severity.ERROR,
    Text(
        zh="赢率 {value} 超出 0–100% 范围，按阶段默认赢率计算",
        en="Probability {value} is outside 0-100%; the stage default is used instead",
    ),
)
def probability_range(ctx: Context) -> pd.DataFrame:
    """A stated probability is below 0 % or above 100 %.

    Bad row: Probability 150 (or -0.2). Fix: enter 0-100 % (0.6, 60 or 60%).
    """
    prob = ctx.frame["probability"]
    return hits(prob.lt(0).fillna(False) | prob.gt(1).fillna(False), "probability")


@rule(
    "DQ09",
    "data_quality.amount_not_positive",
    Severity.WARNING,
    Text(
        zh="进行中商机的金额 {value} 不是正数，加权预测因此失真",
        en="Amount {value} of an open deal is zero or negative, which distorts the weighted "
        "forecast",
    ),
)
def amount_not_positive(ctx: Context) -> pd.DataFrame:
    """An open deal's amount is zero or negative.

    Bad row: status open, Amount 0 (or -50,000). Fix: enter the deal's expected value; a
    refund or credit is not a deal.
    """
    amount = ctx.frame["amount"]
    return hits(ctx.is_open & amount.le(0).fillna(False), "amount")


@rule(
    "DQ10",
    "data_quality.first_stage_unusable",
    Severity.WARNING,
    Text(
        zh="定制/非标方案商机的首次介入阶段{problem}，无法判断是否介入过晚（SG02）",
        en="This custom-solution deal's first engaged stage{problem}, so a late entry (SG02) "
        "cannot be judged",
    ),
)
def first_stage_unusable(ctx: Context) -> pd.DataFrame:
    """A custom-solution deal has no first engaged stage, or one after its current stage.

    Late entry (SG02) is judged from the first engaged stage, so it must be there and cannot
    be later than where the deal is now. Blank: open deals only (a closed deal's history is
    what it is); after the current stage: every deal (it cannot be true). A value that cannot
    be read is DQ03's; a sheet without the column has nothing to check. Bad row: Custom
    solution ✓, stage 3, First engaged stage blank (or 5). Fix: enter the stage at which we
    first engaged with the customer (1-6, at most the current stage).
    """
    if "first_stage" not in ctx.pipeline.present or "custom_solution" not in ctx.pipeline.present:
        return no_hits()
    custom = ctx.frame["custom_solution"].astype(bool).to_numpy(dtype=bool)
    first = ctx.frame["first_stage"].astype("Float64")
    stage = ctx.frame["stage"].astype("Float64")
    blank = custom & ctx.is_open.to_numpy(dtype=bool) & _blank(ctx, "first_stage")
    after = custom & first.gt(stage).fillna(False).to_numpy(dtype=bool)
    empty = Text("为空", " is blank")
    labels = np.empty(len(custom), dtype=object)  # Text is a tuple: fill one by one
    firsts, stages = (
        first.to_numpy(dtype=float, na_value=np.nan),
        stage.to_numpy(dtype=float, na_value=np.nan),
    )
    for i in np.flatnonzero(blank | after):
        f, st = f"{firsts[i]:g}", f"{stages[i]:g}"
        labels[i] = (
            empty
            if blank[i]
            else Text(
                f"（第{f}阶段）晚于当前的第{st}阶段", f" ({f}) is after its current stage {st}"
            )
        )
    return hits(blank | after, "first_stage", problem=labels)


@rule(
    "DQ07",
    "data_quality.column_missing",
    Severity.WARNING,
    Text(
        zh="缺少列「{column}」：{consequence}",
        en="Column '{column}' is missing: {consequence}",
    ),
)
def column_missing(ctx: Context) -> pd.DataFrame:
    """A column the rule set relies on is absent from the sheet.

    One finding per missing column, or one for all the missing evaluation factors, naming what
    cannot be checked. A missing milestone column is unknown by default (rule set
    ``forced_advance.missing_milestone_column``): its milestone is not checked, not failed.
    Bad sheet: no Coach column. Fix: add the column (``excelflow template`` has every column),
    or map the source's own column to it with ``--mapping``.
    """
    present = ctx.pipeline.present
    rs = ctx.ruleset
    rows: list[tuple[str, Text, Text]] = []
    optional = ctx.pipeline.not_required_for_open
    required = dict.fromkeys(
        [*rs.required_always, *(f for f in rs.required_open if f not in optional)]
    )
    from excelflow.pipeline.fields import BASE_FIELDS

    headers = {f.key: f.header for f in BASE_FIELDS}
    for field in required:
        if field not in present:
            rows.append((field, headers[field], CONSEQUENCE["required"]))
    stage = ctx.frame["stage"].to_numpy(dtype=float, na_value=np.nan)
    is_open = ctx.is_open.to_numpy(dtype=bool)
    for ms in rs.milestones:
        if milestone_key(ms.key) in present or milestone_date_key(ms.key) in present:
            continue
        past = int((is_open & (stage > ms.stage)).sum())
        if rs.missing_milestone_column == "unknown":
            consequence = Text(
                zh=CONSEQUENCE["milestone_unknown"].zh.format(stage=ms.stage, n=past),
                en=CONSEQUENCE["milestone_unknown"].en.format(stage=ms.stage, n=past),
            )
        else:
            consequence = CONSEQUENCE["milestone"]
        rows.append((milestone_key(ms.key), ms.column, consequence))
    factors = [fa for fa in rs.factors if factor_key(fa.key) not in present]
    if factors:
        names = Text(
            zh="、".join(fa.column.zh for fa in factors),
            en=", ".join(fa.column.en for fa in factors),
        )
        rows.append(("", names, CONSEQUENCE["factors"]))
    if not rows:
        return no_hits()
    return pd.DataFrame(
        {
            "pos": [-1] * len(rows),
            "field": [None] * len(rows),
            "column": [r[1] for r in rows],
            "consequence": [r[2] for r in rows],
        }
    )


CONSEQUENCE = {
    "required": Text(zh="必填字段无法检查", en="a required field cannot be checked"),
    "milestone_unknown": Text(
        zh="无法检查第{stage}阶段之后的 {n} 个进行中商机是否达到该关键节点（不报 SG01、"
        "不下调赢率，关口显示为未知）",
        en="whether the {n} open deals past stage {stage} reached this milestone cannot be "
        "checked (no SG01, no probability cut; their gate shows as unknown)",
    ),
    "milestone": Text(
        zh="无法确认该关键节点，后续阶段的商机都按强行推进处理",
        en="the milestone cannot be confirmed, so every deal past its stage counts as a "
        "forced advance",
    ),
    "factors": Text(
        zh="商机评估（EV01/EV02）无法进行", en="the opportunity evaluation (EV01/EV02) cannot run"
    ),
}
