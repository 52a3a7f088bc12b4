"""The annotation plan: everything an annotated workbook shows, computed once from a Result.

A plan is plain data (dataclasses, lists of lists, small DataFrames) and knows nothing about
openpyxl or xlwings: the openpyxl writer (``excelflow.workbook.annotate``) and the ribbon macro
write the same plan. Per deal row it holds the result-column values (grade, score, adjusted
probability, gate text, warnings text such as ``"SG01×2 Skipped milestone, DQ05 Close date
passed"``) and the row's worst severity;
per offending cell the note text; the Findings table (one row per finding, with its hyperlink
target); the Dashboard tables and KPIs; and the row-colour legend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from excelflow.annotate.dashboard import (
    COUNT,
    MONEY,
    PERCENT,
    RATE,
    Dashboard,
    Kpi,
    Table,
    dashboard,
    plain_value,
)
from excelflow.annotate.labels import (
    FINDINGS_HEADERS,
    GATE_LABEL,
    LEGEND_LABEL,
    LEGEND_TITLE,
    SEVERITIES,
    SEVERITY_FILL,
    SEVERITY_LABEL,
    SEVERITY_RANK,
)
from excelflow.engine import Result
from excelflow.pipeline.fields import RESULT_FIELDS, SHEETS
from excelflow.pipeline.ruleset import Lang
from excelflow.rules.titles import rule_title
from excelflow.sheets.text import EXCEL_TEXT_LIMIT, clip, text_width

__all__ = [
    "COUNT",
    "MONEY",
    "PERCENT",
    "RATE",
    "AnnotationPlan",
    "Dashboard",
    "FindingsTable",
    "Kpi",
    "LegendItem",
    "Note",
    "ResultColumn",
    "Table",
    "build_plan",
    "dashboard",
    "findings_table",
    "notes",
    "quote_sheet",
    "result_columns",
]

RESULT_FORMATS = {
    "ef_grade": ("@", 8.0),
    "ef_score": ("0.0", 8.0),
    "ef_adj_prob": (PERCENT, 8.0),
    "ef_gate": ("@", 10.0),
    "ef_warnings": ("@", 12.0),
}
"""Number format and least column width per result column; the width grows to fit the header
(on one line, with a filter button) and the values, up to :data:`RESULT_MAX_WIDTH`."""
RESULT_MAX_WIDTH = 50.0
"""A result column is at most this wide; longer gate or warnings texts wrap."""


@dataclass(frozen=True)
class ResultColumn:
    """One result column of the deals sheet, with one value per deal (``plan.rows`` order).

    ``letter`` is where the column already is in the sheet (matched by header); None means the
    writer appends it after the sheet's last used column.
    """

    key: str
    header: str
    letter: str | None
    number_format: str
    width: float
    values: list[Any]
    wrap: bool = False
    """Some value is wider than the column: the writer wraps the column's text."""


@dataclass(frozen=True)
class Note:
    """The comment ExcelFlow puts on one cell: every finding on it, one line each."""

    sheet: str
    cell: str
    severity: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """The lines joined by newlines, cut to fit Excel's note limit (with room for the
        marker line the writers put above it)."""
        return clip("\n".join(self.lines), EXCEL_TEXT_LIMIT - 64)


@dataclass(frozen=True)
class LegendItem:
    """What a row fill means."""

    severity: str
    label: str
    fill: str


@dataclass(frozen=True)
class FindingsTable:
    """The Findings sheet: one row per engine finding, in engine order.

    ``links[i]`` is the hyperlink target of row ``i`` (``"'Deals'!K14"``) or None when the
    finding has no cell; ``severities[i]`` its severity key.
    """

    headers: list[str]
    rows: list[list[Any]]
    severities: list[str]
    links: list[str | None]


@dataclass(frozen=True)
class AnnotationPlan:
    """Everything a writer needs to annotate a workbook; see the module docstring."""

    lang: Lang
    deals_sheet: str
    header_row: int
    rows: list[int]
    result_columns: list[ResultColumn]
    row_severity: list[str | None]
    notes: list[Note]
    findings: FindingsTable
    dashboard: Dashboard
    legend_title: str
    legend: list[LegendItem]
    sheet_names: dict[str, str] = field(default_factory=dict)

    def rows_by_severity(self) -> dict[str, list[int]]:
        """Excel rows of the deals sheet per worst severity (rows without findings left out)."""
        out: dict[str, list[int]] = {s: [] for s in SEVERITIES}
        for row, sev in zip(self.rows, self.row_severity, strict=True):
            if sev is not None:
                out[sev].append(row)
        return out

    def row_fill(self, i: int) -> str | None:
        """RGB fill of deal ``i`` (plan order), None when it has no finding."""
        sev = self.row_severity[i]
        return None if sev is None else SEVERITY_FILL[sev]


def quote_sheet(name: str) -> str:
    """``'Sheet name'`` as an Excel reference wants it (inner quotes doubled)."""
    return "'" + name.replace("'", "''") + "'"


WARNING_JOIN = {"zh": "、", "en": ", "}


def warning_text(items: list[tuple[str, int]], lang: Lang) -> str:
    """A deal's warnings cell: each code (×n when it fires n times) with its short title, e.g.
    ``SG01×2 跳过节点、EV02 否决项``."""
    return WARNING_JOIN[lang].join(
        f"{c if n == 1 else f'{c}×{n}'} {rule_title(c, lang)}" for c, n in items
    )


def _deal_codes(result: Result, lang: Lang = "en") -> tuple[dict[int, str], dict[int, str]]:
    """Per deal position: the warnings text and the worst severity."""
    f = result.findings
    f = f[f["pos"].to_numpy(dtype=int) >= 0]
    if f.empty:
        return {}, {}
    counts = f.groupby(["pos", "code", "severity"], sort=False).size()
    per: dict[int, list[tuple[int, str, int]]] = {}
    for key, n in zip(counts.index.tolist(), counts.tolist(), strict=True):
        pos, code, sev = key
        per.setdefault(int(pos), []).append((SEVERITY_RANK[str(sev)], str(code), int(n)))
    texts, worst = {}, {}
    for pos, items in per.items():
        items.sort(key=lambda t: (-t[0], t[1]))
        texts[pos] = warning_text([(c, n) for _, c, n in items], lang)
        worst[pos] = SEVERITIES[2 - items[0][0]]
    return texts, worst


def _gate_text(result: Result, lang: Lang) -> list[str | None]:
    d = result.deals
    missing = d[f"missing_{lang}"].to_numpy(dtype=object)
    sep = "：" if lang == "zh" else ": "
    out: list[str | None] = []
    for gate, miss in zip(d["gate"].to_numpy(dtype=object), missing, strict=True):
        if gate is None or (isinstance(gate, float) and np.isnan(gate)):
            out.append(None)
        elif gate == "forced":
            out.append(GATE_LABEL["forced"](lang) + (sep + miss if miss else ""))
        else:
            out.append(GATE_LABEL.get(str(gate), GATE_LABEL["pass"])(lang))
    return out


def result_columns(result: Result, lang: Lang) -> list[ResultColumn]:
    """The five result columns (grade, score, adjusted probability, gate, warnings) per deal."""
    d = result.deals
    texts, _ = _deal_codes(result, lang)
    n = len(d)
    values: dict[str, list[Any]] = {
        "ef_grade": [plain_value(v) for v in d["grade"].to_numpy(dtype=object)],
        "ef_score": [plain_value(v) for v in d["score"].to_numpy(dtype=float)],
        "ef_adj_prob": [
            plain_value(v) for v in np.round(d["adjusted_probability"].to_numpy(dtype=float), 6)
        ],
        "ef_gate": _gate_text(result, lang),
        "ef_warnings": [texts.get(i) for i in range(n)],
    }
    cols = result.pipeline.columns
    out = []
    for spec in RESULT_FIELDS:
        fmt, least = RESULT_FORMATS[spec.key]
        existing = cols.get(spec.key)
        header = existing.header if existing else spec.header(lang)
        shown = [v for v in values[spec.key] if v is not None]
        body = max((text_width(v) for v in shown if isinstance(v, str)), default=4) + 2
        width = min(RESULT_MAX_WIDTH, max(least, text_width(header) + 4, body))
        out.append(
            ResultColumn(
                key=spec.key,
                header=header,
                letter=existing.letter if existing else None,
                number_format=fmt,
                width=float(width),
                values=values[spec.key],
                wrap=body > RESULT_MAX_WIDTH,
            )
        )
    return out


def _lists(frame: Any, *columns: str) -> list[list[Any]]:
    """The columns of ``frame`` as lists (iterating a pandas string column element by element
    costs ~3 µs a value)."""
    return [frame[c].tolist() for c in columns]


def _plain(value: Any) -> Any:
    """:func:`plain_value`, text passed straight through (most of a findings column)."""
    return value if type(value) is str else plain_value(value)


def _sheet_of(value: Any, pipeline_sheet: str | None, deals_sheet: str) -> str:
    sheet = plain_value(value)
    return deals_sheet if sheet is None or sheet == pipeline_sheet else str(sheet)


def findings_table(result: Result, lang: Lang, deals_sheet: str) -> FindingsTable:
    """The Findings sheet rows (severity, code, deal, sheet, cell, column, value, message)."""
    f = result.findings
    psheet = result.pipeline.sheet
    rows: list[list[Any]] = []
    severities: list[str] = []
    links: list[str | None] = []
    sev_label = {s: SEVERITY_LABEL[s](lang) for s in SEVERITIES}
    targets: dict[Any, str] = {}  # a finding's sheet -> the sheet its link goes to
    for sev, code, deal, sheet, cell, column, value, message in zip(
        *_lists(f, "severity", "code", "deal_id", "sheet", "cell", "column", "value",
                f"message_{lang}"),
        strict=True,
    ):  # fmt: skip
        cell = _plain(cell)
        target = targets.get(sheet) if type(sheet) is str else None
        if target is None:
            target = _sheet_of(sheet, psheet, deals_sheet)
            if type(sheet) is str:
                targets[sheet] = target
        rows.append(
            [
                sev_label[str(sev)],
                str(code),
                _plain(deal),
                target,
                cell,
                _plain(column),
                _plain(value),
                str(message),
            ]
        )
        severities.append(str(sev))
        links.append(None if cell is None else f"{quote_sheet(target)}!{cell}")
    return FindingsTable([h(lang) for h in FINDINGS_HEADERS], rows, severities, links)


def notes(result: Result, lang: Lang, deals_sheet: str) -> list[Note]:
    """One note per offending cell; several findings on one cell share it, one line each."""
    f = result.findings
    f = f[f["cell"].notna()]
    psheet = result.pipeline.sheet
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    sev_label = {s: SEVERITY_LABEL[s](lang) for s in SEVERITIES}
    targets: dict[Any, str] = {}
    for sev, code, sheet, cell, message in zip(
        *_lists(f, "severity", "code", "sheet", "cell", f"message_{lang}"), strict=True
    ):
        target = targets.get(sheet) if type(sheet) is str else None
        if target is None:
            target = _sheet_of(sheet, psheet, deals_sheet)
            if type(sheet) is str:
                targets[sheet] = target
        key = (target, str(cell))
        line = f"{code} {sev_label[str(sev)]}: {message}"
        grouped.setdefault(key, []).append((str(sev), line))
    out = []
    for (sheet, cell), items in grouped.items():
        worst = max((s for s, _ in items), key=SEVERITY_RANK.__getitem__)
        out.append(Note(sheet, cell, worst, tuple(line for _, line in items)))
    return out


def build_plan(
    result: Result, lang: Lang | None = None, *, deals_sheet: str | None = None
) -> AnnotationPlan:
    """Compute everything an annotated workbook shows.

    Args:
        result: the engine's result for the workbook's pipeline.
        lang: language of headers, labels and messages (default: the result's).
        deals_sheet: name of the sheet holding the deals in the output (default: the pipeline's
            sheet; a CSV has none, so its copy uses the Deals/商机 sheet name).
    """
    language: Lang = lang or result.lang
    sheet = deals_sheet or result.pipeline.sheet or SHEETS["deals"](language)
    _, worst = _deal_codes(result)
    return AnnotationPlan(
        lang=language,
        deals_sheet=sheet,
        header_row=int(result.pipeline.header_row),
        rows=[int(r) for r in result.pipeline.rows],
        result_columns=result_columns(result, language),
        row_severity=[worst.get(i) for i in range(len(result.deals))],
        notes=notes(result, language, sheet),
        findings=findings_table(result, language, sheet),
        dashboard=dashboard(result, language),
        legend_title=LEGEND_TITLE(language),
        legend=[LegendItem(s, LEGEND_LABEL[s](language), SEVERITY_FILL[s]) for s in SEVERITIES],
        sheet_names={k: SHEETS[k](language) for k in ("findings", "dashboard")},
    )
