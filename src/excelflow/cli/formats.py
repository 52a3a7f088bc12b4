"""The report formats other tools read: SARIF 2.1.0 (code-scanning dashboards), GitHub workflow
commands (annotations), CSV (one row per finding, for Excel), JUnit XML (one test case per deal)
and a Markdown summary.

Each format follows its published spec and is tested by parsing it with its real consumer (the
OASIS SARIF JSON schema, the ``csv`` module, ``junitparser``/``xml.etree``). Cell text never
becomes a live formula (CSV), an illegal XML character (JUnit) or a workflow command of its own
(GitHub: ``%``, CR and LF are escaped, and ``:``/``,`` in properties).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from excelflow import __version__

if TYPE_CHECKING:
    from excelflow.engine.report import FileReport
    from excelflow.pipeline.ruleset import Lang

FORMATS = ("text", "json", "sarif", "github", "csv", "junit", "markdown")
"""Every ``validate --format``."""

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_URI = "https://github.com/excelflow/excelflow-sales"


def _lang(rep: FileReport, lang: Lang | None) -> Lang:
    return lang or (rep.result.lang if rep.result is not None else "en")


def _rows(rep: FileReport, lang: Lang | None) -> Iterator[dict[str, Any]]:
    """The findings of one file as plain dicts (message in the report language)."""
    if rep.result is None:
        return
    f = rep.result.findings
    if f.empty:
        return
    lg = _lang(rep, lang)
    cols = ("code", "rule", "severity", "deal_id", "sheet", "row", "column", "cell", "value")
    data = {c: f[c].tolist() for c in cols}
    data["message"] = f[f"message_{lg}"].tolist()
    for i in range(len(f)):
        yield {k: _clean(v[i]) for k, v in data.items()}


def _clean(value: Any) -> Any:
    """None for NaN/NaT/None; ints for whole floats (row numbers); everything else as is."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return int(value) if value.is_integer() else value
    try:
        import pandas as pd

        if value is pd.NaT or value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


_COLUMN = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


def _column_number(cell: str | None) -> int | None:
    """``"C12"`` -> 3."""
    if not cell:
        return None
    m = _COLUMN.match(str(cell))
    if m is None:
        return None
    n = 0
    for ch in m.group(1):
        n = n * 26 + ord(ch) - 64
    return n


def _uri(path: str) -> str:
    """A file path as a SARIF/URI reference (forward slashes, percent-encoded)."""
    return quote(path.replace("\\", "/"), safe="/:")


# --------------------------------------------------------------------------- SARIF


def to_sarif(reports: Sequence[FileReport], *, lang: Lang | None = None) -> str:
    """The run as one SARIF 2.1.0 log: the rules that fired as ``tool.driver.rules``, one result
    per finding located at its file, row and column (the sheet and cell as a logical location),
    and each unreadable file as a tool execution notification."""
    from excelflow.engine.report import plain
    from excelflow.rules import load_all

    registry = load_all()
    fired = sorted(
        {
            str(c)
            for rep in reports
            if rep.result is not None
            for c in rep.result.findings["code"].unique()
        }
    )
    index = {code: i for i, code in enumerate(fired)}
    rules = []
    for code in fired:
        rule = registry.get(code)
        entry: dict[str, Any] = {"id": code}
        if rule is not None:
            entry["name"] = rule.name
            entry["shortDescription"] = {"text": plain(rule.description) or code}
            entry["fullDescription"] = {"text": plain(rule.doc) or code}
            entry["defaultConfiguration"] = {"level": _SARIF_LEVEL[rule.severity.value]}
            entry["helpUri"] = f"{_URI}#checks"
        rules.append(entry)
    artifacts = [{"location": {"uri": _uri(rep.path)}} for rep in reports]
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for i, rep in enumerate(reports):
        where = {"artifactLocation": {"uri": _uri(rep.path), "index": i}}
        if rep.result is None:
            notifications.append(
                {
                    "level": "note" if rep.skipped else "error",
                    "message": {"text": rep.error or "could not be read"},
                    "locations": [{"physicalLocation": where}],
                }
            )
            continue
        for f in _rows(rep, lang):
            physical: dict[str, Any] = dict(where)
            row = f["row"]
            if isinstance(row, int) and row >= 1:
                region: dict[str, Any] = {"startLine": row}
                col = _column_number(f["cell"])
                if col is not None:
                    region["startColumn"] = col
                physical["region"] = region
            location: dict[str, Any] = {"physicalLocation": physical}
            logical = "!".join(str(p) for p in (f["sheet"], f["cell"]) if p)
            if logical:
                location["logicalLocations"] = [{"name": logical, "kind": "element"}]
            props = {
                k: f[k] for k in ("deal_id", "sheet", "cell", "column", "value") if f[k] is not None
            }
            result: dict[str, Any] = {
                "ruleId": f["code"],
                "level": _SARIF_LEVEL.get(f["severity"], "warning"),
                "message": {"text": f["message"]},
                "locations": [location],
            }
            if f["code"] in index:
                result["ruleIndex"] = index[f["code"]]
            if props:
                result["properties"] = {k: _json_safe(v) for k, v in props.items()}
            results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ExcelFlow",
                        "version": __version__,
                        "informationUri": _URI,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": all(r.ok or r.skipped for r in reports),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "artifacts": artifacts,
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, allow_nan=False) + "\n"


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    return str(value)


# --------------------------------------------------------------------------- GitHub


def github_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (``file=…``, ``title=…``): also ``:`` and ``,``."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(reports: Sequence[FileReport], *, lang: Lang | None = None) -> str:
    """One GitHub Actions annotation per finding
    (``::error file=F,line=N,col=C,title=SG01 gate_not_met::message``) and per unreadable file."""
    lines = []
    for rep in reports:
        file = github_property(rep.path)
        if rep.result is None:
            if not rep.skipped:
                lines.append(f"::error file={file},title=ExcelFlow::{github_data(rep.error or '')}")
            continue
        for f in _rows(rep, lang):
            props = [f"file={file}"]
            if isinstance(f["row"], int) and f["row"] >= 1:
                props.append(f"line={f['row']}")
                col = _column_number(f["cell"])
                if col is not None:
                    props.append(f"col={col}")
            title = f"{f['code']} {f['rule']}"
            props.append(f"title={github_property(title)}")
            where = "!".join(str(p) for p in (f["sheet"], f["cell"]) if p)
            deal = f" [{f['deal_id']}]" if f["deal_id"] is not None else ""
            msg = f"{where}{deal}: {f['message']}" if where or deal else f["message"]
            level = _GITHUB_LEVEL.get(f["severity"], "warning")
            lines.append(f"::{level} {','.join(props)}::{github_data(str(msg))}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "file",
    "sheet",
    "cell",
    "row",
    "deal_id",
    "code",
    "severity",
    "rule",
    "column",
    "value",
    "message",
)


def csv_text(value: Any) -> Any:
    """A CSV field Excel opens as the same text: text a spreadsheet would run as a formula
    (``=``, ``+``, ``-``, ``@``, a DDE call…) gets a leading apostrophe, as OWASP advises."""
    from excelflow.sheets.guard import formula_like

    if isinstance(value, str):
        return "'" + value if formula_like(value) else value
    return "" if value is None else value


def to_csv(reports: Sequence[FileReport], *, lang: Lang | None = None) -> str:
    """One row per finding (UTF-8 with a byte-order mark, so Excel reads Chinese correctly); an
    unreadable file is a row with code ``ERROR``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for rep in reports:
        if rep.result is None:
            if not rep.skipped:
                blank = ["", "", "", ""]
                writer.writerow(
                    [csv_text(rep.path), *blank, "ERROR", "error", "", "", "", csv_text(rep.error)]
                )
            continue
        for f in _rows(rep, lang):
            writer.writerow(
                [csv_text(rep.path)]
                + [csv_text(f[c]) for c in CSV_COLUMNS[1:] if c != "message"]
                + [csv_text(f["message"])]
            )
    return out.getvalue()


# --------------------------------------------------------------------------- JUnit


def to_junit(reports: Sequence[FileReport], *, lang: Lang | None = None) -> str:
    """JUnit XML: one test suite per file, one test case per deal (named by its deal ID, else its
    row); each error finding is a ``<failure>``, warnings and info go to ``<system-out>``;
    whole-sheet findings are the test case ``(sheet)``; an unreadable file is an ``<error>``."""
    import xml.etree.ElementTree as ET

    from excelflow.sheets.guard import legal_text

    root = ET.Element("testsuites", name="excelflow")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for rep in reports:
        suite = ET.SubElement(root, "testsuite", name=legal_text(rep.path))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if rep.result is None:
            case = ET.SubElement(suite, "testcase", name="(file)", classname=legal_text(rep.path))
            counts["tests"] = 1
            if rep.skipped:
                ET.SubElement(case, "skipped", message=legal_text(rep.error or ""))
                counts["skipped"] = 1
            else:
                ET.SubElement(case, "error", message=legal_text(rep.error or ""), type="unreadable")
                counts["errors"] = 1
        else:
            res = rep.result
            by_deal: dict[Any, list[dict[str, Any]]] = {}
            for f in _rows(rep, lang):
                key = f["row"] if f["deal_id"] is not None or f["cell"] else None
                by_deal.setdefault(key, []).append(f)
            classname = legal_text(f"{rep.path}:{res.pipeline.sheet or ''}".rstrip(":"))
            cases: list[tuple[str, Any]] = [("(sheet)", None)]
            ids = res.deals["deal_id"].tolist()
            rows = res.deals["row"].tolist()
            for deal_id, row in zip(ids, rows, strict=True):
                name = f"{_clean(deal_id)}" if _clean(deal_id) is not None else f"row {row}"
                cases.append((name, _clean(row)))
            for name, row in cases:
                found = by_deal.get(row, [])
                if row is None and not found:
                    continue
                case = ET.SubElement(suite, "testcase", name=legal_text(name), classname=classname)
                counts["tests"] += 1
                errors = [f for f in found if f["severity"] == "error"]
                others = [f for f in found if f["severity"] != "error"]
                if errors:
                    counts["failures"] += 1
                    failure = ET.SubElement(
                        case,
                        "failure",
                        message=legal_text(
                            "; ".join(f"{f['code']} {f['message']}" for f in errors)
                        ),
                        type=errors[0]["code"],
                    )
                    failure.text = legal_text("\n".join(_line(f) for f in errors))
                if others:
                    out = ET.SubElement(case, "system-out")
                    out.text = legal_text("\n".join(_line(f) for f in others))
        for k, v in counts.items():
            suite.set(k, str(v))
        for k in totals:
            totals[k] += counts[k]
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _line(f: dict[str, Any]) -> str:
    where = "!".join(str(p) for p in (f["sheet"], f["cell"]) if p)
    return f"{f['severity']} {f['code']} {where}: {f['message']}".replace(" :", ":")


# --------------------------------------------------------------------------- Markdown

_MD_LABELS = {
    "en": {
        "title": "ExcelFlow report",
        "file": "File",
        "deals": "Deals",
        "errors": "Errors",
        "warnings": "Warnings",
        "infos": "Info",
        "status": "Status",
        "code": "Code",
        "severity": "Severity",
        "count": "Findings",
        "what": "What it finds",
        "by_code": "Findings by code",
        "total": "**Total**",
        "ok": "checked",
        "failed": "could not be read",
        "skipped": "skipped",
        "none": "No findings.",
    },
    "zh": {
        "title": "ExcelFlow 检查报告",
        "file": "文件",
        "deals": "商机",
        "errors": "错误",
        "warnings": "警告",
        "infos": "提示",
        "status": "状态",
        "code": "代码",
        "severity": "级别",
        "count": "条数",
        "what": "检查内容",
        "by_code": "按代码统计",
        "total": "**合计**",
        "ok": "已检查",
        "failed": "无法读取",
        "skipped": "已跳过",
        "none": "未发现问题。",
    },
}


def md_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: ``|`` escaped, line breaks as spaces, and
    Markdown/HTML punctuation that could start a link, an image or a tag escaped."""
    s = "" if text is None else str(text)
    s = s.replace("\\", "\\\\").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return re.sub(r"([|<>\[\]`*_])", r"\\\1", s)


def to_markdown(reports: Sequence[FileReport], *, lang: Lang | None = None) -> str:
    """A summary for a pull request or a wiki page: one row per file with its counts, the total,
    then the findings per code with each rule's description."""
    from excelflow.engine.report import plain, statistics, summary

    first: Lang = next((r.result.lang for r in reports if r.result is not None), "en")
    lg: Lang = lang or first
    lab = _MD_LABELS[lg]
    lines = [f"## {lab['title']}", ""]
    head = ("file", "status", "deals", "errors", "warnings", "infos")
    lines.append("| " + " | ".join(lab[h] for h in head) + " |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for rep in reports:
        if rep.result is None:
            status = lab["skipped"] if rep.skipped else lab["failed"]
            lines.append(f"| {md_cell(rep.path)} | {status} | 0 | 0 | 0 | 0 |")
            continue
        c = rep.result.counts()
        lines.append(
            f"| {md_cell(rep.path)} | {lab['ok']} | {len(rep.result.deals):,} | "
            f"{c['error']:,} | {c['warning']:,} | {c['info']:,} |"
        )
    tot = summary(reports)
    if len(reports) > 1:
        lines.append(
            f"| {lab['total']} | {tot['files']:,} | {tot['deals']:,} | {tot['errors']:,} | "
            f"{tot['warnings']:,} | {tot['infos']:,} |"
        )
    lines.append("")
    rows = statistics(reports)
    if not rows:
        lines.append(lab["none"])
    else:
        lines += [f"### {lab['by_code']}", ""]
        lines.append(f"| {lab['code']} | {lab['severity']} | {lab['count']} | {lab['what']} |")
        lines.append("|---|---|---:|---|")
        for r in rows:
            lines.append(
                f"| {r['code']} | {r['severity']} | {r['count']:,} | "
                f"{md_cell(plain(r['description']))} |"
            )
    return "\n".join(lines) + "\n"


def render(fmt: str, reports: Sequence[FileReport], *, lang: Lang | None) -> str:
    """The report in ``fmt`` (one of the formats of this module)."""
    writers = {
        "sarif": to_sarif,
        "github": to_github,
        "csv": to_csv,
        "junit": to_junit,
        "markdown": to_markdown,
    }
    return writers[fmt](reports, lang=lang)
