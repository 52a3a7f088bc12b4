"""Every cell the xlwings renderer draws looks as its plan says, replayed from the actions xlwings'
own dispatcher returns (fonts, number formats, alignment, indents, wrapping, fills).

The renderer spans format rectangles over cells where a format cannot be seen (bold, italics,
font colour and alignment on blank cells; a number format without a text section on text) to
save actions (issue 16: the ribbon's Validate under 200), and leaves out a left alignment on
text and a right one on numbers, which is how Excel aligns them anyway. This replays the
actions in order, like the add-in's JavaScript, and checks each cell where the attribute shows:
the planned value, or Excel's default where the plan has none.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.utils import column_index_from_string

from annotate_support import AS_OF, sample_book
from excelflow.annotate.layout import dashboard_plan, findings_plan
from excelflow.annotate.plan import build_plan
from excelflow.api import validate_file
from excelflow.sheets.parts import Formula, RichText
from excelflow.sheets.plan import SheetPlan
from excelflow.sheets.style import Style
from excelflow.xl.cover import cover
from plan_support import everything, fitted
from xl.book_payload import book_payload, run_script
from xl.test_render import DRAWN, TO_DRAW

FONT = ("bold", "italic", "size", "color", "name")


def replay(actions: list[dict[str, Any]], position: int) -> dict[tuple[int, int], dict[str, Any]]:
    """Per cell (1-based) of the sheet at ``position``, the last value each format action left."""
    looks: dict[tuple[int, int], dict[str, Any]] = {}
    for a in actions:
        if a.get("sheet_position") != position or a.get("row_count") is None:
            continue
        func, args = a["func"], a["args"]
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        for i in range(a["row_count"]):
            for j in range(a["column_count"]):
                cell = looks.setdefault((r0 + i, c0 + j), {})
                if func == "setFontProperty":
                    cell[args[0]] = args[1].upper() if args[0] == "color" else args[1]
                elif func == "setNumberFormat":
                    cell["number_format"] = args[0]
                elif func == "setHorizontalAlignment":
                    cell["horizontal"] = args[0].lower()
                elif func == "setVerticalAlignment":
                    cell["vertical"] = args[0].lower()
                elif func == "rangeAdjustIndent":
                    cell["indent"] = cell.get("indent", 0) + args[0]
                elif func == "setWrapText":
                    cell["wrap"] = args[0]
                elif func == "setRangeColor":
                    cell["fill"] = args[0].upper()
                elif func == "setRangeColors" and args[0][i][j] != "keep":
                    cell["fill"] = None if args[0][i][j] is None else args[0][i][j].upper()
    return looks


def planned(style: Style | None) -> dict[str, Any]:
    """What the plan asks of a cell, in the replay's terms (absent = Excel's default)."""
    out: dict[str, Any] = {}
    if style is None:
        return out
    if style.font is not None:
        for attr in FONT:
            v = getattr(style.font, attr)
            if v is not None and not (attr == "name" and style.font.scheme == "minor"):
                out[attr] = "#" + v.upper() if attr == "color" else v
    if style.number_format is not None:
        out["number_format"] = style.number_format
    if style.align is not None:
        for attr in ("horizontal", "vertical", "wrap", "indent"):
            v = getattr(style.align, attr)
            if v:
                out[attr] = v
    if style.fill is not None and style.fill.color:
        out["fill"] = "#" + style.fill.color.upper()
    return out


def _shows(attr: str, fmt: Any, value: Any) -> bool:
    """Whether ``attr`` shows on a cell holding ``value``."""
    blank = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    if attr in ("size", "name", "wrap", "fill"):
        return True
    if blank:
        return False
    if attr == "number_format":
        text = isinstance(value, str | RichText) and not isinstance(value, Formula)
        numeric = fmt is None or ("@" not in fmt and fmt.count(";") < 3)
        return not (text and numeric)
    return True


def _aligned(how: Any, value: Any) -> Any:
    """How Excel shows a horizontal alignment: General (None) puts text left, numbers right."""
    if how not in (None, "general"):
        return how
    if isinstance(value, str | RichText) and not isinstance(value, Formula) and value != "link":
        return "left"
    if isinstance(value, int | float | dt.date) and not isinstance(value, bool):
        return "right"
    return None


_TEXT_RULE = re.compile(r'^=\$?([A-Z]+)\$?(\d+)="((?:[^"]|"")*)"$')


def conditional_colours(
    plan: SheetPlan, actions: list[dict[str, Any]], position: int
) -> dict[tuple[int, int], str]:
    """Font colours of the ``=A6="Error"`` conditional formats, where their text matches (Excel
    compares text without case); a conditional format beats a cell's own colour."""
    out: dict[tuple[int, int], str] = {}
    for a in actions:
        if a["func"] != "addConditionalFormat" or a.get("sheet_position") != position:
            continue
        rule = a["args"][0]
        m = _TEXT_RULE.match(rule.get("formula") or "")
        if m is None or rule.get("fill_color"):
            continue  # the plan's own conditional formats (tests/xl/test_render.py)
        assert (column_index_from_string(m[1]), int(m[2])) == (
            a["start_column"] + 1,
            a["start_row"] + 1,
        )  # relative to the range's first cell
        text = m[3].replace('""', '"').casefold()
        for i in range(a["row_count"]):
            for j in range(a["column_count"]):
                cell = (a["start_row"] + 1 + i, a["start_column"] + 1 + j)
                value = plan.value(*cell)
                if isinstance(value, str) and value.casefold() == text:
                    out[cell] = rule["font_color"].upper()
    return out


def wrong_cells(plan: SheetPlan, actions: list[dict[str, Any]], position: int) -> list[Any]:
    """Cells whose replayed look differs from the plan where it shows."""
    got = replay(actions, position)
    for cell, colour in conditional_colours(plan, actions, position).items():
        got.setdefault(cell, {})["color"] = colour
    want: dict[tuple[int, int], dict[str, Any]] = {
        cell: planned(plan.layer(names)) for cell, names in plan.cell_styles.items()
    }
    attrs = (*FONT, "number_format", "horizontal", "vertical", "indent", "wrap", "fill")
    out = []
    for cell in set(got) | set(want):
        value = "link" if cell in plan.links else plan.value(*cell)
        for attr in attrs:
            w = want.get(cell, {}).get(attr)
            g = got.get(cell, {}).get(attr)
            fmt = want.get(cell, {}).get("number_format")
            if attr == "horizontal" and not want.get(cell, {}).get("indent"):
                w, g = _aligned(w, value), _aligned(g, value)
            if _shows(attr, fmt if attr == "number_format" else None, value) and w != g:
                out.append((cell, attr, w, g))
    return sorted(out)


def _messy(folder: Path, n: int) -> Path:
    """The benchmarks' messy export of ``n`` deals (errors and warnings alternate)."""
    bench = str(Path(__file__).parents[2] / "benchmarks")
    sys.path.insert(0, bench)
    try:
        import generate  # type: ignore[import-not-found]
    finally:
        sys.path.remove(bench)
    generate.DATA = folder
    return Path(generate.workbook("messy", n))


def _drawn(plan: SheetPlan) -> list[dict[str, Any]]:
    import xl.test_render as module

    TO_DRAW["plan"] = plan
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Deals"
    actions = run_script(module, "draw", book_payload(wb))
    DRAWN.pop("costs")
    return list(actions)


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SheetPlan]:
    out: dict[str, SheetPlan] = {"everything": everything(), "fitted": fitted()}
    for lang in ("en", "zh"):
        path = sample_book(tmp_path_factory.mktemp(lang), lang, n=400)
        result = validate_file(path, as_of=AS_OF).result
        assert result is not None
        plan = build_plan(result)
        out[f"findings {lang}"] = findings_plan(plan, kept=[("Deals", "B7")])
        out[f"dashboard {lang}"] = dashboard_plan(plan)
    messy = validate_file(_messy(tmp_path_factory.mktemp("messy"), 300), as_of=AS_OF).result
    assert messy is not None
    out["findings messy"] = findings_plan(build_plan(messy), kept=[])
    return out


NAMES = ["everything", "fitted", "findings en", "findings zh", "dashboard en", "dashboard zh"]


@pytest.mark.parametrize("name", [*NAMES, "findings messy"])
def test_every_cell_looks_as_planned(plans: dict[str, SheetPlan], name: str) -> None:
    actions = _drawn(plans[name])
    assert wrong_cells(plans[name], actions, 1) == []


def test_severity_colours_alternating_row_by_row_take_one_rule_per_severity(
    plans: dict[str, SheetPlan],
) -> None:
    """A messy export's findings alternate between errors and warnings: the severity column's
    font colours go by its text (``=A6="Error"``), not a call per run of rows."""
    actions = _drawn(plans["findings messy"])
    rules = [a for a in actions if a["func"] == "addConditionalFormat"]
    colours = [a for a in actions if a["func"] == "setFontProperty" and a["args"][0] == "color"]
    assert 2 <= len(rules) <= 4 and len(colours) < 15
    assert len(actions) < 80


def test_a_cover_spans_unseen_cells_but_never_a_cell_that_needs_another_look() -> None:
    blank = {(1, 2), (1, 3), (2, 2), (2, 3), (3, 1)}
    cells: dict[tuple[int, int], Any] = {(1, 1): True, (2, 1): True, (1, 4): True}
    cells |= {(2, 4): True, (3, 4): False}
    got = cover(cells, lambda r, c: (r, c) in blank, (3, 4))
    assert got == [((1, 1, 2, 4), True), ((3, 4, 3, 4), False)]
    # a needed default (no value) is never covered: row 3, column 1 is blank but (3, 2) is not
    cells = {(1, 1): "x", (3, 1): "x"}  # a new dict: values of any type
    assert cover(cells, lambda r, c: (r, c) == (2, 1), (3, 3)) == [((1, 1, 3, 1), "x")]
    assert cover(cells, lambda r, c: False, (3, 3)) == [((1, 1, 1, 1), "x"), ((3, 1, 3, 1), "x")]
    # adding writes: no needed cell twice
    cells = {(1, 1): 1, (1, 2): 1, (2, 1): 1}
    areas = cover(cells, lambda r, c: False, (2, 2), once=True)
    counted = [(r, c) for (r1, c1, r2, c2), _ in areas
               for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]  # fmt: skip
    assert sorted(counted) == sorted(cells)


def test_the_dashboard_takes_fewer_format_calls_than_cells_of_each_look(
    plans: dict[str, SheetPlan], tmp_path: Path
) -> None:
    """A table's title and header row share one bold call; column B's counts, interrupted by
    text headers, one number-format call."""
    actions = _drawn(plans["dashboard en"])
    bold = [a for a in actions if a["func"] == "setFontProperty" and a["args"][0] == "bold"]
    assert any(a["row_count"] == 2 for a in bold)
    formats = [a for a in actions if a["func"] == "setNumberFormat" and a["start_column"] == 1]
    assert len(formats) <= 2
