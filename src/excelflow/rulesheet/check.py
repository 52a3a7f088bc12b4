"""Cell-level checks for the Rules sheet, and rule-set errors turned into cell problems.

:mod:`excelflow.rulesheet.grid` reads each cell through :func:`convert` (blank, a number where
a number belongs, a known choice…), builds the rule-set document and keeps, for every JSON path
it fills, the :class:`Cell` it came from. JSON-Schema errors and the rule set's semantic errors
(``stages[2].number: expected 3 …``) are then mapped back to those cells, with messages in both
languages.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from excelflow.pipeline.coerce import format_id, parse_tick
from excelflow.pipeline.fields import fold
from excelflow.pipeline.resources import load_schema
from excelflow.pipeline.ruleset import Text
from excelflow.rulesheet.layout import ENUMS, FIELD_HEADERS

if TYPE_CHECKING:  # imported where a Rules sheet is checked: `validate` without one needs none
    import jsonschema

Path = tuple[str | int, ...]


def t(zh: str, en: str) -> Text:
    """A message in both languages."""
    return Text(zh=zh, en=en)


@dataclass(frozen=True)
class Cell:
    """A Rules-sheet cell: address, Excel row, its column's header text, value, and the name
    messages use for it (``subject``: a column header or a parameter label)."""

    address: str
    row: int
    column: str | None
    value: Any
    subject: Text
    kind: str


@dataclass(frozen=True)
class Problem:
    """Something wrong in the Rules sheet, at one cell."""

    sheet: str
    cell: str
    row: int
    column: str | None
    value: Any
    message: Text

    @classmethod
    def at(cls, sheet: str, cell: Cell, message: Text) -> Problem:
        """A problem on ``cell``."""
        return cls(sheet, cell.address, cell.row, cell.column, cell.value, message)

    def as_dict(self) -> dict[str, Any]:
        """The dict ``api.validate_file`` hands to rule DQ08 (JSON-friendly values)."""
        value = self.value
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif value is not None and not isinstance(value, str | int | float | bool):
            value = str(value)
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "column": self.column,
            "value": value,
            "message_zh": self.message.zh,
            "message_en": self.message.en,
        }


# --------------------------------------------------------------------------- reading one cell

_SPLIT_RE = re.compile(r"[,，、;；\n]+")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
BAD = object()
"""What :func:`convert` returns as the value of a cell it cannot read."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER_RE.match(value.replace(",", "").strip()):
        return float(value.replace(",", "").strip())
    return None


def _tidy(number: float) -> int | float:
    return int(number) if number.is_integer() else number


def _choices(enum: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for key, label in ENUMS[enum].items():
        for name in (key, label.zh, label.en):
            table[fold(name)] = key
    return table


def convert(cell: Cell, kind: str) -> tuple[Any, Text | None]:
    """Read ``cell`` as ``kind``: ``(value, None)``, ``(None, None)`` when blank, or
    ``(BAD, message)`` when the cell holds something of the wrong type."""
    value, name = cell.value, cell.subject
    if value is None:
        return None, None
    if kind in ("int", "number", "percent"):
        number = _number(value)
        if number is None and kind == "percent" and isinstance(value, str):
            text = value.strip().replace(" ", "")
            if text.endswith("%"):
                base = _number(text[:-1])
                number = None if base is None else base / 100
        if number is None or (kind == "int" and not number.is_integer()):
            what = {
                "int": t("整数", "a whole number"),
                "number": t("数字", "a number"),
                "percent": t("0%–100% 的百分比", "a percentage (0%-100%)"),
            }[kind]
            return BAD, t(
                f"「{name.zh}」应为{what.zh}，不能是「{format_id(value)}」",
                f"{name.en} must be {what.en}, not '{format_id(value)}'",
            )
        return (int(number) if kind == "int" else _tidy(number)), None
    if kind.startswith("enum:"):
        enum = kind.removeprefix("enum:")
        found = _choices(enum).get(fold(format_id(value)))
        if found is None:
            zh = "、".join(label.zh for label in ENUMS[enum].values())
            en = ", ".join(label.en for label in ENUMS[enum].values())
            return BAD, t(f"「{name.zh}」应为：{zh}", f"{name.en} must be one of: {en}")
        return found, None
    if kind == "tick":
        tick = parse_tick(value)
        if tick is None:
            return BAD, t(f"「{name.zh}」请打勾 ✓ 或留空", f"{name.en}: tick ✓ or leave blank")
        return tick[0], None
    text = value.strip() if isinstance(value, str) else format_id(value)  # keep full-width text
    if kind == "aliases":
        return [a.strip() for a in _SPLIT_RE.split(text) if a.strip()], None
    if kind == "fields":
        return _fields(text, name)
    return text, None


def _fields(value: str, name: Text) -> tuple[Any, Text | None]:
    lookup = {fold(k): k for k in FIELD_HEADERS}
    for key, header in FIELD_HEADERS.items():
        lookup[fold(header.zh)] = lookup[fold(header.en)] = key
    out: list[str] = []
    for part in _SPLIT_RE.split(value):
        if not part.strip():
            continue
        found = lookup.get(fold(part))
        if found is None:
            zh = "、".join(h.zh for h in FIELD_HEADERS.values())
            en = ", ".join(h.en for h in FIELD_HEADERS.values())
            return BAD, t(
                f"「{name.zh}」中的「{part.strip()}」不是可设为必填的列；可用：{zh}",
                f"{name.en}: '{part.strip()}' is not a column that can be required; use: {en}",
            )
        if found not in out:
            out.append(found)
    return out, None


# --------------------------------------------------------------------------- JSON paths -> cells


def find_cell(cells: Mapping[Path, Cell], path: Iterable[str | int]) -> Cell | None:
    """The cell of the longest prefix of ``path`` that has one."""
    parts = tuple(path)
    for n in range(len(parts), 0, -1):
        cell = cells.get(parts[:n])
        if cell is not None:
            return cell
    return None


_PCT_KEYS = {"probability", "min_probability"}


def _shown(value: Any, path: Path) -> str:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and abs(value) >= 1e16:  # 1e308 as "1e+308", not 309 digits
        return f"{float(value):g}"
    if number and path[-1] in _PCT_KEYS:
        return f"{value:.0%}"
    return format_id(value)


def _schema_message(err: jsonschema.ValidationError, cell: Cell) -> Text:
    path: Path = tuple(err.absolute_path) or ("",)
    name = cell.subject
    kind, limit = err.validator, err.validator_value
    found = _shown(err.instance, path)
    if kind in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        if path[-1] in _PCT_KEYS:
            return t(
                f"「{name.zh}」应在 0%–100% 之间，不能是 {found}",
                f"{name.en} must be between 0% and 100%, not {found}",
            )
        if kind.startswith(("maximum", "exclusiveMaximum")):
            return t(
                f"「{name.zh}」不能大于 {limit}（现为 {found}）",
                f"{name.en} must be at most {limit}, not {found}",
            )
        return t(
            f"「{name.zh}」不能小于 {limit}（现为 {found}）",
            f"{name.en} must be at least {limit}, not {found}",
        )
    if kind == "pattern":
        if path[-1] == "grade":
            return t(f"「{name.zh}」应为一个大写字母", f"{name.en} must be one capital letter")
        if path[0] in ("severities", "disabled"):
            return t(
                f"「{found}」不是规则代码（形如 SG01）", f"'{found}' is not a rule code (like SG01)"
            )
        return t(
            f"「{name.zh}」只能用小写英文字母、数字和下划线，并以字母开头（现为「{found}」）",
            f"{name.en} must be lower-case letters, digits and _, starting with a letter "
            f"(not '{found}')",
        )
    if kind == "minItems":
        return t(
            f"「{name.zh}」表至少需要 {limit} 行",
            f"the {name.en} table needs at least {limit} rows",
        )
    if kind == "minLength":
        return t(f"「{name.zh}」不能为空", f"{name.en} must not be blank")
    if kind == "type":
        return t(f"「{name.zh}」的类型不对（应为 {limit}）", f"{name.en} must be of type {limit}")
    return t(f"「{name.zh}」取值无效：{err.message}", f"{name.en}: {err.message}")


def schema_problems(doc: Any, cells: Mapping[Path, Cell], sheet: str) -> list[Problem]:
    """JSON-Schema errors of ``doc`` as problems on the cells they come from.

    ``required`` errors are left out: a blank required cell is already reported by the reader.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema("ruleset.schema.json"))
    out: list[Problem] = []
    seen: set[str] = set()
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.path]):
        if err.validator == "required" or err.instance is None:
            continue  # blank or unreadable cells: already reported by the reader
        cell = find_cell(cells, err.absolute_path)
        if cell is None or cell.address in seen:
            continue
        seen.add(cell.address)
        out.append(Problem.at(sheet, cell, _schema_message(err, cell)))
    return out


# --------------------------------------------------------------------------- semantic errors

_TOKEN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_KINDS = {
    "stage key": "阶段键",
    "milestone key": "关键节点键",
    "factor key": "评估因素键",
    "column": "列名",
}


def parse_path(text: str) -> Path:
    """``stages[2].milestones[0].key`` -> ``("stages", 2, "milestones", 0, "key")``."""
    return tuple(int(idx) if idx else name for name, idx in _TOKEN_RE.findall(text))


def _semantic_message(problem: str, cell: Cell, cells: Mapping[Path, Cell]) -> Text:
    name = cell.subject
    if m := re.match(r"expected (\d+) \(stages are numbered", problem):
        return t(
            f"阶段应从 1 起依次编号，此处应为 {m[1]}",
            f"stages are numbered 1, 2, 3… in order: expected {m[1]} here",
        )
    if m := re.match(r"duplicate (.+?) '(.*)' \(also at (.+)\)", problem):
        other = find_cell(cells, parse_path(m[3]))
        where = other.address if other else m[3]
        kind_zh = _KINDS.get(m[1], m[1])
        return t(
            f"{kind_zh}「{m[2]}」重复（{where} 已使用）",
            f"duplicate {m[1]} '{m[2]}' (also used at {where})",
        )
    if "must be greater than" in problem:
        return t("评分上限应大于评分下限", "the scale maximum must be greater than the minimum")
    if "weights must not all be zero" in problem:
        return t("评估因素的权重不能全部为 0", "the factor weights must not all be zero")
    if "catch-all" in problem:
        return t(
            "最后一级是兜底级别（其余），不应设最长天数或最低赢率",
            "the last grade is the catch-all and takes no Max days or Min probability",
        )
    if "grade letters must be unique" in problem:
        return t("级别字母不能重复", "grade letters must be unique")
    if m := re.match(r"(\d+) is beyond the last stage \((\d+)\)", problem):
        return t(
            f"「{name.zh}」为 {m[1]}，超出了最后一个阶段（{m[2]}）",
            f"{name.en} is {m[1]}, beyond the last stage ({m[2]})",
        )
    return t(f"规则有误：{problem}", problem)


def semantic_problems(
    errors: Iterable[str], cells: Mapping[Path, Cell], sheet: str
) -> list[Problem]:
    """The rule set's ``path: problem`` errors as problems on the cells they name."""
    out: list[Problem] = []
    for error in errors:
        where, _, problem = error.partition(": ")
        cell = find_cell(cells, parse_path(where))
        if cell is None:
            cell = Cell("A1", 1, None, None, t("规则表", "Rules sheet"), "text")
        out.append(Problem.at(sheet, cell, _semantic_message(problem, cell, cells)))
    return out
