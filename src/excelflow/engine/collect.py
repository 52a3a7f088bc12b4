"""From a rule's hits to findings, and from every rule's findings to one frame in sheet order.

``rule_findings`` gives each hit its row, cell, raw value, deal ID and messages (both languages);
``findings_frame`` joins the rules' columns, drops what the deals' Ignore cells silence and sorts
the rest the way a reader goes through the sheet. Work is per distinct value where it can be
(cell values, messages), and the columns end up with the dtypes a DataFrame per rule gave them.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.coerce import format_id, repeated
from excelflow.pipeline.fields import FieldSpec
from excelflow.pipeline.findings import FINDING_COLUMNS
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.ruleset import Lang
from excelflow.rules import Coded, Context, Rule, render_coded

FRAME_COLUMNS = (*FINDING_COLUMNS, "message_zh", "message_en", "pos", "field")
TEXT_COLUMNS = ("code", "rule", "severity", "message", "message_zh", "message_en")
CELL_COLUMNS = ("deal_id", "sheet", "column", "cell", "value")  # blanks as None, never NaN
CODED_COLUMNS = (*TEXT_COLUMNS, "deal_id", "column", "sheet")
"""Columns :func:`rule_findings` may give as :class:`Coded` (text ones always are)."""
NA_FREE = ("cell",)
"""Cell columns :func:`rule_findings` builds from text and None only (a cell reference, or what
a rule points at, NaN excluded): no NaN to look for."""


def findings_frame(parts: list[dict[str, Any]], pipeline: Pipeline) -> pd.DataFrame:
    """One findings frame from the rules' columns: ignored ones dropped, in sheet order.

    ``parts`` is emptied (its columns are joined first), so that at most two copies of the
    findings' columns are alive at once.

    Findings on the pipeline's own sheet come first, then by sheet, row, column and code; blanks
    sort first (what ``sort_values(kind="stable", na_position="first")`` did on the frame).
    """
    if not parts:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))

    def joined(name: str) -> Any:
        items = [part[name] for part in parts]
        if name in CODED_COLUMNS:
            return _joined_codes(items)
        if isinstance(items[0], pd.Series):
            return pd.concat(items, ignore_index=True)
        return np.concatenate(items)

    rows = [part.pop("row") for part in parts]
    cols = {name: joined(name) for name in parts[0]}
    parts.clear()  # the rules' columns are joined: let them go before the frame is built
    code: Coded = cols["code"]
    kept = np.flatnonzero(~_ignored(cols["pos"], code, pipeline))
    if all(part_rows.dtype.kind == "i" for part_rows in rows):  # every finding on a row number
        cols["row"] = np.concatenate(rows)
        row_key = cols["row"][kept].astype(np.int64, copy=False)
    else:  # a rule pointed somewhere else: the rows as a frame column holds them
        cols["row"] = pd.concat([pd.Series(r.astype(object)) for r in rows], ignore_index=True)
        row: pd.Series = cols["row"].iloc[kept]
        if pd.api.types.infer_dtype(row, skipna=False) == "integer":
            row_key = row.to_numpy(dtype=np.int64)  # sorts as the Python ints do, without objects
        else:
            row_key = np.asarray(pd.Categorical(row, ordered=True).codes)
    del rows
    sheet: Coded = cols["sheet"]
    sheets = sheet.uniques
    sheet_codes = sheet.codes[kept]
    elsewhere = np.append(~pd.isna(sheets) & (sheets != (pipeline.sheet or "")), False)
    keys: list[np.ndarray] = [  # the last key sorts first; np.lexsort is stable
        _text_rank(code)[code.codes[kept]],
        cols["col_index"][kept],
        row_key,
        np.append(np.asarray(pd.Categorical(sheets, ordered=True).codes), -1)[sheet_codes],
        np.asarray(elsewhere, dtype=bool)[sheet_codes],
    ]
    order = kept[np.lexsort(keys)]
    out: dict[str, pd.Series] = {}
    for name in FRAME_COLUMNS:
        col = cols.pop(name)  # each joined column goes once it is in order
        if name in TEXT_COLUMNS:  # text: the few distinct values, taken in order
            out[name] = pd.Series(pd.array(col.uniques, dtype="str").take(col.codes[order]))
        elif isinstance(col, Coded):  # a cell column: blanks as None (the sheet has none)
            values = np.empty(len(col.uniques) + 1, dtype=object)  # code -1: the None at the end
            values[:-1] = col.uniques
            out[name] = pd.Series(_none_for_blank(values)[col.codes[order]], dtype=object)
        elif isinstance(col, pd.Series):
            out[name] = col.iloc[order].reset_index(drop=True)
        elif name == "row":
            out[name] = pd.Series(col[order].astype(object), dtype=object, copy=False)
        elif name in NA_FREE:
            out[name] = pd.Series(col[order], dtype=object, copy=False)
        elif name in CELL_COLUMNS:
            out[name] = pd.Series(_none_for_blank(col[order]), dtype=object, copy=False)
        else:
            out[name] = pd.Series(col[order], copy=False)
        del col
    return pd.DataFrame(out, copy=False)


def _joined_codes(items: list[Coded | np.ndarray]) -> Coded:
    """Coded columns as one; parts sharing their values (the deals' IDs) share them here too."""
    offset: dict[int, int] = {}  # id of a part's values -> where they start in the joined ones
    uniques: list[np.ndarray] = []
    codes = []
    size = 0
    for item in items:
        if not isinstance(item, Coded):  # each value as itself
            item = Coded(np.arange(len(item)), item)
        start = offset.get(id(item.uniques))
        if start is None:
            start = offset[id(item.uniques)] = size
            uniques.append(item.uniques)
            size += len(item.uniques)
        shifted = item.codes + start if start else item.codes
        if start and len(item.codes) and item.codes.min() < 0:
            shifted[item.codes < 0] = -1
        codes.append(shifted)
    return Coded(np.concatenate(codes), np.concatenate(uniques))


def _text_rank(column: Coded) -> np.ndarray:
    """Per code of a text column (no blanks): its text's rank among the column's texts."""
    texts = column.uniques.tolist()
    rank = {text: i for i, text in enumerate(sorted(set(texts)))}
    return np.array([rank[text] for text in texts], dtype=np.int64)


def _none_for_blank(values: np.ndarray) -> np.ndarray:
    """``values`` (a copy of ours: changed in place) with NaN, NaT… as None."""
    values[np.asarray(pd.isna(values), dtype=bool)] = None
    return values


def _as_frame_values(values: np.ndarray) -> np.ndarray:
    """Values as a DataFrame column holds them (a rule's dates become Timestamps). Text and
    blanks only (the usual case) come back as they are, without building that column."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values
    out: np.ndarray = pd.Series(values).to_numpy(dtype=object)
    return out


def rule_findings(
    hits: pd.DataFrame,
    rule: Rule,
    ctx: Context,
    lang: Lang,
    specs: dict[str, FieldSpec],
    shared: Shared | None = None,
) -> dict[str, Any]:
    """One rule's hits as findings columns (arrays; ``field`` as pandas infers it).

    ``value`` holds the values as a DataFrame column would (a rule's dates as Timestamps); the
    other cell columns hold text only (or blanks), which a frame keeps as it is. ``code``,
    ``rule``, ``severity`` and the messages are :class:`Coded` (codes into their few distinct
    texts); ``row`` is an int array, or objects when the rule points findings elsewhere.
    ``shared``: what every rule's findings take from the pipeline, worked out once per run.
    """
    p = ctx.pipeline
    pos = hits["pos"].to_numpy(dtype=int)
    fields = hits["field"].to_numpy(dtype=object)
    whole = pos < 0
    take = np.where(whole, 0, pos)
    n = len(hits)

    shared = shared or Shared(p)
    field_uniques: Any
    if n and isinstance(fields[0], str) and (fields == fields[0]).all():  # one field, as is usual
        field_codes, field_uniques = np.zeros(n, dtype=np.intp), fields[:1]
    else:
        field_codes, field_uniques = pd.factorize(
            pd.Series(fields, dtype=object), use_na_sentinel=True
        )
    header, letter, col_index = [], [], []
    for key in field_uniques:
        col = p.columns.get(key)
        spec = specs.get(key)
        header.append(col.header if col else (spec.header(lang) if spec else None))
        letter.append(col.letter if col else None)
        col_index.append(col.index if col else -1)
    header_codes = np.asarray([i if h is not None else -1 for i, h in enumerate(header)] + [-1])
    letter_arr = np.asarray([*letter, None], dtype=object)[field_codes]
    col_idx = np.asarray([*col_index, -1])[field_codes]

    rows = np.where(whole, p.header_row, p.rows[take] if len(p.rows) else p.header_row)
    values = np.full(n, None, dtype=object)
    for i, key in enumerate(field_uniques):
        if key in p.raw:
            sel = np.flatnonzero((field_codes == i) & ~whole)
            values[sel] = p.raw[key][pos[sel]]
    values, shown = _per_value(values)
    deals: np.ndarray | Coded
    if not len(p.frame):
        deals = values.copy()
    else:
        deals = Coded(np.where(whole, -1, pos), shared.deal_ids)  # the deal's own ID, or none
        if "at_deal" in hits:
            deals = deals.expand()
    cells = np.full(n, None, dtype=object)
    at_cell = np.flatnonzero(~(pd.isna(letter_arr) | whole))
    cells[at_cell] = [
        f"{letter}{row}"
        for letter, row in zip(letter_arr[at_cell].tolist(), rows[at_cell].tolist(), strict=True)
    ]

    sheets = (
        repeated(p.sheet, n) if "at_sheet" in hits else Coded(np.zeros(n, np.intp), shared.sheet)
    )
    if "at_row" in hits:
        rows = rows.astype(object)
    for name, target in (
        ("at_sheet", sheets),
        ("at_row", rows),
        ("at_cell", cells),
        ("at_value", values),
        ("at_deal", deals),
    ):  # a rule may point a finding elsewhere (another sheet, a whole-sheet problem)
        if name in hits:
            assert isinstance(target, np.ndarray)
            given = hits[name].to_numpy(dtype=object)
            chosen = ~pd.isna(given)
            target[chosen] = given[chosen]

    params: dict[str, Any] = {k: hits[k] for k in hits.columns if k not in ("pos", "field")}
    params["value"] = shown
    if "column" not in params:
        params["column"] = Coded(header_codes[field_codes], np.asarray(header, dtype=object))
    params["deal"] = deals
    severity = ctx.ruleset.severities.get(rule.code, rule.severity.value)
    messages = render_coded(rule.message, params, n)
    columns = (
        np.asarray(hits["column"].map(lambda t: t(lang) if hasattr(t, "zh") else t), dtype=object)
        if "column" in hits
        else params["column"]
    )
    return {
        "code": _constant(rule.code, n),
        "rule": _constant(rule.name, n),
        "severity": _constant(severity, n),
        "deal_id": deals,
        "sheet": sheets,
        "column": columns,
        "cell": cells,
        "row": rows,
        "value": _as_frame_values(values),
        "message": messages[lang],
        "message_zh": messages["zh"],
        "message_en": messages["en"],
        "pos": pos,
        "field": hits["field"].reset_index(drop=True)
        if hits["field"].dtype == "str"  # what a Series of the same texts would infer
        else pd.Series(fields),
        "col_index": col_idx,
    }


class Shared:
    """What every rule's findings take from the pipeline, worked out once per run."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    @cached_property
    def deal_ids(self) -> np.ndarray:
        """The deals' IDs, as objects."""
        out: np.ndarray = self.pipeline.frame["deal_id"].to_numpy(dtype=object)
        return out

    @cached_property
    def sheet(self) -> np.ndarray:
        """The pipeline's sheet name, as the values of a coded column."""
        out = np.empty(1, dtype=object)
        out[0] = self.pipeline.sheet
        return out


def _constant(text: str, n: int) -> Coded:
    """``text`` n times, as a :class:`Coded` column."""
    return Coded(np.zeros(n, dtype=np.intp), np.array([text], dtype=object))


def _per_value(values: np.ndarray) -> tuple[np.ndarray, Coded]:
    """Cell values as JSON carries them (:func:`_json_value`) and as messages show those
    (:func:`_shown`, coded): once per distinct text, each other value (numbers, dates, NaN…) as
    itself.

    Text is never equal to a value of another type, so a distinct text stands for exactly the
    cells holding it; numbers are not grouped (``1``, ``1.0`` and ``True`` are equal, yet JSON
    writes them apart).
    """
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # an unhashable value a rule pointed at: every value as itself
        codes, uniques = np.full(len(values), -1, dtype=np.intp), np.empty(0, dtype=object)
    text = np.array([type(u) is str for u in uniques] + [False], dtype=bool)
    as_json = np.array(
        [_json_value(u) if t else None for u, t in zip(uniques, text, strict=False)] + [None],
        dtype=object,
    )
    shown = np.array([_shown(v) for v in as_json], dtype=object)
    json_out: np.ndarray = as_json[codes]
    shown_codes = np.where(codes < 0, len(shown) - 1, codes)  # the None at the end: a blank
    alone = np.flatnonzero(~text[codes])  # not text (code -1 is the last slot: not text)
    shown_alone: list[str | None] = []
    for i, value in zip(alone, values[alone].tolist(), strict=True):
        if value is not None:
            json_out[i] = _json_value(value)
            shown_codes[i] = len(shown) + len(shown_alone)
            shown_alone.append(_shown(json_out[i]))
    if shown_alone:
        shown = np.concatenate([shown, np.array(shown_alone, dtype=object)])
    return json_out, Coded(shown_codes, shown)


def _shown(value: Any) -> str | None:
    """A finding's value as its message shows it."""
    return None if value is None else format_id(value)


def _json_value(value: Any) -> Any:
    """A raw cell value as JSON can carry it (dates as ISO text, NaN as None, a number near the
    largest double as its text)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if np.isnan(value):
            return None
        # the report's 10 digits would round 1.7976931348623157e308 beyond the largest double
        return value if abs(value) < 1e300 else repr(value)
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def _ignored(pos: np.ndarray, codes: Coded, pipeline: Pipeline) -> np.ndarray:
    """Findings silenced by the row's ExcelFlow Ignore / 忽略规则 cell."""
    ignore = pipeline.frame["ignore"]
    if "ignore" not in pipeline.columns or ignore.isna().all():
        return np.zeros(len(pos), dtype=bool)
    sets = ignore.to_numpy(dtype=object)
    out = np.zeros(len(pos), dtype=bool)
    on_deal = np.flatnonzero(pos >= 0)
    # only the findings of deals whose Ignore cell names codes are looked at one by one
    named = on_deal[~np.asarray(pd.isna(sets[pos[on_deal]]), dtype=bool)]
    # once per (Ignore cell's codes, finding's code) pair, not per finding
    set_codes, set_uniques = pd.factorize(sets[pos[named]])
    code_codes, code_uniques = pd.factorize(codes.uniques[codes.codes[named]])
    silenced = np.array(
        [[code in names for code in code_uniques] for names in set_uniques], dtype=bool
    ).reshape(len(set_uniques), len(code_uniques))
    out[named] = silenced[set_codes, code_codes]
    return out
