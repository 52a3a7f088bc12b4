"""Reports over one or more files: a readable text table, or JSON (``report.schema.json``).

JSON is assembled from ``DataFrame.to_json`` pieces so a 100k-deal report costs milliseconds of
Python, not a dict per deal.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from excelflow import __version__
from excelflow.engine import Result, count_values
from excelflow.engine.forecast import forecast, forecast_dict, forecast_lines, stated_total
from excelflow.pipeline.fields import all_fields
from excelflow.pipeline.findings import FINDING_COLUMNS, Severity
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


def file_totals(rep: FileReport) -> dict[str, Any]:
    """One file's share of :func:`summary` (plain numbers, small enough to send between
    processes): what a batch run's workers return, and the parent adds up with
    :func:`merge_totals`."""
    out: dict[str, Any] = {
        "files": 1,
        "files_failed": 0,
        "files_skipped": 0,
        "deals": 0,
        "errors": 0,
        "warnings": 0,
        "infos": 0,
        "grades": {},
        "weighted_pipeline": 0.0,
        "stated_pipeline": 0.0,
    }
    if rep.result is None:
        out["files_skipped" if rep.skipped else "files_failed"] = 1
        return out
    res = rep.result
    counts = res.counts()
    out["deals"] = len(res.deals)
    out["errors"] = counts["error"]
    out["warnings"] = counts["warning"]
    out["infos"] = counts["info"]
    out["grades"] = {str(g): n for g, n in count_values(res.deals["grade"]).items()}
    out["weighted_pipeline"] = weighted_pipeline(res)
    out["stated_pipeline"] = stated_total(res.deals)
    return out


def merge_totals(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """:func:`file_totals` of many files added up, in the order given: the ``summary`` of the
    JSON report."""
    out: dict[str, Any] = {
        "files": 0,
        "files_failed": 0,
        "files_skipped": 0,
        "deals": 0,
        "errors": 0,
        "warnings": 0,
        "infos": 0,
    }
    grades: dict[str, int] = {}
    weighted = 0.0
    stated = 0.0
    for part in parts:
        for key in out:
            out[key] += part[key]
        for grade, n in part["grades"].items():
            grades[grade] = grades.get(grade, 0) + n
        weighted += part["weighted_pipeline"]
        stated += part["stated_pipeline"]
    out["grades"] = dict(sorted(grades.items()))
    out["weighted_pipeline"] = round(weighted, 2)
    out["forecast"] = forecast_totals(stated, weighted)
    return out


def forecast_totals(stated: float, adjusted: float) -> dict[str, float]:
    """The run's forecast totals: stated, gate-adjusted (= the weighted pipeline) and the gap."""
    return {
        "stated": round(stated, 2),
        "adjusted": round(adjusted, 2),
        "gap": round(stated - adjusted, 2),
    }


def stage_names(result: Result, lang: Lang) -> dict[str, str]:
    """Each stage's forecast key → its label (``"3" → "3 Solution design"``)."""
    return {str(st.number): f"{st.number} {st.name(lang)}" for st in result.ruleset.stages}


def summary(reports: Sequence[FileReport]) -> dict[str, Any]:
    """Totals over all files."""
    return merge_totals(file_totals(rep) for rep in reports)


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
        or not (result.findings["code"].to_numpy(dtype=object) == "DQ03").any()
    ):
        return None
    from excelflow.pipeline.suggest import fitting_mapping

    return fitting_mapping(p.raw["stage"], result.ruleset)


REPORT_VERSION = "2"
"""Version of ``schemas/report.schema.json`` this module writes (2: ``columns`` per file)."""


def field_names(ruleset: RuleSet, lang: Lang) -> Callable[[str], str]:
    """:func:`~excelflow.pipeline.headers.field_name` for many keys of one rule set: its fields
    listed once, not once per header of the file."""
    headers: dict[str, str] = {}
    for spec in all_fields(ruleset):
        headers.setdefault(spec.key, spec.header(lang))
    return lambda key: headers.get(key, key)


def columns_detail(result: Result, lang: Lang) -> list[dict[str, Any]]:
    """The header report of the JSON report: every header, the field(s) it feeds or the closest
    known field when it was ignored, and the unit its header states."""
    field_name = field_names(result.ruleset, lang)
    return [
        {
            "header": h.header,
            "column": h.letter,
            "fields": list(h.fields),
            "field_headers": [field_name(k) for k in h.fields],
            "suggestion": h.suggestion,
            "suggestion_header": None if h.suggestion is None else field_name(h.suggestion),
            "unit": h.unit,
        }
        for h in result.pipeline.headers
    ]


_CHUNK = 20_000
"""Rows per piece of a findings or deals array: the JSON report is written piece by piece, so
its size in memory is one piece, never the whole document."""


def _records(frame: pd.DataFrame) -> Iterator[str]:
    """``frame`` as a JSON array of objects, in pieces of :data:`_CHUNK` rows."""
    if frame.empty:
        yield "[]"
        return
    for start in range(0, len(frame), _CHUNK):
        part = frame.iloc[start : start + _CHUNK]
        text = str(part.to_json(orient="records", force_ascii=False, double_precision=10))
        opening = "[" if start == 0 else ", "
        yield opening + text[1:-1]
    yield "]"


def _columns(frame: pd.DataFrame) -> Iterator[str]:
    """``frame`` as one JSON object of column arrays (``{"code": [...], ...}``), a column at a
    time, through orjson (NaN and NaT become null)."""
    import orjson

    from excelflow.engine import jsoncols

    for i, name in enumerate(frame.columns):
        key = orjson.dumps(str(name)).decode()
        yield ("{" if i == 0 else ", ") + key + ": " + jsoncols.column_array(frame[name])
    yield "}" if len(frame.columns) else "{}"


def message_template(template: str) -> tuple[str, re.Pattern[str], list[str]] | None:
    """A rule's message template as the compact report gives it (``str.format`` syntax with named
    fields and no format specs: the arguments are already formatted text), a pattern that reads
    the arguments back out of a rendered message, and the field names in order. None for a
    template this cannot read back (a positional field)."""
    plain, regex, names = "", "", []
    seen: set[str] = set()
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        plain += literal.replace("{", "{{").replace("}", "}}")
        regex += re.escape(literal)
        if name is None:
            continue
        if not name.isidentifier():
            return None
        plain += "{" + name + "}"
        if name in seen:
            regex += f"(?P={name})"
        else:
            regex += f"(?P<{name}>.*?)"
            seen.add(name)
            names.append(name)
    return plain, re.compile(regex, re.S), names


def _compact_messages(
    frame: pd.DataFrame, lang: Lang
) -> tuple[dict[str, str], list[Any], np.ndarray]:
    """The findings' messages as templates + arguments: per rule code its template, per distinct
    message ``{"code": …, "args": {…}}`` (the literal text when it cannot be read back exactly),
    and each finding's index in that list. Work is per distinct message, not per finding."""
    from excelflow.rules import load_all

    registry = load_all()
    codes = frame["code"].to_numpy(dtype=object)
    texts = frame["message"].to_numpy(dtype=object)
    index = np.zeros(len(frame), dtype=np.int64)
    templates: dict[str, str] = {}
    messages: list[Any] = []
    for code in pd.unique(codes):
        sel = np.flatnonzero(codes == code)
        local, uniques = pd.factorize(texts[sel], use_na_sentinel=False)
        index[sel] = local + len(messages)
        rule = registry.get(str(code))
        reader = None if rule is None else message_template(rule.message(lang))
        for text in map(str, uniques):
            found = None if reader is None else reader[1].fullmatch(text)
            if reader is not None and found is not None:
                args = {name: found.group(name) for name in reader[2]}
                if reader[0].format(**args) == text:
                    templates[str(code)] = reader[0]
                    messages.append({"code": str(code), "args": args})
                    continue
            messages.append(text)
    return templates, messages, index


def _compact_findings(frame: pd.DataFrame, lang: Lang) -> Iterator[str]:
    """Compact findings: each rule's message template once (``templates``), each distinct
    message once as its code and arguments (``messages``), and per finding its number in that
    list; the other fields as column arrays."""
    import orjson

    templates, messages, index = _compact_messages(frame, lang)
    columns = frame.drop(columns=["message"]).assign(message=index)
    yield (
        '{"templates": '
        + orjson.dumps(templates).decode()
        + ', "messages": '
        + orjson.dumps(messages).decode()
        + ', "columns": '
    )
    yield from _columns(columns)
    yield "}"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def json_head(ruleset: RuleSet, *, as_of: dt.date, compact: bool = False) -> dict[str, Any]:
    """The JSON report's fields before ``files``."""
    head: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "excelflow_version": __version__,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "ruleset": {"name": ruleset.name, "version": ruleset.version, "source": ruleset.source},
    }
    if compact:
        head["compact"] = True
    return head


def iter_file_json(rep: FileReport, lang: Lang | None, *, compact: bool = False) -> Iterator[str]:
    """One file's entry of the JSON report's ``files``, as JSON text in pieces (findings and
    deals a chunk at a time)."""
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
        empty_findings = '{"templates": {}, "messages": [], "columns": {}}' if compact else "[]"
        empty_deals = "{}" if compact else "[]"
        yield (
            f"{_dumps({**meta, 'columns': []})[:-1]}, "
            f'"findings": {empty_findings}, "deals_detail": {empty_deals}}}'
        )
        return
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
        "forecast": forecast_dict(forecast(res.deals)),
    }
    yield f'{_dumps(meta)[:-1]}, "findings": '
    findings = res.findings[list(FINDING_COLUMNS)]
    detail = deals_detail(res, res.lang)
    if compact:
        yield from _compact_findings(findings, res.lang)
        yield ', "deals_detail": '
        yield from _columns(detail)
    else:
        yield from _records(findings)
        yield ', "deals_detail": '
        yield from _records(detail)
    yield "}"


def file_json(rep: FileReport, lang: Lang | None, *, compact: bool = False) -> str:
    """One file's entry of the JSON report's ``files``, as one JSON text (a batch worker sends
    it to the parent, which writes it with :func:`json_document`)."""
    return "".join(iter_file_json(rep, lang, compact=compact))


def json_document(
    head: dict[str, Any], files: Iterable[str | Iterable[str]], total: dict[str, Any]
) -> Iterator[str]:
    """The JSON report in pieces: ``head``'s fields, the ``files`` entries (JSON text, or its
    pieces, consumed one at a time) and the ``summary``."""
    yield _dumps(head)[:-1] + ', "files": ['
    for i, entry in enumerate(files):
        if i:
            yield ", "
        if isinstance(entry, str):
            yield entry
        else:
            yield from entry
    yield '], "summary": ' + _dumps(total) + "}\n"


def iter_json(
    reports: Sequence[FileReport],
    ruleset: RuleSet,
    *,
    as_of: dt.date,
    lang: Lang | None,
    compact: bool = False,
) -> Iterator[str]:
    """The whole run as a JSON document (see ``schemas/report.schema.json``), in pieces: the
    head, then per file its header and its findings and deals a chunk at a time, then the
    summary. ``compact``: findings and deals as column arrays, each distinct message once."""
    files = (iter_file_json(rep, lang, compact=compact) for rep in reports)
    head = json_head(ruleset, as_of=as_of, compact=compact)
    yield from json_document(head, files, summary(reports))


def to_json(
    reports: Sequence[FileReport],
    ruleset: RuleSet,
    *,
    as_of: dt.date,
    lang: Lang | None,
    compact: bool = False,
) -> str:
    """The whole run as one JSON string (:func:`iter_json` joined; a door that writes a stream
    should write the pieces instead)."""
    return "".join(iter_json(reports, ruleset, as_of=as_of, lang=lang, compact=compact))


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
        "files": "个文件",
        "counts_head": "商机|错误|警告|提示",
        "file": "文件",
        "status": "状态",
        "checked": "已检查",
        "stage": "阶段",
        "value": "单元格值",
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
        "files": "files",
        "counts_head": "Deals|Errors|Warnings|Info",
        "file": "File",
        "status": "Status",
        "checked": "checked",
        "stage": "stage",
        "value": "cell value",
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
    field_name = field_names(result.ruleset, lang)
    sep, colon = ("，", "：") if lang == "zh" else (", ", ": ")
    used, ignored = [], []
    for h in result.pipeline.headers:
        unit = f" [{lab['unit'].format(unit=h.unit)}]" if h.unit else ""
        if h.used:
            names = "+".join(field_name(k) for k in h.fields)
            used.append(f"{h.header}{unit}" if names == h.header else f"{h.header} → {names}{unit}")
        else:
            hint = (
                ""
                if h.suggestion is None
                else lab["closest"].format(field=field_name(h.suggestion))
            )
            ignored.append(f"{h.header}{hint}")
    out = [f"  {lab['used']}{colon}{sep.join(used)}"] if used else []
    if ignored:
        out.append(f"  {lab['ignored']}{colon}{sep.join(ignored)}")
        guessed = any(not h.used and h.suggestion is not None for h in result.pipeline.headers)
        if guessed or result.pipeline.mapping_source is None:  # a mapping already says what to skip
            out.append(f"  {lab['hint'].format(path=path)}")
    return out


def stage_label(result: Result, stage: Any, lang: Lang) -> str:
    """``4 投标阶段`` / ``4 Bidding`` for a stage number; empty when unknown."""
    if stage is None or pd.isna(stage):
        return ""
    for s in result.ruleset.stages:
        if s.number == int(stage):
            return f"{s.number} {s.name(lang)}"
    return str(stage)


def _context(res: Result, shown: pd.DataFrame, lg: Lang) -> list[str]:
    """Per finding the row's context (``--verbose``, like ruff's ``--show-source``): the deal's
    stage and the cell's value, as one line under the finding."""
    lab = LABELS[lg]
    stages = res.deals["stage"].to_numpy(dtype=object)
    out = []
    for pos, value in zip(shown["pos"], shown["value"], strict=True):
        parts = []
        if pos >= 0 and pos < len(stages):
            label = stage_label(res, stages[pos], lg)
            if label:
                parts.append(f"{lab['stage']} {label}")
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            parts.append(f"{lab['value']} {json.dumps(value, ensure_ascii=False, default=str)}")
        out.append(" · ".join(parts))
    return out


def file_rows(reports: Sequence[FileReport], lang: Lang) -> list[tuple[str, ...]]:
    """The per-file summary of a folder run: a header, then file, deals, errors, warnings,
    info and status per file (numbers with thousands separators)."""
    lab = LABELS[lang]
    rows: list[tuple[str, ...]] = [(lab["file"], *lab["counts_head"].split("|"), lab["status"])]
    for rep in reports:
        if rep.result is None:
            status = lab["skipped"] if rep.skipped else lab["failed"]
            rows.append((rep.path, "", "", "", "", status))
            continue
        c = rep.result.counts()
        rows.append(
            (
                rep.path,
                f"{len(rep.result.deals):,}",
                f"{c['error']:,}",
                f"{c['warning']:,}",
                f"{c['info']:,}",
                lab["checked"],
            )
        )
    return rows


def file_table(reports: Sequence[FileReport], lang: Lang) -> list[str]:
    """:func:`file_rows` as plain aligned text (numbers right-aligned; CJK counted double)."""
    rows = file_rows(reports, lang)
    widths = [max(width(r[i]) for r in rows) for i in range(6)]
    out = []
    for n, r in enumerate(rows):
        cells = [pad(r[0], widths[0])]
        for i in range(1, 5):
            cells.append(pad(r[i], widths[i]) if n == 0 else " " * (widths[i] - width(r[i])) + r[i])
        cells.append(r[5])
        out.append("  ".join(cells).rstrip())
    return out


def _widest(texts: list[str]) -> int:
    """The largest :func:`width` of ``texts``: characters counted in C, and only the texts that
    are not ASCII (whose width may exceed their length) measured, each distinct one once."""
    longest = max(map(len, texts), default=0)
    wide = {text for text in texts if not text.isascii()}
    return max(longest, *map(width, wide)) if wide else longest


def _aligned(texts: list[str], cols: int) -> list[str]:
    """Each text left-aligned to ``cols`` display columns, as :func:`pad` does: an ASCII text
    (a cell, a code, most deal IDs) by ``str.ljust`` in C, where one column is one character;
    any other text padded once per distinct text."""
    wide: dict[str, str] = {}
    return [
        text.ljust(cols)
        if text.isascii()
        else wide.get(text) or wide.setdefault(text, pad(text, cols))
        for text in texts
    ]


def _finding_lines(
    res: Result, shown: pd.DataFrame, lab: dict[str, str], lg: Lang, *, verbose: bool
) -> list[str]:
    """The findings table of the text report: a header line, then per finding its cell, deal,
    code and severity aligned in columns, and its message (``verbose``: its row context on a
    line under it). The columns are plain lists (no pandas element access per finding), ASCII
    measured and padded in C: several times faster with ``--limit 0`` on 260k findings, the
    same text."""
    own = res.pipeline.sheet
    where = [
        f"{sh}!{c}" if c and sh and sh != own else (c or "")
        for sh, c in zip(
            shown["sheet"].to_numpy(dtype=object).tolist(),
            shown["cell"].to_numpy(dtype=object).tolist(),
            strict=True,
        )
    ]
    severity = shown["severity"].to_numpy(dtype=object).tolist()
    words = {sev: lab[f"sev_{sev}"] for sev in set(severity)}
    columns = [
        [str(c or "") for c in where],
        [str(d or "") for d in shown["deal_id"].fillna("").to_numpy(dtype=object).tolist()],
        shown["code"].to_numpy(dtype=object).tolist(),
        [words[sev] for sev in severity],
    ]
    messages = shown[f"message_{lg}"].to_numpy(dtype=object).tolist()
    head = (lab["cell"], lab["deal"], lab["code"], lab["severity"], lab["message"])
    widths = [max(width(head[i]), _widest(column)) for i, column in enumerate(columns)]
    lines = ["  " + "  ".join(pad(head[i], widths[i]) for i in range(4)) + "  " + head[4]]
    cells, deals, codes, sevs = (
        _aligned(column, cols) for column, cols in zip(columns, widths, strict=True)
    )
    rows = ("  " + "  ".join(r) for r in zip(cells, deals, codes, sevs, messages, strict=True))
    if not verbose:
        lines.extend(rows)
        return lines
    indent = " " * (2 + sum(widths) + 2 * 4)
    for row, ctx in zip(rows, _context(res, shown, lg), strict=True):
        lines.append(row)
        if ctx:
            lines.append(f"{indent}│ {ctx}")
    return lines


def to_text(
    reports: Sequence[FileReport],
    *,
    lang: Lang | None = None,
    limit: int = 200,
    quiet: bool = False,
    verbose: bool = False,
    table: bool = True,
) -> str:
    """A readable report: per file a header line, a findings table and the grade mix; with
    several files the per-file table and the total (unless ``table`` is False: a terminal shows
    its own). ``quiet``: the findings only (``FILE:CELL CODE message``), like ``ruff -q``;
    ``verbose``: each finding's row context (stage, cell value) under it."""
    if quiet:
        return _quiet_text(reports, lang)
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
            f"{counts[s.value]:,} {lab[s.value]}" for s in Severity
        )
        lines.append(f"{rep.path}{sheet} · {len(res.deals):,} {lab['deals']} · {tally}")
        lines.extend(header_lines(res, lg, rep.path))
        fits = mapping_hint(res)
        if fits is not None:
            lines.append("  " + lab["fits"].format(name=fits))
        f = res.findings
        if f.empty:
            lines.append(f"  ✓ {lab['none']}")
        else:
            shown = f if limit <= 0 else f.head(limit)
            lines.extend(_finding_lines(res, shown, lab, lg, verbose=verbose))
            if limit > 0 and len(f) > limit:
                lines.append("  … " + lab["more"].format(n=f"{len(f) - limit:,}"))
            per_code = sorted(count_values(f["code"]).items(), key=lambda kv: str(kv[0]))
            tally_codes = " · ".join(f"{code} {n:,}" for code, n in per_code)
            lines.append(f"  {lab['codes']}: {tally_codes}")
        grades = count_values(res.deals["grade"])
        mix = " · ".join(f"{b.grade} {grades.get(b.grade, 0):,}" for b in res.ruleset.grades)
        weighted = weighted_pipeline(res)
        lines.append(f"  {lab['grades']}: {mix} — {lab['weighted']} {weighted:,.0f}")
        lines.extend(forecast_lines(forecast(res.deals), lg, stage_names(res, lg)))
        lines.append("")
    if len(reports) > 1:
        tot = summary(reports)
        if table:  # else the caller shows the table and the total itself (a terminal's)
            lines.extend(file_table(reports, lang or "en"))
            lines.append("")
            lines.append(total_line(tot, lang or "en"))
    return "\n".join(lines).rstrip() + "\n"


def total_line(tot: dict[str, Any], lang: Lang) -> str:
    """The folder run's headline total, numbers with thousands separators in both languages."""
    lab = LABELS[lang]
    return (
        f"{lab['total']}: {tot['files']:,} {lab['files']} ({tot['files_failed']:,} "
        f"{lab['failed']}, {tot['files_skipped']:,} {lab['skipped']}), "
        f"{tot['deals']:,} {lab['deals']}, {tot['errors']:,} {lab['error']}, "
        f"{tot['warnings']:,} {lab['warning']}, {tot['infos']:,} {lab['info']}"
    )


def _quiet_text(reports: Sequence[FileReport], lang: Lang | None) -> str:
    """``--quiet``: one line per finding (``FILE:SHEET!CELL: CODE message``) and one per file that
    could not be read; no headers, hints or totals."""
    lines = []
    for rep in reports:
        if rep.result is None:
            if not rep.skipped:
                lines.append(f"✗ {rep.error}")
            continue
        lg: Lang = lang or rep.result.lang
        f = rep.result.findings
        if f.empty:
            continue
        path = rep.path
        for sh, cell, code, msg in zip(
            f["sheet"].to_numpy(dtype=object).tolist(),
            f["cell"].to_numpy(dtype=object).tolist(),
            f["code"].to_numpy(dtype=object).tolist(),
            f[f"message_{lg}"].to_numpy(dtype=object).tolist(),
            strict=True,
        ):
            # FILE:SHEET!CELL, each part only when it is non-empty text
            sheet = sh if sh and isinstance(sh, str) else ""
            if cell and isinstance(cell, str):
                where = f"{sheet}!{cell}" if sheet else cell
            else:
                where = sheet
            lines.append(f"{path}:{where}: {code} {msg}" if where else f"{path}: {code} {msg}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- select / statistics


def matches(code: str, prefixes: Sequence[str]) -> bool:
    """Whether ``code`` starts with one of ``prefixes`` (``SG``, ``DQ0``, ``DQ07``)."""
    return any(code.startswith(p) for p in prefixes)


def select_codes(
    reports: Sequence[FileReport],
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
) -> list[FileReport]:
    """The reports with only the findings whose code starts with a ``select`` prefix (all when
    none is given) and with none of the ``ignore`` prefixes. None (not given on the command
    line) means the file's rule set's own ``select`` / ``ignore``. The per-deal results (grade,
    gate, adjusted probability) are the engine's, whatever is selected."""
    out = []
    for rep in reports:
        if rep.result is None:
            out.append(rep)
            continue
        sel = rep.result.ruleset.select if select is None else select
        ign = rep.result.ruleset.ignore if ignore is None else ignore
        if not sel and not ign:
            out.append(rep)
            continue
        codes = rep.result.findings["code"]
        keep = codes.map(lambda c, s=sel, i=ign: (not s or matches(c, s)) and not matches(c, i))
        findings = rep.result.findings.loc[keep.astype(bool)].reset_index(drop=True)
        out.append(replace(rep, result=replace(rep.result, findings=findings)))
    return out


def statistics(reports: Sequence[FileReport]) -> list[dict[str, Any]]:
    """Findings per code over all files, most frequent first (then by code): code, count,
    severity and the rule's description."""
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
    return statistics_rows(counts, severities)


def statistics_rows(counts: dict[str, int], severities: dict[str, str]) -> list[dict[str, Any]]:
    """:func:`statistics` from findings counted per code (and each code's severity) by a door
    that does not hold the reports (batch)."""
    from excelflow.rules import load_all

    registry = load_all()
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
