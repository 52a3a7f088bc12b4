"""History (HX): what changed since the workbook's last recorded check.

These rules compare the current deals with the previous snapshot of the same workbook
(``Context.previous``, loaded by :mod:`excelflow.history` when ``--record``/``--history`` is on).
Without a previous snapshot they stay silent. They are pure functions over two frames: the
current deals and the previous snapshot, whose columns are :data:`PREVIOUS_COLUMNS`:

- ``deal_id`` (str), ``stage`` (float, NaN when unknown), ``status`` (``open``/``won``/``lost``),
- ``milestones`` (a collection of the milestone part keys reached at that check),
- ``as_of`` (the date of that check), ``stage_since`` (the first recorded check at which the
  deal was at that stage, in its latest unbroken run there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from excelflow.pipeline.fields import milestone_key
from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import Text
from excelflow.rules import Context, hits, no_hits, rule, stage_names

PREVIOUS_COLUMNS = ("deal_id", "stage", "status", "milestones", "as_of", "stage_since")
"""The columns of a previous snapshot frame (see the module docstring)."""

_STATUS = {
    "open": Text(zh="进行中", en="open"),
    "won": Text(zh="赢单", en="won"),
    "lost": Text(zh="输单", en="lost"),
}


def _aligned(ctx: Context) -> pd.DataFrame | None:
    """The previous snapshot row of each current deal (by deal ID; all-blank where the deal was
    not recorded), or None when there is no previous snapshot."""
    prev = ctx.previous
    if prev is None or not len(prev):
        return None
    prev = prev.drop_duplicates("deal_id", keep="last").set_index("deal_id")
    ids = ctx.frame["deal_id"].astype(object).where(ctx.frame["deal_id"].notna(), None)
    at = prev.index.get_indexer(pd.Index(ids.to_numpy(dtype=object)))
    known = at >= 0
    take = np.where(known, at, 0)
    out = pd.DataFrame(
        {
            "known": known,
            "stage": np.where(known, prev["stage"].to_numpy(dtype=float)[take], np.nan),
            "status": _taken(prev["status"], take, known),
            "milestones": _taken(prev["milestones"], take, known),
            "as_of": pd.to_datetime(prev["as_of"]).to_numpy()[take],
            "stage_since": pd.to_datetime(prev["stage_since"]).to_numpy()[take],
        }
    )
    return out


def _taken(column: pd.Series, take: np.ndarray, known: np.ndarray) -> np.ndarray:
    out: np.ndarray = column.to_numpy(dtype=object)[take].copy()
    out[~known] = None
    return out


def _now_stage(ctx: Context) -> np.ndarray:
    out: np.ndarray = ctx.frame["stage"].to_numpy(dtype=float, na_value=np.nan)
    return out


def _day(values: np.ndarray) -> np.ndarray:
    """Dates as ``YYYY-MM-DD`` text (blank where unknown)."""
    out: np.ndarray = pd.Series(pd.to_datetime(values)).dt.strftime("%Y-%m-%d").to_numpy()
    return out


@rule(
    "HX01",
    "history.advanced_without_milestone",
    Severity.WARNING,
    Text(
        zh="自上次检查（{since}）以来，商机从第{from_stage}阶段推进到第{to_stage}阶段，"
        "但离开的第{ms_stage}阶段缺少关键节点「{milestone}」",
        en="Since the last check ({since}) the deal advanced from stage {from_stage} to "
        "stage {to_stage} without the stage {ms_stage} milestone '{milestone}' of a stage it left",
    ),
)
def advanced_without_milestone(ctx: Context) -> pd.DataFrame:
    """An open deal advanced since the last recorded check without a milestone of a stage it left.

    The milestone part was missing at the last check and is missing still.

    Needs recorded history (``--record``). Bad row: last week at stage 2 without Coach, now at
    stage 4 and Coach still blank. Fix: record the milestone if it was reached (tick or date),
    or move the deal back to the stage it has really reached.
    """
    prev = _aligned(ctx)
    if prev is None:
        return no_hits()
    now = _now_stage(ctx)
    before = prev["stage"].to_numpy(dtype=float)
    advanced = prev["known"].to_numpy(dtype=bool) & (now > before)  # NaN compares False
    if not advanced.any():
        return no_hits()
    had = prev["milestones"].to_numpy(dtype=object)
    since = _day(prev["as_of"].to_numpy())
    frames = []
    for ms in ctx.ruleset.milestones:
        left = advanced & (before <= ms.stage) & (now > ms.stage)
        if not left.any():
            continue
        missing_then = np.fromiter(
            (m is None or ms.key not in m for m in had), dtype=bool, count=len(had)
        )
        mask = left & missing_then & ctx.missing[ms.key].to_numpy(dtype=bool)
        if mask.any():
            frames.append(
                hits(
                    mask,
                    milestone_key(ms.key),
                    since=since,
                    from_stage=before.astype(object),
                    to_stage=now.astype(object),
                    ms_stage=ms.stage,
                    milestone=ms.name,
                )
            )
    if not frames:
        return no_hits()
    out = pd.concat(frames, ignore_index=True)
    for col in ("from_stage", "to_stage"):
        out[col] = out[col].astype(int)
    return out


@rule(
    "HX02",
    "history.stage_went_back",
    Severity.WARNING,
    Text(
        zh="阶段倒退：上次检查（{since}）时为第{from_stage}阶段（{from_name}），"
        "现为第{to_stage}阶段（{to_name}）",
        en="Stage went back: stage {from_stage} ({from_name}) at the last check ({since}), "
        "now stage {to_stage} ({to_name})",
    ),
)
def stage_went_back(ctx: Context) -> pd.DataFrame:
    """A deal's stage is lower than at the last recorded check.

    Needs recorded history (``--record``). Bad row: at stage 4 (Bidding) last week, stage 2
    today. Fix: if the deal really lost ground, say why in the notes; if the stage was mistyped,
    restore it.
    """
    prev = _aligned(ctx)
    if prev is None:
        return no_hits()
    now = _now_stage(ctx)
    before = prev["stage"].to_numpy(dtype=float)
    mask = prev["known"].to_numpy(dtype=bool) & (now < before)
    if not mask.any():
        return no_hits()
    found = hits(
        mask,
        "stage",
        since=_day(prev["as_of"].to_numpy()),
        from_stage=before.astype(object),
        to_stage=now.astype(object),
        from_name=stage_names(ctx.ruleset, pd.Series(before)),
        to_name=stage_names(ctx.ruleset, ctx.frame["stage"]),
    )
    for col in ("from_stage", "to_stage"):
        found[col] = found[col].astype(int)
    return found


@rule(
    "HX03",
    "history.stalled",
    Severity.WARNING,
    Text(
        zh="停滞：自 {since} 起一直处于第{stage}阶段（{stage_name}），已 {days} 天，"
        "超过该阶段上限 {limit} 天",
        en="Stalled: at stage {stage} ({stage_name}) since {since}, {days} days, over the "
        "stage's limit of {limit} days",
    ),
)
def stalled(ctx: Context) -> pd.DataFrame:
    """An open deal has stayed in one stage longer than the rule set's ``stall_days`` allow.

    Counted from the first recorded check that saw it there.

    Needs recorded history (``--record``). Bad row: at stage 3 (Proposal) since a check 80 days
    ago, with a limit of 45 days for stage 3. Fix: move the deal on, or re-qualify it (lower
    the stage or close it as lost).
    """
    prev = _aligned(ctx)
    if prev is None or not ctx.ruleset.stall_days:
        return no_hits()
    now = _now_stage(ctx)
    limits = np.full(len(ctx.ruleset.stages) + 2, np.nan)
    for number, allowed in ctx.ruleset.stall_days.items():
        if 0 <= number < len(limits):
            limits[number] = allowed
    index = np.clip(np.where(np.isnan(now), 0, now).astype(int), 0, len(limits) - 1)
    limit = limits[index]
    since = pd.to_datetime(prev["stage_since"]).to_numpy()
    elapsed: np.ndarray = (ctx.as_of.to_datetime64() - since).astype("timedelta64[D]")
    days = elapsed.astype(float)  # NaT is filtered out by ``valid`` below
    same = prev["known"].to_numpy(dtype=bool) & (now == prev["stage"].to_numpy(dtype=float))
    valid = same & ~pd.isna(since) & ~np.isnan(limit)
    mask = valid & (np.where(valid, days, 0) > np.where(valid, limit, np.inf))
    mask &= ctx.is_open.to_numpy(dtype=bool)
    if not mask.any():
        return no_hits()
    found = hits(
        mask,
        "stage",
        stage=now.astype(object),
        stage_name=stage_names(ctx.ruleset, ctx.frame["stage"]),
        since=_day(since),
        days=days.astype(object),
        limit=limit.astype(object),
    )
    for col in ("stage", "days", "limit"):
        found[col] = found[col].astype(int)
    return found


@rule(
    "HX04",
    "history.reopened",
    Severity.WARNING,
    Text(
        zh="重新打开：上次检查（{since}）时已{from_status}，现又为进行中",
        en="Re-opened: the deal was {from_status} at the last check ({since}) and is open again",
    ),
)
def reopened(ctx: Context) -> pd.DataFrame:
    """A deal marked won or lost at the last recorded check is open again.

    Needs recorded history (``--record``). Bad row: status lost last month, open today. Fix:
    if it is really a new chance, enter it as a new deal with its own ID; otherwise restore
    the outcome.
    """
    prev = _aligned(ctx)
    if prev is None:
        return no_hits()
    before = prev["status"].to_numpy(dtype=object)
    closed = np.isin(before, ["won", "lost"])
    mask = prev["known"].to_numpy(dtype=bool) & closed & ctx.is_open.to_numpy(dtype=bool)
    if not mask.any():
        return no_hits()
    names = np.empty(len(before), dtype=object)
    for i, status in enumerate(before):
        names[i] = _STATUS.get(status) if isinstance(status, str) else None
    return hits(mask, "status", since=_day(prev["as_of"].to_numpy()), from_status=names)


def changes_since(
    deals: pd.DataFrame, findings: pd.DataFrame, previous: pd.DataFrame
) -> dict[str, object]:
    """What changed since the previous snapshot, as the task pane's "changes since the last
    check" line shows it: the date of that check; deals that advanced, went back, are new; and,
    from this check's findings, deals newly forced (HX01), stalled (HX03) and re-opened (HX04)."""
    prev = previous.drop_duplicates("deal_id", keep="last")
    before = pd.Series(
        prev["stage"].to_numpy(dtype=float), index=prev["deal_id"].astype(str).to_numpy()
    )
    ids = deals["deal_id"].astype(str)
    known = ids.isin(before.index).to_numpy(dtype=bool)
    was = ids.map(before).to_numpy(dtype=float, na_value=np.nan)
    now = deals["stage"].to_numpy(dtype=float, na_value=np.nan)
    codes = findings["code"].astype(str)

    def deals_with(code: str) -> int:
        return int(findings.loc[codes == code, "deal_id"].nunique())

    since = pd.to_datetime(prev["as_of"]).max() if len(prev) else None
    return {
        "since": None if since is None or pd.isna(since) else since.strftime("%Y-%m-%d"),
        "advanced": int((known & (now > was)).sum()),
        "went_back": int((known & (now < was)).sum()),
        "new": int((~known & deals["deal_id"].notna().to_numpy(dtype=bool)).sum()),
        "newly_forced": deals_with("HX01"),
        "stalled": deals_with("HX03"),
        "reopened": deals_with("HX04"),
    }
