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


# --------------------------------------------------------------------------- ExcelFlow.xlam


def _build_xlam() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_xlam", ADDIN / "build_xlam.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ovba_decompress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression of a VBA module's source stream (from its signature byte)."""
    assert data[0] == 1
    out, pos = bytearray(), 1
    while pos + 2 <= len(data):
        header = int.from_bytes(data[pos : pos + 2], "little")
        chunk, pos = data[pos + 2 : pos + 3 + (header & 0x0FFF)], pos + 3 + (header & 0x0FFF)
        if not header & 0x8000:
            out += chunk
            continue
        start, i = len(out), 0
        while i < len(chunk):
            flags, i = chunk[i], i + 1
            for bit in range(8):
                if i >= len(chunk):
                    break
                if not flags >> bit & 1:
                    out.append(chunk[i])
                    i += 1
                    continue
                token, i = int.from_bytes(chunk[i : i + 2], "little"), i + 2
                shift = max((len(out) - start - 1).bit_length(), 4)
                offset, length = (token >> (16 - shift)) + 1, (token & (0xFFFF >> shift)) + 3
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def _vba_modules(vba_project: bytes) -> dict[str, str]:
    """Module name -> VBA source of a vbaProject.bin (sources found by their VB_Name line)."""
    import io

    import olefile

    ole = olefile.OleFileIO(io.BytesIO(vba_project))
    out: dict[str, str] = {}
    for stream in ole.listdir():
        if stream[0] != "VBA" or stream[1] in ("dir", "_VBA_PROJECT"):
            continue
        raw = ole.openstream(stream).read()
        for m in re.finditer(rb"\x01[\x00-\xff][\xb0-\xbf]", raw):
            try:
                text = _ovba_decompress(raw[m.start() :])
            except IndexError:
                continue
            if text.startswith(b"Attribute VB_Name"):
                out[stream[1]] = text.decode("latin-1")
                break
    return out


def test_xlam_is_xlwings_ribbon_template_with_our_ribbon(tmp_path: Path) -> None:
    import zipfile

    build = _build_xlam()
    source = build.template()
    out = build.build(tmp_path / "ExcelFlow.xlam")
    again = build.build(tmp_path / "again" / "ExcelFlow.xlam")
    assert out.read_bytes() == again.read_bytes()  # reproducible
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(source) as t:
        assert z.testzip() is None
        assert set(z.namelist()) == set(t.namelist()) - {"customUI/customUI.xml"} | {
            "customUI/customUI14.xml"
        }
        assert z.read("customUI/customUI14.xml") == (ADDIN / "customUI14.xml").read_bytes()
        rels = z.read("_rels/.rels").decode()
        ribbon = re.findall(r'<Relationship [^>]*ui/extensibility"[^>]*/>', rels)
        assert len(ribbon) == 1 and 'Target="customUI/customUI14.xml"' in ribbon[0]
        assert "office/2007/relationships/ui/extensibility" in ribbon[0]  # the customUI14 type
        for name in t.namelist():
            if name not in ("customUI/customUI.xml", "_rels/.rels"):
                assert z.read(name) == t.read(name), name  # VBA and sheets untouched
        modules = _vba_modules(z.read("xl/vbaProject.bin"))
    # xlwings' RunPython is inside the add-in's own VBA project: ExcelFlow.bas, imported once,
    # needs no reference to the xlwings add-in; our Subs are not there until then
    assert re.search(r"^Public Function RunPython\(", modules["xlwings"], flags=re.MULTILINE)
    assert not any("EF_ValidatePipeline" in src for src in modules.values())
