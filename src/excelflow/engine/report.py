"""Reports over one or more files: a readable text table, or JSON (``report.schema.json``).

JSON is assembled from ``DataFrame.to_json`` pieces so a 100k-deal report costs milliseconds of
Python, not a dict per deal.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from excelflow import __version__
from excelflow.engine import Result
from excelflow.pipeline.findings import FINDING_COLUMNS, Severity
from excelflow.pipeline.headers import field_name
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.pipeline.textutil import pad, width


@dataclass
class FileReport:
    """The outcome for one input file: a result, or the one-line reason it could not be read;
    ``skipped`` when a folder run passed over it because it holds no pipeline table."""

    path: str
    result: Result | None = None
    error: str | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """True when the file was read and checked."""
        return self.result is not None


def max_severity(reports: Sequence[FileReport]) -> int:
    """Highest severity rank found (2 error, 1 warning, 0 info), or -1 when nothing was found."""
    ranks = [-1]
    for rep in reports:
        if rep.result is not None and len(rep.result.findings):
            ranks.extend(Severity(s).rank for s in rep.result.findings["severity"].unique())
    return max(ranks)


def weighted_pipeline(result: Result) -> float:
    """The weighted amount of the open deals: 0 when none has a known amount (a CRM export with
    no value on its open deals), never NaN or infinite, so the text report, the JSON report and
    a folder run's total all say the same finite number."""
    deals = result.deals
    total = float(deals.loc[deals["is_open"], "weighted_amount"].sum())  # all-NaN sums to 0
    return total if math.isfinite(total) else 0.0


def summary(reports: Sequence[FileReport]) -> dict[str, Any]:
    """Totals over all files."""
    out: dict[str, Any] = {
        "files": len(reports),
        "files_failed": 0,
        "files_skipped": 0,
        "deals": 0,
        "errors": 0,
        "warnings": 0,
        "infos": 0,
    }
    grades: dict[str, int] = {}
    weighted = 0.0
    for rep in reports:
        if rep.result is None:
            out["files_skipped" if rep.skipped else "files_failed"] += 1
            continue
        res = rep.result
        counts = res.counts()
        out["deals"] += len(res.deals)
        out["errors"] += counts["error"]
        out["warnings"] += counts["warning"]
        out["infos"] += counts["info"]
        for grade, n in res.deals["grade"].value_counts().items():
            grades[str(grade)] = grades.get(str(grade), 0) + int(n)
        weighted += weighted_pipeline(res)
    out["grades"] = dict(sorted(grades.items()))
    out["weighted_pipeline"] = round(weighted, 2)
    return out


# --------------------------------------------------------------------------- JSON


def deals_detail(result: Result, lang: Lang) -> pd.DataFrame:
    """The per-deal rows of the JSON report (and of the Excel result columns)."""
    d = result.deals
    return pd.DataFrame(
        {
            "deal_id": d["deal_id"],
            "row": d["row"],
            "stage": d["stage"],
            "status": d["status"],
            "score": d["score"],
            "evaluation": d["evaluation"],
            "grade": d["grade"],
            "action": d[f"action_{lang}"],
            "probability": d["probability"].round(6),
            "adjusted_probability": d["adjusted_probability"].round(6),
            "amount": d["amount"],
            "weighted_amount": d["weighted_amount"].round(2),
            "gate": d["gate"],
            "missing": d[f"missing_{lang}"].where(d["missing_parts"] > 0, None),
            "days_to_close": d["days_to_close"].astype("Int64"),
        }
    )


def mapping_hint(result: Result) -> str | None:
    """The shipped mapping that fits a file read without one, when its stage column holds
    values ExcelFlow does not read itself (``Won``, ``Closed Lost``…); else None."""
    p = result.pipeline
    if (
        p.mapping_source is not None
        or "stage" not in p.raw
        or not (result.findings["code"] == "DQ03").any()
    ):
        return None
    from excelflow.pipeline.suggest import fitting_mapping

    return fitting_mapping(list(p.raw["stage"]), result.ruleset)


REPORT_VERSION = "2"
"""Version of ``schemas/report.schema.json`` this module writes (2: ``columns`` per file)."""


def columns_detail(result: Result, lang: Lang) -> list[dict[str, Any]]:
    """The header report of the JSON report: every header, the field(s) it feeds or the closest
    known field when it was ignored, and the unit its header states."""
    rs = result.ruleset
    return [
        {
            "header": h.header,
            "column": h.letter,
            "fields": list(h.fields),
            "field_headers": [field_name(k, rs, lang) for k in h.fields],
            "suggestion": h.suggestion,
            "suggestion_header": None
            if h.suggestion is None
            else field_name(h.suggestion, rs, lang),
            "unit": h.unit,
        }
        for h in result.pipeline.headers
    ]


def _records(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "[]"
    return str(frame.to_json(orient="records", force_ascii=False, double_precision=10))


def to_json(
    reports: Sequence[FileReport], ruleset: RuleSet, *, as_of: dt.date, lang: Lang | None
) -> str:
    """The whole run as a JSON document (see ``schemas/report.schema.json``)."""
    head = {
        "report_version": REPORT_VERSION,
        "excelflow_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "ruleset": {"name": ruleset.name, "version": ruleset.version, "source": ruleset.source},
    }
    files = []
    for rep in reports:
        meta: dict[str, Any]
        if rep.result is None:
            meta = {
                "path": rep.path,
                "status": "skipped" if rep.skipped else "error",
                "error": rep.error,
                "sheet": None,
                "lang": lang,
                "deals": 0,
                "counts": {"error": 0, "warning": 0, "info": 0},
            }
            files.append(
                json.dumps(
                    {**meta, "columns": [], "findings": [], "deals_detail": []},
                    ensure_ascii=False,
                    allow_nan=False,
                )
            )
            continue
        res = rep.result
        meta = {
            "path": rep.path,
            "status": "ok",
            "error": None,
            "sheet": res.pipeline.sheet,
            "lang": res.lang,
            "header_row": res.pipeline.header_row,
            "deals": len(res.deals),
            "counts": res.counts(),
            "columns": columns_detail(res, res.lang),
            "mapping_hint": mapping_hint(res),
        }
        findings = _records(res.findings[list(FINDING_COLUMNS)])
        detail = _records(deals_detail(res, res.lang))
        files.append(
            json.dumps(meta, ensure_ascii=False, allow_nan=False)[:-1]
            + f', "findings": {findings}, "deals_detail": {detail}}}'
        )
    body = json.dumps(head, ensure_ascii=False, allow_nan=False)[:-1]
    total = json.dumps(summary(reports), ensure_ascii=False, allow_nan=False)
    return f'{body}, "files": [{", ".join(files)}], "summary": {total}}}\n'


# --------------------------------------------------------------------------- text


LABELS = {
    "zh": {
        "sheet": "工作表",
        "deals": "个商机",
        "error": "错误",
        "warning": "警告",
        "info": "提示",
        "cell": "单元格",
        "sev_error": "错误",
        "sev_warning": "警告",
        "sev_info": "提示",
        "deal": "商机",
        "code": "代码",
        "severity": "级别",
        "message": "说明",
        "more": "另有 {n} 条未显示（用 --format json 或 --limit 0 查看全部）",
        "grades": "评级",
        "codes": "按代码",
        "weighted": "加权管道金额",
        "none": "未发现问题",
        "failed": "无法读取",
        "skipped": "已跳过",
        "skip_line": "– 跳过（不是商机表）：{error}",
        "total": "合计",
        "used": "已用列",
        "ignored": "未用列",
        "closest": "（最接近：{field}）",
        "unit": "单位 {unit}",
        "hint": "提示：用 --mapping 指定这些列；`excelflow mapping suggest {path}` 可生成映射草稿",
        "fits": "提示：阶段列的值与内置映射 {name} 相符，可试 --mapping {name}",
    },
    "en": {
        "sheet": "sheet",
        "deals": "deals",
        "error": "errors",
        "warning": "warnings",
        "info": "info",
        "cell": "Cell",
        "sev_error": "error",
        "sev_warning": "warning",
        "sev_info": "info",
        "deal": "Deal",
        "code": "Code",
        "severity": "Severity",
        "message": "Message",
        "more": "{n} more not shown (use --format json, or --limit 0 for all)",
        "grades": "Grades",
        "codes": "By code",
        "weighted": "weighted pipeline",
        "none": "no findings",
        "failed": "could not be read",
        "skipped": "skipped",
        "skip_line": "– skipped (not a pipeline): {error}",
        "total": "Total",
        "used": "Columns used",
        "ignored": "Columns ignored",
        "closest": " (closest: {field})",
        "unit": "unit {unit}",
        "hint": "Hint: map them with --mapping; `excelflow mapping suggest {path}` writes a "
        "starting mapping",
        "fits": "Hint: the stage values match the shipped mapping {name}: try --mapping {name}",
    },
}


def header_lines(result: Result, lang: Lang, path: str) -> list[str]:
    """The header report as text: the headers used (→ field, with a unit) and the ignored ones
    with the closest known field, plus a hint to map them when no mapping was given or one of
    them resembles a known field."""
    lab = LABELS[lang]
    rs = result.ruleset
    sep, colon = ("，", "：") if lang == "zh" else (", ", ": ")
    used, ignored = [], []
    for h in result.pipeline.headers:
        unit = f" [{lab['unit'].format(unit=h.unit)}]" if h.unit else ""
        if h.used:
            names = "+".join(field_name(k, rs, lang) for k in h.fields)
            used.append(f"{h.header}{unit}" if names == h.header else f"{h.header} → {names}{unit}")
        else:
            hint = (
                ""
                if h.suggestion is None
                else lab["closest"].format(field=field_name(h.suggestion, rs, lang))
            )
            ignored.append(f"{h.header}{hint}")
    out = [f"  {lab['used']}{colon}{sep.join(used)}"] if used else []
    if ignored:
        out.append(f"  {lab['ignored']}{colon}{sep.join(ignored)}")
        guessed = any(not h.used and h.suggestion is not None for h in result.pipeline.headers)
        if guessed or result.pipeline.mapping_source is None:  # a mapping already says what to skip
            out.append(f"  {lab['hint'].format(path=path)}")
    return out


def to_text(reports: Sequence[FileReport], *, lang: Lang | None = None, limit: int = 200) -> str:
    """A readable report: per file a header line, a findings table and the grade mix."""
    lines: list[str] = []
    for rep in reports:
        lg: Lang = lang or (rep.result.lang if rep.result is not None else "en")
        lab = LABELS[lg]
        if rep.result is None:
            if rep.skipped:
                lines.append(lab["skip_line"].format(error=rep.error))
            else:
                lines.append(f"✗ {rep.error}")
            lines.append("")
            continue
        res = rep.result
        counts = res.counts()
        sheet = f" · {lab['sheet']} {res.pipeline.sheet}" if res.pipeline.sheet else ""
        tally = ("，" if lg == "zh" else ", ").join(
            f"{counts[s.value]} {lab[s.value]}" for s in Severity
        )
        lines.append(f"{rep.path}{sheet} · {len(res.deals)} {lab['deals']} · {tally}")
        lines.extend(header_lines(res, lg, rep.path))
        fits = mapping_hint(res)
        if fits is not None:
            lines.append("  " + lab["fits"].format(name=fits))
        f = res.findings
        if f.empty:
            lines.append(f"  ✓ {lab['none']}")
        else:
            shown = f if limit <= 0 else f.head(limit)
            own = res.pipeline.sheet
            where = [
                f"{sh}!{c}" if c and sh and sh != own else (c or "")
                for sh, c in zip(shown["sheet"], shown["cell"], strict=True)
            ]
            rows = [
                (str(c or ""), str(d or ""), code, lab[f"sev_{sev}"], msg)
                for c, d, code, sev, msg in zip(
                    where,
                    shown["deal_id"].fillna(""),
                    shown["code"],
                    shown["severity"],
                    shown[f"message_{lg}"],
                    strict=True,
                )
            ]
            head = (lab["cell"], lab["deal"], lab["code"], lab["severity"], lab["message"])
            widths = [max(width(r[i]) for r in [head, *rows]) for i in range(4)]
            for r in [head, *rows]:
                lines.append("  " + "  ".join(pad(r[i], widths[i]) for i in range(4)) + "  " + r[4])
            if limit > 0 and len(f) > limit:
                lines.append("  … " + lab["more"].format(n=len(f) - limit))
            per_code = f["code"].value_counts().sort_index()
            tally_codes = " · ".join(f"{code} {n:,}" for code, n in per_code.items())
            lines.append(f"  {lab['codes']}: {tally_codes}")
        grades = res.deals["grade"].value_counts()
        mix = " · ".join(f"{b.grade} {int(grades.get(b.grade, 0))}" for b in res.ruleset.grades)
        weighted = weighted_pipeline(res)
        lines.append(f"  {lab['grades']}: {mix} — {lab['weighted']} {weighted:,.0f}")
        lines.append("")
    if len(reports) > 1:
        tot = summary(reports)
        lab = LABELS[lang or "en"]
        lines.append(
            f"{lab['total']}: {tot['files']} files ({tot['files_failed']} {lab['failed']}, "
            f"{tot['files_skipped']} {lab['skipped']}), "
            f"{tot['deals']} {lab['deals']}, {tot['errors']} {lab['error']}, "
            f"{tot['warnings']} {lab['warning']}, {tot['infos']} {lab['info']}"
        )
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- select / statistics


def matches(code: str, prefixes: Sequence[str]) -> bool:
    """Whether ``code`` starts with one of ``prefixes`` (``SG``, ``DQ0``, ``DQ07``)."""
    return any(code.startswith(p) for p in prefixes)


def select_codes(
    reports: Sequence[FileReport], select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[FileReport]:
    """The reports with only the findings whose code starts with a ``select`` prefix (all when
    none is given) and with none of the ``ignore`` prefixes. The per-deal results (grade, gate,
    adjusted probability) are the engine's, whatever is selected."""
    if not select and not ignore:
        return list(reports)
    out = []
    for rep in reports:
        if rep.result is None:
            out.append(rep)
            continue
        codes = rep.result.findings["code"]
        keep = codes.map(lambda c: (not select or matches(c, select)) and not matches(c, ignore))
        findings = rep.result.findings.loc[keep.astype(bool)].reset_index(drop=True)
        out.append(replace(rep, result=replace(rep.result, findings=findings)))
    return out


def statistics(reports: Sequence[FileReport]) -> list[dict[str, Any]]:
    """Findings per code over all files, most frequent first (then by code): code, count,
    severity and the rule's description."""
    from excelflow.rules import load_all

    registry = load_all()
    counts: dict[str, int] = {}
    severities: dict[str, str] = {}
    for rep in reports:
        if rep.result is None or rep.result.findings.empty:
            continue
        f = rep.result.findings
        for code, n in f["code"].value_counts().items():
            counts[str(code)] = counts.get(str(code), 0) + int(n)
        for code, sev in zip(f["code"], f["severity"], strict=True):
            severities.setdefault(str(code), str(sev))
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = registry.get(code)
        rows.append(
            {
                "code": code,
                "count": n,
                "severity": severities[code],
                "description": rule.description if rule is not None else "",
            }
        )
    return rows


def statistics_text(rows: Sequence[dict[str, Any]]) -> str:
    """:func:`statistics` as aligned lines (``1,425  DQ01  error    A required field…``)."""
    if not rows:
        return ""
    counts = [f"{r['count']:,}" for r in rows]
    w = max(map(len, counts))
    return "".join(
        f"{n:>{w}}  {r['code']}  {r['severity']:<7}  {plain(r['description'])}\n"
        for n, r in zip(counts, rows, strict=True)
    )


def plain(text: str) -> str:
    """A rule's docstring as a terminal shows it: reStructuredText literals (````x````) without
    their backquotes."""
    return _LITERAL.sub(r"\1", text)


_LITERAL = re.compile(r"``(.+?)``")
