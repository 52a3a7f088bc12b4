"""From a raw grid of cells to a typed deal table the engine can check.

``find_header`` locates the header row (the row naming the most known columns, a Stage column
among them); ``build_pipeline`` resolves every header to a field (zh/en aliases, then the mapping
file), coerces each column (``excelflow.pipeline.coerce``) and keeps, for every deal, its Excel row
and the cell address of every field so findings can point at cells.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from excelflow.pipeline.coerce import (
    Coerced,
    blank_cells,
    coerce_column,
    empty_column,
    factorize,
    format_id,
    repeated,
    take,
)
from excelflow.pipeline.fields import Kind, all_fields, fold, has_cjk, header_index
from excelflow.pipeline.headers import HeaderUse, header_uses
from excelflow.pipeline.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.pipeline.prepared import Prepared, widths_match
from excelflow.pipeline.ruleset import Lang, RuleSet
from excelflow.pipeline.units import Unit, applies, apply_unit, header_unit, unit_of

HEADER_SCAN_ROWS = 30
MIN_HEADER_MATCHES = 2


class TableNotFound(ValueError):
    """No row of the sheet looks like a pipeline header."""


@dataclass(frozen=True)
class Column:
    """Where a field sits in the source: its header text, 0-based index and column letter."""

    header: str
    index: int
    letter: str


@dataclass
class Pipeline:
    """A normalized deal table.

    ``frame`` has one typed column per known field (absent fields are all blank), one row per deal;
    ``raw`` keeps the original cell values of the fields with a column (object arrays); ``rows``
    holds the Excel row number of each deal; ``defaults`` the fields without a column that a
    mapping's ``defaults`` filled, with their value.
    """

    source: str
    sheet: str | None
    header_row: int
    rows: np.ndarray
    frame: pd.DataFrame
    raw: dict[str, np.ndarray]
    columns: dict[str, Column]
    bad: dict[str, np.ndarray]
    kinds: dict[str, Kind]
    lang: Lang
    unknown_headers: list[str] = field(default_factory=list)
    headers: list[HeaderUse] = field(default_factory=list)
    duplicate_headers: list[tuple[str, str]] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    not_required_for_open: frozenset[str] = frozenset()
    derived: tuple[str, ...] = ()
    mapping_source: str | None = None
    tick_dates: dict[str, pd.Series] = field(default_factory=dict)
    """Milestone tick columns (``m:<key>``) holding dates: the date each cell gives (NaT where
    it gives none). A date after the as-of date is a plan, not a milestone reached."""

    @property
    def present(self) -> set[str]:
        """Field keys the source gives values for: a column, a mapping's default, or a deal key
        made from other columns."""
        return set(self.columns) | set(self.defaults) | set(self.derived)

    def __len__(self) -> int:
        return len(self.frame)


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _resolve_header(text: Any, index: dict[str, str], mapping: ColumnMapping) -> tuple[str, ...]:
    if not isinstance(text, str) or not text.strip():
        return ()
    folded = fold(text)
    if folded in mapping.ignore_columns:
        return ()
    if folded in mapping.columns:
        return mapping.columns[folded]
    key = index.get(folded)
    if key is None:  # 金额(万元), Amount (k): the header without its unit
        unit = header_unit(text)
        if unit is not None:
            key = index.get(fold(unit[0]))
    return (key,) if key else ()


def _is_result_column(text: Any, index: dict[str, str], mapping: ColumnMapping) -> bool:
    return any(k.startswith("ef_") for k in _resolve_header(text, index, mapping))


def find_header(
    grid: Sequence[Sequence[Any]], ruleset: RuleSet, mapping: ColumnMapping = EMPTY_MAPPING
) -> int | None:
    """Index (0-based, within ``grid``) of the header row, or None when there is none.

    A header row names a Stage column and at least one other known column; the row with the most
    known columns within the first rows wins.
    """
    if mapping.header_row is not None:
        return None if mapping.header_row > len(grid) else mapping.header_row - 1
    index = header_index(ruleset)
    best, best_count = None, MIN_HEADER_MATCHES - 1
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        keys = {k for cell in row for k in _resolve_header(cell, index, mapping)}
        if "stage" in keys and len(keys) > best_count:
            best, best_count = i, len(keys)
    return best


def build_pipeline(
    grid: Sequence[Sequence[Any]],
    ruleset: RuleSet,
    *,
    source: str,
    sheet: str | None = None,
    origin: tuple[int, int] = (0, 0),
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
    prepared: Prepared | None = None,
) -> Pipeline:
    """Normalize a sheet's cells into a :class:`Pipeline`.

    Args:
        grid: rows of cell values; blank cells as ``""`` or ``None``.
        ruleset: supplies the milestone and factor columns and the stage names.
        source: file name for messages.
        sheet: sheet name, if any.
        origin: (row, column), 0-based, of ``grid[0][0]`` in the sheet.
        mapping: column renames and value maps for foreign exports.
        lang: report language; guessed from the headers when None.
        prepared: ``grid``'s cells, already laid out and hashed (``pipeline.prepared``).

    Raises:
        TableNotFound: no header row with a Stage column.
    """
    header_at = find_header(grid, ruleset, mapping)
    if header_at is None:
        raise TableNotFound("no pipeline table found (no header row with a Stage/阶段 column)")
    header = list(grid[header_at])
    body = grid[header_at + 1 :]
    widths = set(map(len, body))
    width = max([len(header), *widths])
    if widths - {width}:  # ragged CSV rows: pad
        body = [list(r) + [""] * (width - len(r)) for r in body]
    if prepared is not None and (prepared.width != width or not widths_match(grid, prepared)):
        prepared = None
    cells = prepared.cells[header_at + 1 :] if prepared is not None else _cell_array(body, width)
    header += [""] * (width - len(header))

    row0, col0 = origin
    excel_rows = np.arange(len(body)) + row0 + header_at + 2
    index = header_index(ruleset)
    ours = {j for j, h in enumerate(header) if _is_result_column(h, index, mapping)}
    # a row holding nothing but ExcelFlow's own result columns is not a deal
    keep: np.ndarray | None = ~_blank_rows(cells, [j for j in range(width) if j not in ours])
    if keep is not None and not keep.all():
        cells, excel_rows = cells[keep], excel_rows[keep]
    else:
        keep = None

    specs = {f.key: f for f in all_fields(ruleset)}
    columns: dict[str, Column] = {}
    unknown: list[str] = []
    duplicates: list[tuple[str, str]] = []
    resolved = [_resolve_header(text, index, mapping) for text in header]
    for j, text in enumerate(header):
        targets = resolved[j]
        if not targets and isinstance(text, str) and text.strip():
            unknown.append(text.strip())
        for key in targets:
            col = Column(str(text).strip(), j, column_letter(col0 + j))
            if key in columns:
                duplicates.append((col.header, columns[key].header))
            else:
                columns[key] = col

    if lang is None:
        lang = "zh" if any(has_cjk(c.header) for c in columns.values()) else "en"
    units: dict[str, Unit] = {}
    for key, col in columns.items():
        found = header_unit(col.header)
        stated = unit_of(mapping.units[key]) if key in mapping.units else None
        unit = found[1] if found is not None else stated
        if unit is not None and applies(unit, specs[key].kind):
            units[key] = unit

    frame: dict[str, pd.Series] = {}
    raw: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    kinds: dict[str, Kind] = {}
    defaults: dict[str, Any] = {}
    tick_dates: dict[str, pd.Series] = {}
    n = len(cells)
    for key, spec in specs.items():
        kinds[key] = spec.kind
        if key in columns:
            values = cells[:, columns[key].index]
            raw[key] = values
            if key in mapping.values:
                values = _apply_value_map(values, mapping.values[key])
        elif key in mapping.defaults:
            defaults[key] = mapping.defaults[key]
            values = repeated(defaults[key], n)
        else:
            frame[key] = empty_column(spec.kind, n)
            continue
        known = None
        if prepared is not None and key in columns and key not in mapping.values:
            known = prepared.factorized(columns[key].index, header_at + 1, keep)
        coerced: Coerced = coerce_column(
            values, spec.kind, ruleset, date_formats=mapping.date_formats, factorized=known
        )
        frame[key], key_bad = coerced.values, coerced.bad
        if coerced.dates is not None and coerced.dates.notna().any():
            tick_dates[key] = coerced.dates
        if key in units and key in columns:
            frame[key], key_bad = apply_unit(values, coerced.values, key_bad, units[key])
        if key_bad.any():
            bad[key] = key_bad

    derived: tuple[str, ...] = ()
    if "deal_id" not in columns and mapping.deal_key:
        frame["deal_id"] = _deal_key(
            cells, [columns[k].index for k in mapping.deal_key if k in columns]
        )
        derived = ("deal_id",)

    # A milestone with a date column is done when either its tick or its date is there.
    for ms in ruleset.milestones:
        date_key = f"md:{ms.key}"
        if date_key in columns:
            frame[f"m:{ms.key}"] = frame[f"m:{ms.key}"] | frame[date_key].notna()

    return Pipeline(
        source=source,
        sheet=sheet,
        header_row=row0 + header_at + 1,
        rows=excel_rows,
        frame=pd.DataFrame(frame, copy=False),  # the columns are ours: no consolidating copy
        raw=raw,
        columns=columns,
        bad=bad,
        kinds=kinds,
        lang=lang,
        unknown_headers=unknown,
        headers=header_uses(
            header,
            resolved,
            [column_letter(col0 + j) for j in range(width)],
            ruleset,
            {columns[k].index: u.label for k, u in units.items()},
        ),
        duplicate_headers=duplicates,
        defaults=defaults,
        units=units,
        not_required_for_open=mapping.not_required_for_open,
        derived=derived,
        mapping_source=None if mapping is EMPTY_MAPPING else mapping.source,
        tick_dates=tick_dates,
    )


def _deal_key(cells: np.ndarray, at: Sequence[int]) -> pd.Series:
    """A deal name made of several columns' text (``Hooli - Cloud Migration``); None when all
    of them are blank."""
    if not at:
        return pd.Series(np.full(len(cells), None, dtype=object))
    parts = [
        [
            format_id(v).strip() if not blank else ""
            for v, blank in zip(col, blank_cells(col), strict=True)
        ]
        for col in (cells[:, j] for j in at)
    ]
    names = [" - ".join(p for p in row if p) or None for row in zip(*parts, strict=True)]
    return pd.Series(np.array(names, dtype=object))


def _cell_array(body: Sequence[Sequence[Any]], width: int) -> np.ndarray:
    """Rows of ``width`` cells as one 2-D object array, filled in one pass over the cells."""
    flat = np.fromiter(itertools.chain.from_iterable(body), dtype=object, count=len(body) * width)
    return flat.reshape(len(body), width)


def _blank_rows(cells: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Rows whose cells in ``columns`` all hold ``""``.

    Each column is compared on the rows still blank so far only, so a filled sheet costs about
    one column's comparison rather than the whole grid's.
    """
    if not len(columns):
        return np.ones(len(cells), dtype=bool)
    rows = np.flatnonzero(blank_cells(cells[:, columns[0]]))
    for j in columns[1:]:
        if not len(rows):
            break
        rows = rows[blank_cells(cells[rows, j])]
    blank = np.zeros(len(cells), dtype=bool)
    blank[rows] = True
    return blank


def _apply_value_map(values: np.ndarray, table: Mapping[str, Any]) -> np.ndarray:
    """Translate a column's values through a mapping's value table (folded keys)."""
    codes, uniques = factorize(values, blank_cells(values))
    # format_id: a number cell read as 2.0 matches the mapping's "2"
    mapped = np.array([table.get(fold(format_id(u)), u) for u in uniques], dtype=object)
    out = take(mapped, codes, None)
    keep = codes < 0
    out[keep] = values[keep]
    return out
