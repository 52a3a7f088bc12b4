"""What the recorded history tells: stage transitions, one deal's timeline, the funnel.

Each report is a list of plain rows (dicts of JSON-safe values: text, integers, finite floats,
ISO dates, None) computed with pandas from the snapshots; :func:`to_json` and :func:`to_text`
show them. A deal is followed within its workbook (file + deal ID): the same ID in two
workbooks is two deals.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from excelflow.history import schema
from excelflow.history.store import HistoryError, Store
from excelflow.pipeline.ruleset import Lang, RuleSet, Text

Row = dict[str, Any]

_COLUMNS = ["check_id", "file", "user", "as_of", "recorded_at", "deal_id", "stage", "status"]
_COLUMNS += ["milestones", "probability", "amount", "grade"]


def load(store: Store, *, deal_id: str | None = None) -> pd.DataFrame:
    """Every deal snapshot (one deal's when ``deal_id`` is given), oldest first.

    Raises:
        HistoryError: the database cannot be read.
    """
    c, s = schema.checks, schema.deal_snapshots
    query = (
        sa.select(
            c.c.id,
            c.c.file,
            c.c.user_name,
            c.c.as_of,
            c.c.recorded_at,
            s.c.deal_id,
            s.c.stage,
            s.c.status,
            s.c.milestones,
            s.c.probability,
            s.c.amount,
            s.c.grade,
        )
        .join(s, s.c.check_id == c.c.id)
        .order_by(c.c.file, s.c.deal_id, c.c.as_of, c.c.id)
    )
    if deal_id is not None:
        query = query.where(s.c.deal_id == deal_id)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
    except SQLAlchemyError as exc:
        raise HistoryError(f"history database {store.name}: cannot read ({exc})") from exc
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["stage"] = frame["stage"].astype("Float64")
    return frame


def _day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _int(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def _float(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


KINDS = {
    "advanced": Text(zh="推进", en="advanced"),
    "went_back": Text(zh="倒退", en="went back"),
    "reopened": Text(zh="重新打开", en="re-opened"),
    "won": Text(zh="赢单", en="won"),
    "lost": Text(zh="输单", en="lost"),
    "changed": Text(zh="变更", en="changed"),
}
"""The kinds of transition, as shown in each language."""


def _kind(before: pd.Series, after: pd.Series) -> str:
    if before["status"] in ("won", "lost") and after["status"] == "open":
        return "reopened"
    if after["status"] in ("won", "lost") and before["status"] != after["status"]:
        return str(after["status"])
    if pd.notna(before["stage"]) and pd.notna(after["stage"]):
        if after["stage"] > before["stage"]:
            return "advanced"
        if after["stage"] < before["stage"]:
            return "went_back"
    return "changed"


def transitions(frame: pd.DataFrame, since: dt.date | None = None) -> list[Row]:
    """Every change of stage or status between two consecutive checks of a deal (in its
    workbook), oldest first; ``since``: only changes seen at a check on or after that day."""
    if not len(frame):
        return []
    deal = frame["file"] + "\x00" + frame["deal_id"]
    stage = frame["stage"].astype(float).fillna(-1)
    status = frame["status"].fillna("")
    same_deal = deal.eq(deal.shift())
    changed = same_deal & (stage.ne(stage.shift()) | status.ne(status.shift()))
    if since is not None:
        changed &= frame["as_of"].ge(pd.Timestamp(since))
    out = []
    for i in np.flatnonzero(changed.to_numpy(dtype=bool)):
        before, after = frame.iloc[i - 1], frame.iloc[i]
        out.append(
            {
                "file": after["file"],
                "deal_id": after["deal_id"],
                "kind": _kind(before, after),
                "from_stage": _int(before["stage"]),
                "to_stage": _int(after["stage"]),
                "from_status": before["status"],
                "to_status": after["status"],
                "since": _day(before["as_of"]),
                "when": _day(after["as_of"]),
                "days": int((after["as_of"] - before["as_of"]).days),
                "user": after["user"],
            }
        )
    out.sort(key=lambda r: (r["when"], r["file"], r["deal_id"]))
    return out


def timeline(frame: pd.DataFrame) -> list[Row]:
    """One deal's snapshots (``frame`` from ``load(store, deal_id=…)``), oldest first, each with
    what changed since the deal's previous snapshot in the same workbook."""
    out = []
    previous: dict[str, pd.Series] = {}
    for _, row in frame.sort_values(["as_of", "check_id"], kind="stable").iterrows():
        before = previous.get(row["file"])
        change = None
        if before is not None and (
            _int(before["stage"]) != _int(row["stage"]) or before["status"] != row["status"]
        ):
            change = _kind(before, row)
        previous[row["file"]] = row
        out.append(
            {
                "as_of": _day(row["as_of"]),
                "recorded_at": pd.Timestamp(row["recorded_at"]).isoformat(),
                "file": row["file"],
                "user": row["user"],
                "stage": _int(row["stage"]),
                "status": row["status"],
                "grade": row["grade"],
                "probability": _float(row["probability"]),
                "amount": _float(row["amount"]),
                "milestones": json.loads(row["milestones"]),
                "change": change,
            }
        )
    return out


def funnel(frame: pd.DataFrame, ruleset: RuleSet, since: dt.date | None = None) -> list[Row]:
    """Per stage: the deals recorded at it or beyond (``reached``), how many of them got
    further (``advanced``: to a later stage, or won), the conversion, and the average days a
    deal spent at the stage before it moved on (stays that ended; ``stays`` counts them).
    ``since``: only snapshots on or after that day."""
    if since is not None:
        frame = frame[frame["as_of"].ge(pd.Timestamp(since))]
    numbers = [st.number for st in ruleset.stages]
    if not len(frame):
        per_deal = pd.DataFrame({"top": [], "won": []})
        runs = pd.DataFrame({"stage": [], "days": []})
    else:
        key = frame["file"] + "\x00" + frame["deal_id"]
        stage = frame["stage"].astype(float)
        per_deal = pd.DataFrame(
            {"top": stage.groupby(key).max(), "won": frame["status"].eq("won").groupby(key).any()}
        )
        runs = _stays(frame.assign(key=key, stage_f=stage.fillna(-1)))
    out = []
    for i, number in enumerate(numbers):
        reached = per_deal["top"].ge(number)
        beyond = per_deal["top"].gt(number) | per_deal["won"].astype(bool)
        if i == len(numbers) - 1:
            beyond = per_deal["won"].astype(bool) & reached
        n_reached = int(reached.sum())
        n_beyond = int((reached & beyond).sum())
        mine = runs[runs["stage"] == number]["days"]
        st = ruleset.stages[i]
        out.append(
            {
                "stage": number,
                "name_zh": st.name.zh,
                "name_en": st.name.en,
                "reached": n_reached,
                "advanced": n_beyond,
                "conversion": round(n_beyond / n_reached, 4) if n_reached else None,
                "average_days": round(float(mine.mean()), 1) if len(mine) else None,
                "stays": len(mine),
            }
        )
    return out


def _stays(frame: pd.DataFrame) -> pd.DataFrame:
    """Each finished stay of a deal at a stage: the stage and its days, from the first check
    that saw the deal there to the first check that saw it at another stage."""
    key, stage = frame["key"], frame["stage_f"]
    run = (key.ne(key.shift()) | stage.ne(stage.shift())).cumsum()
    firsts = frame.groupby(run).agg(key=("key", "first"), stage=("stage_f", "first"))
    firsts["start"] = frame.groupby(run)["as_of"].min()
    nxt = firsts.shift(-1)
    ended = nxt["key"].eq(firsts["key"]) & firsts["stage"].ge(0)
    days = (nxt["start"] - firsts["start"]).dt.days
    return pd.DataFrame({"stage": firsts["stage"][ended], "days": days[ended].astype(float)})


# --------------------------------------------------------------------------- showing

_HEADERS: Mapping[str, Text] = {
    "file": Text(zh="文件", en="file"),
    "deal_id": Text(zh="商机编号", en="deal"),
    "kind": Text(zh="变化", en="change"),
    "change": Text(zh="变化", en="change"),
    "from_stage": Text(zh="原阶段", en="from"),
    "to_stage": Text(zh="新阶段", en="to"),
    "from_status": Text(zh="原状态", en="was"),
    "to_status": Text(zh="新状态", en="now"),
    "since": Text(zh="上次检查", en="since"),
    "when": Text(zh="本次检查", en="when"),
    "days": Text(zh="天数", en="days"),
    "user": Text(zh="用户", en="user"),
    "as_of": Text(zh="检查日期", en="as of"),
    "recorded_at": Text(zh="记录时间", en="recorded"),
    "stage": Text(zh="阶段", en="stage"),
    "status": Text(zh="状态", en="status"),
    "grade": Text(zh="分级", en="grade"),
    "probability": Text(zh="赢率", en="probability"),
    "amount": Text(zh="金额", en="amount"),
    "milestones": Text(zh="已完成节点", en="milestones"),
    "name": Text(zh="阶段名称", en="name"),
    "reached": Text(zh="到达", en="reached"),
    "advanced": Text(zh="推进", en="advanced"),
    "conversion": Text(zh="转化率", en="conversion"),
    "average_days": Text(zh="平均天数", en="avg days"),
    "stays": Text(zh="样本", en="stays"),
}

TEXT_COLUMNS: Mapping[str, Sequence[str]] = {
    "transitions": (
        "when",
        "file",
        "deal_id",
        "kind",
        "from_stage",
        "to_stage",
        "from_status",
        "to_status",
        "days",
        "user",
    ),
    "deal": ("as_of", "file", "stage", "status", "grade", "probability", "amount", "change"),
    "funnel": ("stage", "name", "reached", "advanced", "conversion", "average_days", "stays"),
}


def to_json(report: str, rows: list[Row], **meta: Any) -> str:
    """The report as strict JSON (``{"report": …, …meta, "rows": [...]}``; never NaN)."""
    doc = {"report": report, **meta, "rows": rows}
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _cell(key: str, row: Row, lang: Lang) -> str:
    value = row.get(key)
    if key == "name":
        value = row.get(f"name_{lang}")
    elif key in ("kind", "change") and value in KINDS:
        value = KINDS[value](lang)
    elif key in ("conversion", "probability") and value is not None:
        return f"{value:.0%}"
    elif key == "amount" and value is not None:
        return f"{value:,.0f}"
    elif key == "file" and isinstance(value, str):
        value = value.rsplit("/", 1)[-1]
    return "" if value is None else str(value)


def to_text(report: str, rows: list[Row], lang: Lang) -> str:
    """The report as an aligned text table in ``lang`` (file names shortened to their base name;
    ``--format json`` has the full paths)."""
    from excelflow.pipeline.textutil import pad

    if not rows:
        return Text(zh="（没有记录）", en="(nothing recorded)")(lang) + "\n"
    keys = TEXT_COLUMNS[report]
    table = [[_HEADERS[k](lang) for k in keys]] + [[_cell(k, r, lang) for k in keys] for r in rows]
    widths = [max(_width(line[i]) for line in table) for i in range(len(keys))]
    lines = ["  ".join(pad(c, w) for c, w in zip(line, widths, strict=True)) for line in table]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _width(text: str) -> int:
    from excelflow.pipeline.textutil import width

    return width(text)
