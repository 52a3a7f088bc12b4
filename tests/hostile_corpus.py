"""The hostile corpus of issue 15, generated (no committed binaries): one builder per case, and
:func:`build`, which writes every case into one folder beside two good workbooks.

The tests of single cases (tests/io/test_read.py, tests/io/test_hostile_files.py,
tests/bid/test_bid_hostile.py, tests/test_hostile_corpus.py) call the builders here; the
acceptance test (tests/test_hostile_acceptance.py) runs ``excelflow validate`` and ``batch`` on the
whole folder under a 2 GB address-space limit. Every builder writes one file and returns its path.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "templates" / "pipeline_en.xlsx"
TEMPLATE_ZH = REPO / "templates" / "pipeline.xlsx"
EXAMPLE_BID = REPO / "tests" / "bid" / "example_bid.json"

# --------------------------------------------------------------------------- hand-made packages

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
    'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_BOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Deals" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_PART = "xl/worksheets/sheet1.xml"


def _package(zf: zipfile.ZipFile) -> None:
    zf.writestr("[Content_Types].xml", _CT)
    zf.writestr("_rels/.rels", _RELS)
    zf.writestr("xl/workbook.xml", _BOOK)
    zf.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)


def raw_workbook(
    path: Path, cells: str, *, dimension: str = "A1:B2", extra: bytes = b"", doctype: str = ""
) -> Path:
    """A hand-made .xlsx whose sheet data is ``cells`` (``<row>`` elements); ``extra`` adds an
    incompressible part (padding for a zip bomb), ``doctype`` a DTD before the root element."""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>'
        f"{cells}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _package(zf)
        zf.writestr(SHEET_PART, sheet)
        if extra:
            zf.writestr("xl/media/padding.bin", extra, compress_type=zipfile.ZIP_STORED)
    return path


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_rows(rows: list[list[str]]) -> str:
    """``<row>`` elements holding ``rows`` as inline strings (text is XML-escaped, nothing
    else: ``_x001B_`` stays Excel's escape of ESC)."""
    out = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t xml:space="preserve">{_escape(v)}'
            "</t></is></c>"
            for c, v in enumerate(row)
            if v != ""
        )
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


DEAL_HEADERS = ["Deal ID", "Customer", "Stage", "Probability", "Amount", "Expected close"]

FAR_CELLS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Stage</t></is></c></row>'
    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
)


def far_corners(path: Path) -> Path:
    """1.5 KB: cells at A1 and XFD1048576 (python-calamine would allocate 512 GB and abort)."""
    return raw_workbook(path, FAR_CELLS)


# --------------------------------------------------------------------------- bombs


def _deflated_zeros(zf: zipfile.ZipFile, name: str, mib: int, byte: bytes = b"0") -> None:
    with zf.open(name, "w", force_zip64=mib >= 2048) as fh:
        chunk = byte * (1 << 20)
        for _ in range(mib):
            fh.write(chunk)


def honest_bomb(path: Path, mib: int = 150) -> Path:
    """A sheet of ``mib`` MiB of zeros, a few hundred KiB on disk; the zip headers tell the
    truth (the ratio check refuses it)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _package(zf)
        _deflated_zeros(zf, SHEET_PART, mib)
    return path


def lying_bomb(path: Path, mib: int = 150, claim: int = 1000) -> Path:
    """:func:`honest_bomb` whose local and central headers claim the sheet inflates to
    ``claim`` bytes."""
    honest_bomb(path, mib)
    data = bytearray(path.read_bytes())
    name = SHEET_PART.encode()
    for sig, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(sig)
        while at >= 0:
            if data[at + name_at : at + name_at + len(name)] == name:
                data[at + size_at : at + size_at + 4] = claim.to_bytes(4, "little")
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))
    return path


def padded_bomb(path: Path, mib: int = 40) -> Path:
    """One sheet of ``mib`` MiB of spaces beside 1 MiB of random bytes stored as is: the whole
    archive's ratio looks harmless, the sheet's does not."""
    zeros = '<row r="1"><c r="A1"><v>1</v></c></row>' + " " * (mib * 1024**2)
    return raw_workbook(path, zeros, extra=os.urandom(1024**2))


# --------------------------------------------------------------------------- XML attacks

_LAUGHS = "".join(
    f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "ha"}">' for i in range(10)
)  # 10^9 "ha" when expanded


def entity_expansion(path: Path) -> Path:
    """Billion laughs: a sheet whose DTD expands one cell to 2 GB of text."""
    rows = text_rows([["Stage", "Deal ID"], ["Proposal", "D-1"]]).replace("D-1", "&l9;")
    return raw_workbook(path, rows, doctype=f"<!DOCTYPE worksheet [{_LAUGHS}]>")


def xxe(path: Path, secret: Path) -> Path:
    """An external entity naming a local file (``secret``) in a deal's customer cell: its
    content must never show."""
    rows = text_rows([DEAL_HEADERS, ["D-1", "XXE", "Proposal", "0.5", "100", "2027-01-01"]])
    rows = rows.replace(">XXE<", ">&xxe;<")
    uri = secret.resolve().as_uri()
    return raw_workbook(path, rows, doctype=f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{uri}">]>')


# --------------------------------------------------------------------------- damaged and foreign


def encrypted(path: Path, plain: Path = TEMPLATE, password: str = "secret") -> Path:
    """A genuinely password-protected (ECMA-376 agile encryption) copy of ``plain``."""
    import msoffcrypto.format.ooxml

    with plain.open("rb") as src, path.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt(password, out)
    return path


def truncated(path: Path, whole: Path = TEMPLATE) -> Path:
    """The first half of a good workbook."""
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def png_named_xlsx(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    return path


def pdf_bytes(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n%...")
    return path


def ole_bytes(path: Path) -> Path:
    """An old binary Office header (an .xls saved under another name)."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    return path


def binary_csv(path: Path) -> Path:
    path.write_bytes(b"a,b\x00\x01\x02")
    return path


def zip_without_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return path


def random_bytes(path: Path, size: int = 4096, seed: int = 15) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


# --------------------------------------------------------------------------- hostile content

HOSTILE_TEXT = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://x","id")',
    "\tTAB",
    "\rCR",
    "\x1b]0;pwned\x07",
    "\x00\x08\x0b",
    "_x001B_",
    "＝1+1",
    "cmd|' /C calc'!A0",
    "\u202e\u200b",
    "\ud800",
    "x" * 40_000,
]
"""Cell text that tries to become a formula, a DDE call or a terminal escape."""

FORMULA_TEXT = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://x","id")',
    "cmd|' /C calc'!A0",
]


def formula_text_workbook(path: Path) -> Path:
    """Deals whose IDs and customers look like formulas and DDE calls (inline strings)."""
    rows = [DEAL_HEADERS]
    for i, text in enumerate(FORMULA_TEXT):
        rows.append([f"{text}{i}", text, "Proposal", "0.5", "1000", "2027-01-01"])
    return raw_workbook(path, text_rows(rows), dimension=f"A1:F{len(rows)}")


def formula_text_csv(path: Path) -> Path:
    lines = [",".join(DEAL_HEADERS)]
    for i, text in enumerate(FORMULA_TEXT):
        quoted = '"' + text.replace('"', '""') + '"'
        lines.append(f"D-{i},{quoted},Proposal,0.5,1000,2027-01-01")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def control_text_workbook(path: Path) -> Path:
    """Customers holding ESC, BEL and NUL as Excel escapes them (``_x001B_``): they read back
    as the control characters themselves."""
    rows = [DEAL_HEADERS]
    for i, text in enumerate(["_x001B_]0;pwned_x0007_", "_x001B_[2J_x0000_", "\x7fdel"]):
        rows.append([f"D-{i}", text, "Proposal", "1.5", "1000", "2027-01-01"])
    return raw_workbook(path, text_rows(rows), dimension=f"A1:F{len(rows)}")


def control_text_csv(path: Path) -> Path:
    text = "\x1b]0;pwned\x07"
    path.write_text(
        ",".join(DEAL_HEADERS) + f"\nD-1,{text},Nurture,1.5,10,2027-01-01\nD-2,\x1b[2J,Won,x,y,z\n",
        encoding="utf-8",
    )
    return path


FAR_DATES = ["0001-01-01", "9999-12-31", "22630101", "1899-12-31", "2201-01-01"]


def far_dates_csv(path: Path) -> Path:
    lines = [",".join(DEAL_HEADERS)]
    lines += [f"D-{i},Acme,Proposal,0.5,1000,{d}" for i, d in enumerate(FAR_DATES)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def far_dates_workbook(path: Path) -> Path:
    """Close dates as text and as Excel date cells at both ends of Excel's calendar."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Deals"
    ws.append(DEAL_HEADERS)
    for i, day in enumerate([*FAR_DATES, dt.datetime(9999, 12, 31), dt.datetime(1900, 1, 1)]):
        ws.append([f"D-{i}", "Acme", "Proposal", 0.5, 1000, day])
    wb.save(path)
    return path


def huge_numbers_csv(path: Path) -> Path:
    """Amounts of 1e308, -1e308, 1e400 (inf) and NaN: DQ06/DQ08 show the value, never inf."""
    lines = [",".join(DEAL_HEADERS)]
    for i, amount in enumerate(["1e308", "-1e308", "1e400", "nan", "1" + "0" * 400]):
        lines.append(f"D-{i},Acme,Proposal,{amount},{amount},2027-01-01")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def huge_numbers_workbook(path: Path) -> Path:
    """Probabilities and amounts of 1e308, -1e308 and 1.7976931348623157e308 as number cells."""
    rows = [text_rows([DEAL_HEADERS])]
    for r, number in enumerate(["1E+308", "-1E+308", "1.7976931348623157E+308"], start=2):
        rows.append(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>D-{r}</t></is></c>'
            f'<c r="B{r}" t="inlineStr"><is><t>Acme</t></is></c>'
            f'<c r="C{r}" t="inlineStr"><is><t>Proposal</t></is></c>'
            f'<c r="D{r}"><v>{number}</v></c><c r="E{r}"><v>{number}</v></c></row>'
        )
    return raw_workbook(path, "".join(rows), dimension="A1:E4")


def long_note_csv(path: Path, length: int = 40_000) -> Path:
    """A deal whose stage is 40,000 characters: its note would pass Excel's 32,767 limit."""
    lines = [",".join(DEAL_HEADERS), f"D-1,Acme,{'x' * length},0.5,1000,2027-01-01"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- grafts on a template

_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MS = "http://schemas.microsoft.com/office/2006/relationships"


def graft(src: Path, dst: Path, rels: dict[str, str], parts: dict[str, bytes], ct: str) -> Path:
    """Copy the package ``src`` to ``dst`` adding relationships (rels part -> ``<Relationship>``
    XML), parts (a part already there is replaced), and ``[Content_Types].xml`` entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        for name in names:
            if name in parts:
                continue
            data = zin.read(name)
            if name in rels:
                data = data.replace(b"</Relationships>", rels[name].encode() + b"</Relationships>")
            if name == "[Content_Types].xml":
                data = data.replace(b"</Types>", ct.encode() + b"</Types>")
            zout.writestr(name, data)
        for name, rel in rels.items():
            if name not in names:
                zout.writestr(
                    name,
                    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                    f'openxmlformats.org/package/2006/relationships">{rel}</Relationships>',
                )
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


def deals_part(book: Path = TEMPLATE) -> str:
    """The part name of the template's Deals sheet."""
    from excelflow.workbook.losses import sheet_parts

    with zipfile.ZipFile(book) as zf:
        return sheet_parts(zf)["Deals"]


Graft = tuple[dict[str, str], dict[str, bytes], str]


def _rels_of(part: str) -> str:
    return part.replace("worksheets/", "worksheets/_rels/") + ".rels"


GRAFTS: dict[str, tuple[str, Callable[[str], Graft]]] = {
    "custom ribbon (customUI)": (
        "ribbon.xlsx",
        lambda deals: (
            {
                "_rels/.rels": '<Relationship Id="rIdUI" Type="http://schemas.microsoft.com/'
                'office/2007/relationships/ui/extensibility" Target="customUI/customUI14.xml"/>'
            },
            {"customUI/customUI14.xml": b'<customUI xmlns="x"><ribbon/></customUI>'},
            '<Override PartName="/customUI/customUI14.xml" ContentType="application/xml"/>',
        ),
    ),
    "printer settings": (
        "printer.xlsx",
        lambda deals: (
            {
                _rels_of(deals): f'<Relationship Id="rIdP" Type="{_R}/printerSettings" '
                'Target="../printerSettings/printerSettings1.bin"/>'
            },
            {"xl/printerSettings/printerSettings1.bin": b"\x00" * 64},
            '<Override PartName="/xl/printerSettings/printerSettings1.bin" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"/>',
        ),
    ),
    "sheet background pictures": (
        "background.xlsx",
        lambda deals: (
            {
                _rels_of(deals): f'<Relationship Id="rIdB" Type="{_R}/image" '
                'Target="../media/background.png"/>'
            },
            {"xl/media/background.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32},
            '<Default Extension="png" ContentType="image/png"/>',
        ),
    ),
    "VBA signature": (
        "signed.xlsm",
        lambda deals: (
            {
                "xl/_rels/workbook.xml.rels": f'<Relationship Id="rIdV" Type="{_MS}/vbaProject" '
                'Target="vbaProject.bin"/>',
                "xl/_rels/vbaProject.bin.rels": f'<Relationship Id="rIdS" Type="{_MS}/'
                'vbaProjectSignature" Target="vbaProjectSignature.bin"/>',
            },
            {"xl/vbaProject.bin": b"\x00" * 512, "xl/vbaProjectSignature.bin": b"\x01" * 64},
            '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
            '<Override PartName="/xl/vbaProjectSignature.bin" '
            'ContentType="application/vnd.ms-office.vbaProjectSignature"/>',
        ),
    ),
}
"""What ``--in-place`` cannot keep and no known kind names: label -> (file name, graft)."""


def grafted(folder: Path, label: str, base: Path = TEMPLATE) -> Path:
    """The template with the graft ``label`` of :data:`GRAFTS`, in ``folder``."""
    name, make = GRAFTS[label]
    rels, parts, ct = make(deals_part(base))
    return graft(base, folder / name, rels, parts, ct)


HOSTILE_DRAWINGS = {
    "dtd": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xdr:wsDr xmlns:xdr="x">&a;'
    b"</xdr:wsDr>",
    "malformed": b"<xdr:wsDr xmlns:xdr='x'><unclosed></xdr:wsDr>",
}


def hostile_drawing(path: Path, kind: str, base: Path = TEMPLATE) -> Path:
    """The template with an orphan drawing part that carries a DTD or is malformed."""
    ct = (
        '<Override PartName="/xl/drawings/drawing99.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>'
    )
    return graft(base, path, {}, {"xl/drawings/drawing99.xml": HOSTILE_DRAWINGS[kind]}, ct)


EXT_FLOOD = b"<!-- " + b"<ext " * 100_000 + b"-->"
"""100k unclosed ``<ext `` in a comment (the loss check's old regex took 233 s on it)."""


def ext_comment(path: Path, base: Path = TEMPLATE) -> Path:
    """The template whose Deals sheet carries :data:`EXT_FLOOD` (24 KB zipped)."""
    part = deals_part(base)
    with zipfile.ZipFile(base) as zf:
        xml = zf.read(part)
    head, sep, rest = xml.partition(b"?>")
    flooded = head + sep + EXT_FLOOD + rest if sep else EXT_FLOOD + xml
    return graft(base, path, {}, {part: flooded}, "")


# --------------------------------------------------------------------------- rule sets, bid JSON

RULESETS = {
    "ruleset-nan-penalty.yaml": "name: x\nversion: '1'\nforced_advance:\n  penalty_factor: .nan\n",
    "ruleset-python-object.yaml": "name: !!python/object/apply:os.system ['touch PWNED']\n",
    "ruleset-broken.yaml": "name: [unclosed\n",
    "ruleset-schema.json": '{"name": "x", "version": 3, "grades": "no"}',
}
"""Rule sets that must be refused in one line (a YAML tag never runs)."""


def bid_doc() -> dict[str, Any]:
    """The example bid (tests/bid/example_bid.json) as a dict."""
    doc: dict[str, Any] = json.loads(EXAMPLE_BID.read_text(encoding="utf-8"))
    doc.pop("$schema", None)
    return doc


def _huge_costs(d: dict[str, Any]) -> None:
    line = {"category": "other", "description": "x", "quantity": 1, "unit_cost": 1e308}
    d["cost_lines"].extend([line, dict(line)])


def _many(d: dict[str, Any]) -> None:
    d["competitors"] = [
        {"name": f"c{i}", "ratio_mean": 1.1, "ratio_sd": 0.1} for i in range(100_000)
    ]


def _changed(change: Callable[[dict[str, Any]], None]) -> Callable[[], str]:
    def text() -> str:
        doc = copy.deepcopy(bid_doc())
        change(doc)
        return json.dumps(doc)

    return text


def _budget(value: str) -> Callable[[], str]:
    return lambda: json.dumps(bid_doc()).replace('"budget": 780000', f'"budget": {value}')


BID_JSON: dict[str, tuple[Callable[[], str], str]] = {
    "two 1e308 cost lines": (_changed(_huge_costs), "unit_cost"),
    "-1e308 margins": (
        _changed(lambda d: d.update(target_margin=-1e308, min_margin=-1e308)),
        "margin",
    ),
    "100k competitors": (_changed(_many), "competitors: 100,000 items, over the maximum of 1,000"),
    "5000 digits": (_budget("9" * 5000), "digits"),
    "100k deep": (
        lambda: '{"deal_id": "X", "cost_lines": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "too deeply",
    ),
    "1e400": (_budget("1e400"), "finite"),
}
"""Hostile bid JSON: name -> (the text, what the one-line refusal says)."""


def bid_json(path: Path, name: str) -> Path:
    path.write_text(BID_JSON[name][0](), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the whole corpus


@dataclass(frozen=True)
class Case:
    """One entry of the corpus folder.

    Attributes:
        name: Its name in the folder.
        expect: ``"error"`` (one line naming it), ``"checked"`` (read and checked),
            ``"skipped"`` (read, no pipeline table), ``"ignored"`` (not a file a folder run
            reads: lock files, ExcelFlow's own outputs and temps, folders, rule sets, bid JSON).
        reason: A fragment the error line holds (``"error"`` only; empty: any reason).
    """

    name: str
    expect: str
    reason: str = ""


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


SECRET = "secret.dat"
"""The local file the XXE case's entity names (its content must never show)."""


def build(folder: Path) -> list[Case]:
    """Write every case of issue 15 into ``folder`` (created), beside two good workbooks
    (``good-en.xlsx``, ``good-zh.xlsx``, the shipped templates); returns what each entry is."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SECRET).write_text("XXE-SECRET-CONTENT\n", encoding="utf-8")
    out = []
    for case, make in _plan(folder):
        make(folder / case.name)
        out.append(case)
    return out


def _plan(f: Path) -> list[tuple[Case, Callable[[Path], object]]]:
    """Every entry of the corpus folder ``f`` and how to make it (nothing is written here)."""
    secret = f / SECRET
    cases: list[tuple[Case, Callable[[Path], object]]] = []

    def add(name: str, expect: str, make: Callable[[Path], object], reason: str = "") -> None:
        cases.append((Case(name, expect, reason), make))

    add("good-en.xlsx", "checked", lambda p: shutil.copy(TEMPLATE, p))
    add("good-zh.xlsx", "checked", lambda p: shutil.copy(TEMPLATE_ZH, p))
    # bombs and extents (item 6)
    add("bomb-honest.xlsx", "error", honest_bomb, "zip bomb")
    add("bomb-lying.xlsx", "error", lying_bomb)
    add("bomb-padded.xlsx", "error", padded_bomb, "zip bomb")
    add("far.xlsx", "error", far_corners, "EXCELFLOW_MAX_CELLS")
    # XML attacks
    add("entities.xlsx", "error", entity_expansion, "entity")
    add("xxe.xlsx", "error", lambda p: xxe(p, secret), "entity")
    # damaged, locked, foreign
    add("encrypted.xlsx", "error", encrypted, "password-protected")
    add("truncated.xlsx", "error", truncated, "corrupt")
    add("photo.xlsx", "error", png_named_xlsx, "not a valid .xlsx")
    add("report-pdf.xlsx", "error", pdf_bytes, "not a valid .xlsx")
    add("old-binary.xlsx", "error", ole_bytes, "old binary Office file")
    add("archive.xlsx", "error", zip_without_workbook, "not an Excel")
    add("binary.csv", "error", binary_csv, "binary")
    add("noise.xls", "error", random_bytes)
    add("noise.xlsb", "error", random_bytes)
    add("noise.ods", "error", random_bytes)
    add("empty.xlsx", "error", empty, "empty")
    add("empty.csv", "error", empty, "empty")
    # hostile but readable content
    add("formula-text.xlsx", "checked", formula_text_workbook)
    add("formula-text.csv", "checked", formula_text_csv)
    add("control-text.xlsx", "checked", control_text_workbook)
    add("control-text.csv", "checked", control_text_csv)
    add("far-dates.csv", "checked", far_dates_csv)
    add("far-dates.xlsx", "checked", far_dates_workbook)
    add("huge-numbers.csv", "checked", huge_numbers_csv)
    add("huge-numbers.xlsx", "checked", huge_numbers_workbook)
    add("long-note.csv", "checked", long_note_csv)
    add("ext-comment.xlsx", "checked", ext_comment)
    for label in GRAFTS:
        add(GRAFTS[label][0], "checked", lambda p, k=label: grafted(p.parent, k))
    for kind in HOSTILE_DRAWINGS:
        add(f"drawing-{kind}.xlsx", "checked", lambda p, k=kind: hostile_drawing(p, k))
    add("accounts.csv", "skipped", lambda p: p.write_text("Account,Owner\nAcme,Ann\n", "utf-8"))
    # special files (item 3): never opened for reading, never block
    add("pipe.xlsx", "error", _fifo, "not a regular file")
    add("pipe.csv", "error", _fifo, "not a regular file")
    add("loop.xlsx", "error", lambda p: p.symlink_to(p.name), "symbolic link")
    add("dangling.xlsx", "error", lambda p: p.symlink_to("missing.xlsx"), "symbolic link")
    # what a folder run does not read
    add("x.xlsx", "ignored", lambda p: p.mkdir())
    add("again", "ignored", lambda p: p.symlink_to("."))
    add("~$good-en.xlsx", "ignored", lambda p: p.write_bytes(b"\x00owner"))
    add(".excelflow-tmp.999999999.good-en.ab12.xlsx", "ignored", truncated)
    add("good-en.checked.xlsx", "ignored", truncated)
    add("good-en.20260101-000000.bak.xlsx", "ignored", truncated)
    for name, text in RULESETS.items():
        add(name, "ignored", lambda p, t=text: p.write_text(t, encoding="utf-8"))
    for i, name in enumerate(BID_JSON):
        add(f"bid-{i}.json", "ignored", lambda p, n=name: bid_json(p, n))
    return cases


CASES = [case for case, _ in _plan(Path("corpus"))]
"""What :func:`build` writes, known without writing it (for test parameters)."""
