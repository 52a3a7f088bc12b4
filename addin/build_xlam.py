"""Build ``ExcelFlow.xlam`` from xlwings' own ribbon add-in template, with our ribbon.

``xlwings quickstart NAME --addin --ribbon`` copies ``quickstart_addin_ribbon.xlam`` from the
installed xlwings package (BSD-3-Clause; its VBA holds xlwings' ``RunPython`` module, the MIT
``Dictionary`` class and a sample ``RibbonMyAddin`` module). An .xlam is a zip: this script copies
that file part by part, drops its sample ribbon (``customUI/customUI.xml``, one *Run* button) and
adds ours (``addin/customUI14.xml``, the Office 2010 ribbon part), pointing the package's ribbon
relationship at it. Nothing else changes: ``xl/vbaProject.bin`` is copied byte for byte.

What it cannot do: put ``ExcelFlow.bas`` into the VBA project. ``vbaProject.bin`` is compiled
VBA in an OLE container; only Excel (or the VBA editor) writes it reliably. So the result is a
real add-in whose ribbon is ours, but its buttons work only after ``ExcelFlow.bas`` is imported
once in Excel (Alt+F11, File > Import File, save): until then a click says the macro cannot be
found. See addin/README.md, "Classic desktop".

Usage: ``python addin/build_xlam.py [OUT]`` (``make xlam``: ``dist/ExcelFlow.xlam``).
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RIBBON = HERE / "customUI14.xml"
RIBBON_PART = "customUI/customUI14.xml"
SAMPLE_RIBBON = "customUI/customUI.xml"
RELS = "_rels/.rels"
# the Office 2010 ribbon (customUI14, namespace 2009/07); the 2006 type is Office 2007's
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
_EXTENSIBILITY = re.compile(
    r'<Relationship\b[^>]*Type="http://schemas\.microsoft\.com/office/200[67]/relationships/'
    r'ui/extensibility"[^>]*/>'
)


def template() -> Path:
    """xlwings' ribbon add-in template, as ``xlwings quickstart --addin --ribbon`` copies it."""
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    if not path.is_file():
        raise SystemExit(f"xlwings {xlwings.__version__} ships no {path.name}")
    return path


def build(out: Path, source: Path | None = None) -> Path:
    """Write ``out``: the template with our ribbon part instead of the sample one."""
    source = source or template()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        if SAMPLE_RIBBON not in names or RELS not in names:
            raise SystemExit(f"{source}: not xlwings' ribbon add-in template (no {SAMPLE_RIBBON})")
        stamp = zin.getinfo(RELS).date_time  # the template's own time: the same bytes each build
        for info in zin.infolist():
            if info.filename == SAMPLE_RIBBON:
                continue
            data = zin.read(info)
            if info.filename == RELS:
                data = _ribbon_relationship(data.decode("utf-8")).encode("utf-8")
            zout.writestr(_entry(info.filename, info.date_time), data)
        zout.writestr(_entry(RIBBON_PART, stamp), RIBBON.read_bytes())
    shutil.move(part, out)
    return out


def _ribbon_relationship(rels: str) -> str:
    found = _EXTENSIBILITY.findall(rels)
    if len(found) != 1:
        raise SystemExit(f"expected one ribbon relationship in {RELS}, found {len(found)}")
    rid = re.search(r'Id="([^"]+)"', found[0])
    assert rid is not None
    ours = f'<Relationship Id="{rid[1]}" Type="{RIBBON_REL}" Target="{RIBBON_PART}" />'
    return rels.replace(found[0], ours)


def _entry(name: str, stamp: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def main(argv: list[str]) -> int:
    import xlwings

    out = build(Path(argv[0]) if argv else Path("dist") / "ExcelFlow.xlam")
    print(f"{out}: xlwings {xlwings.__version__}'s ribbon add-in template with ExcelFlow's ribbon.")
    print("Once, in Excel for Windows: open it, Alt+F11, File > Import File > addin/ExcelFlow.bas,")
    print("save (Ctrl+S). See addin/README.md, 'Classic desktop'.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
