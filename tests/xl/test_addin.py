"""The add-in folder is wired to the real functions and scripts: nothing in it can drift."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import xlwings.server
from defusedxml.ElementTree import parse as parse_xml

from excelflow.xl import macros, udfs

ADDIN = Path(__file__).resolve().parents[2] / "addin"
NS = {"ui": "http://schemas.microsoft.com/office/2009/07/customui"}
SCRIPTS = {
    "validate_pipeline",
    "grade_deals",
    "bid_analysis",
    "refresh_dashboard",
    "insert_template_sheets",
}


def _main() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "excelflow_addin_main", ADDIN / "lite" / "main.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_main_exposes_every_function_and_script_to_xlwings() -> None:
    main = _main()
    meta = xlwings.server.custom_functions_meta(main)
    names = {f["name"] for f in meta["functions"]}
    assert {n.upper() for n in udfs.__all__} <= names and len(udfs.__all__) == 13
    scripts = xlwings.server.custom_scripts_meta(main)
    assert {s["function_name"] for s in scripts} >= SCRIPTS


def test_ribbon_buttons_call_existing_vba_subs_that_run_existing_scripts() -> None:
    tree = parse_xml(ADDIN / "customUI14.xml")
    actions = {b.get("onAction") for b in tree.getroot().iterfind(".//ui:button", NS)}
    bas = (ADDIN / "ExcelFlow.bas").read_text(encoding="utf-8")
    subs = set(re.findall(r"Public Sub (\w+)\(control As IRibbonControl\)", bas))
    assert actions == subs and len(actions) == 5
    called = set(re.findall(r'RunScript "(\w+)"', bas))
    assert called == SCRIPTS
    assert all(callable(getattr(macros, name)) for name in called)


def test_scripts_run_through_the_dispatcher_from_main(tmp_path: Path) -> None:
    import xlwings as xw

    main = _main()
    payload = {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": "empty.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": "Sheet1", "values": [[""]], "pictures": [], "tables": []}],
    }
    book = xw.Book(json=payload)
    try:
        out = asyncio.run(
            xlwings.server.custom_scripts_call(
                main, "validate_pipeline", typehint_to_value={xw.Book: book}
            )
        )
        actions = out.json()["actions"]
    finally:
        book.close()
    assert [a["func"] for a in actions] == ["alert"]  # an empty book: one message, no writes
