"""Read a Bid sheet written by ExcelFlow back into a :class:`~excelflow.bid.analysis.BidModel`.

Only inputs are read, from cell values (python-calamine grids); formulas are recomputed in
Python. Everything is found by its label or header (Chinese or English), so a user may insert
rows, add cost lines inside the table, leave blank rows, reorder table columns or open a sheet
written in the other language. Nothing here raises on bad cells: each problem becomes a
:class:`BidProblem` on its cell; a value that cannot be used falls back (a blank unit cost is
"not priced", an unknown category is "other") unless the model itself cannot be built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from excelflow.bid.analysis import analyze_bid, bid_issues
from excelflow.bid.checks import BidError
from excelflow.bid.competitors import Competitor
from excelflow.bid.entry import BidEntry, BidProblem, LineCells
from excelflow.bid.model import BidModel, CostCategory, CostLine, parse_category
from excelflow.bid.result import BidIssue, BidResult
from excelflow.bid.sheet import values as bv
from excelflow.bid.sheet.grid import LabelGrid
from excelflow.bid.sheet.layout import (
    COMPETITOR_HEADERS,
    COST_HEADERS,
    HISTORY_HEADERS,
    INPUTS,
    RESULTS,
    lookup,
)
from excelflow.pipeline.fields import fold
from excelflow.pipeline.ruleset import Text

_INPUTS, _RESULTS = lookup(INPUTS), lookup(RESULTS)
_COSTS, _COMPS, _HIST = lookup(COST_HEADERS), lookup(COMPETITOR_HEADERS), lookup(HISTORY_HEADERS)


class _Reader:
    def __init__(self, grid: LabelGrid) -> None:
        self.g = grid
        self.problems: list[BidProblem] = []
        self.paths: dict[str, str] = {}  # model path -> cell, for BidError messages
        self.raw: dict[str, Any] = {}
        self.fatal = False  # a problem that leaves no model

    def problem(self, cell: str | None, value: Any, zh: str, en: str) -> None:
        self.problems.append(BidProblem(cell, value, Text(zh, en)))

    def inputs(self, at: Mapping[str, tuple[int, int]]) -> dict[str, Any] | None:
        """Model keyword arguments from the input block; None when the target margin is
        missing or unreadable (no model without it). Raw values go to ``self.raw``."""
        kwargs: dict[str, Any] = {}
        for key, (r, c) in at.items():
            cell, value = self.g.coord(r, c), self.g.get(r, c)
            self.raw[key] = value
            self.paths[key] = cell
            try:
                parsed = bv.parse_input(key, value)
            except bv.Unreadable as exc:
                self.problem(cell, value, exc.zh, exc.en)
                continue
            if parsed is not None:
                kwargs[key] = parsed
        if "deal_id" not in kwargs:
            self.problem(
                self.paths["deal_id"],
                None,
                "商机编号为空，无法把投标分析对应到商机",
                "The Deal ID is blank, so the bid cannot be matched to a deal",
            )
            return None
        if "target_margin" not in kwargs:
            if not self.problems or self.problems[-1].cell != self.paths.get("target_margin"):
                self.problem(
                    self.paths.get("target_margin", self.paths["deal_id"]),
                    self.raw.get("target_margin"),
                    "缺少目标毛利率，无法分析投标",
                    "Target margin is missing, so the bid cannot be analysed",
                )
            return None
        return kwargs

    def costs(self, head: int, cols: Mapping[str, int]) -> tuple[list[CostLine], list[LineCells]]:
        lines: list[CostLine] = []
        cells: list[LineCells] = []
        for r, v in self.g.body(head, cols):
            if all(v.get(k) is None for k in ("description", "quantity", "unit_cost", "supplier")):
                continue  # a category alone (a template row) is not a line
            i = len(lines)
            where = {k: self.g.coord(r, cols.get(k, cols["category"])) for k in cols}
            for k, cell in where.items():
                self.paths[f"cost_lines[{i}].{k}"] = cell
            category = self._category(where["category"], v.get("category"))
            qty = self._amount(where["quantity"], v.get("quantity"), "数量", "quantity")
            unit = self._amount(where["unit_cost"], v.get("unit_cost"), "单价", "unit cost")
            lines.append(
                CostLine(
                    category,
                    bv.text(v.get("description")) or "",
                    0.0 if qty is None else qty,
                    unit,
                    bv.text(v.get("supplier")),
                )
            )
            cells.append(LineCells(r + 1, where["category"], where["quantity"], where["unit_cost"]))
        return lines, cells

    def _category(self, cell: str, value: Any) -> CostCategory:
        if value is None:
            self.problem(
                cell,
                value,
                "成本项缺少类别，按“其他”计",
                "Cost line has no category; counted as Other",
            )
            return CostCategory.OTHER
        try:
            return parse_category(str(value))
        except BidError:
            self.problem(
                cell,
                value,
                f"未知的成本类别「{value}」，按“其他”计",
                f"Unknown cost category '{value}'; counted as Other",
            )
            return CostCategory.OTHER

    def _amount(self, cell: str, value: Any, zh: str, en: str) -> float | None:
        """A quantity or unit cost: None when blank or not a number (not yet priced)."""
        if value is None:
            return None
        number = bv.number(value)
        if number is None:
            if en == "quantity":
                self.problem(
                    cell,
                    value,
                    f"{zh}「{value}」不是数字，按 0 计",
                    f"{en} {value!r} is not a number; counted as 0",
                )
            return None
        if number < 0:
            self.problem(
                cell, value, f"{zh}不能为负数：{number:g}", f"{en} must not be negative: {number:g}"
            )
            return None
        return number

    def competitors(self) -> list[Competitor]:
        found = self.g.header(_COMPS, {"name"}, 3)
        if found is None:
            return []
        head, cols = found
        history = self._history()
        comps: list[Competitor] = []
        for r, v in self.g.body(head, cols):
            name = bv.text(v.get("name"))
            cell = self.g.coord(r, cols["name"])
            if name is None:
                self.problem(
                    cell,
                    None,
                    "竞争对手行缺少名称，已忽略",
                    "Competitor row without a name; ignored",
                )
                continue
            i = len(comps)
            for k, c in cols.items():
                self.paths[f"competitors[{i}].{k}"] = self.g.coord(r, c)
            kw: dict[str, Any] = {"name": name}
            for key in ("rank", "expected_price", "ratio_mean", "ratio_sd"):
                try:
                    kw[key] = bv.parse_input(key, v.get(key))
                except bv.Unreadable as exc:
                    self.problem(self.g.coord(r, cols[key]), v.get(key), exc.zh, exc.en)
            points = history.pop(fold(name), None)
            if points:
                kw["p_beat"] = tuple(points)
                self.paths[f"competitors[{i}].p_beat"] = self.paths.get(
                    f"history:{fold(name)}", cell
                )
            try:
                comps.append(Competitor(**kw))
            except BidError as exc:  # keep reading: every problem of the sheet gets reported
                err = exc.under(f"competitors[{i}]")
                where = _cell_of(err.path, self.paths, {})
                self.problem(where, None, f"输入无效：{err}", f"Invalid input: {err}")
                self.fatal = True
        for key in history:
            self.problem(
                self.paths.get(f"history:{key}"),
                None,
                "历史概率所属的竞争对手不在竞争对手表中，已忽略",
                "P(beat) history for a competitor missing from the competitor table; ignored",
            )
        return comps

    def _history(self) -> dict[str, list[tuple[float, float]]]:
        found = self.g.header(_HIST, {"h_name", "h_markup", "h_probability"}, 3)
        out: dict[str, list[tuple[float, float]]] = {}
        if found is None:
            return out
        head, cols = found
        for r, v in self.g.body(head, cols):
            name = bv.text(v.get("h_name"))
            m, p = bv.markup(v.get("h_markup")), bv.probability(v.get("h_probability"))
            cell = self.g.coord(r, cols["h_name"])
            if name is None or m is None or p is None:
                self.problem(
                    cell,
                    v.get("h_name"),
                    "历史概率行不完整或无法读取，已忽略",
                    "Incomplete or unreadable P(beat) history row; ignored",
                )
                continue
            key = fold(name)
            self.paths.setdefault(f"history:{key}", cell)
            out.setdefault(key, []).append((m, p))
        return out


def read_bid_grid(
    grid: Sequence[Sequence[Any]], origin: tuple[int, int], sheet: str
) -> BidEntry | None:
    """Read one sheet's grid; None when it is not a Bid sheet (no Deal ID label and cost table).

    Args:
        grid: The sheet's used area (python-calamine ``to_python``).
        origin: (row, col), 0-based, of ``grid[0][0]``.
        sheet: The sheet's name (for the entry).
    """
    g = LabelGrid(grid, origin)
    at = g.labels(_INPUTS)
    costs = g.header(_COSTS, {"category", "quantity", "unit_cost"}, 3)
    if "deal_id" not in at or costs is None:
        return None
    reader = _Reader(g)
    cells = {k: g.coord(r, c) for k, (r, c) in {**g.labels(_RESULTS), **at}.items()}
    cells["table.costs"] = g.coord(costs[0], costs[1]["category"])
    model: BidModel | None = None
    lines: list[LineCells] = []
    kwargs = reader.inputs(at)
    try:
        cost_lines, lines = reader.costs(*costs)
        competitors = reader.competitors()
        if kwargs is not None and not reader.fatal:
            model = BidModel(cost_lines=tuple(cost_lines), competitors=tuple(competitors), **kwargs)
    except BidError as exc:
        cell = _cell_of(exc.path, reader.paths, cells)
        reader.problem(cell, None, f"输入无效：{exc}", f"Invalid input: {exc}")
        lines = []
    raw = reader.raw
    deal = bv.text(raw.get("deal_id"))
    result, issues = _analyse(model, reader, cells)
    return BidEntry(
        deal, sheet, model, result, issues, tuple(reader.problems), cells, tuple(lines), raw
    )


def _analyse(
    model: BidModel | None, reader: _Reader, cells: Mapping[str, str]
) -> tuple[BidResult | None, tuple[BidIssue, ...]]:
    if model is None:
        return None, ()
    result = None
    try:
        result = analyze_bid(model)
    except BidError as exc:
        issues = bid_issues(model)
        if not (exc.path == "cost_lines" and issues):
            cell = _cell_of(exc.path, reader.paths, cells)
            reader.problem(cell, None, f"无法分析：{exc}", f"Cannot analyse: {exc}")
    return result, tuple(bid_issues(model, result))


def _cell_of(path: str, paths: Mapping[str, str], cells: Mapping[str, str]) -> str | None:
    """The cell of a model path such as ``competitors[1].ratio_sd`` (its nearest known parent)."""
    probe = path
    while probe:
        if probe in paths:
            return paths[probe]
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    return cells.get("table.costs") if path.startswith("cost_lines") else cells.get("deal_id")
