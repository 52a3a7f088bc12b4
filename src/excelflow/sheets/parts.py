"""The parts of a :class:`~excelflow.sheets.plan.SheetPlan` besides values and styles: rich text,
links, notes, tables, data validations, conditional formats, charts and the page setup.

Rows and columns are 1-based like Excel's; an :data:`Area` is ``(first row, first column, last
row, last column)``, inclusive. Names of kinds, operators and styles are Excel's own (as in the
file format): a validation of ``kind="whole"`` with ``operator="greaterThanOrEqual"``, a border
side ``"thin"``, a legend at ``"b"``ottom.
"""

from __future__ import annotations

from dataclasses import dataclass

from excelflow.sheets.style import Font

Cell = tuple[int, int]
"""(row, column), 1-based."""
Area = tuple[int, int, int, int]
"""(first row, first column, last row, last column), 1-based and inclusive."""


# --------------------------------------------------------------------------- cell contents


@dataclass(frozen=True)
class Formula:
    """A formula cell (``text`` starts with ``=``), as opposed to text that happens to."""

    text: str


@dataclass(frozen=True)
class Run:
    """A piece of rich text in its own font (None: the cell's font)."""

    text: str
    font: Font | None = None


@dataclass(frozen=True)
class RichText:
    """A cell value made of differently formatted runs."""

    runs: tuple[Run, ...]

    def __str__(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Link:
    """A hyperlink on a cell: to a ``location`` in this workbook (``"'Deals'!K14"``) or to an
    external ``target`` (a URL); the cell's value is the text shown."""

    location: str | None = None
    target: str | None = None
    tooltip: str | None = None


@dataclass(frozen=True)
class Note:
    """A cell note (a legacy comment); ``width``/``height`` of its box in pixels."""

    text: str
    author: str | None = None
    width: float | None = None
    height: float | None = None


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class TableColumn:
    """A table column: its header ``name`` and, for a calculated column, the ``formula`` Excel
    fills into new rows (without the leading ``=``)."""

    name: str
    formula: str | None = None


@dataclass(frozen=True)
class Table:
    """An Excel Table over ``area`` (header row first).

    ``columns`` empty: the header cells name the columns. ``autofilter``: the filter buttons
    (Excel's default). The ``*_stripes``/``*_column`` flags are the table style options (None:
    not written, Excel's default applies).
    """

    area: Area
    name: str
    style: str = "TableStyleLight9"
    row_stripes: bool | None = True
    column_stripes: bool | None = None
    first_column: bool | None = None
    last_column: bool | None = None
    columns: tuple[TableColumn, ...] = ()
    autofilter: bool = True


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Validation:
    """A data-validation rule on ``area``.

    ``kind`` is Excel's: ``list``, ``whole``, ``decimal``, ``date``, ``time``, ``textLength``,
    ``custom``, or None for an input message only. A list's ``formula1`` is a literal list
    (``'"a,b,c"'``, see :func:`excelflow.sheets.text.literal_list`), a defined name or a range;
    the others compare with ``operator`` (``between``, ``greaterThanOrEqual``, …) against
    ``formula1``/``formula2``. ``error_style`` is ``stop``, ``warning`` or ``information``;
    ``ime_mode`` e.g. ``"off"``. None leaves an attribute at the file format's default.
    """

    area: Area
    kind: str | None
    formula1: str | None = None
    formula2: str | None = None
    operator: str | None = None
    allow_blank: bool | None = None
    show_error: bool | None = None
    error_style: str | None = None
    error_title: str | None = None
    error: str | None = None
    show_input: bool | None = None
    prompt_title: str | None = None
    prompt: str | None = None
    ime_mode: str | None = None

    def choices(self) -> tuple[str, ...] | None:
        """The items of a literal list (``'"a,b"'`` -> ``("a", "b")``), else None."""
        f = self.formula1
        if self.kind != "list" or not f or not f.startswith('"'):
            return None
        return tuple(c.strip() for c in f.strip('"').split(","))


@dataclass(frozen=True)
class CondFormat:
    """A formula-based conditional format on ``ranges`` (space-separated areas allowed, the
    formula relative to the first area's top-left cell), drawn in the plan's style ``style``
    (font, fill, border)."""

    ranges: tuple[Area, ...]
    formula: str
    style: str
    priority: int | None = None
    stop_if_true: bool | None = None


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Marker:
    """A series' point marker: ``symbol`` (``none``, ``diamond``, ``circle``…), size in points,
    fill and outline colours."""

    symbol: str
    size: int | None = None
    fill: str | None = None
    line: str | None = None


@dataclass(frozen=True)
class Series:
    """One chart series on the plan's own sheet.

    ``values`` is a one-column (or one-row) area of numbers; ``categories`` the labels (bar,
    column, pie, line) or the x values (scatter). Its name is ``title_cell``'s value (a live
    reference) or the literal ``title``. ``color`` is the line colour of a line or scatter series
    (the fill of a bar or slice); ``line_width`` in points; ``dash`` Excel's preset (``dash``,
    ``sysDot``…); ``no_line`` draws only the markers.
    """

    values: Area
    categories: Area | None = None
    title: str | None = None
    title_cell: Cell | None = None
    color: str | None = None
    line_width: float | None = None
    dash: str | None = None
    no_line: bool = False
    smooth: bool | None = None
    marker: Marker | None = None


@dataclass(frozen=True)
class Axis:
    """An axis: its title, tick-label number format, whether it is shown (``visible``), drawn
    in reverse order, its bounds, and ``crosses``: where the other axis crosses it (``min``,
    ``max``, ``autoZero``, as in the file format's ``c:crosses`` of the *other* axis)."""

    title: str | None = None
    number_format: str | None = None
    visible: bool | None = None
    reverse: bool | None = None
    crosses: str | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class DataLabels:
    """What the data labels show (None: not written)."""

    value: bool | None = None
    category: bool | None = None
    series_name: bool | None = None
    percent: bool | None = None
    legend_key: bool | None = None


@dataclass(frozen=True)
class Chart:
    """A native chart with its top-left corner at ``anchor``; size in centimetres.

    ``kind``: ``column``, ``bar`` (horizontal), ``line``, ``pie``, ``scatter`` or ``area``.
    ``x_axis`` is the category (or x) axis, ``y_axis`` the value axis. ``legend`` is its
    position (``r``, ``b``, ``t``, ``l``, ``tr``) or None for no legend. ``style`` is the file
    format's chart style number (1-48), ``gap_width``/``overlap`` shape the bars, and
    ``scatter_style`` is e.g. ``lineMarker``. ``name`` names the chart object (xlwings).
    """

    kind: str
    series: tuple[Series, ...]
    anchor: Cell
    width: float = 15.0
    height: float = 7.5
    title: str | None = None
    name: str | None = None
    x_axis: Axis | None = None
    y_axis: Axis | None = None
    legend: str | None = "r"
    data_labels: DataLabels | None = None
    style: int | None = None
    gap_width: int | None = None
    overlap: int | None = None
    scatter_style: str | None = None


# --------------------------------------------------------------------------- sheet and page


@dataclass(frozen=True)
class Margins:
    """Page margins in inches (None: the default)."""

    left: float | None = None
    right: float | None = None
    top: float | None = None
    bottom: float | None = None
    header: float | None = None
    footer: float | None = None


A4 = 9
"""Excel's paper size number for A4."""


@dataclass
class PageSetup:
    """How the sheet prints. ``fit_width``/``fit_height``: pages across/down when
    ``fit_to_page`` (0 = as many as needed); ``title_rows``/``title_cols``: rows (``(4, 4)``) or
    columns (``(1, 2)`` = A:B) repeated on every page; ``row_breaks``: a page break below each
    of these rows."""

    orientation: str | None = None
    paper_size: int | None = None
    fit_to_page: bool | None = None
    fit_width: int | None = None
    fit_height: int | None = None
    center_horizontally: bool | None = None
    center_vertically: bool | None = None
    margins: Margins | None = None
    title_rows: tuple[int, int] | None = None
    title_cols: tuple[int, int] | None = None
    print_area: Area | None = None
    row_breaks: tuple[int, ...] = ()

    def is_default(self) -> bool:
        """True when nothing is set."""
        return self == PageSetup()


@dataclass
class SheetProps:
    """The sheet's own settings: tab colour, gridlines shown, tab selected, and ``state``
    (``visible``, ``hidden``, ``veryHidden``)."""

    tab_color: str | None = None
    gridlines: bool | None = None
    selected: bool | None = None
    state: str | None = None
