"""The objects of a :class:`~excelflow.sheets.plan.SheetPlan` through xlwings: data validations,
conditional formats and charts, and the list of what xlwings cannot write (:func:`missed`).

Part of the xlwings renderer, :mod:`excelflow.xl.render`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import xlwings as xw

from excelflow.sheets.parts import Area, Axis, Chart, Series, Validation
from excelflow.sheets.plan import RichText, SheetPlan

OPERATORS = {
    "between": "between",
    "notBetween": "not_between",
    "equal": "equal_to",
    "notEqual": "not_equal_to",
    "greaterThan": "greater_than",
    "lessThan": "less_than",
    "greaterThanOrEqual": "greater_than_or_equal",
    "lessThanOrEqual": "less_than_or_equal",
}
"""Excel's validation operators -> xlwings'."""
KINDS = {"whole": "whole_number", "decimal": "decimal", "date": "date", "time": "time",
         "textLength": "text_length", "custom": "custom", "list": "list"}  # fmt: skip
"""Excel's validation types -> xlwings' setter names."""
CHART_KINDS = {
    "column": "column_clustered",
    "bar": "bar_clustered",
    "line": "line",
    "pie": "pie",
    "scatter": "xy_scatter_lines_no_markers",
    "area": "area",
}
CROSSES = {"min": "minimum", "max": "maximum", "autoZero": "automatic"}
LEGEND = {"r": "right", "l": "left", "t": "top", "b": "bottom", "tr": "corner"}
MARKERS = {"auto": "automatic", "picture": "automatic"}


def rng(sheet: xw.Sheet, area: Area) -> xw.Range:
    """The range of ``area`` on ``sheet``."""
    r1, c1, r2, c2 = area
    return sheet.range((r1, c1), (r2, c2))


# --------------------------------------------------------------------------- validations


def written(v: Validation) -> bool:
    """Whether xlwings writes ``v`` as a rule: a known kind with a "stop" alert (xlwings cannot
    set the alert style, and a strict copy would reject input the layout accepts)."""
    return v.kind in KINDS and (v.error_style or "stop") == "stop"


def list_source(book: xw.Book, ref: str) -> xw.Range | xw.Name:
    """The range or defined name a list validation's source (``lstStages``,
    ``'Rules'!$B$5:$B$10``) points at."""
    ref = ref.lstrip("=")
    if "!" not in ref:
        return book.names[ref]
    sheet, cells = ref.rsplit("!", 1)
    return book.sheets[sheet.strip("'").replace("''", "'")].range(cells)


def validate(sheet: xw.Sheet, v: Validation) -> None:
    """Add one data-validation rule (one that :func:`written` accepts)."""
    dv = rng(sheet, v.area).data_validation
    if v.kind == "list":
        choices = v.choices()
        source = list_source(sheet.book, v.formula1 or "") if choices is None else list(choices)
        dv.set_list(source)
    elif v.kind == "custom":
        dv.set_custom(v.formula1 or "")
    else:
        setter = getattr(dv, f"set_{KINDS[v.kind or '']}")
        setter(OPERATORS.get(v.operator or "between", "between"), v.formula1, v.formula2)


def prompt_notes(plan: SheetPlan) -> dict[tuple[int, int], str]:
    """Input messages of prompt-only validations, as notes on their first cell (xlwings cannot
    write input messages; a note shows the same help)."""
    out: dict[tuple[int, int], str] = {}
    for v in plan.validations:
        if v.kind is None and v.prompt:
            title = f"{v.prompt_title}\n" if v.prompt_title else ""
            out.setdefault(v.area[:2], title + v.prompt)
    return out


# --------------------------------------------------------------------------- charts


def source_block(chart: Chart) -> tuple[Area | None, Area | None, int]:
    """The block xlwings charts from (adjacent value columns sharing one category range, with
    their header row when every series takes its name from the cell above), the categories,
    and how many series it covers."""
    if not chart.series:
        return None, None, 0
    first = chart.series[0]
    r1, c1, r2, _ = first.values
    n = 1
    for s in chart.series[1:]:
        if s.values != (r1, c1 + n, r2, c1 + n) or s.categories != first.categories:
            break
        n += 1
    titled = all(s.title_cell == (r1 - 1, c1 + k) for k, s in enumerate(chart.series[:n]))
    return (r1 - 1 if titled else r1, c1, r2, c1 + n - 1), first.categories, n


def named_by_cells(plan: SheetPlan, chart: Chart) -> Chart:
    """``chart`` with each series whose literal title repeats the text right above its values
    named by that cell instead: xlwings then takes the name with the data, in the call that adds
    the chart (naming a series afterwards is a series call, which xlwings Server cannot make)."""

    def named(s: Series) -> Series:
        r1, c1, _, c2 = s.values
        if s.title is None or s.title_cell is not None or c1 != c2 or r1 < 2:
            return s
        above = plan.value(r1 - 1, c1)
        return replace(s, title=None, title_cell=(r1 - 1, c1)) if above == s.title else s

    return replace(chart, series=tuple(named(s) for s in chart.series))


def _axis(axis: xw.main.ChartAxis, spec: Axis | None) -> None:
    if spec is None:
        return
    wanted = {
        "title": spec.title,
        "number_format": spec.number_format,
        "visible": spec.visible,
        "reverse_order": spec.reverse,
        "minimum_scale": spec.minimum,
        "maximum_scale": spec.maximum,
    }
    kw: dict[str, Any] = {k: v for k, v in wanted.items() if v is not None}
    if spec.crosses is not None:
        kw["crosses"] = CROSSES[spec.crosses]
    if kw and kw != {"visible": True}:  # a new chart's axes are visible: no call for that alone
        axis.set(**kw)


def _series_format(spec: Series, named: bool, bars: bool) -> dict[str, Any]:
    """``ChartSeries.set`` arguments for what ``spec`` asks beyond its data."""
    kw: dict[str, Any] = {}
    if spec.title is not None and not named:
        kw["name"] = spec.title
    if spec.marker is not None:
        m = spec.marker
        kw["marker_style"] = MARKERS.get(m.symbol, m.symbol)
        if m.size is not None:
            kw["marker_size"] = m.size
        if m.line is not None:
            kw["marker_foreground_color"] = "#" + m.line
        if m.fill is not None:
            kw["marker_background_color"] = "#" + m.fill
    if spec.color is not None:
        kw["fill_color" if bars else "line_color"] = "#" + spec.color
    return kw


def add_chart(
    sheet: xw.Sheet, chart: Chart, number: int, guard: Callable[[str], AbstractContextManager[None]]
) -> None:
    """A native chart: the series of :func:`source_block`, the categories, the title, then the
    axes, legend and series formatting the chart asks for (the series' within ``guard``: xlwings
    Server and Lite cannot address a new chart's series synchronously)."""
    block, categories, n = source_block(chart)
    if block is None:
        return
    xc = sheet.charts.add(
        anchor=sheet.range(chart.anchor),
        width=chart.width / 2.54 * 72,
        height=chart.height / 2.54 * 72,
        chart_type=CHART_KINDS[chart.kind],
        name=chart.name or f"efChart{number}",
    )
    xc.set_source_data(rng(sheet, block), plot_by="columns")
    if categories is not None:
        xc.set_x_axis_values(rng(sheet, categories))
    xc.title = chart.title or ""
    if chart.kind != "pie":
        _axis(xc.category_axis, chart.x_axis)
        _axis(xc.value_axis, chart.y_axis)
    if chart.legend is None:
        xc.legend.visible = False
    elif chart.legend != "r":
        position: Any = LEGEND[chart.legend]
        xc.legend.position = position
    named = block[0] < chart.series[0].values[0]
    bars = chart.kind in ("bar", "column", "pie", "area")
    for i, spec in enumerate(chart.series[:n]):
        kw = _series_format(spec, named, bars)
        if kw:
            with guard("chart series formatting"):
                xc.series[i].set(**kw)


# --------------------------------------------------------------------------- what is missed


def _chart_misses(chart: Chart) -> set[str]:
    out: set[str] = set()
    if source_block(chart)[2] < len(chart.series):
        out.add("extra chart series")
    if chart.style is not None:
        out.add("chart styles")
    if chart.data_labels is not None:
        out.add("chart data labels")
    if chart.gap_width is not None or chart.overlap is not None:
        out.add("bar gaps and overlaps")
    if any(s.line_width is not None or s.dash is not None or s.no_line for s in chart.series):
        out.add("chart line widths and dashes")
    return out


def _validation_misses(v: Validation) -> set[str]:
    if v.kind is None:
        return set()
    if v.kind not in KINDS:
        return {f"{v.kind} validations"}
    if not written(v):
        return {"validations that only warn"}
    out = {"input messages"} if v.prompt else set()
    if v.error or v.error_title:
        out.add("validation error messages")
    if v.ime_mode:
        out.add("input method modes")
    return out


def missed(plan: SheetPlan) -> list[str]:
    """What ``plan`` holds that xlwings cannot write (sorted, English): rich text runs,
    underlines, link tooltips, calculated table columns, validation alert styles and texts,
    conditional-format borders, some chart formatting, note authors and sizes, tab colours,
    tab selection and the print settings besides the print area."""
    out: set[str] = set()
    if any(isinstance(v, RichText) for row in plan.values for v in row):
        out.add("rich text")
    fonts = [plan.styles[n].font for names in set(plan.cell_styles.values()) for n in names]
    if any(f is not None and f.underline for f in fonts):
        out.add("underlined text")
    if any(link.tooltip for link in plan.links.values()):
        out.add("link tooltips")
    if any(c.formula for t in plan.tables for c in t.columns):
        out.add("calculated table columns")
    for v in plan.validations:
        out |= _validation_misses(v)
    if any(plan.styles[cf.style].border is not None for cf in plan.conditional):
        out.add("conditional-format borders")
    for chart in plan.charts:
        out |= _chart_misses(chart)
    if any(n.author or n.width or n.height for n in plan.notes.values()):
        out.add("note authors and sizes")
    if plan.props.tab_color is not None:
        out.add("tab colours")
    if plan.props.selected:
        out.add("tab selection")
    if not replace(plan.page, print_area=None).is_default():
        out.add("print settings")
    return sorted(out)
