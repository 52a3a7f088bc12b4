"""``excelflow mapping suggest``: a starting mapping for a sheet nobody wrote for ExcelFlow.

From the header report's guesses (each header ExcelFlow knows, or the closest known field of one
it does not) and the distinct values of the stage and status columns: stage values ExcelFlow
reads are mapped to their stage number, outcomes (Won, 赢单, Closed Lost…) to a blank stage and
their status, anything else to a blank stage marked for the user to fill in. The mapping is
written as YAML with a ``# check`` comment on every guess (or as JSON, without comments).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.coerce import STATUS_LOOKUP, coerce_column, format_id
from excelflow.pipeline.fields import Kind, fold, header_index
from excelflow.pipeline.headers import closeness, closest_field, field_name
from excelflow.pipeline.mapping import EMPTY_MAPPING
from excelflow.pipeline.normalize import HEADER_SCAN_ROWS, _resolve_header, find_header
from excelflow.pipeline.read import ReadError, Sheet, Source
from excelflow.pipeline.ruleset import Lang, RuleSet

MAX_VALUES = 60
"""At most this many distinct stage/status values are listed."""


@dataclass
class Suggestion:
    """A suggested mapping document, with a comment for each line the user should check."""

    source: str
    sheet: str | None
    header_row: int
    columns: dict[str, list[str]] = field(default_factory=dict)
    column_notes: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    value_notes: dict[tuple[str, str], str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    fits: str | None = None

    def document(self) -> dict[str, Any]:
        """The mapping as a document valid against ``schemas/mapping.schema.json``."""
        doc: dict[str, Any] = {
            "description": f"Suggested by `excelflow mapping suggest` from {Path(self.source).name}"
        }
        if self.sheet is not None:
            doc["sheet"] = self.sheet
        doc["header_row"] = self.header_row
        doc["columns"] = {h: t[0] if len(t) == 1 else t for h, t in self.columns.items()}
        if self.values:
            doc["values"] = self.values
        doc.update(self.settings)
        return doc

    def to_json(self) -> str:
        """The mapping as JSON."""
        return json.dumps(self.document(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"

    def to_yaml(self) -> str:
        """The mapping as YAML, a ``# check`` comment on every guess."""
        doc = self.document()
        q = _quote
        out = [
            f"# Starting mapping for {Path(self.source).name}, written by `excelflow mapping "
            "suggest`.",
            "# Confirm every line marked '# check', then: excelflow validate FILE --mapping "
            "THIS_FILE",
            f"description: {q(doc['description'])}",
        ]
        if self.sheet is not None:
            out.append(f"sheet: {q(self.sheet)}")
        out.append(f"header_row: {self.header_row}")
        out.append("columns:")
        for header, target in doc["columns"].items():
            note = self.column_notes.get(header)
            out.append(f"  {q(header)}: {q(target)}" + (f"  # check: {note}" if note else ""))
        for header in self.ignored:
            out.append(f"  # {q(header)}: not recognised, ignored")
        if self.fits is not None:
            out.append(f"# stage values and settings from the shipped mapping {self.fits!r}")
        for key, value in self.settings.items():
            out.append(f"{key}: {q(value)}  # check: from the shipped mapping {self.fits}")
        if self.values:
            out.append("values:")
            for key, table in self.values.items():
                out.append(f"  {key}:")
                for value, mapped in table.items():
                    note = self.value_notes.get((key, value))
                    line = f"    {q(value)}: {q(mapped)}"
                    out.append(line + (f"  # check: {note}" if note else ""))
        return "\n".join(out) + "\n"


def _quote(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON scalars are YAML flow scalars


def _header_guess(grid: Sequence[Sequence[Any]], ruleset: RuleSet) -> int | None:
    """The header row: the one ExcelFlow itself would take, else the row naming the most known
    or nearly known columns (at least two)."""
    at = find_header(grid, ruleset, EMPTY_MAPPING)
    if at is not None:
        return at
    index = header_index(ruleset)
    best, best_count = None, 1
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        count = sum(
            1
            for cell in row
            if isinstance(cell, str)
            and (_resolve_header(cell, index, EMPTY_MAPPING) or closest_field(cell, ruleset))
        )
        if count > best_count:
            best, best_count = i, count
    return best


def _choose(source: Source, ruleset: RuleSet) -> tuple[Sheet, int]:
    for sheet in source.sheets():
        at = _header_guess(sheet.grid, ruleset)
        if at is not None:
            return sheet, at
    raise ReadError(source.path, "no row looks like a header of deals (no known column names)")


def suggest_mapping(path: str | Path, ruleset: RuleSet, lang: Lang = "en") -> Suggestion:
    """A starting mapping for ``path``.

    Raises:
        ReadError: the file cannot be read, or no row of it looks like a header.
    """
    source = Source(Path(path))
    try:
        sheet, at = _choose(source, ruleset)
    finally:
        source.close()
    header = list(sheet.grid[at])
    body = [list(r) + [""] * (len(header) - len(r)) for r in sheet.grid[at + 1 :]]
    index = header_index(ruleset)
    out = Suggestion(
        source=str(path),
        sheet=None if source.is_csv else sheet.name,
        header_row=sheet.origin[0] + at + 1,
    )
    taken: set[str] = set()
    where: dict[str, int] = {}
    for j, text in enumerate(header):
        keys = _resolve_header(text, index, EMPTY_MAPPING)
        keys = tuple(k for k in keys if not k.startswith("ef_") and k not in taken)
        if keys:
            out.columns[str(text).strip()] = list(keys)
            taken.update(keys)
            where.update((k, j) for k in keys)
    if "stage" in where and "status" not in taken:
        stage_cells = [r[where["stage"]] for r in body]
        if any(_outcome(v) for v in _distinct(stage_cells)):  # Won / 赢单 among the stages
            stage_header = str(header[where["stage"]]).strip()
            out.columns[stage_header] = [*out.columns[stage_header], "status"]
            out.column_notes[stage_header] = "it holds outcomes too: it feeds the status"
            taken.add("status")
    for j, text in enumerate(header):
        if not isinstance(text, str) or not text.strip() or text.strip() in out.columns:
            continue
        if any(k.startswith("ef_") for k in _resolve_header(text, index, EMPTY_MAPPING)):
            continue  # ExcelFlow's own result columns
        key = closest_field(text, ruleset, taken)
        if key is None:
            out.ignored.append(text.strip())
            continue
        out.columns[text.strip()] = [key]
        out.column_notes[text.strip()] = f"guessed: closest to {field_name(key, ruleset, lang)}"
        taken.add(key)
        where[key] = j
    if "stage" in where:
        _stage_values(out, header, body, where, ruleset)
        _shipped_values(out, [r[where["stage"]] for r in body], ruleset)
    if "status" in where and "status" not in out.values:
        _status_values(out, [r[where["status"]] for r in body], ruleset)
    return out


def _distinct(values: Sequence[Any]) -> list[str]:
    try:  # each distinct cell once, in order (by type too: True and 1 are different cells)
        typed = zip(map(type, values), values, strict=True)
        cells: Iterable[Any] = [v for _, v in dict.fromkeys(typed)]
    except TypeError:  # an unhashable value: go through them all
        cells = values
    seen: dict[str, None] = {}
    for v in cells:
        text = "" if v is None else format_id(v).strip()
        if text:
            seen.setdefault(text)
        if len(seen) >= MAX_VALUES:
            break
    return list(seen)


def _first_cells(values: Sequence[Any] | np.ndarray) -> Sequence[Any]:
    """What :func:`_distinct` needs of a column, in order: the first cell holding each text, and
    every other cell (numbers, dates…; few in a stage column). Text is never equal to a value of
    another type, so a text's first cell stands for all of its cells."""
    if not isinstance(values, np.ndarray):
        return values
    try:
        codes, uniques = pd.factorize(values.astype(object, copy=False), use_na_sentinel=True)
    except TypeError:
        every: list[Any] = values.tolist()
        return every
    text = np.array([type(u) is str for u in uniques] + [False], dtype=bool)
    first = np.full(len(uniques), len(values), dtype=np.intp)
    filled = np.flatnonzero(codes >= 0)
    np.minimum.at(first, codes[filled], filled)
    keep = np.union1d(first[text[:-1]], np.flatnonzero(~text[codes]))  # sorted positions
    kept: list[Any] = values[keep].tolist()
    return kept


def _stage_values(
    out: Suggestion,
    header: list[Any],
    body: list[list[Any]],
    where: dict[str, int],
    ruleset: RuleSet,
) -> None:
    values = _distinct([r[where["stage"]] for r in body])
    if not values:
        return
    read = coerce_column(np.array(values, dtype=object), Kind.STAGE, ruleset)
    stage_map: dict[str, Any] = {}
    status_map: dict[str, Any] = {}
    for value, number, bad in zip(values, read.values, read.bad, strict=True):
        outcome = _outcome(value)
        if not bad and not pd.isna(number):
            stage_map[value] = int(number)
            status_map[value] = "open"
        elif outcome is not None:
            stage_map[value] = None
            status_map[value] = outcome
            out.value_notes[("status", value)] = f"an outcome: {outcome}"
        else:
            guess = _closest_stage(value, ruleset)
            stage_map[value] = guess
            status_map[value] = "open"
            out.value_notes[("stage", value)] = (
                f"guessed stage {guess}"
                if guess
                else f"not a stage name: set 1-{len(ruleset.stages)}"
            )
    stage_header = str(header[where["stage"]]).strip()
    if "status" in out.columns[stage_header]:
        out.values["status"] = status_map
    if any(v is None or fold(k) != fold(str(v)) for k, v in stage_map.items()):
        out.values["stage"] = stage_map


SHIPPED_SETTINGS = ("date_order", "units", "not_required_for_open", "deal_key")


def _shipped_values(out: Suggestion, stage_cells: list[Any], ruleset: RuleSet) -> None:
    """When the stage values match a shipped mapping, take its stage and status values (for
    the values the file holds) and its settings instead of the guesses."""
    from excelflow.pipeline.resources import shipped_mappings

    name = fitting_mapping(stage_cells, ruleset)
    if name is None:
        return
    doc = json.loads(shipped_mappings()[name].read_text(encoding="utf-8"))
    out.fits = name
    for key in ("stage", "status"):
        table = {fold(str(k)): v for k, v in doc.get("values", {}).get(key, {}).items()}
        for value in list(out.values.get(key, {})):
            if fold(value) in table:
                out.values[key][value] = table[fold(value)]
                out.value_notes[(key, value)] = f"from the shipped mapping {name}"
    out.settings = {k: doc[k] for k in SHIPPED_SETTINGS if k in doc}


def _status_values(out: Suggestion, cells: list[Any], ruleset: RuleSet) -> None:
    values = _distinct(cells)
    read = coerce_column(np.array(values, dtype=object), Kind.STATUS, ruleset)
    table: dict[str, Any] = {}
    for value, status, bad in zip(values, read.values, read.bad, strict=True):
        if not bad and not pd.isna(status):
            continue  # ExcelFlow reads it already
        guess = _outcome(value) or "open"
        table[value] = guess
        out.value_notes[("status", value)] = f"guessed {guess}"
    if table:
        out.values["status"] = table


def _outcome(value: str) -> str | None:
    """won / lost / withdrawn when ``value`` names an outcome (``Closed Won``, ``赢单``)."""
    status = STATUS_LOOKUP.get(fold(value))
    if status is not None and status != "open":
        return status
    words = fold(value)
    for word, status in (("won", "won"), ("lost", "lost"), ("赢", "won"), ("丢", "lost")):
        if word in words:
            return status
    return None


def _closest_stage(value: str, ruleset: RuleSet) -> int | None:
    text = fold(value)
    best, best_score = None, 0.6
    for st in ruleset.stages:
        for name in (st.name.zh, st.name.en, st.key, *st.aliases):
            score = closeness(text, fold(name))
            if score > best_score:
                best, best_score = st.number, score
    return best


def fitting_mapping(stage_values: Sequence[Any] | np.ndarray, ruleset: RuleSet) -> str | None:
    """The shipped mapping whose stage/status vocabulary covers the distinct stage values of a
    file read without a mapping (at least 80 % of them and two that ExcelFlow does not read
    itself), or None."""
    from excelflow.pipeline.mapping import MappingError, load_shipped
    from excelflow.pipeline.resources import shipped_mappings

    values = {fold(v) for v in _distinct(_first_cells(stage_values))} - {""}
    if len(values) < 2:
        return None
    best, best_share = None, 0.8
    for name in shipped_mappings():
        try:
            mapping = load_shipped(name, ruleset)
        except MappingError:
            continue
        vocab = {k for key in ("stage", "status") for k in mapping.values.get(key, {})}
        share = len(values & vocab) / len(values)
        if share >= best_share and len(values & vocab) >= 2:
            best, best_share = name, share
    return best
