"""The openpyxl renderer: a plan holding one of everything, written with openpyxl and read back
with openpyxl (every attribute) and python-calamine (the values)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from openpyxl.chart import BarChart, PieChart, ScatterChart
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from excelflow.sheets.style import layered
from excelflow.workbook.render import render_book
from plan_support import book


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("render") / "plan.xlsx"
    render_book(book()).save(path)
    return path


@pytest.fixture(scope="module")
def ws(saved: Path) -> Worksheet:
    sheet = load_workbook(saved, rich_text=True)["Costs"]
    assert isinstance(sheet, Worksheet)
    return sheet


def test_values_formulas_rich_text_and_links(ws: Worksheet) -> None:
    title = ws["A1"].value
    assert isinstance(title, CellRichText) and str(title) == "Bid – D-1   a note"
    first, second = title
    assert not isinstance(first, str) and not isinstance(second, str)
    assert (first.font.b, first.font.sz, first.font.rFont) == (True, 14, "Calibri")
    assert (second.font.i, second.font.color.rgb) == (True, "00595959")
    assert ws["A2"].value == "=not a formula" and ws["A2"].data_type == "s"
    assert ws["B2"].value == dt.datetime(2026, 11, 28)
    assert ws["D5"].value == "=B5*C5" and ws["D5"].data_type == "f"
    assert ws["A10"].hyperlink is not None and ws["A10"].hyperlink.location == "'Costs'!A4"
    note = ws["B9"].comment
    assert note is not None and (note.text, note.author) == (
        "Margin = (price - cost) / price",
        "ExcelFlow",
    )


def test_named_styles_are_layered_onto_the_cells(ws: Worksheet) -> None:
    head = ws["A4"]
    assert (head.font.name, head.font.scheme, head.font.b, head.font.color.rgb) == (
        "Calibri", "minor", True, "00FFFFFF",
    )  # fmt: skip
    assert head.fill.fgColor.rgb == "002F5597" and head.fill.fill_type == "solid"
    assert (head.alignment.wrap_text, head.alignment.vertical) == (True, "center")
    qty = ws["B5"]
    assert qty.alignment.horizontal == "center" and qty.fill.fgColor.rgb == "00FFF2CC"
    sides = ("left", "right", "top", "bottom")
    assert [getattr(qty.border, s).style for s in sides] == ["thin"] * 4
    assert qty.border.left.color.rgb == "00BFBFBF"
    assert ws["C5"].number_format == "#,##0;[Red]-#,##0" and ws["C5"].font.color.rgb == "001F4E79"
    assert (ws["A8"].alignment.horizontal, ws["A8"].alignment.indent) == ("left", 1)
    assert ws["A3"].border.bottom.style == "medium"
    assert ws["A10"].font.u == "single"


def test_layering_sets_attribute_by_attribute() -> None:
    from excelflow.sheets.style import Align, Font, Style

    one = Style(font=Font(bold=True, color="FF0000"), align=Align(horizontal="left"))
    two = Style(font=Font(color="00FF00"), align=Align(indent=2), number_format="0%")
    got = layered([one, two])
    assert got.font == Font(bold=True, color="00FF00")
    assert got.align == Align(horizontal="left", indent=2) and got.number_format == "0%"


def test_sheet_objects(ws: Worksheet) -> None:
    assert [str(r) for r in ws.merged_cells.ranges] == ["A3:D3"]
    assert ws.column_dimensions["A"].width == 30 and ws.row_dimensions[4].height == 33
    assert ws.freeze_panes == "B5"
    table = ws.tables["tblCosts"]
    assert table.ref == "A4:D7" and table.autoFilter is None
    assert table.tableColumns[3].calculatedColumnFormula.attr_text.startswith("tblCosts[[#This")
    assert table.tableStyleInfo.showColumnStripes is False
    dvs = ws.data_validations.dataValidation
    assert [(d.type, str(d.sqref)) for d in dvs] == [
        (None, "A4"), ("whole", "B5:B7"), ("list", "A5:A7"),
    ]  # fmt: skip
    assert (dvs[0].promptTitle, dvs[0].showInputMessage) == ("Item", True)
    assert (dvs[1].operator, dvs[1].imeMode, dvs[1].errorStyle) == (
        "greaterThanOrEqual",
        "off",
        "stop",
    )
    assert dvs[2].errorStyle == "warning"
    rules = [(str(cf.sqref), r) for cf in ws.conditional_formatting for r in cf.rules]
    assert [(ref, r.formula) for ref, r in rules] == [
        ("A5:D7", ["$D5>2000"]), ("B9 D8", ["$B$9<0.1"]),
    ]  # fmt: skip
    assert rules[0][1].dxf.fill.fgColor.rgb == "00C6EFCE" and rules[1][1].priority == 9
    assert rules[1][1].dxf.fill.bgColor.rgb == "00FFC7CE"


def test_conditional_solid_fills_carry_their_colour_as_background(saved: Path) -> None:
    """Excel paints a dxf solid fill with bgColor (a fill given only fgColor shows no colour in
    Excel); each dxf fill in styles.xml, read with an XML parser, carries its colour as both."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(saved) as zf:
        root = ET.fromstring(zf.read("xl/styles.xml"))
    fills = root.findall("m:dxfs/m:dxf/m:fill/m:patternFill", ns)
    got = [
        (f.get("patternType"), *(f.find(f"m:{c}", ns).get("rgb") for c in ("fgColor", "bgColor")))  # type: ignore[union-attr]
        for f in fills
    ]
    assert got == [("solid", "00C6EFCE", "00C6EFCE"), ("solid", "00FFC7CE", "00FFC7CE")]


def test_charts(saved: Path, ws: Worksheet) -> None:
    charts = ws._charts  # type: ignore[attr-defined]
    assert [type(c) for c in charts] == [BarChart, PieChart, ScatterChart]
    with zipfile.ZipFile(saved) as zf:
        xml = [zf.read(f"xl/charts/chart{i}.xml").decode().replace(" />", "/>") for i in (1, 2, 3)]
    bar, pie, scatter = xml
    assert '<barDir val="bar"/>' in bar and '<orientation val="maxMin"/>' in bar
    assert '<crosses val="max"/></valAx>' in bar and '<overlap val="100"/>' in bar
    assert "<legend>" not in bar and "<f>'Costs'!D4</f>" in bar and "'Costs'!$A$5:$A$7" in bar
    assert '<style val="10"/>' in bar and '<numFmt formatCode="#,##0"' in bar
    assert '<showCatName val="1"/>' in pie and "Share" in pie
    assert '<a:ln w="28575"><a:solidFill><a:srgbClr val="2F75B5"/>' in scatter
    assert '<symbol val="diamond"/><size val="10"/>' in scatter and "<a:noFill/>" in scatter
    assert '<legendPos val="b"/>' in scatter and '<scatterStyle val="lineMarker"/>' in scatter
    assert "Markup" in scatter and "Profit (CNY)" in scatter


def test_sheet_settings_and_print_setup(ws: Worksheet) -> None:
    assert ws.sheet_properties.tabColor.rgb == "002F75B5"
    assert ws.sheet_view.showGridLines is False
    setup = ws.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == (
        "landscape", 9, 1, 0,
    )  # fmt: skip
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_options.horizontalCentered is True
    assert (ws.page_margins.left, ws.page_margins.top) == (0.4, 0.5)
    assert ws.print_title_rows == "$4:$4" and ws.print_title_cols == "$A:$B"
    assert ws.print_area == "'Costs'!$A$1:$D$10"
    assert [b.id for b in ws.row_breaks.brk] == [8]


def test_workbook_parts(saved: Path) -> None:
    wb = load_workbook(saved)
    assert wb.sheetnames == ["Costs", "Lists"] and wb.active is not None
    assert wb.active.title == "Costs"
    assert wb.defined_names["lstStages"].attr_text == "Lists!$A$2:$A$4"
    assert wb.properties.creator == "ExcelFlow" and wb.properties.title == "Plan"
    with zipfile.ZipFile(saved) as zf:
        assert 'script="Hans" typeface="等线"' in zf.read("xl/theme/theme1.xml").decode()


def test_draw_order_orders_the_styles_part_only(tmp_path: Path) -> None:
    """Drawing "Lists" first lists its title font first; the sheets stay where they are."""
    paths = []
    for order in ((), ("Lists",)):
        wb = render_book(book(), draw_order=order)
        assert wb.sheetnames == ["Costs", "Lists"]
        paths.append(tmp_path / f"{len(order)}.xlsx")
        wb.save(paths[-1])
    fonts = [
        [f.sz for f in load_workbook(p)._fonts]  # type: ignore[attr-defined]
        for p in paths
    ]
    assert sorted(map(str, fonts[0])) == sorted(map(str, fonts[1])) and fonts[0] != fonts[1]
    assert fonts[1][1] == 16  # the Lists title, drawn first
    values = [load_workbook(p)["Costs"]["A4"].value for p in paths]
    assert values == ["Item", "Item"]


def test_python_calamine_reads_the_values(saved: Path) -> None:
    cb = CalamineWorkbook.from_path(str(saved))
    rows = cb.get_sheet_by_name("Costs").to_python()
    assert rows[0][0] == "Bid – D-1   a note" and rows[1][0] == "=not a formula"
    assert rows[1][1] == dt.date(2026, 11, 28)
    assert rows[3][:4] == ["Item", "Qty", "Unit cost", "Amount"]
    assert rows[4][:3] == ["Server", 2.0, 1500.0] and rows[8][1] == 0.25
    assert cb.get_sheet_by_name("Lists").to_python()[1] == ["Entry"]


def test_fitted_columns_wrapped_text_and_grown_rows(tmp_path: Path) -> None:
    """Widths from content (CJK counted double, capped; a title overflowing on purpose does not
    count), a column with text beyond its cap wraps from the top, and its long row grows; the
    openpyxl renderer writes exactly that."""
    from openpyxl import Workbook

    from excelflow.sheets.text import text_width
    from excelflow.workbook.render import render_sheet
    from plan_support import LONG_TEXT, fitted

    plan = fitted()
    assert plan.widths == {1: 6.0, 2: 40.0}  # "Code" + 2; the message capped at 40
    assert text_width(LONG_TEXT) > 3 * 40 - 10 and plan.heights == {4: 60.0}  # 3-4 lines
    wb = Workbook()
    assert wb.active is not None
    render_sheet(wb.active, plan)
    wb.save(tmp_path / "fitted.xlsx")
    ws = load_workbook(tmp_path / "fitted.xlsx").active
    assert ws is not None
    assert (ws.column_dimensions["A"].width, ws.column_dimensions["B"].width) == (6, 40)
    assert ws.row_dimensions[4].height == 60 and ws.row_dimensions[3].height is None
    assert [ws.cell(r, 2).alignment.wrap_text for r in (2, 3, 4)] == [None, True, True]
    assert ws["B4"].alignment.vertical == "top" and not ws["A4"].alignment.wrap_text
