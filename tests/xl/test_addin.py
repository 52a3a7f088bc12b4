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


def _bas() -> str:
    return (ADDIN / "ExcelFlow.bas").read_bytes().decode("ascii")


def test_every_ribbon_action_is_a_ribbon_sub_of_the_bas() -> None:
    tree = parse_xml(ADDIN / "customUI14.xml")
    actions = [b.get("onAction") for b in tree.getroot().iterfind(".//ui:button", NS)]
    assert len(actions) == len(set(actions)) == 5
    subs = re.findall(r"^(?:Public )?Sub (\w+)\((.*)\)\r$", _bas(), flags=re.MULTILINE)
    signature = dict(subs)
    for action in actions:
        assert action in signature, f"onAction {action} has no Sub in ExcelFlow.bas"
        # the ribbon passes the control: exactly this parameter list, or Excel says it cannot
        # run the macro
        assert signature[action] == "control As IRibbonControl", action


def test_every_run_python_of_the_bas_names_an_existing_script() -> None:
    calls = re.findall(r"^\s*RunPython (.*)\r$", _bas(), flags=re.MULTILINE)
    assert len(calls) == 5
    scripts = set()
    for call in calls:
        match = re.fullmatch(r'"import excelflow\.xl\.macros as m; m\.(\w+)\(\)"', call)
        assert match, call
        scripts.add(match[1])
    assert scripts == SCRIPTS
    registered = {s["function_name"] for s in xlwings.server.custom_scripts_meta(macros)}
    assert scripts <= registered  # each is an @xw.script of excelflow.xl.macros


def test_the_bas_has_crlf_line_endings() -> None:
    raw = (ADDIN / "ExcelFlow.bas").read_bytes()
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n") > 20  # no bare LF
    assert raw.count(b"\r") == raw.count(b"\r\n")  # no bare CR
    attributes = (ADDIN.parent / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.bas -text", attributes, flags=re.MULTILINE)


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
