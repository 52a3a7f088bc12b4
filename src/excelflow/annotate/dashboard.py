"""The Dashboard part of the annotation plan: KPIs and the four summary tables.

Writer-neutral like :mod:`excelflow.annotate.plan`: plain dataclasses and lists. Every number is
a pandas aggregation of ``Result.deals`` (open deals for the funnel and grade tables; deals with
a gate status, i.e. open with a known stage, for the gate-violation rates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from excelflow.annotate.labels import (
    CHART_TITLE,
    COLUMNS_HEADERS,
    COLUMNS_TITLE,
    DASHBOARD_TITLE,
    FORECAST_CHART,
    FORECAST_HEADERS,
    FORECAST_TITLE,
    IGNORED,
    KPI_LABEL,
    NO_AMOUNT_CHART,
    NO_OWNER,
    NOT_AVAILABLE,
    SEVERITY_LABEL,
    SEVERITY_RANK,
    SUBTITLE,
    TABLE_HEADERS,
    TABLE_TITLE,
    UNKNOWN_STAGE,
)
from excelflow.engine import Result
from excelflow.engine.forecast import UNKNOWN_KEY, forecast, headline
from excelflow.pipeline.headers import field_name
from excelflow.pipeline.ruleset import Lang
from excelflow.rules import load_all

MONEY = "#,##0"
PERCENT = "0%"
RATE = "0.0%"
COUNT = "0"


@dataclass(frozen=True)
class Table:
    """A small titled table: ``headers`` then ``rows``; ``formats`` per column (None = as is)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    formats: list[str | None]
    chart_title: str = ""
    note: str = ""
    """One line under the table (the forecast's totals and what its gap means)."""

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (headers as column names)."""
        return pd.DataFrame(self.rows, columns=self.headers)


@dataclass(frozen=True)
class Kpi:
    """One headline number of the Dashboard."""

    key: str
    label: str
    value: float | int | str
    """The number, or "n/a" (``NOT_AVAILABLE``) when nothing could be counted."""
    number_format: str


@dataclass(frozen=True)
class Dashboard:
    """The Dashboard sheet's content."""

    title: str
    subtitle: str
    kpis: list[Kpi]
    tables: dict[str, Table]
    columns: Table | None = None
    """The header report: every header of the sheet, the field it was read as, or the closest
    known field when it was ignored, and its unit (no chart)."""
    no_chart: dict[str, str] = field(default_factory=dict)
    """Table key -> the sentence shown instead of its chart when the chart would be empty (no
    amount column recognised, or no open deal with an amount)."""


def plain_value(value: Any) -> Any:
    """A cell value as a writer wants it: None for NA/NaN, numpy scalars as Python scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _sum(values: pd.Series) -> float:
    return float(values.sum(skipna=True)) if len(values) else 0.0


def dashboard(result: Result, lang: Lang) -> Dashboard:
    """KPIs and the Dashboard tables (stage funnel, grades, codes, owners, forecast)."""
    d = result.deals
    rs = result.ruleset
    open_ = d[d["is_open"].to_numpy(dtype=bool)]
    stage_num = open_["stage"].astype("Float64")
    tables: dict[str, Table] = {}

    rows: list[list[Any]] = []
    for st in rs.stages:
        sel = open_[(stage_num == st.number).fillna(False).to_numpy(dtype=bool)]
        rows.append(
            [
                f"{st.number} {st.name(lang)}",
                len(sel),
                _sum(sel["amount"]),
                _sum(sel["weighted_amount"]),
            ]
        )
    unknown = open_[stage_num.isna().to_numpy(dtype=bool)]
    if len(unknown):
        rows.append(
            [
                UNKNOWN_STAGE(lang),
                len(unknown),
                _sum(unknown["amount"]),
                _sum(unknown["weighted_amount"]),
            ]
        )
    tables["by_stage"] = _table("by_stage", lang, rows, [None, COUNT, MONEY, MONEY])

    rows = []
    for band in rs.grades:
        sel = open_[open_["grade"].to_numpy(dtype=object) == band.grade]
        rows.append(
            [
                band.grade,
                len(sel),
                _sum(sel["amount"]),
                _sum(sel["weighted_amount"]),
                band.action(lang),
            ]
        )
    tables["by_grade"] = _table("by_grade", lang, rows, [None, COUNT, MONEY, MONEY, None])

    f = result.findings
    registry = load_all()
    rows = []
    if len(f):
        pos = f["pos"].to_numpy(dtype=int)
        by = pd.DataFrame({"code": f["code"], "severity": f["severity"], "pos": pos})
        for (code, sev), grp in by.groupby(["code", "severity"], sort=False):
            rule = registry.get(str(code))
            deals_hit = int(grp.loc[grp["pos"] >= 0, "pos"].nunique())
            rows.append(
                [
                    str(code),
                    SEVERITY_LABEL[str(sev)](lang),
                    len(grp),
                    deals_hit,
                    rule.title(lang) if rule else "",
                    SEVERITY_RANK[str(sev)],
                ]
            )
        rows.sort(key=lambda r: (-r[5], r[0]))
        rows = [r[:5] for r in rows]
    tables["by_code"] = _table("by_code", lang, rows, [None, None, COUNT, COUNT, None])

    # only deals whose milestones could be checked (an absent milestone column is unknown)
    gated = d["gate"].isin(["pass", "forced"]).to_numpy(dtype=bool)
    owners = result.pipeline.frame["owner"].to_numpy(dtype=object)
    owner_label = np.array(
        [
            NO_OWNER(lang) if plain_value(o) is None or not str(o).strip() else str(o)
            for o in owners
        ],
        dtype=object,
    )
    forced = (d["gate"].to_numpy(dtype=object) == "forced") & gated
    rows = []
    if gated.any():
        frame = pd.DataFrame({"owner": owner_label[gated], "forced": forced[gated]})
        agg = frame.groupby("owner", sort=True)["forced"].agg(["size", "sum"])
        for owner, size, n_forced in zip(agg.index, agg["size"], agg["sum"], strict=True):
            rows.append([str(owner), int(size), int(n_forced), float(n_forced) / float(size)])
        rows.sort(key=lambda r: (-r[3], r[0]))
    tables["by_owner"] = _table("by_owner", lang, rows, [None, COUNT, COUNT, RATE])
    tables["forecast"] = _forecast(result, lang)

    counts = result.counts()
    n_gated = int(gated.sum())
    deal_pos = f["pos"].to_numpy(dtype=int)
    n_flagged = int(np.unique(deal_pos[deal_pos >= 0]).size)
    kpis = [
        Kpi("open_deals", KPI_LABEL["open_deals"](lang), len(open_), COUNT),
        Kpi("open_amount", KPI_LABEL["open_amount"](lang), _sum(open_["amount"]), MONEY),
        Kpi("weighted", KPI_LABEL["weighted"](lang), _sum(open_["weighted_amount"]), MONEY),
        Kpi(
            "forced_rate",
            KPI_LABEL["forced_rate"](lang),
            float(forced.sum()) / n_gated if n_gated else NOT_AVAILABLE(lang),
            RATE,
        ),
        Kpi("error", KPI_LABEL["error"](lang), counts["error"], COUNT),
        Kpi("warning", KPI_LABEL["warning"](lang), counts["warning"], COUNT),
        Kpi("info", KPI_LABEL["info"](lang), counts["info"], COUNT),
        Kpi("flagged", KPI_LABEL["flagged"](lang), n_flagged, COUNT),
    ]
    subtitle = SUBTITLE(lang).format(
        file=PurePath(result.pipeline.source).name,
        as_of=result.as_of.strftime("%Y-%m-%d"),
        ruleset=rs.name,
        version=rs.version,
    )
    no_chart: dict[str, str] = {}
    if result.pipeline.columns.get("amount") is None:
        no_chart["by_stage"] = NO_AMOUNT_CHART["no_column"](lang)
    elif not open_["amount"].notna().any():
        no_chart["by_stage"] = NO_AMOUNT_CHART["blank"](lang)
    return Dashboard(
        DASHBOARD_TITLE(lang), subtitle, kpis, tables, _columns(result, lang), no_chart
    )


def _columns(result: Result, lang: Lang) -> Table:
    rs = result.ruleset
    rows = [
        [
            h.letter,
            h.header,
            " + ".join(field_name(k, rs, lang) for k in h.fields) if h.used else IGNORED(lang),
            "" if h.suggestion is None else field_name(h.suggestion, rs, lang),
            h.unit or "",
        ]
        for h in result.pipeline.headers
    ]
    return Table(
        key="columns",
        title=COLUMNS_TITLE(lang),
        headers=[h(lang) for h in COLUMNS_HEADERS],
        rows=rows,
        formats=[None] * len(COLUMNS_HEADERS),
    )


def _table(key: str, lang: Lang, rows: list[list[Any]], formats: Sequence[str | None]) -> Table:
    return Table(
        key=key,
        title=TABLE_TITLE[key](lang),
        headers=[h(lang) for h in TABLE_HEADERS[key]],
        rows=rows,
        formats=list(formats),
        chart_title=CHART_TITLE[key](lang),
    )


def _forecast(result: Result, lang: Lang) -> Table:
    """Stated vs gate-adjusted weighted amount per salesperson (open deals); the note gives the
    totals, the gap and what it means."""
    f = forecast(result.deals)
    rows: list[list[Any]] = [
        [NO_OWNER(lang) if r.key == UNKNOWN_KEY else r.key, r.deals, r.stated, r.adjusted]
        for r in f.by_owner
    ]
    return Table(
        key="forecast",
        title=FORECAST_TITLE(lang),
        headers=[h(lang) for h in FORECAST_HEADERS],
        rows=rows,
        formats=[None, COUNT, MONEY, MONEY],
        chart_title=FORECAST_CHART(lang),
        note=headline(f, lang),
    )
