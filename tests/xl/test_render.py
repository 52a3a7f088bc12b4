"""The xlwings renderer through xlwings' own script dispatcher: a plan holding one of everything
is drawn into a new sheet of a live (Office.js) book, and what xlwings cannot write is named."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import xlwings as xw
from openpyxl import Workbook

from annotate_support import AS_OF, sample_book
from excelflow.annotate.layout import dashboard_plan, findings_plan
from excelflow.annotate.plan import build_plan
from excelflow.api import validate_file
from excelflow.sheets.parts import Chart, Series
from excelflow.sheets.plan import SheetPlan
from excelflow.xl.render import Rendered, render
from excelflow.xl.render_objects import missed, named_by_cells
from plan_support import everything, fitted
from xl.book_payload import apply_actions, book_payload, run_script

DRAWN: dict[str, Rendered] = {}
TO_DRAW: dict[str, SheetPlan] = {}


@xw.script  # type: ignore[misc]
def draw(book: xw.Book) -> None:
    """Draw :func:`plan_support.everything` (or the plan put in ``TO_DRAW``) into a new sheet
    "Costs"."""
    sheet = book.sheets.add("Costs", after=book.sheets[len(book.sheets) - 1])
    DRAWN["costs"] = render(sheet, TO_DRAW.pop("plan", None) or everything())


def _draw(**kw: Any) -> tuple[list[dict[str, Any]], Rendered]:
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Deals"
    import sys

    actions = run_script(sys.modules[__name__], "draw", book_payload(wb, **kw))
    return actions, DRAWN.pop("costs")


def test_everything_is_drawn_in_whole_ranges() -> None:
    actions, done = _draw()
    assert done.refused == ["chart series formatting"]  # a new chart's series: not on a server
    calls = Counter(a["func"] for a in actions)
    book = apply_actions(book_payload(Workbook()), actions)
    costs = book["Costs"]
    assert costs.value("A1") == "Bid – D-1   a note"  # rich text: its text
    assert costs.value("A2") == "=not a formula"  # text stays text
    assert costs.values[(5, 4)] == "=B5*C5"
    assert costs.value("A10") == "Findings"  # a HYPERLINK formula showing the text
    assert costs.values[(10, 1)] == '=HYPERLINK("#\'Costs\'!A4","Findings")'
    assert calls["setFormula"] == 1 and calls["setValues"] == 0  # one block
    assert costs.fills[(4, 1)] == "#2f5597" and costs.formats[(8, 4)] == "#,##0;[Red]-#,##0"
    assert calls["setBorderProperty"] > 0 and calls["rangeAdjustIndent"] == 1
    fonts = [a["args"] for a in actions if a["func"] == "setFontProperty"]
    assert ["name", "Calibri"] in fonts  # a named font that is not the theme's body font
    assert calls["setVerticalAlignment"] == 1 and calls["setHorizontalAlignment"] >= 2
    assert calls["rangeMerge"] == 1 and calls["freezePaneAtRange"] == 1
    assert calls["addTable"] == 1 and calls["showAutofilterTable"] == 1
    assert calls["setDataValidationRule"] == 1  # the whole number; the warning list is not
    assert calls["addConditionalFormat"] == 3  # one rule on one area, one on two
    assert calls["addChart"] == 3 and calls["setChartAxis"] == 4
    legend = [a["args"][1:] for a in actions if a["func"] == "setChartLegend"]
    assert legend == [["visible", False], ["position", "Bottom"]]
    assert set(costs.notes) == {"A4", "B9"}  # the input message shown as a note
    assert calls["setShowGridlines"] == 1 and calls["setPrintArea"] == 1


def test_what_xlwings_cannot_write_is_named() -> None:
    assert missed(everything()) == [
        "bar gaps and overlaps",
        "calculated table columns",
        "chart data labels",
        "chart line widths and dashes",
        "chart styles",
        "extra chart series",
        "input method modes",
        "note authors and sizes",
        "print settings",
        "rich text",
        "tab colours",
        "underlined text",
        "validation error messages",
        "validations that only warn",
    ]
    _, done = _draw()
    assert done.missed == missed(everything())


def test_a_client_without_alignment_or_validation_refuses_them_by_name() -> None:
    _, done = _draw(client="Microsoft Office Scripts")
    assert "alignment" in done.refused and "data validation" in done.refused


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_findings_and_dashboard_miss_only_print_details(tmp_path: Path, lang: str) -> None:
    """What the ribbon cannot draw of annotate's sheets is this fixed list (its message does not
    repeat it, see :mod:`excelflow.xl.macros_annotate`)."""
    result = validate_file(sample_book(tmp_path, lang, n=30), as_of=AS_OF).result  # type: ignore[arg-type]
    assert result is not None
    plan = build_plan(result)
    assert missed(findings_plan(plan, kept=[])) == ["print settings", "underlined text"]
    assert missed(dashboard_plan(plan)) == [
        "bar gaps and overlaps",
        "chart data labels",
        "chart styles",
        "print settings",
    ]


def test_a_series_titled_like_its_header_is_named_by_the_header_cell() -> None:
    """Named with the data, xlwings needs no series call (which a server cannot make)."""
    plan = SheetPlan()
    plan.put_rows(1, 1, [["x", "Profit", "Cost"], [1, 2, 3], [2, 4, 5]])
    profit = Series((2, 2, 3, 2), (2, 1, 3, 1), title="Profit")
    cost = Series((2, 3, 3, 3), (2, 1, 3, 1), title="Total cost")  # not the header's text
    chart = named_by_cells(plan, Chart("scatter", (profit, cost), (5, 1)))
    assert [(s.title, s.title_cell) for s in chart.series] == [
        (None, (1, 2)),
        ("Total cost", None),
    ]


def test_fitted_widths_wrapped_text_and_row_heights_are_drawn() -> None:
    """The fitted plan (see tests/io/test_render.py for openpyxl): its widths, its wrapped
    cells, one call per run, and Excel asked to fit the wrapped row (not given the estimate)."""
    TO_DRAW["plan"] = fitted()
    actions, done = _draw()
    assert done.refused == []
    sizing = ("setColumnWidth", "setRowHeight", "setWrapText", "setAutofit")
    calls = [(a["func"], a["args"], a.get("start_row"), a.get("start_column"))
             for a in actions if a["func"] in sizing]  # fmt: skip
    assert sorted(args for f, args, *_ in calls if f == "setColumnWidth") == [[6.0], [40.0]]
    assert [(args, row) for f, args, row, _ in calls if f == "setRowHeight"] == []
    assert [(args, row) for f, args, row, _ in calls if f == "setAutofit"] == [(["rows"], 3)]
    assert [(args, row, col) for f, args, row, col in calls if f == "setWrapText"] == [
        ([True], 2, 1)
    ]  # rows 3-4 of column B, 0-based
