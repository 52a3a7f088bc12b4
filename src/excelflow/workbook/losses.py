"""What a rewritten workbook lacks compared with its original: a real check of both packages.

openpyxl keeps cells, formulas, styles, defined names, data validation, conditional formatting,
tables, pivot tables, charts and legacy comments, but drops shapes, slicers, timelines, form
controls, ActiveX, embedded objects, threaded comments, the data model, Excel-2010 worksheet
extensions (sparklines, data bars, cross-sheet validation lists) and — without Pillow — pictures.
Rather than trusting that list, :func:`losses` takes an inventory of the input and of the written
copy (zip parts, drawing objects, worksheet extensions, defined names, validations) and reports
every kind of thing the copy has fewer of. Parts reachable from the sheets ExcelFlow wrote
(Dashboard, Findings) or replaced are left out of the comparison on both sides.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import ElementTree  # type: ignore[import-untyped]

from excelflow.pipeline.ruleset import Lang, Text

_T = Text

PART_KINDS: tuple[tuple[str, str, Text], ...] = (
    ("pivot_tables", r"xl/pivotTables/pivotTable\d+\.xml", _T("数据透视表", "pivot tables")),
    (
        "pivot_caches",
        r"xl/pivotCache/pivotCacheDefinition\d+\.xml",
        _T("数据透视表缓存", "pivot caches"),
    ),
    ("chartsheets", r"xl/chartsheets/sheet\d+\.xml", _T("图表工作表", "chart sheets")),
    ("slicer_caches", r"xl/slicerCaches/[^/]+\.xml", _T("切片器缓存", "slicer caches")),
    ("timeline_caches", r"xl/timelineCaches/[^/]+\.xml", _T("日程表缓存", "timeline caches")),
    ("vba", r"xl/vbaProject\.bin", _T("VBA 宏", "VBA macros")),
    ("form_controls", r"xl/ctrlProps/[^/]+\.xml", _T("表单控件", "form controls")),
    ("activex", r"xl/activeX/[^/]+\.(xml|bin)", _T("ActiveX 控件", "ActiveX controls")),
    ("embeddings", r"xl/embeddings/[^/]+", _T("嵌入对象", "embedded objects")),
    ("custom_xml", r"customXml/item\d+\.xml", _T("自定义 XML 部件", "custom XML parts")),
    (
        "threaded_comments",
        r"xl/threadedComments/[^/]+\.xml",
        _T("新式批注（对话）", "threaded comments"),
    ),
    ("data_model", r"xl/model/[^/]+", _T("数据模型", "data model")),
    ("connections", r"xl/connections\.xml", _T("数据连接", "data connections")),
    ("query_tables", r"xl/queryTables/[^/]+\.xml", _T("查询表", "query tables")),
    ("external_links", r"xl/externalLinks/externalLink\d+\.xml", _T("外部链接", "external links")),
    ("custom_props", r"docProps/custom\.xml", _T("自定义文档属性", "custom document properties")),
    (
        "array_metadata",
        r"xl/metadata\.xml",
        _T("动态数组公式元数据", "dynamic-array formula metadata"),
    ),
    (
        "rich_data",
        r"xl/richData/[^/]+",
        _T("单元格内图片/数据类型", "in-cell pictures / data types"),
    ),
    (
        "web_extensions",
        r"xl/webextensions/[^/]+\.xml",
        _T("Office 加载项部件", "Office add-in parts"),
    ),
)

DRAWING_KINDS: dict[str, Text] = {
    "picture": _T("图片", "pictures"),
    "chart": _T("图表", "charts"),
    "shape": _T("形状/文本框", "shapes / text boxes"),
    "slicer": _T("切片器", "slicers"),
    "timeline": _T("日程表", "timelines"),
    "smartart": _T("SmartArt 图形", "SmartArt graphics"),
    "other": _T("其他绘图对象", "other drawing objects"),
}

EXT_URIS: dict[str, Text] = {
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}": _T(
        "新式条件格式（数据条/图标集）", "Excel 2010 conditional formats (data bars, icon sets)"
    ),
    "{B025F937-C7B1-47D3-B67F-A62EFF666E3E}": _T(
        "新式条件格式（数据条/图标集）", "Excel 2010 conditional formats (data bars, icon sets)"
    ),
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}": _T(
        "跨表数据验证列表", "Excel 2010 data validations (lists from other sheets)"
    ),
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}": _T("迷你图", "sparklines"),
}
COUNTED_ELSEWHERE = {
    "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}",  # slicer list: the slicers are drawing objects
    "{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}",  # table slicers: likewise
    "{7E03D99C-DC04-49d9-9315-930204A7B6E9}",  # timeline refs: timelines are drawing objects
}

OTHER_COUNTS: dict[str, Text] = {
    "defined_names": _T("定义的名称", "defined names"),
    "data_validations": _T("数据验证", "data validations"),
}

_EXT_RE = re.compile(rb'<(?:[A-Za-z0-9]{1,64}:)?ext\b[^<>]*?\buri="([^"<>]{1,512})"')
"""An ``<ext uri="…">`` start tag. The scan of one tag stops at the next ``<`` or ``>``, so text
full of unclosed ``<ext `` (100k of them in a comment) is read in linear time, not quadratic."""
_DV_RE = re.compile(rb"<(?:[A-Za-z0-9]+:)?dataValidation\b")
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class Inventory:
    """What one workbook package holds, counted by kind."""

    parts: set[str]
    sheets: dict[str, str]
    rels: dict[str, list[str]]
    counts: Counter[str] = field(default_factory=Counter)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels_of(zf: zipfile.ZipFile, names: set[str], part: str) -> dict[str, str]:
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in names:
        return {}
    root = ElementTree.fromstring(zf.read(rels_name))
    out: dict[str, str] = {}
    for rel in root:
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id") or ""] = resolved
    return out


def _workbook_index(zf: zipfile.ZipFile) -> tuple[dict[str, str], int]:
    """Sheet name -> sheet part, and the number of defined names, of an open package."""
    names = set(zf.namelist())
    root_rels = _rels_of(zf, names, "")
    book = next((t for t in root_rels.values() if t.endswith("workbook.xml")), "xl/workbook.xml")
    book_rels = _rels_of(zf, names, book)
    sheets: dict[str, str] = {}
    defined_names = 0
    if book in names:
        for el in ElementTree.fromstring(zf.read(book)).iter():
            tag = _local(el.tag)
            if tag == "sheet":
                rid = el.get(f"{{{_NS_R}}}id") or ""
                if rid in book_rels:
                    sheets[el.get("name") or ""] = book_rels[rid]
            elif tag == "definedName":
                defined_names += 1
    return sheets, defined_names


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet (or chart sheet) part path of an open workbook package."""
    return _workbook_index(zf)[0]


def _drawing_objects(xml: bytes) -> Counter[str]:
    """Anchored objects of a drawing part by kind (slicers' fallback shapes not double-counted)."""
    root = ElementTree.fromstring(xml)
    found: Counter[str] = Counter()
    for anchor in root:
        if not _local(anchor.tag).endswith("Anchor"):
            continue
        for child in anchor:
            node: Any = child
            if _local(child.tag) == "AlternateContent":
                choice = next((c for c in child if _local(c.tag) == "Choice"), None)
                if choice is None or not len(choice):
                    continue
                node = choice[0]
            kind = _local(node.tag)
            if kind in ("sp", "grpSp", "cxnSp"):
                found["shape"] += 1
            elif kind == "pic":
                found["picture"] += 1
            elif kind == "graphicFrame":
                uri = next(
                    (e.get("uri") or "" for e in node.iter() if _local(e.tag) == "graphicData"),
                    "",
                )
                if uri.endswith("/chart") or "chartex" in uri:
                    found["chart"] += 1
                elif "timeslicer" in uri or "timeline" in uri:
                    found["timeline"] += 1
                elif "slicer" in uri:
                    found["slicer"] += 1
                elif "diagram" in uri:
                    found["smartart"] += 1
                else:
                    found["other"] += 1
    return found


PACKAGE_LABELS: dict[str, Text] = {
    "rel:extensibility": _T("自定义功能区（customUI）", "custom ribbon (customUI)"),
    "rel:vbaProjectSignature": _T("VBA 数字签名", "VBA signature"),
    "rel:vbaProjectSignatureAgile": _T("VBA 数字签名", "VBA signature"),
    "rel:vbaProjectSignatureV3": _T("VBA 数字签名", "VBA signature"),
    "rel:chartStyle": _T("图表样式", "chart styles"),
    "rel:chartColorStyle": _T("图表颜色样式", "chart colour styles"),
    "rel:image@worksheet": _T("工作表背景图片", "sheet background pictures"),
    "rel:printerSettings": _T("打印机设置", "printer settings"),
}
"""Names of package relationships (``rel:TYPE`` or ``rel:TYPE@SOURCE``) a user knows; any
other is named by its type."""

EXPLAINED_RELS = {"sharedStrings", "calcChain", "thumbnail", "sheetMetadata"}
"""Relationships a rewrite may drop without losing anything: openpyxl writes strings inline or
shared as it likes, Excel rebuilds the calculation chain and the file-open thumbnail; the
dynamic-array metadata is counted as ``array_metadata``."""
_EXPLAINED_PARTS = re.compile(r"xl/(sharedStrings|calcChain)\.xml|docProps/thumbnail\.\w+")
_COUNTED_PARTS = re.compile(
    "|".join(
        [p for _k, p, _l in PART_KINDS]
        + [r"xl/drawings/.*", r"xl/charts/chart\d+\.xml", r"xl/slicers/.*", r"xl/timelines/.*"]
    )
)
"""Parts the kinds above already count (a lost slicer is "slicers (1)", not also a part)."""
_OWN_RELS = re.compile(r"xl/charts/chart\d+\.xml|xl/vbaProject\.bin")
"""Counted parts whose own relationships are still compared (chart styles, the VBA signature)."""


def _content_types(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Part name -> content type, from ``[Content_Types].xml`` (overrides, then defaults)."""
    if "[Content_Types].xml" not in names:
        return {}
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in ElementTree.fromstring(zf.read("[Content_Types].xml")):
        tag = _local(el.tag)
        if tag == "Default":
            defaults[(el.get("Extension") or "").lower()] = el.get("ContentType") or ""
        elif tag == "Override":
            overrides[(el.get("PartName") or "").lstrip("/")] = el.get("ContentType") or ""
    return {
        n: overrides.get(n) or defaults.get(n.rsplit(".", 1)[-1].lower(), "")
        for n in names
        if not n.endswith("/")
    }


def _kind(content_type: str) -> str:
    """``application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml`` ->
    ``worksheet``."""
    return content_type.rsplit(".", 1)[-1].split("+", 1)[0]


def _package_counts(zf: zipfile.ZipFile, names: set[str], skipped: set[str]) -> Counter[str]:
    """Every relationship of the package by type (and its source's kind), and every part no
    relationship reaches by content type, leaving out what ``skipped`` parts own, what the kinds
    above count and what :data:`EXPLAINED_RELS` may drop. A rewrite that keeps all of these
    keeps the package; a custom ribbon, a VBA signature, chart styles, a sheet background or
    printer settings it drops show up here."""
    types = _content_types(zf, names)
    counts: Counter[str] = Counter()
    reached: set[str] = set()
    for rels_name in sorted(n for n in names if n.endswith(".rels")):
        folder = posixpath.dirname(posixpath.dirname(rels_name))
        source = posixpath.join(folder, posixpath.basename(rels_name)[: -len(".rels")])
        counted = _COUNTED_PARTS.fullmatch(source) and not _OWN_RELS.fullmatch(source)
        ignored = source in skipped or counted  # a chart's styles, the VBA signature: compared
        source_kind = _kind(types.get(source, "")) if source in names else "package"
        for rel in ElementTree.fromstring(zf.read(rels_name)):
            rel_type = rel.get("Type") or ""
            tail = rel_type.rsplit("/", 1)[-1]
            target = rel.get("Target") or ""
            external = rel.get("TargetMode") == "External"
            part = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            reached.add(part)
            if (
                ignored
                or tail in EXPLAINED_RELS
                or part in skipped
                or (not external and _COUNTED_PARTS.fullmatch(part))
                or (not external and _EXPLAINED_PARTS.fullmatch(part))
                or tail in ("worksheet", "chartsheet", "styles", "theme", "officeDocument")
                or tail in ("core-properties", "extended-properties", "hyperlink")
            ):
                continue
            counts[f"rel:{tail}@{source_kind}"] += 1
    for name, content_type in types.items():
        if (
            name in reached
            or name in skipped
            or name.endswith(".rels")
            or name == "[Content_Types].xml"
            or _COUNTED_PARTS.fullmatch(name)
            or _EXPLAINED_PARTS.fullmatch(name)
        ):
            continue
        counts[f"part:{content_type or name}"] += 1
    return counts


def _package_label(key: str) -> Text:
    if key.startswith("part:"):
        what = key[5:]
        return _T(f"未被引用的文件包部件 {what}", f"unreferenced package parts {what}")
    tail, _, source = key[4:].partition("@")
    for candidate in (f"rel:{tail}@{source}", f"rel:{tail}"):
        if candidate in PACKAGE_LABELS:
            return PACKAGE_LABELS[candidate]
    return _T(f"文件包关系 {tail}（来自 {source}）", f"package relationships {tail} (of {source})")


def inventory(path: Path, *, skip_sheets: Iterable[str] = ()) -> Inventory:
    """Count what ``path`` holds, leaving out everything reachable from ``skip_sheets``."""
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        sheets, defined_names = _workbook_index(zf)
        rels: dict[str, list[str]] = {}
        skipped: set[str] = set()
        todo = [sheets[s] for s in skip_sheets if s in sheets]
        while todo:
            part = todo.pop()
            if part in skipped:
                continue
            skipped.add(part)
            targets = list(_rels_of(zf, names, part).values())
            rels[part] = targets
            todo.extend(targets)
        counts: Counter[str] = Counter()
        live = names - skipped
        for key, pattern, _label in PART_KINDS:
            rx = re.compile(pattern)
            counts[key] = sum(1 for n in live if rx.fullmatch(n))
        for name in sorted(live):
            if re.fullmatch(r"xl/drawings/drawing\d+\.xml", name):
                for kind, n in _drawing_objects(zf.read(name)).items():
                    counts[f"draw:{kind}"] += n
        for part in set(sheets.values()) & live:
            xml = zf.read(part)
            for raw in _EXT_RE.findall(xml):
                uri = raw.decode("ascii", "replace")
                if uri not in COUNTED_ELSEWHERE:
                    counts[f"ext:{uri}"] += 1
            counts["data_validations"] += len(_DV_RE.findall(xml))
        counts["defined_names"] = defined_names
        counts.update(_package_counts(zf, names, skipped))
    return Inventory(names, sheets, rels, counts)


def _label(key: str) -> Text:
    if key.startswith("draw:"):
        return DRAWING_KINDS[key[5:]]
    if key.startswith(("rel:", "part:")):
        return _package_label(key)
    if key.startswith("ext:"):
        uri = key[4:]
        return EXT_URIS.get(uri, _T(f"Excel 扩展功能 {uri}", f"Excel extension {uri}"))
    for k, _pattern, label in PART_KINDS:
        if k == key:
            return label
    return OTHER_COUNTS[key]


UNCOMPARABLE = _T(
    "无法逐项比较的文件包（{reason}）", "a package that cannot be compared part by part ({reason})"
)
"""The one loss item when a part of either package cannot be parsed: an in-place update is
then refused (the copy is still written), never a traceback."""


def losses(
    before: Path,
    after: Path,
    *,
    replaced: Iterable[str] = (),
    written: Iterable[str] = (),
    lang: Lang = "en",
) -> list[str]:
    """What ``after`` lacks compared with ``before``, one readable item per kind.

    Args:
        before: the original workbook.
        after: the rewritten copy.
        replaced: sheets of ``before`` that the copy rewrote on purpose (our old Dashboard).
        written: sheets of ``after`` that ExcelFlow wrote (their charts are ours).
        lang: language of the items, e.g. ``"slicers (3)"`` / ``"切片器（3）"``.
    """
    try:
        old = inventory(before, skip_sheets=replaced).counts
        new = inventory(after, skip_sheets=written).counts
    except Exception as exc:  # a malformed or DTD-bearing part (defusedxml refuses it), …
        first = (str(exc).strip() or type(exc).__name__).splitlines()[0][:160]
        return [UNCOMPARABLE(lang).format(reason=first)]
    lacking: Counter[str] = Counter()
    for key, n in old.items():
        gap = n - new.get(key, 0)
        if gap > 0:
            lacking[_label(key)(lang)] += gap
    fmt = "{label}（{n}）" if lang == "zh" else "{label} ({n})"
    return [fmt.format(label=label, n=n) for label, n in lacking.items()]
