"""Rules-sheet tables -> a rule-set document, remembering which cell every value came from.

:class:`DocumentBuilder` turns the tables :mod:`excelflow.rulesheet.grid` found into the shape of
``rulesets/standard.json``. Every cell goes through :func:`excelflow.rulesheet.check.convert`;
blank required cells and wrongly typed values become :class:`Problem` s on their cell, and every
JSON path filled is mapped to its cell (``cells``) so schema and semantic errors can be pointed
at the cell too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from excelflow.pipeline.ruleset import DEFAULT_FAIL_ACTION
from excelflow.rulesheet.check import BAD, Cell, Path, Problem, convert, t
from excelflow.rulesheet.layout import FAIL_ACTION_MODE, PARAM_LIST, PARAMS_BY_KEY

Row = dict[str, Cell]


@dataclass
class RulesTable:
    """A table found on the Rules sheet: its header cells and data rows (column name -> cell)."""

    header: dict[str, Cell]
    rows: list[Row]


@dataclass
class DocumentBuilder:
    """Build the rule-set document from the tables; collects ``problems`` and ``cells``."""

    sheet: str
    problems: list[Problem] = field(default_factory=list)
    cells: dict[Path, Cell] = field(default_factory=dict)
    numbering_ok: bool = True

    # ------------------------------------------------------------------ reading values

    def _flag(self, cell: Cell, zh: str, en: str) -> None:
        self.problems.append(Problem.at(self.sheet, cell, t(zh, en)))

    def _get(self, row: Row, name: str, path: Path | None, *, required: bool = False) -> Any:
        """A row's value for column ``name`` (recorded at ``path``); None when blank or bad."""
        cell = row.get(name)
        if cell is None:
            return None
        if path is not None:
            self.cells[path] = cell
        value, problem = convert(cell, cell.kind)
        if problem is not None:
            self.problems.append(Problem.at(self.sheet, cell, problem))
            return None
        if value is None and required:
            name_zh, name_en = cell.subject
            self._flag(cell, f"「{name_zh}」不能为空", f"{name_en} must not be blank")
        return None if value is BAD else value

    def _text_pair(
        self, row: Row, zh: str, en: str, path: Path, *, required: bool
    ) -> dict[str, str] | None:
        """A zh/en pair of cells; both or neither (``required``: both)."""
        given = {lg: row.get(name) for lg, name in (("zh", zh), ("en", en))}
        anything = any(c is not None and c.value is not None for c in given.values())
        out: dict[str, str] = {}
        for lang, name in (("zh", zh), ("en", en)):
            value = self._get(row, name, (*path, lang), required=required or anything)
            if value is not None:
                out[lang] = value
        return out if len(out) == 2 else None

    # ------------------------------------------------------------------ the document

    def document(self, tables: dict[str, RulesTable]) -> dict[str, Any]:
        """The rule-set document ``tables`` describe (possibly invalid; see ``problems``)."""
        doc: dict[str, Any] = {}
        params = tables.get("params")
        if params is not None:
            self._params(params, doc)
        doc["stages"] = self._stages(tables.get("stages"))
        stall = self._stall_days(tables.get("stages"), doc["stages"])
        if stall is not None:
            doc["stall_days"] = stall
        self._milestones(tables.get("milestones"), doc["stages"])
        doc["grades"] = self._grades(tables.get("grades"))
        evaluation = doc.setdefault("evaluation", {})
        evaluation["factors"] = self._factors(tables.get("factors"))
        doc.setdefault("forced_advance", {})
        doc["severities"], doc["disabled"] = self._overrides(tables.get("overrides"))
        return doc

    def _anchor(self, table: RulesTable | None, path: Path, column: str) -> None:
        if table is not None:
            cell = table.header.get(column) or next(iter(table.header.values()))
            self.cells[path] = cell

    def _stages(self, table: RulesTable | None) -> list[dict[str, Any]]:
        self._anchor(table, ("stages",), "number")
        out: list[dict[str, Any]] = []
        for row in table.rows if table else []:
            path: Path = ("stages", len(out))
            self.cells[path] = next(iter(row.values()))
            stage: dict[str, Any] = {
                "number": self._get(row, "number", (*path, "number"), required=True),
                "key": self._get(row, "key", (*path, "key"), required=True),
                "name": self._text_pair(row, "name_zh", "name_en", (*path, "name"), required=True),
            }
            expected = len(out) + 1
            if stage["number"] is not None and stage["number"] != expected:
                self._flag(
                    row["number"],
                    f"阶段应从 1 起依次编号，此处应为 {expected}",
                    f"stages are numbered 1, 2, 3… in order: expected {expected} here",
                )
                self.numbering_ok = False
            aliases = self._get(row, "aliases", (*path, "aliases"))
            if aliases:
                stage["aliases"] = aliases
            probability = self._get(row, "probability", (*path, "probability"))
            if probability is not None:
                stage["probability"] = probability
            stage["milestones"] = []
            out.append(stage)
        return out

    def _stall_days(
        self, table: RulesTable | None, stages: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        """``stall_days`` from the stages' Stall days column (blank: no limit for that stage);
        None when the table has no such column (a sheet from before it existed: the rule
        set's default applies)."""
        if table is None or "stall_days" not in table.header:
            return None
        out: dict[str, Any] = {}
        for i, (row, stage) in enumerate(zip(table.rows, stages, strict=False)):
            days = self._get(row, "stall_days", ("stall_days", str(stage["number"] or i + 1)))
            if days is not None and stage["number"] is not None:
                out[str(stage["number"])] = days
        return out

    def _milestones(self, table: RulesTable | None, stages: list[dict[str, Any]]) -> None:
        by_number = {s["number"]: i for i, s in enumerate(stages) if s["number"] is not None}
        for row in table.rows if table else []:
            number = self._get(row, "stage", None, required=True)
            if number is None:
                continue
            if number not in by_number:
                if not self.numbering_ok:
                    continue  # the stage numbers are the thing to fix first
                self._flag(
                    row["stage"],
                    f"没有编号为 {number} 的阶段",
                    f"there is no stage number {number}",
                )
                continue
            i = by_number[number]
            path: Path = ("stages", i, "milestones", len(stages[i]["milestones"]))
            self.cells[path] = row["stage"]
            ms: dict[str, Any] = {
                "key": self._get(row, "key", (*path, "key"), required=True),
                "name": self._text_pair(row, "name_zh", "name_en", (*path, "name"), required=True),
                "column": self._text_pair(
                    row, "column_zh", "column_en", (*path, "column"), required=True
                ),
            }
            aliases = self._get(row, "aliases", (*path, "aliases"))
            if aliases:
                ms["aliases"] = aliases
            proof = self._get(row, "proof", (*path, "proof"))
            if proof:
                ms["proof"] = proof
            date = self._text_pair(
                row, "date_zh", "date_en", (*path, "date_column"), required=False
            )
            if date is not None:
                ms["date_column"] = date
            stages[i]["milestones"].append(ms)

    def _grades(self, table: RulesTable | None) -> list[dict[str, Any]]:
        self._anchor(table, ("grades",), "grade")
        out: list[dict[str, Any]] = []
        for row in table.rows if table else []:
            path: Path = ("grades", len(out))
            self.cells[path] = next(iter(row.values()))
            grade: dict[str, Any] = {
                "grade": self._get(row, "grade", (*path, "grade"), required=True)
            }
            for name in ("max_days", "min_probability"):
                value = self._get(row, name, (*path, name))
                if value is not None:
                    grade[name] = value
            grade["action"] = self._text_pair(
                row, "action_zh", "action_en", (*path, "action"), required=True
            )
            out.append(grade)
        return out

    def _factors(self, table: RulesTable | None) -> list[dict[str, Any]]:
        self._anchor(table, ("evaluation", "factors"), "weight")
        out: list[dict[str, Any]] = []
        for row in table.rows if table else []:
            path: Path = ("evaluation", "factors", len(out))
            self.cells[path] = next(iter(row.values()))
            factor: dict[str, Any] = {"key": self._get(row, "key", (*path, "key"), required=True)}
            group = self._get(row, "group", (*path, "group"))
            if group is not None:
                factor["group"] = group
            factor["weight"] = self._get(row, "weight", (*path, "weight"), required=True)
            factor["name"] = self._text_pair(
                row, "name_zh", "name_en", (*path, "name"), required=True
            )
            factor["column"] = self._text_pair(
                row, "column_zh", "column_en", (*path, "column"), required=True
            )
            aliases = self._get(row, "aliases", (*path, "aliases"))
            if aliases:
                factor["aliases"] = aliases
            knockout = self._get(row, "knockout", (*path, "knockout", "at_or_below"))
            reason = self._text_pair(
                row,
                "reason_zh",
                "reason_en",
                (*path, "knockout", "reason"),
                required=knockout is not None,
            )
            if knockout is not None and reason is not None:
                factor["knockout"] = {"at_or_below": knockout, "reason": reason}
            elif knockout is None and reason is not None and "knockout" in row:
                self._flag(
                    row["knockout"],
                    "填写了否决原因，但没有否决阈值",
                    "a knock-out reason is given but no threshold",
                )
            out.append(factor)
        return out

    def _params(self, table: RulesTable, doc: dict[str, Any]) -> None:
        self._anchor(table, ("evaluation",), "key")
        self._anchor(table, ("forced_advance",), "key")
        seen: dict[str, Cell] = {}
        for row in table.rows:
            key_cell = row.get("key")
            key = None if key_cell is None else self._get(row, "key", None, required=True)
            if key_cell is None or key is None:
                continue
            param = PARAMS_BY_KEY.get(key)
            if param is None:
                self._flag(key_cell, f"未知参数「{key}」", f"unknown parameter '{key}'")
                continue
            if key in seen:
                where = seen[key].address
                self._flag(
                    key_cell,
                    f"参数「{key}」重复（{where} 已有）",
                    f"parameter '{key}' appears twice (also at {where})",
                )
                continue
            seen[key] = key_cell
            value_cell = row.get("value") or key_cell
            label = row.get("label")
            column = str(label.value) if label is not None and label.value else param.label.en
            subject_cell = Cell(
                value_cell.address,
                value_cell.row,
                column,
                value_cell.value,
                param.label,
                param.kind,
            )
            value = self._get({"v": subject_cell}, "v", param.path, required=param.required)
            if value is not None:
                _put(doc, param.path, value)
        for param in PARAM_LIST:
            if param.key not in seen and param.required:
                self._flag(
                    table.header["key"],
                    f"缺少参数「{param.label.zh}」（键 {param.key}）",
                    f"parameter '{param.label.en}' (key {param.key}) is missing",
                )
        evaluation = doc.get("evaluation", {})
        if evaluation.pop(FAIL_ACTION_MODE, None) == "keep":
            evaluation["fail_action"] = False  # keep the grade's action, whatever text is given
        elif evaluation.get("fail_action") == DEFAULT_FAIL_ACTION:
            del evaluation["fail_action"]  # the default, as a rule-set file leaves it
        for pair in ("title", "recommendation", "fail_action"):
            container = doc if pair == "title" else doc.get("evaluation", {})
            given = container.get(pair)
            if isinstance(given, dict) and len(given) < 2:
                lang = "en" if "zh" in given else "zh"
                param = PARAMS_BY_KEY[f"{pair}_{lang}"]
                at = self.cells.get(param.path) or table.header["key"]
                self._flag(
                    at, f"「{param.label.zh}」不能为空", f"{param.label.en} must not be blank"
                )
                if pair == "fail_action":  # said once, here, not again by the schema
                    del container[pair]

    def _overrides(self, table: RulesTable | None) -> tuple[dict[str, str], list[str]]:
        severities: dict[str, str] = {}
        disabled: list[str] = []
        for row in table.rows if table else []:
            code = self._get(row, "code", None, required=True)
            if code is None:
                continue
            code = str(code).upper()
            if not re.fullmatch(r"[A-Z]{2}[0-9]{2}", code):
                self._flag(
                    row["code"],
                    f"「{code}」不是规则代码（形如 SG01）",
                    f"'{code}' is not a rule code (like SG01)",
                )
                continue
            severity = self._get(row, "severity", ("severities", code))
            if severity is not None:
                severities[code] = severity
            if self._get(row, "disabled", None) and code not in disabled:
                self.cells[("disabled", len(disabled))] = row["code"]
                disabled.append(code)
        return severities, disabled


def _put(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
