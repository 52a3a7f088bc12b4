"""Reference-output recorder: run every ExcelFlow door on fixed inputs and dump what it produces.

Only entry points that stay stable when modules move are used:

* the CLI, as ``from excelflow.cli import main`` called in a subprocess;
* the ribbon scripts and ``EF_*`` worksheet functions, loaded by file path from
  ``addin/lite/main.py`` (``addin/main.py`` in older checkouts) and called through xlwings'
  own dispatcher (``xlwings.server``), with the request bodies
  built by the test helpers ``tests/xl/book_payload.py`` and ``tests/xl/udf_payload.py``.

Usage::

    python tests/reference/record.py OUTDIR                       # baseline: generates inputs
    python tests/reference/record.py OUTDIR --inputs BASE/inputs  # later runs: same inputs
    python tests/reference/record.py --compare DIR_A DIR_B        # exit 1 when anything differs

The baseline (no ``--inputs``) generates the samples with the project's own generator
(``excelflow.sample``), the demo bid (``excelflow.bid_demo``) and a custom rule set, and copies
every input into ``OUTDIR/inputs/``. Every output is a text file; temp paths are replaced by
``<TMP>``, the package's source root by ``<SRC>``, backup time stamps by ``<STAMP>``.
To run the original code: ``PYTHONPATH=/path/to/checkout/src .venv/bin/python ...``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import difflib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
os.environ["PYTHONIOENCODING"] = "utf-8"
os.environ["COLUMNS"] = "100"  # argparse's usage/help wrapping

SCRIPT_REPO = Path(__file__).resolve().parents[2]
REPO = SCRIPT_REPO  # the checkout whose addin/, tests/xl/, templates/ match the code run (see main)
AS_OF = "2026-06-30"
LATER = "2026-11-28"  # the demo's day (template deals' dates are around it)
RUN_CLI = "import sys; from excelflow.cli import main; sys.exit(main(sys.argv[1:]))"
SHARED = Path(os.environ.get("EXCELFLOW_SHARED_DATA", "/work/shared/data"))

# --------------------------------------------------------------------------- normalization

_CTX: dict[str, Any] = {}


def norm(text: str) -> str:
    """Replace machine-specific bits (temp dir, source root, backup stamps) by placeholders."""
    for path, mark in _CTX.get("subs", []):
        text = text.replace(path, mark)
    text = re.sub(r'"generated_at": "[^"]*"', '"generated_at": "<GENERATED_AT>"', text)
    return re.sub(r"\.\d{8}-\d{6}(?:-\d+)?\.bak", ".<STAMP>.bak", text)


def write_out(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(norm(text), encoding="utf-8")


def jdump(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False, default=repr) + "\n"


# --------------------------------------------------------------------------- xlsx dumps


def pretty_xml(data: bytes) -> str:
    from defusedxml import minidom

    try:
        doc = minidom.parseString(data)
    except Exception as exc:  # not XML after all: keep the text
        return f"(not well-formed XML: {exc})\n" + data.decode("utf-8", "replace")
    return doc.toprettyxml(indent=" ")


def raw_dump(path: Path) -> str:
    """Every zip part (XML pretty-printed; core.xml without created/modified; binaries hashed)."""
    out = []
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        out.append("parts in archive order:")
        out += [f"  {i.filename}" for i in infos]
        for info in sorted(infos, key=lambda i: i.filename):
            data = zf.read(info)
            name = info.filename
            if name == "docProps/core.xml":
                data = re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", data)
            out.append(f"\n===== {name} ({len(data)} bytes) =====")
            if name.endswith((".xml", ".rels", ".vml")) or data.lstrip()[:5] == b"<?xml":
                out.append(pretty_xml(data))
            else:
                out.append(f"binary sha256={hashlib.sha256(data).hexdigest()}")
    return "\n".join(out) + "\n"


def _tree(obj: Any) -> str | None:
    """An openpyxl object as its own XML (every attribute it would write)."""
    if obj is None:
        return None
    from openpyxl.xml.functions import tostring

    try:
        tree = obj.to_tree()
    except Exception as exc:
        return f"<to_tree failed: {type(exc).__name__}: {exc}>"
    if tree is None:
        return None
    text = tostring(tree)
    return text.decode("utf-8") if isinstance(text, bytes) else str(text)


def _anchor(anchor: Any) -> Any:
    return _tree(anchor) if hasattr(anchor, "to_tree") else anchor


def _compact(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` without its empty/default entries (None, False, 0)."""
    return {k: v for k, v in d.items() if v not in (None, False, 0, 0.0, {}, [])}


def _color(c: Any) -> Any:
    if c is None:
        return None
    d: dict[str, Any] = {"type": c.type}
    d[c.type] = getattr(c, c.type, None) if c.type in ("rgb", "theme", "indexed", "auto") else None
    if c.tint:
        d["tint"] = c.tint
    return d


def _font(f: Any) -> Any:
    if f is None:
        return None
    return _compact(
        {
            "name": f.name,
            "b": f.b,
            "i": f.i,
            "size": f.sz,
            "color": _color(f.color),
            "u": f.u,
            "strike": f.strike,
            "vertAlign": f.vertAlign,
            "scheme": f.scheme,
            "family": f.family,
        }
    )


def _fill(f: Any) -> Any:
    if f is None:
        return None
    if getattr(f, "tagname", "") == "gradientFill":
        return {
            "gradient": f.type,
            "degree": f.degree,
            "stops": [(s.position, _color(s.color)) for s in f.stop],
        }
    if f.fill_type is None:
        return None
    return {"type": f.fill_type, "fg": _color(f.fgColor), "bg": _color(f.bgColor)}


def _border(b: Any) -> Any:
    if b is None:
        return None
    sides = {}
    for side in ("left", "right", "top", "bottom", "diagonal"):
        s = getattr(b, side)
        if s is not None and (s.style is not None or s.color is not None):
            sides[side] = [s.style, _color(s.color)]
    if b.diagonalUp or b.diagonalDown:
        sides["diagonal_dir"] = [b.diagonalUp, b.diagonalDown]
    return sides or None


def _value(v: Any) -> Any:
    from openpyxl.cell.rich_text import CellRichText

    if isinstance(v, CellRichText):
        runs = []
        for run in v:
            if isinstance(run, str):
                runs.append({"text": run})
            else:
                runs.append({"text": run.text, "font": _tree(run.font)})
        return {"rich_text": runs}
    if isinstance(v, dt.datetime | dt.date | dt.time | dt.timedelta):
        return {type(v).__name__: str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, bool | int | str) or v is None:
        return v
    return {type(v).__name__: _tree(v) if hasattr(v, "to_tree") else repr(vars(v))}


def semantic_dump(path: Path) -> str:
    """The workbook as openpyxl reads it back: cells with styles, sheet settings, objects."""
    from openpyxl import load_workbook

    keep_vba = path.suffix.lower() == ".xlsm"
    wb = load_workbook(path, rich_text=True, keep_vba=keep_vba)
    lines: list[str] = []
    add = lines.append
    add(f"sheets: {wb.sheetnames}")
    add(f"active: {wb.index(wb.active) if wb.active is not None else None}")
    add(f"calculation: {_tree(wb.calculation)}")
    props = _tree(wb.properties) or ""
    props = re.sub(r"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", "", props)
    add(f"properties: {props}")
    add(f"vba: {wb.vba_archive is not None if keep_vba else 'n/a'}")
    add("defined names:")
    for name in sorted(wb.defined_names):
        dn = wb.defined_names[name]
        add(f"  {name}: {dn.attr_text!r} local={dn.localSheetId} hidden={dn.hidden}")
    for ws in wb.worksheets:
        add(f"\n######## sheet {ws.title!r}")
        add(f"state: {ws.sheet_state}")
        add(f"dimensions: {ws.dimensions}")
        add(f"sheet_properties: {_tree(ws.sheet_properties)}")
        add(f"views: {_tree(ws.views)}")
        add(f"freeze_panes: {ws.freeze_panes}")
        add(f"gridlines: {ws.sheet_view.showGridLines}")
        add(f"sheet_format: {_tree(ws.sheet_format)}")
        add(f"protection: {_tree(ws.protection)}")
        add(f"merged: {sorted(str(r) for r in ws.merged_cells.ranges)}")
        add(f"page_setup: {_tree(ws.page_setup)}")
        add(f"print_options: {_tree(ws.print_options)}")
        add(f"page_margins: {_tree(ws.page_margins)}")
        add(f"header_footer: {_tree(ws.HeaderFooter)}")
        add(f"print_title_rows: {ws.print_title_rows}  print_title_cols: {ws.print_title_cols}")
        add(f"print_area: {ws.print_area}")
        add(f"row_breaks: {_tree(ws.row_breaks)}")
        add(f"col_breaks: {_tree(ws.col_breaks)}")
        add(f"auto_filter: {_tree(ws.auto_filter)}")
        add("sheet defined names:")
        for name in sorted(ws.defined_names):
            dn = ws.defined_names[name]
            add(f"  {name}: {dn.attr_text!r} hidden={dn.hidden}")
        add("columns:")
        for key in sorted(ws.column_dimensions, key=lambda k: (len(k), k)):
            cd = ws.column_dimensions[key]
            add(
                f"  {key}: min={cd.min} max={cd.max} width={cd.width} custom={cd.customWidth} "
                f"hidden={cd.hidden} outline={cd.outlineLevel} bestFit={cd.bestFit} "
                f"style={cd.style if cd.style_id else None}"
            )
        add("rows:")
        for key in sorted(ws.row_dimensions):
            rd = ws.row_dimensions[key]
            if rd.height is None and not rd.hidden and not rd.outlineLevel and not rd.s:
                continue
            add(
                f"  {key}: height={rd.ht} custom={rd.customHeight} hidden={rd.hidden} "
                f"outline={rd.outlineLevel}"
            )
        add("data validations:")
        for dv in ws.data_validations.dataValidation:
            add(f"  {_tree(dv)}")
        add("conditional formatting:")
        for cf in ws.conditional_formatting:
            add(f"  range {cf.sqref}")
            for rule in cf.rules:
                add(f"    rule {_tree(rule)}")
                add(f"      dxf {_tree(rule.dxf)}")
        add("tables:")
        for name in sorted(ws.tables):
            add(f"  {name}: {_tree(ws.tables[name])}")
        add("charts:")
        for ch in getattr(ws, "_charts", []):
            add(f"  {type(ch).__name__} anchor={_anchor(ch.anchor)}")
        add("images:")
        for im in getattr(ws, "_images", []):
            add(f"  {im.width}x{im.height} anchor={_anchor(im.anchor)}")
        add("cells:")
        for _, cell in sorted(ws._cells.items()):
            if cell.value is None and not cell.has_style and cell.comment is None:
                continue
            rec: dict[str, Any] = {"v": _value(cell.value), "t": cell.data_type}
            if cell.has_style:
                al, pr = cell.alignment, cell.protection
                style = {
                    "fmt": cell.number_format,
                    "font": _font(cell.font),
                    "fill": _fill(cell.fill),
                    "border": _border(cell.border),
                    "align": _compact(
                        {
                            "h": al.horizontal,
                            "v": al.vertical,
                            "wrap": al.wrap_text,
                            "indent": al.indent,
                            "rotation": al.text_rotation,
                            "shrink": al.shrink_to_fit,
                        }
                    ),
                    "protection": None
                    if (pr.locked, pr.hidden) == (True, False)
                    else [pr.locked, pr.hidden],
                }
                rec.update({k: v for k, v in style.items() if v not in (None, {}, "General")})
            if cell.comment is not None:
                cm = cell.comment
                rec["comment"] = {
                    "text": cm.text,
                    "author": cm.author,
                    "width": cm.width,
                    "height": cm.height,
                }
            if cell.hyperlink is not None:
                hl = cell.hyperlink
                rec["link"] = {
                    "target": hl.target,
                    "location": hl.location,
                    "display": hl.display,
                    "tooltip": hl.tooltip,
                    "ref": hl.ref,
                }
            add(
                f"  {cell.coordinate} "
                + json.dumps(rec, sort_keys=True, ensure_ascii=False, default=repr)
            )
    with zipfile.ZipFile(path) as zf:
        charts = sorted(n for n in zf.namelist() if n.startswith("xl/charts/"))
        add("\n######## chart parts")
        for name in charts:
            add(f"\n===== {name}")
            add(pretty_xml(zf.read(name)))
    return "\n".join(lines) + "\n"


def dump_file(path: Path, dest: Path, label: str) -> None:
    """Dumps of one file written by the program: xlsx raw + semantic, text as is, else a hash."""
    data = path.read_bytes()
    if zipfile.is_zipfile(path) and path.suffix.lower() in (".xlsx", ".xlsm"):
        for kind, fn in (("raw", raw_dump), ("semantic", semantic_dump)):
            try:
                text = fn(path)
            except Exception:
                text = "DUMP FAILED\n" + traceback.format_exc(limit=3)
            write_out(dest.with_name(f"{label}.{kind}.txt"), text)
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = f"binary {len(data)} bytes sha256={hashlib.sha256(data).hexdigest()}\n"
    write_out(dest.with_name(f"{label}.txt"), text)


# --------------------------------------------------------------------------- inputs


def _first_module(*names: str) -> Any:
    """The first of ``names`` that imports (the generator's module before / after the move)."""
    import importlib

    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
    raise ModuleNotFoundError(f"none of {names}")


def canonical_zip(path: Path) -> None:
    """Rewrite a generated workbook byte-reproducibly: fixed zip entry times and core.xml dates."""
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>2026-01-01T00:00:00Z\g<3>",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            zf.writestr(entry, data)


def make_inputs(dest: Path) -> None:
    """Baseline inputs: templates, generated samples, shared data, mappings, rule sets, bids."""
    import yaml

    fields = _first_module("excelflow.fields", "excelflow.pipeline.fields")
    sample = _first_module("excelflow.sample", "excelflow.workbook.sample")
    sheets, sample_deals, write_sample = fields.SHEETS, sample.sample_deals, sample.write_sample

    def put(rel: str, src: Path) -> None:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)

    put("templates/pipeline.xlsx", REPO / "templates" / "pipeline.xlsx")
    put("templates/pipeline_en.xlsx", REPO / "templates" / "pipeline_en.xlsx")
    as_of = dt.date.fromisoformat(AS_OF)
    samples = [
        ("en_messy_40.xlsx", 40, "en", {}),
        ("zh_messy_40.xlsx", 40, "zh", {}),
        ("en_clean_30.xlsx", 30, "en", {"violations": False}),
        ("zh_clean_30.xlsx", 30, "zh", {"violations": False}),
        ("en_seed3_60.xlsx", 60, "en", {"seed": 3}),
        ("en_messy_25.csv", 25, "en", {}),
    ]
    for name, n, lang, kw in samples:
        headers, rows = sample_deals(n, lang=lang, as_of=as_of, **kw)
        written = write_sample(dest / "samples" / name, headers, rows, sheet=sheets["deals"](lang))
        if Path(written).suffix == ".xlsx":
            canonical_zip(Path(written))
    crm = SHARED / "crm-sales-opportunities" / "sales_pipeline.csv"
    put("crm/sales_pipeline.csv", crm)
    head = crm.read_text(encoding="utf-8-sig").splitlines(keepends=True)[:301]
    (dest / "crm" / "sales_pipeline_head300.csv").write_text("".join(head), encoding="utf-8")
    put("real/sales_pipeline.xlsx", SHARED / "real-workbooks" / "sales_pipeline.xlsx")
    put(
        "real/crm-analysis-dashboard.xlsx",
        SHARED / "real-workbooks" / "crm-analysis-dashboard.xlsx",
    )
    put("mappings/maven-crm.json", REPO / "examples" / "mappings" / "maven-crm.json")
    mapping = json.loads((REPO / "examples" / "mappings" / "maven-crm.json").read_text("utf-8"))
    mapping.pop("$schema", None)
    mapping["defaults"] = {
        "first_stage": 1,
        "probability": "25%",
        "custom_solution": "No",
        "m:evaluated": "✓",
        "f:funding": 4,
    }
    mapping["date_formats"] = ["%m/%d/%Y"]
    (dest / "mappings" / "maven-crm-defaults.json").write_text(jdump(mapping), encoding="utf-8")
    bad_map = {"columns": {"opportunity_id": "no_such_field"}, "values": {"stage": {"x": 1}}}
    (dest / "mappings" / "broken.json").write_text(jdump(bad_map), encoding="utf-8")
    # rule sets: the standard one as the CLI shows it, edited; and a broken one
    out = subprocess.run(
        [sys.executable, "-c", RUN_CLI, "rules", "show", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    doc["name"] = "custom"
    doc["stages"][1]["probability"] = 0.25
    if isinstance(doc.get("evaluation"), dict) and "pass_mark" in doc["evaluation"]:
        doc["evaluation"]["pass_mark"] = 70
    (dest / "rulesets").mkdir(parents=True, exist_ok=True)
    (dest / "rulesets" / "custom.json").write_text(jdump(doc), encoding="utf-8")
    (dest / "rulesets" / "custom.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=True), encoding="utf-8"
    )
    broken = copy.deepcopy(doc)
    broken["stages"][2]["milestones"][0].pop("column", None)
    broken["grades"] = "A-D"
    (dest / "rulesets" / "broken.json").write_text(jdump(broken), encoding="utf-8")
    # bids: the test suite's example, the demo bid (zh, en), a broken one
    put("bid/example_bid.json", REPO / "tests" / "bid" / "example_bid.json")
    demo_model = _first_module("excelflow.bid_demo", "excelflow.cli.demo_bid").demo_model
    model_to_dict = _first_module("excelflow.bid_io", "excelflow.bid.doc").model_to_dict

    for lang in ("zh", "en"):
        text = jdump(model_to_dict(demo_model(lang)))  # type: ignore[arg-type]
        (dest / "bid" / f"demo_bid_{lang}.json").write_text(text, encoding="utf-8")
    ex = json.loads((REPO / "tests" / "bid" / "example_bid.json").read_text("utf-8"))
    ex.pop("$schema", None)
    ex["target_margin"] = 1.5
    ex["cost_lines"][0]["quantity"] = "two"
    (dest / "bid" / "broken_bid.json").write_text(jdump(ex), encoding="utf-8")
    (dest / "bad").mkdir(parents=True, exist_ok=True)
    (dest / "bad" / "corrupt.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip file")
    (dest / "bad" / "empty.csv").write_bytes(b"")
    (dest / "bad" / "no_header.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    # a pipeline with a part openpyxl drops (custom XML): in-place writes must be refused
    with (
        zipfile.ZipFile(dest / "templates" / "pipeline_en.xlsx") as src_zip,
        zipfile.ZipFile(
            dest / "bad" / "pipeline_customxml.xlsx", "w", zipfile.ZIP_DEFLATED
        ) as dst_zip,
    ):
        for info in src_zip.infolist():
            dst_zip.writestr(info, src_zip.read(info))
        dst_zip.writestr("customXml/item1.xml", '<?xml version="1.0"?><data>kept?</data>')
    canonical_zip(dest / "bad" / "pipeline_customxml.xlsx")
    (dest / "empty-folder").mkdir(parents=True, exist_ok=True)
    (dest / "empty-folder" / "README.txt").write_text("no spreadsheets here\n", "utf-8")


# --------------------------------------------------------------------------- CLI cases

IN = "{IN}"
T_ZH, T_EN = f"{IN}/templates/pipeline.xlsx", f"{IN}/templates/pipeline_en.xlsx"
S_EN, S_ZH = f"{IN}/samples/en_messy_40.xlsx", f"{IN}/samples/zh_messy_40.xlsx"
S_EN_CLEAN, S_ZH_CLEAN = f"{IN}/samples/en_clean_30.xlsx", f"{IN}/samples/zh_clean_30.xlsx"
S_SEED3, S_CSV = f"{IN}/samples/en_seed3_60.xlsx", f"{IN}/samples/en_messy_25.csv"
CRM, CRM_HEAD = f"{IN}/crm/sales_pipeline.csv", f"{IN}/crm/sales_pipeline_head300.csv"
REAL, DASH = f"{IN}/real/sales_pipeline.xlsx", f"{IN}/real/crm-analysis-dashboard.xlsx"
MAP, MAP_DEF, MAP_BAD = (
    f"{IN}/mappings/{n}" for n in ("maven-crm.json", "maven-crm-defaults.json", "broken.json")
)
RS_JSON, RS_YAML, RS_BAD = (
    f"{IN}/rulesets/{n}" for n in ("custom.json", "custom.yaml", "broken.json")
)
BID_EX, BID_BAD = f"{IN}/bid/example_bid.json", f"{IN}/bid/broken_bid.json"
A = ["--as-of", AS_OF]


def cli_cases() -> list[dict[str, Any]]:
    """Each case: steps (argv lists) run in order in a fresh folder; seed = input copies."""
    cases: list[dict[str, Any]] = []

    def case(name: str, *steps: list[str], seed: dict[str, str] | None = None) -> None:
        cases.append({"name": name, "steps": [list(s) for s in steps], "seed": seed or {}})

    # help and version
    case("help/top", ["--help"])
    case("help/version", ["--version"])
    for sub in (
        ["validate"],
        ["annotate"],
        ["bid"],
        ["template"],
        ["rules"],
        ["rules", "list"],
        ["rules", "show"],
    ):
        case("help/" + "_".join(sub), [*sub, "--help"])
    # rules
    case("rules/list", ["rules", "list"])
    case("rules/list_v", ["rules", "list", "-v"])
    case("rules/list_json", ["rules", "list", "--format", "json"])
    case("rules/show", ["rules", "show"])
    case("rules/show_zh", ["rules", "show", "--lang", "zh"])
    case("rules/show_json", ["rules", "show", "--format", "json"])
    case("rules/show_custom_yaml", ["rules", "show", "--ruleset", RS_YAML])
    case("rules/show_broken", ["rules", "show", "--ruleset", RS_BAD])
    # validate: templates, every format and language
    for tname, tpath in (("tpl_zh", T_ZH), ("tpl_en", T_EN)):
        for fmt in ("text", "json"):
            for lang in (None, "zh", "en"):
                opts = ["--format", fmt] + (["--lang", lang] if lang else [])
                case(f"validate/{tname}.{fmt}.{lang or 'auto'}", ["validate", tpath, *A, *opts])
        case(f"validate/{tname}.text.later", ["validate", tpath, "--as-of", LATER])
        case(
            f"validate/{tname}.json.later",
            ["validate", tpath, "--as-of", LATER, "--format", "json"],
        )
    case("validate/tpl_zh.limit0", ["validate", T_ZH, *A, "--limit", "0"])
    case("validate/tpl_zh.limit3", ["validate", T_ZH, *A, "--limit", "3", "--lang", "en"])
    case("validate/tpl_zh.fail_warning", ["validate", T_ZH, *A, "--fail-on", "warning"])
    case("validate/tpl_zh.fail_never", ["validate", T_ZH, *A, "--fail-on", "never"])
    case(
        "validate/tpl_en.ruleset_json",
        ["validate", T_EN, *A, "--ruleset", RS_JSON, "--format", "json"],
    )
    case("validate/tpl_en.ruleset_yaml", ["validate", T_EN, *A, "--ruleset", RS_YAML])
    case("validate/tpl_en.ruleset_broken", ["validate", T_EN, *A, "--ruleset", RS_BAD])
    # validate: generated samples
    samples = {
        "en_messy": S_EN,
        "zh_messy": S_ZH,
        "en_clean": S_EN_CLEAN,
        "zh_clean": S_ZH_CLEAN,
        "en_seed3": S_SEED3,
        "en_csv": S_CSV,
    }
    for sname, spath in samples.items():
        other = "zh" if sname.startswith("en") else "en"
        for fmt in ("text", "json"):
            for lang in (None, other):
                opts = ["--format", fmt] + (["--lang", lang] if lang else [])
                case(f"validate/{sname}.{fmt}.{lang or 'auto'}", ["validate", spath, *A, *opts])
    case(
        "validate/en_clean.text.2028",
        ["validate", S_EN_CLEAN, "--as-of", "2028-06-01", "--fail-on", "warning"],
    )
    case(
        "validate/en_messy.ruleset_json",
        ["validate", S_EN, *A, "--ruleset", RS_JSON, "--format", "json"],
    )
    case("validate/folder.text", ["validate", f"{IN}/samples", *A])
    case("validate/folder.json", ["validate", f"{IN}/samples", *A, "--format", "json"])
    case("validate/many.text", ["validate", T_ZH, T_EN, S_EN, S_ZH, S_CSV, *A, "--limit", "5"])
    case(
        "validate/output_files",
        ["validate", S_EN, *A, "--format", "json", "-o", "report.json"],
        ["validate", S_ZH, *A, "--output", "report.txt", "--lang", "en"],
    )
    # validate: the CRM export and the real workbooks
    case("validate/crm.text.zh", ["validate", CRM, "--mapping", MAP, *A, "--lang", "zh"])
    case("validate/crm.text.en", ["validate", CRM, "--mapping", MAP, *A, "--lang", "en"])
    case("validate/crm.json", ["validate", CRM, "--mapping", MAP, *A, "--format", "json"])
    case("validate/crm.nomapping", ["validate", CRM, *A])
    case("validate/crm.defaults.text", ["validate", CRM, "--mapping", MAP_DEF, *A, "--limit", "50"])
    case(
        "validate/crm.defaults.json",
        ["validate", CRM, "--mapping", MAP_DEF, *A, "--format", "json"],
    )
    case("validate/crm.mapping_broken", ["validate", CRM, "--mapping", MAP_BAD, *A])
    case("validate/crm_head.text", ["validate", CRM_HEAD, "--mapping", MAP, *A, "--limit", "0"])
    case("validate/real.text", ["validate", REAL, "--mapping", MAP, *A])
    case("validate/real.text.zh", ["validate", REAL, "--mapping", MAP, *A, "--lang", "zh"])
    case("validate/real.json", ["validate", REAL, "--mapping", MAP, *A, "--format", "json"])
    case("validate/real.nomapping", ["validate", REAL, *A])
    case("validate/dashboard.text", ["validate", DASH, *A])
    case("validate/dashboard.json", ["validate", DASH, *A, "--format", "json"])
    case(
        "validate/real_folder.text",
        ["validate", f"{IN}/real", "--mapping", MAP, *A, "--lang", "zh"],
    )
    # validate: bad input and usage errors
    case("validate/bad.corrupt", ["validate", f"{IN}/bad/corrupt.xlsx", *A])
    case(
        "validate/bad.corrupt_json", ["validate", f"{IN}/bad/corrupt.xlsx", *A, "--format", "json"]
    )
    case("validate/bad.empty_csv", ["validate", f"{IN}/bad/empty.csv", *A])
    case("validate/bad.no_header", ["validate", f"{IN}/bad/no_header.csv", *A])
    case("validate/bad.missing", ["validate", f"{IN}/bad/missing.xlsx", *A])
    case("validate/bad.mixed", ["validate", S_EN, f"{IN}/bad/corrupt.xlsx", *A, "--limit", "2"])
    case("validate/bad.empty_folder", ["validate", f"{IN}/empty-folder", *A])
    case("validate/bad.as_of", ["validate", S_EN, "--as-of", "tomorrow"])
    case("validate/bad.no_files", ["validate"])
    case("validate/bad.lang", ["validate", S_EN, "--lang", "fr"])
    # template
    case("template/zh", ["template", "-o", "pipeline.xlsx"])
    case("template/en", ["template", "--lang", "en", "-o", "pipeline_en.xlsx"])
    case("template/default_names", ["template"], ["template", "--lang", "en"])
    case(
        "template/custom_ruleset",
        ["template", "--lang", "en", "--ruleset", RS_JSON, "-o", "c.xlsx"],
    )
    case(
        "template/exists_then_force",
        ["template", "-o", "t.xlsx"],
        ["template", "-o", "t.xlsx", "--lang", "en"],
        ["template", "-o", "t.xlsx", "--lang", "en", "--force"],
    )
    case("template/bad_ruleset", ["template", "--ruleset", RS_BAD, "-o", "x.xlsx"])
    # annotate
    for tname, tpath, other in (("tpl_zh", T_ZH, "en"), ("tpl_en", T_EN, "zh")):
        case(f"annotate/{tname}", ["annotate", tpath, "-o", "out.xlsx", *A])
        case(
            f"annotate/{tname}.{other}", ["annotate", tpath, "-o", "out.xlsx", *A, "--lang", other]
        )
        case(f"annotate/{tname}.later", ["annotate", tpath, "-o", "out.xlsx", "--as-of", LATER])
    for sname in ("en_messy", "zh_messy", "en_clean", "en_csv"):
        case(f"annotate/{sname}", ["annotate", samples[sname], "-o", "out.xlsx", *A])
    case("annotate/en_messy.zh", ["annotate", S_EN, "-o", "out.xlsx", *A, "--lang", "zh"])
    case(
        "annotate/en_messy.ruleset", ["annotate", S_EN, "-o", "out.xlsx", *A, "--ruleset", RS_JSON]
    )
    case(
        "annotate/crm_head.mapping", ["annotate", CRM_HEAD, "--mapping", MAP, "-o", "out.xlsx", *A]
    )
    case(
        "annotate/default_output",
        ["annotate", "in.xlsx", *A],
        seed={"in.xlsx": "samples/zh_messy_40.xlsx"},
    )
    case(
        "annotate/again",
        ["annotate", S_EN, "-o", "a1.xlsx", *A],
        ["annotate", "a1.xlsx", "-o", "a2.xlsx", *A],
    )
    case(
        "annotate/in_place_tpl",
        ["annotate", "pipeline.xlsx", "--in-place", *A],
        seed={"pipeline.xlsx": "templates/pipeline.xlsx"},
    )
    case(
        "annotate/in_place_sample_twice",
        ["annotate", "s.xlsx", "--in-place", *A],
        ["annotate", "s.xlsx", "--in-place", *A],
        seed={"s.xlsx": "samples/en_messy_40.xlsx"},
    )
    case(
        "annotate/in_place_dashboard",
        ["annotate", "d.xlsx", "--in-place", *A],
        seed={"d.xlsx": "real/crm-analysis-dashboard.xlsx"},
    )
    case("annotate/dashboard_copy", ["annotate", DASH, "-o", "out.xlsx", *A])
    case(
        "annotate/in_place_losses",
        ["annotate", "p.xlsx", "--in-place", *A],
        seed={"p.xlsx": "bad/pipeline_customxml.xlsx"},
    )
    case(
        "annotate/copy_losses",
        ["annotate", f"{IN}/bad/pipeline_customxml.xlsx", "-o", "o.xlsx", *A],
    )
    case(
        "annotate/in_place_csv",
        ["annotate", "s.csv", "--in-place", *A],
        seed={"s.csv": "samples/en_messy_25.csv"},
    )
    case("annotate/bad.corrupt", ["annotate", f"{IN}/bad/corrupt.xlsx", "-o", "x.xlsx", *A])
    case("annotate/bad.both", ["annotate", S_EN, "-o", "x.xlsx", "--in-place"])
    # bid
    for tname, tpath in (("tpl_zh", T_ZH), ("tpl_en", T_EN)):
        lang = tname[-2:]
        case(
            f"bid/{tname}.seed_refresh",
            ["bid", tpath, "--deal", "D-1011", "-o", "bid.xlsx", *A],
            ["bid", "bid.xlsx", "--deal", "D-1011", "-o", "bid2.xlsx", *A],
            ["validate", "bid.xlsx", *A, "--format", "json"],
        )
        case(
            f"bid/{tname}.demo",
            [
                "bid",
                tpath,
                "--deal",
                "D-1011",
                "--json",
                f"{IN}/bid/demo_bid_{lang}.json",
                "-o",
                "demo.xlsx",
                *A,
            ],
            ["validate", "demo.xlsx", *A],
            ["validate", "demo.xlsx", *A, "--format", "json"],
            ["bid", "demo.xlsx", "--deal", "D-1011", "-o", "demo_refreshed.xlsx", *A],
        )
    case(
        "bid/tpl_zh.lang_en", ["bid", T_ZH, "--deal", "D-1011", "--lang", "en", "-o", "b.xlsx", *A]
    )
    case(
        "bid/tpl_zh.default_output",
        ["bid", "pipeline.xlsx", "--deal", "D-1011", *A],
        seed={"pipeline.xlsx": "templates/pipeline.xlsx"},
    )
    case(
        "bid/tpl_zh.in_place_twice",
        ["bid", "pipeline.xlsx", "--deal", "D-1011", "--in-place", *A],
        ["bid", "pipeline.xlsx", "--deal", "D-1007", "--in-place", *A],
        seed={"pipeline.xlsx": "templates/pipeline.xlsx"},
    )
    case(
        "bid/in_place_losses",
        ["bid", "p.xlsx", "--deal", "D-1011", "--in-place", *A],
        seed={"p.xlsx": "bad/pipeline_customxml.xlsx"},
    )
    case(
        "bid/copy_losses",
        ["bid", f"{IN}/bad/pipeline_customxml.xlsx", "--deal", "D-1011", "-o", "o.xlsx", *A],
    )
    case("bid/json_standalone", ["bid", "--json", BID_EX, "-o", "x.xlsx", *A])
    case("bid/json_standalone_en", ["bid", "--json", BID_EX, "--lang", "en", "-o", "x.xlsx", *A])
    case(
        "bid/json_default_output",
        ["bid", "--json", "example_bid.json", *A],
        seed={"example_bid.json": "bid/example_bid.json"},
    )
    case("bid/en_messy.D-00004", ["bid", S_EN, "--deal", "D-00004", "-o", "b.xlsx", *A])
    case("bid/csv.D-00002", ["bid", S_CSV, "--deal", "D-00002", "-o", "b.xlsx", *A])
    case("bid/bad.unknown_deal", ["bid", T_ZH, "--deal", "D-9999", "-o", "b.xlsx", *A])
    case("bid/bad.no_deal", ["bid", T_ZH, "-o", "b.xlsx"])
    case("bid/bad.nothing", ["bid"])
    case("bid/bad.json", ["bid", "--json", BID_BAD, "-o", "b.xlsx"])
    case(
        "bid/bad.deal_mismatch", ["bid", T_ZH, "--deal", "D-1011", "--json", BID_EX, "-o", "b.xlsx"]
    )
    case("bid/bad.in_place_no_workbook", ["bid", "--json", BID_EX, "--in-place"])
    case("bid/dashboard", ["bid", DASH, "--deal", "D-1", "-o", "b.xlsx", *A])
    return cases


def run_case(spec: dict[str, Any], work: str, out: str) -> tuple[str, float]:
    """Run one CLI case in a fresh folder under ``work``; write its records under ``out``."""
    started = time.monotonic()
    work_p, out_p = Path(work), Path(out)
    _CTX["subs"] = spec["subs"]
    cdir = work_p / "cases" / spec["name"]
    cdir.mkdir(parents=True)
    seeded = {}
    for name, rel in spec["seed"].items():
        shutil.copyfile(work_p / "inputs" / rel, cdir / name)
        os.chmod(cdir / name, 0o644)
        seeded[name] = hashlib.sha256((cdir / name).read_bytes()).hexdigest()
    dest = out_p / "cli" / spec["name"]
    for i, step in enumerate(spec["steps"], 1):
        argv = [a.replace(IN, str(work_p / "inputs")) for a in step]
        proc = subprocess.run(
            [sys.executable, "-c", RUN_CLI, *argv], cwd=cdir, capture_output=True, timeout=600
        )
        text = (
            f"argv: {json.dumps(argv, ensure_ascii=False)}\nexit code: {proc.returncode}\n"
            f"----- stdout\n{proc.stdout.decode('utf-8', 'replace')}"
            f"----- stderr\n{proc.stderr.decode('utf-8', 'replace')}"
        )
        write_out(dest / f"step{i}.txt", text)
    # every file the case folder holds now
    files = sorted(p for p in cdir.rglob("*") if p.is_file())
    listing = []
    used: set[str] = set()
    for p in files:
        rel = p.relative_to(cdir).as_posix()
        label = norm(rel)
        n = 2
        while label in used:  # two backups within the same second-stamp pattern
            label = f"{norm(rel)}#{n}"
            n += 1
        used.add(label)
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        if rel in seeded and seeded[rel] == digest:
            listing.append(f"{label}: unchanged input copy")
            continue
        if ".bak." in rel:
            same = [k for k, v in seeded.items() if v == digest]
            if same:
                listing.append(f"{label}: backup, identical to the seeded input {same}")
                continue
            listing.append(f"{label}: backup of an intermediate state")
            dump_file(p, dest / "files" / label, label)
            continue
        listing.append(f"{label}: written")
        dump_file(p, dest / "files" / label, label)
    write_out(dest / "files.txt", "\n".join(listing) + "\n")
    return spec["name"], time.monotonic() - started


# --------------------------------------------------------------------------- Excel (xlwings)


def serial(day: str) -> float:
    return float((dt.date.fromisoformat(day) - dt.date(1899, 12, 30)).days)


def run_xl(work: str, out: str, subs: list[tuple[str, str]], repo: str) -> tuple[str, float]:
    """Ribbon scripts and EF_* functions through xlwings' dispatcher, with addin/main.py."""
    started = time.monotonic()
    global REPO
    REPO = Path(repo)
    _CTX["subs"] = subs
    work_p, out_p = Path(work), Path(out)
    inputs = work_p / "inputs"
    sys.path.insert(0, str(REPO / "tests"))
    import python_calamine as pc
    from openpyxl import Workbook, load_workbook
    from xlwings import server

    from xl.book_payload import apply_actions, book_payload, payload_after, run_script
    from xl.udf_payload import NA_ERROR_IN, officejs_rows
    from xl.udf_payload import payload as udf_body

    spec = importlib.util.spec_from_file_location(
        "excelflow_addin_main",
        next(
            p
            for p in (REPO / "addin" / "lite" / "main.py", REPO / "addin" / "main.py")
            if p.exists()
        ),
    )
    assert spec is not None and spec.loader is not None
    addin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(addin)

    xl_out = out_p / "xl"
    write_out(xl_out / "meta" / "functions.json", jdump(server.custom_functions_meta(addin)))
    write_out(xl_out / "meta" / "scripts.json", jdump(server.custom_scripts_meta(addin)))
    write_out(xl_out / "meta" / "all.json", jdump(sorted(addin.__all__)))

    # ---- ribbon scripts
    def payload_of(rel: str | Path, **kw: Any) -> dict[str, Any]:
        path = inputs / rel
        return book_payload(load_workbook(path, data_only=True), name=path.name, **kw)

    def script(
        name: str, script_name: str, payload: dict[str, Any], *args: Any
    ) -> list[dict[str, Any]]:
        try:
            actions = run_script(addin, script_name, payload, list(args))
            rec: dict[str, Any] = {"script": script_name, "args": list(args), "actions": actions}
        except Exception as exc:
            actions = []
            rec = {
                "script": script_name,
                "args": list(args),
                "exception": f"{type(exc).__name__}: {exc}",
            }
        write_out(xl_out / "scripts" / f"{name}.json", jdump(rec))
        return actions

    books = {
        "tpl_zh": "templates/pipeline.xlsx",
        "tpl_en": "templates/pipeline_en.xlsx",
        "en_messy": "samples/en_messy_40.xlsx",
        "zh_messy": "samples/zh_messy_40.xlsx",
        "en_clean": "samples/en_clean_30.xlsx",
    }
    payloads = {k: payload_of(v, active=0) for k, v in books.items()}
    for key, pl in payloads.items():
        for s in ("validate_pipeline", "grade_deals", "refresh_dashboard"):
            script(f"{key}.{s}", s, pl, None, AS_OF)
    script("tpl_zh.validate_pipeline.en", "validate_pipeline", payloads["tpl_zh"], "en", AS_OF)
    script("tpl_en.validate_pipeline.zh", "validate_pipeline", payloads["tpl_en"], "zh", AS_OF)
    script("tpl_en.grade_deals.later", "grade_deals", payloads["tpl_en"], "en", LATER)
    script(
        "en_messy.validate_pipeline.no_notes",
        "validate_pipeline",
        payload_of(books["en_messy"], active=0, notes_supported=False),
        None,
        AS_OF,
    )
    script(
        "en_messy.validate_pipeline.office_scripts",
        "validate_pipeline",
        payload_of(books["en_messy"], active=0, client="Microsoft Office Scripts"),
        None,
        AS_OF,
    )
    first = script(
        "en_messy.validate_pipeline.first", "validate_pipeline", payloads["en_messy"], None, AS_OF
    )
    again = payload_after(payloads["en_messy"], apply_actions(payloads["en_messy"], first))
    script("en_messy.validate_pipeline.second", "validate_pipeline", again, None, AS_OF)
    script("en_messy.refresh_dashboard.after_validate", "refresh_dashboard", again, None, AS_OF)
    # bid analysis: template deal D-1011 (row 12), a sample deal, a refresh, refusals
    for key, row in (("tpl_zh", 12), ("tpl_en", 12), ("en_messy", 5), ("zh_messy", 5)):
        pl = payload_of(books[key], active=0, selection=f"C{row}:F{row}")
        acts = script(f"{key}.bid_analysis.row{row}", "bid_analysis", pl, None, AS_OF)
        after = payload_after(pl, apply_actions(pl, acts))
        after = {
            **after,
            "book": {**after["book"], "active_sheet_index": 0, "selection": f"A{row}"},
        }
        script(f"{key}.bid_analysis.row{row}.refresh", "bid_analysis", after, None, AS_OF)
    # refresh a Bid sheet written by `excelflow bid` (seeded, and priced with the demo bid)
    xl_work = work_p / "xl"
    xl_work.mkdir(parents=True, exist_ok=True)
    for lang, tpl in (("zh", books["tpl_zh"]), ("en", books["tpl_en"])):
        for kind, extra in (
            ("seeded", []),
            ("demo", ["--json", str(inputs / "bid" / f"demo_bid_{lang}.json")]),
        ):
            target = xl_work / f"bid_{lang}_{kind}.xlsx"
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    RUN_CLI,
                    "bid",
                    str(inputs / tpl),
                    "--deal",
                    "D-1011",
                    *extra,
                    "-o",
                    str(target),
                    "--as-of",
                    AS_OF,
                ],
                capture_output=True,
                check=True,
            )
            pl = payload_of(target, active=0, selection="A12")
            script(f"tpl_{lang}.bid_analysis.refresh_cli_{kind}", "bid_analysis", pl, None, AS_OF)
    script(
        "en_messy.bid_analysis.lang_zh",
        "bid_analysis",
        payload_of(books["en_messy"], active=0, selection="B7"),
        "zh",
        AS_OF,
    )
    script(
        "en_messy.bid_analysis.header_row",
        "bid_analysis",
        payload_of(books["en_messy"], active=0, selection="B1"),
        "en",
        AS_OF,
    )
    script(
        "en_messy.bid_analysis.below",
        "bid_analysis",
        payload_of(books["en_messy"], active=0, selection="A60"),
        "en",
        AS_OF,
    )
    script(
        "en_messy.bid_analysis.no_selection",
        "bid_analysis",
        payload_of(books["en_messy"], active=0, selection=""),
        "en",
        AS_OF,
    )
    # insert template; every script on an empty book; a bad argument count
    for lang in (None, "zh", "en", "de"):
        script(
            f"empty.insert_template_sheets.{lang}",
            "insert_template_sheets",
            book_payload(Workbook(), name="Book1.xlsx"),
            lang,
        )
    script("en_messy.insert_template_sheets", "insert_template_sheets", payloads["en_messy"], "en")
    wb = Workbook()
    wb.active["A1"] = "something"
    script("nonempty.insert_template_sheets", "insert_template_sheets", book_payload(wb), "en")
    for s in ("validate_pipeline", "grade_deals", "refresh_dashboard", "bid_analysis"):
        script(f"empty.{s}", s, book_payload(Workbook(), name="Book1.xlsx"))
        script(f"empty.{s}.bad_lang", s, book_payload(Workbook(), name="Book1.xlsx"), "fr")
    script("en_messy.grade_deals.bad_date", "grade_deals", payloads["en_messy"], "en", "someday")
    script("en_messy.grade_deals.extra_arg", "grade_deals", payloads["en_messy"], "en", AS_OF, "x")

    # ---- worksheet functions
    results: dict[str, Any] = {}

    def call(name: str, func: str, *args: Any, runtime: str = "1.4") -> None:
        body = udf_body(func, *args, runtime=runtime)
        try:
            value: Any = asyncio.run(server.custom_functions_call(body, addin))
        except Exception as exc:
            value = f"EXCEPTION {type(exc).__name__}: {exc}"
        results[name] = {"func": func, "args": list(args), "runtime": runtime, "result": value}

    def c(v: Any) -> list[list[Any]]:
        return [[v]]

    def col(*vs: Any) -> list[list[Any]]:
        return [[v] for v in vs]

    asof = serial(AS_OF)
    day = dt.date.fromisoformat(AS_OF)
    for i, v in enumerate(
        [
            4.0,
            "bidding",
            "投标阶段",
            "投标",
            "Commercial negotiation",
            "Closing",
            "Stage 3",
            "第2阶段",
            "  implementation ",
            None,
            7.0,
            "",
            True,
        ]
    ):
        call(f"stage.{i}", "ef_stage", c(v))
    call("stage.row", "ef_stage", [["Proposal", 2.0, "提案"]])
    call("stage.block", "ef_stage", [["Bidding", None], ["Closing", NA_ERROR_IN], [7.0, ""]])
    call("stage.runtime13", "ef_stage", [["Bidding", NA_ERROR_IN]], runtime="1.3")
    for days, p in (
        (90, 0.6),
        (91, 0.6),
        (30, "59%"),
        (180, 40.0),
        (200, 0.9),
        (365, 0.2),
        (366, 0.9),
        (10, 0.1),
        (-5, 0.9),
    ):
        close = serial((day + dt.timedelta(days=days)).isoformat())
        call(f"grade.{days}.{p}", "ef_grade", c(close), c(p), c(asof))
    soon = day + dt.timedelta(days=20)
    call("grade.iso_text", "ef_grade", c(soon.isoformat()), c(0.8), c(AS_OF))
    call(
        "grade.zh_text", "ef_grade", c(f"{soon.year}年{soon.month}月{soon.day}日"), c(0.8), c(asof)
    )
    call("grade.column", "ef_grade", col(asof + 30, "next spring", None, 46800.0), c(0.7), c(AS_OF))
    call("grade.prob150", "ef_grade", c(asof), c(150.0), c(asof))
    call("grade.bad_asof", "ef_grade", c(asof), c(0.5), c("someday"))
    call("grade.sizes", "ef_grade", col(1.0, 2.0, 3.0), col(0.5, 0.6), c(asof))
    call("grade.asof_shape", "ef_grade", c(asof), c(0.5), [[1.0, 2.0]])
    call("score.rows", "ef_score", [[5.0] * 9, [1.0] * 9, [3.0, None] + [3.0] * 7, [None] * 9])
    call("score.column", "ef_score", col(*([5.0] * 4 + [1.0] * 5)))
    call("score.weights", "ef_score", [[5.0, 1.0]], [[1.0, 3.0]])
    call("score.weights_text", "ef_score", [[5.0, 1.0], [5.0, "x"]], [["1", 3.0]])
    call("score.bad", "ef_score", [[7.0] + [3.0] * 8, [3.0] * 9])
    call("score.count", "ef_score", [[5.0, 1.0]])
    call("score.neg_weight", "ef_score", [[5.0, 1.0]], [[1.0, -1]])

    def ticks(*missing: int) -> list[Any]:
        return [None if i in missing else "✓" for i in range(9)]

    call("gate.pass", "ef_gate", c(4.0), [ticks(4, 5, 6, 7, 8)])
    call("gate.missing", "ef_gate", c("Bidding"), [ticks(1, 3)])
    call("gate.zh", "ef_gate", c("投标阶段"), [ticks(1, 3)], c("zh"))
    call("gate.stage1", "ef_gate", c(1.0), [[None] * 9])
    rows = [ticks(), ticks(), ticks(), ticks()]
    rows[0][3], rows[1][3], rows[2][3] = asof, "maybe", "否"
    call("gate.rows", "ef_gate", col(5.0, 5.0, 5.0, None), rows)
    call("gate.vertical", "ef_gate", c(3.0), col(*ticks(2)))
    call("gate.count", "ef_gate", c(4.0), [["✓"] * 5])
    call("gate.mismatch", "ef_gate", col(4.0, 3.0, 2.0), [ticks(), ticks()])
    call("gate.lang", "ef_gate", c(4.0), [ticks()], c("fr"))
    call("adjprob.one", "ef_adjprob", c(4.0), [ticks(3)], c(0.6))
    call("adjprob.two", "ef_adjprob", c(4.0), [ticks(1, 2, 3)], c("60%"))
    call("adjprob.default", "ef_adjprob", c(2.0), [ticks()], c(None))
    call("adjprob.column", "ef_adjprob", col(5.0, 3.0, "x"), [ticks(0)], col(0.8, 150.0, 0.5))
    call("adjprob.sizes", "ef_adjprob", col(4.0, 3.0, 2.0), [ticks()], col(0.5, 0.6))
    call("margin.one", "ef_margin", c(100.0), c(75.0))
    call("markup.one", "ef_markup", c(100.0), c(80.0))
    call("price.one", "ef_price", c(75.0), c("25%"))
    call("margin.text", "ef_margin", col("¥1.2万", "15,000", None), c(9000.0))
    call("price.row", "ef_price", [[80.0, 90.0]], c(0.1))
    call("margin.bad", "ef_margin", col(0.0, 100.0, "lots"), c(80.0))
    call("price.bad", "ef_price", c(80.0), c(25.0))
    call("markup.bad", "ef_markup", c(100.0), c(0.0))
    call("margin.overflow", "ef_margin", c(1e308), c(-1e308))
    ps = [[0.6, 0.7]]
    call("winprob.gates", "ef_winprob", ps)
    call("winprob.friedman", "ef_winprob", ps, c("Friedman"))
    call("winprob.friedman_col", "ef_winprob", col(0.6, 0.7), c("friedman"))
    call("winprob.block", "ef_winprob", [[0.6, "70%"], [0.5, None], [None, None], [0.5, "?"]])
    call("winprob.bad_model", "ef_winprob", ps, c("logit"))
    call("winprob.bad_p", "ef_winprob", [[0.6, -0.2]])
    call("winprob_normal.col", "ef_winprob_normal", col(0.1, "20%"), c(0.15), c(0.05))
    call("winprob_normal.neg", "ef_winprob_normal", c(0.1), c(0.1), c(-1.0))
    markups = col(0.0, 0.1, 0.2, 0.3)
    table = [[1.0, 1.0], [0.8, 0.9], [0.5, 0.6], [0.1, 0.2]]
    call("best_markup.gates", "ef_best_markup", markups, table)
    call("best_markup.friedman", "ef_best_markup", markups, table, c("friedman"))
    call(
        "best_markup.transposed",
        "ef_best_markup",
        [[0.0, 0.1, 0.2, 0.3]],
        [list(x) for x in zip(*table, strict=True)],
    )
    call("best_markup.short", "ef_best_markup", markups, table[:3])
    call("best_markup.na", "ef_best_markup", markups, [[NA_ERROR_IN, 1.0], *table[1:]])
    call("best_markup_normal.free", "ef_best_markup_normal", c(0.15), c(0.05))
    call("best_markup_normal.floor", "ef_best_markup_normal", c(0.15), c(0.05), c(0.2))
    call("best_markup_normal.missing", "ef_best_markup_normal", c(0.15), c(None))
    # EF_CHECK and the per-deal functions on whole Deals sheets, as Office.js sends them
    rules_doc = json.loads(
        subprocess.run(
            [sys.executable, "-c", RUN_CLI, "rules", "show", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    ms_cols = [m["column"] for s in rules_doc["stages"] for m in s.get("milestones", [])]
    factor_cols = [f["column"] for f in rules_doc["evaluation"]["factors"]]
    for key in ("tpl_zh", "tpl_en", "en_messy", "zh_messy", "en_clean"):
        path = inputs / books[key]
        book = pc.CalamineWorkbook.from_path(str(path))
        grid = book.get_sheet_by_index(0).to_python()
        book.close()
        tbl = officejs_rows(grid)
        call(f"check.{key}.auto", "ef_check", tbl, None, c(asof))
        call(f"check.{key}.en", "ef_check", tbl, c("en"), c(asof))
        call(f"check.{key}.zh", "ef_check", tbl, c("zh"), c(AS_OF))
        call(f"check.{key}.English_later", "ef_check", tbl, c("English"), c(serial(LATER)))
        for origin in ("C5", "$C$5", "Deals!C5:AK65", "[pipeline.xlsx]Deals!$C$5"):
            call(f"check.{key}.origin.{origin}", "ef_check", tbl, c("en"), c(asof), c(origin))
        header, body = grid[0], officejs_rows(grid[1:])
        lang = "zh" if "zh" in key.split("_") else "en"

        def column_of(name: str, header: list[Any] = header, body: list[Any] = body) -> Any:
            j = header.index(name)
            return [[r[j]] for r in body]

        def block_of(names: list[str], header: list[Any] = header, body: list[Any] = body) -> Any:
            idx = [header.index(n) for n in names]
            return [[r[j] for j in idx] for r in body]

        stage_h = "阶段" if lang == "zh" else "Stage"
        prob_h = "赢率" if lang == "zh" else "Probability"
        close_h = "预计成交日期" if lang == "zh" else "Expected close"
        try:
            stages = column_of(stage_h)
            ms = block_of([m[lang] for m in ms_cols])
            call(f"deals.{key}.stage", "ef_stage", stages)
            call(f"deals.{key}.score", "ef_score", block_of([f[lang] for f in factor_cols]))
            call(f"deals.{key}.gate", "ef_gate", stages, ms, c(lang))
            call(f"deals.{key}.adjprob", "ef_adjprob", stages, ms, column_of(prob_h))
            call(f"deals.{key}.grade", "ef_grade", column_of(close_h), column_of(prob_h), c(asof))
        except ValueError as exc:
            results[f"deals.{key}"] = f"header not found: {exc}"
        if key == "en_messy":
            broken = copy.deepcopy(tbl)
            broken[11][header.index(close_h)] = NA_ERROR_IN
            call("check.en_messy.na_cell", "ef_check", broken, c("en"), c(asof))
    call("check.empty", "ef_check", c(None))
    call("check.blank_zh", "ef_check", [["", None], [None, ""]], c("zh"))
    call("check.no_stage", "ef_check", [["Customer", "Amount"], ["Acme", 100.0]])
    call("check.no_stage_zh", "ef_check", [["客户", "金额"], ["甲", 1.0]], c("zh"))
    t2 = [["Deal ID", "Stage"], ["D1", 2.0]]
    call("check.lang_de", "ef_check", t2, c("de"), c(asof))
    call("check.bad_asof", "ef_check", t2, None, c("soon"))
    call("check.bad_origin", "ef_check", t2, None, c(asof), c("here"))
    call("check.origin_outside", "ef_check", t2, None, c(asof), c("XFE1"))
    call("check.origin_edge", "ef_check", t2, None, c(asof), c("XFD1048575"))
    # garbage into every function (required arguments; as_of fixed where there is one)
    garbage: list[Any] = [
        c("x"),
        c(NA_ERROR_IN),
        [[{"type": "Entity", "text": "Acme"}]],
        [[True, None], ["", -1e308]],
        [["1", 2.0, "3"]],
    ]
    for fn in server.custom_functions_meta(addin)["functions"]:
        params = fn["parameters"]
        for gi, g in enumerate(garbage):
            args = []
            for p in params:
                if p["name"] == "as_of":
                    args.append(c(asof))
                elif not p.get("optional", False):
                    args.append(g)
                else:
                    args.append(None)
            while args and args[-1] is None:
                args.pop()
            call(f"garbage.{fn['id']}.{gi}", fn["id"].lower(), *args)
    for name, rec in results.items():
        write_out(xl_out / "udfs" / f"{name}.json", jdump(rec))
    return "xl (scripts and functions)", time.monotonic() - started


# --------------------------------------------------------------------------- compare


def compare(a: Path, b: Path, context_lines: int = 12) -> int:
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}

    fa, fb = files(a), files(b)
    only_a, only_b = sorted(fa - fb), sorted(fb - fa)
    differ = []
    for rel in sorted(fa & fb):
        if (a / rel).read_bytes() != (b / rel).read_bytes():
            differ.append(rel)
    print(f"compared {len(fa)} files in {a} with {len(fb)} files in {b}")
    for rel in only_a:
        print(f"only in {a}: {rel}")
    for rel in only_b:
        print(f"only in {b}: {rel}")
    for rel in differ:
        print(f"\n=== differs: {rel}")
        try:
            ta = (a / rel).read_text("utf-8").splitlines()
            tb = (b / rel).read_text("utf-8").splitlines()
        except UnicodeDecodeError:
            print("  (binary files differ)")
            continue
        diff = list(difflib.unified_diff(ta, tb, f"a/{rel}", f"b/{rel}", lineterm="", n=1))
        for line in diff[:context_lines]:
            print("  " + line[:300])
        if len(diff) > context_lines:
            print(f"  … {len(diff) - context_lines} more diff lines")
    if only_a or only_b or differ:
        print(
            f"\nDIFFERENT: {len(differ)} differ, {len(only_a)} only in A, {len(only_b)} only in B"
        )
        return 1
    print("IDENTICAL")
    return 0


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", nargs="?", type=Path)
    parser.add_argument("--inputs", type=Path, help="the inputs/ folder of a baseline run")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("DIR_A", "DIR_B"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", help="run only CLI cases whose name contains this (debugging)")
    parser.add_argument(
        "--repo",
        type=Path,
        help="checkout for addin/main.py, tests/xl/ helpers and (baseline) templates/examples; "
        "default: the checkout holding the imported excelflow (PYTHONPATH=X/src -> X)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="print each case's time")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.outdir is None:
        parser.error("OUTDIR is required")
    out: Path = args.outdir.resolve()
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} exists and is not empty")
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import excelflow, os; print(os.path.dirname(os.path.dirname("
            "os.path.abspath(excelflow.__file__))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    src_root = probe.stdout.strip()
    global REPO
    guess = Path(src_root).parent
    REPO = args.repo or (guess if (guess / "addin" / "main.py").is_file() else SCRIPT_REPO)
    REPO = REPO.resolve()
    print(f"excelflow from {src_root}; addin/tests helpers from {REPO}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="efref-"))
    try:
        subs = [
            (str(work.resolve()), "<TMP>"),
            (str(work), "<TMP>"),
            (src_root, "<SRC>"),
            (str(REPO), "<REPO>"),
        ]
        _CTX["subs"] = subs
        if args.inputs is None:
            make_inputs(out / "inputs")
        else:
            shutil.copytree(args.inputs, out / "inputs")
        shutil.copytree(out / "inputs", work / "inputs")
        cases = cli_cases()
        if args.only:
            cases = [c for c in cases if args.only in c["name"]]
        names = [c["name"] for c in cases]
        assert len(names) == len(set(names)), "duplicate case names"
        for c in cases:
            c["subs"] = subs
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            futures = []
            if not args.only:
                futures.append(pool.submit(run_xl, str(work), str(out), subs, str(REPO)))
            # the slowest cases first
            cases.sort(
                key=lambda c: ("crm" not in c["name"] and "real" not in c["name"], c["name"])
            )
            futures += [pool.submit(run_case, c, str(work), str(out)) for c in cases]
            timings = [f.result() for f in futures]
        if args.verbose:
            for name, secs in sorted(timings, key=lambda t: -t[1]):
                print(f"  {secs:6.1f} s  {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = sum(
        1 for p in out.rglob("*") if p.is_file() and "inputs" not in p.relative_to(out).parts[:1]
    )
    print(
        f"recorded {n} output files ({len(cases)} CLI cases) into {out} "
        f"in {time.monotonic() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
