"""The pipeline template: committed files match the builder, open cleanly, and tell their story."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine as pc

from excelflow.api import validate_file
from excelflow.cli.template import template_command
from excelflow.pipeline.fields import RESULT_FIELDS, SHEETS, all_fields
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.sheets.plan import address
from excelflow.template.book import LIST_NAMES, template_book
from excelflow.workbook.template import DEFAULT_OUTPUT, build_template, template_workbook

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 11, 28)
LANGS: tuple[Lang, ...] = ("zh", "en")
REGENERATE = (
    "templates/ is stale; regenerate with: python -c 'from pathlib import Path; "
    'from excelflow.workbook.template import build_committed_templates as b; b(Path("templates"))\''
)
# (deal, field key, code) the example deals are built to produce, as of 2026-11-28
EXPECTED = [
    ("D-1002", "m:coach", "SG01"),
    ("D-1002", "m:criteria", "SG01"),
    ("D-1003", "first_stage", "SG02"),
    ("D-1004", "f:funding", "EV02"),
    ("D-1005", "grade", "GR01"),
    ("D-1006", "f:price", "EV01"),
]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("template")
    return {lang: build_template(folder / DEFAULT_OUTPUT[lang], lang=lang) for lang in LANGS}


def committed(lang: Lang) -> Path:
    return ROOT / "templates" / DEFAULT_OUTPUT[lang]


def signature(path: Path) -> dict[str, Any]:
    """Everything a user sees or relies on, sheet by sheet (not timestamps)."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {
        "sheets": wb.sheetnames,
        "active": wb.active.title if wb.active else None,
        "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
        "creator": wb.properties.creator,
    }
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": [
                (c.coordinate, str(c.value), c.number_format, c.alignment.wrap_text)
                for row in ws.iter_rows()
                for c in row
                if c.value is not None
            ],
            "validations": sorted(
                (
                    str(dv.sqref),
                    dv.type,
                    dv.formula1,
                    dv.formula2,
                    dv.operator,
                    dv.errorStyle,
                    dv.prompt,
                    dv.error,
                )
                for dv in ws.data_validations.dataValidation
            ),
            "tables": sorted((t.displayName, t.ref) for t in ws.tables.values()),
            "freeze": ws.freeze_panes,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        }
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_committed_template_matches_a_fresh_build(lang: Lang, fresh: dict[str, Path]) -> None:
    assert committed(lang).is_file(), REGENERATE
    assert signature(committed(lang)) == signature(fresh[lang]), REGENERATE


def test_builds_are_byte_identical(tmp_path: Path, fresh: dict[str, Path]) -> None:
    again = build_template(tmp_path / "again.xlsx", lang="zh")
    assert again.read_bytes() == fresh["zh"].read_bytes()


@pytest.mark.parametrize("lang", LANGS)
def test_openpyxl_loads_it_without_warnings(lang: Lang) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wb = openpyxl.load_workbook(committed(lang))
    assert wb.properties.creator == "ExcelFlow"
    assert wb.properties.created == wb.properties.modified == dt.datetime(2026, 11, 28, 9, 0)


@pytest.mark.parametrize("lang", LANGS)
def test_sheets_in_order_with_deals_active(lang: Lang) -> None:
    wb = openpyxl.load_workbook(committed(lang))
    keys = ("deals", "dashboard", "findings", "bid", "rules")
    assert wb.sheetnames == [SHEETS[k](lang) for k in keys]
    assert wb.active is not None and wb.active.title == SHEETS["deals"](lang)
    book = pc.CalamineWorkbook.from_path(str(committed(lang)))
    assert book.sheet_names == wb.sheetnames


@pytest.mark.parametrize("lang", LANGS)
def test_deals_sheet_is_a_table_with_every_column(lang: Lang) -> None:
    rs = load_ruleset()
    fields = all_fields(rs)
    ws = openpyxl.load_workbook(committed(lang))[SHEETS["deals"](lang)]
    headers = [c.value for c in ws[1]]
    assert headers == [f.header(lang) for f in fields]
    table = ws.tables["tblDeals"]
    last = openpyxl.utils.get_column_letter(len(fields))
    assert table.ref == f"A1:{last}13"  # header + 12 example deals
    assert table.autoFilter is not None and table.autoFilter.ref == table.ref
    assert table.tableStyleInfo is not None and table.tableStyleInfo.showRowStripes
    assert ws.freeze_panes == "C2"
    rows = pc.CalamineWorkbook.from_path(str(committed(lang))).get_sheet_by_name(ws.title)
    grid = rows.to_python()
    assert grid[0] == headers and len(grid) == 13


@pytest.mark.parametrize("lang", LANGS)
def test_formats_and_result_columns(lang: Lang) -> None:
    rs = load_ruleset()
    keys = [f.key for f in all_fields(rs)]
    ws = openpyxl.load_workbook(committed(lang))[SHEETS["deals"](lang)]

    def cell(key: str, row: int = 2) -> Any:
        return ws.cell(row=row, column=keys.index(key) + 1)

    assert cell("expected_close").number_format == "yyyy-mm-dd"
    assert cell("expected_close").value == dt.datetime(2027, 1, 29)
    assert cell("md:bid_submitted").number_format == "yyyy-mm-dd"
    assert cell("probability").number_format == "0%" and cell("probability").value == 0.8
    assert cell("amount").number_format == "#,##0" and cell("amount").value == 2_860_000
    for spec in RESULT_FIELDS:
        assert all(cell(spec.key, r).value is None for r in range(2, 14))
        assert cell(spec.key, 1).fill.fgColor.rgb.endswith("595959")  # set apart in grey
    assert cell("ef_adj_prob").number_format == "0%"
    widths = [ws.column_dimensions[cell(k).column_letter].width for k in keys]
    assert all(6 <= w <= 48 for w in widths)


def _validations(path: Path, lang: Lang) -> dict[str, Any]:
    """Data validation per deal field (of row 2), plus the header prompts (row 1)."""
    rs = load_ruleset()
    keys = [f.key for f in all_fields(rs)]
    ws = openpyxl.load_workbook(path)[SHEETS["deals"](lang)]
    out: dict[str, Any] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            key = keys[rng.min_col - 1]
            out[f"header:{key}" if rng.min_row == 1 else key] = dv
            if rng.min_row != 1:
                assert rng.min_row == 2 and rng.max_row == 1001
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_drop_downs_and_checks(lang: Lang) -> None:
    dvs = _validations(committed(lang), lang)
    assert dvs["stage"].type == "list" and dvs["stage"].formula1 == "lstStages"
    assert dvs["first_stage"].formula1 == "lstStages"
    assert dvs["stage"].errorStyle == "warning"  # a stage number can still be typed
    status = "进行中,赢单,丢单,放弃" if lang == "zh" else "Open,Won,Lost,Withdrawn"
    assert dvs["status"].formula1 == f'"{status}"' and dvs["status"].errorStyle == "stop"
    assert dvs["m:coach"].formula1 == '"✓"' and dvs["m:coach"].errorStyle == "information"
    assert dvs["f:funding"].formula1 == '"1,2,3,4,5"'
    assert (dvs["probability"].type, dvs["probability"].formula1) == ("decimal", "0")
    assert dvs["probability"].formula2 == "1"
    assert dvs["expected_close"].type == "date"
    assert dvs["grade"].formula1 == "lstGrades"
    assert dvs["deal_id"].type == "custom" and "COUNTIF" in dvs["deal_id"].formula1
    for spec in all_fields(load_ruleset()):
        prompt = dvs[f"header:{spec.key}"]
        assert prompt.showInputMessage and prompt.prompt
        assert len(prompt.promptTitle) <= 32 and len(prompt.prompt) <= 255
    assert "ExcelFlow" in dvs["header:ef_warnings"].prompt


@pytest.mark.parametrize("lang", LANGS)
def test_drop_down_lists_point_at_the_rules_sheet(lang: Lang) -> None:
    wb = openpyxl.load_workbook(committed(lang))
    rules = wb[SHEETS["rules"](lang)]
    stages = [
        c.value for row in wb.defined_names["lstStages"].destinations for c in _cells(wb, row)
    ]
    assert stages == [s.name(lang) for s in load_ruleset().stages]
    grades = [
        c.value for row in wb.defined_names["lstGrades"].destinations for c in _cells(wb, row)
    ]
    assert grades == ["A", "B", "C", "D"]
    assert rules.title in wb.defined_names["lstStages"].attr_text


@pytest.mark.parametrize("lang", LANGS)
def test_the_plan_names_the_rules_sheets_lists(lang: Lang) -> None:
    """The book plan (what the ribbon draws too): sheet order, and defined names over the Rules
    plan's stage names and grade letters, which the Deals plan's drop-downs use."""
    book = template_book(lang)
    keys = ("deals", "dashboard", "findings", "bid", "rules")
    assert list(book.sheets) == [SHEETS[k](lang) for k in keys] and book.active == 0
    rules = book.sheets[SHEETS["rules"](lang)]
    stages = book.names[LIST_NAMES["stages"]]
    sheet, ref = stages.split("!")
    assert sheet == f"'{SHEETS['rules'](lang)}'"
    column, first, _, last = ref.split("$")[1:]
    col = openpyxl.utils.column_index_from_string(column)
    names = [rules.value(r, col) for r in range(int(first.rstrip(":")), int(last) + 1)]
    assert names == [s.name(lang) for s in load_ruleset().stages]
    deals = book.sheets[SHEETS["deals"](lang)]
    lists = {v.formula1 for v in deals.validations if v.kind == "list"}
    assert set(LIST_NAMES.values()) <= lists
    last = openpyxl.utils.get_column_letter(len(all_fields(load_ruleset())))
    assert address(deals.tables[0].area) == f"A1:{last}13"


def _cells(wb: openpyxl.Workbook, dest: tuple[str, str]) -> list[Any]:
    sheet, ref = dest
    return [c for row in wb[sheet][ref.replace("$", "")] for c in row]


@pytest.mark.parametrize("lang", LANGS)
def test_engine_reads_every_column_and_finds_the_stories(lang: Lang) -> None:
    report = validate_file(committed(lang), as_of=AS_OF)
    assert report.error is None and report.result is not None
    result = report.result
    assert result.ruleset.source.endswith(f"!{SHEETS['rules'](lang)}")  # its own Rules sheet
    assert result.pipeline.present == {f.key for f in all_fields(load_ruleset())}
    assert result.pipeline.unknown_headers == []
    found = [(f.deal_id, f.code) for f in result.finding_list()]
    assert "DQ07" not in {code for _, code in found}
    f = result.findings
    got = sorted(zip(f["deal_id"], f["field"], f["code"], strict=True))
    assert got == sorted(EXPECTED)
    deals = result.deals.set_index("deal_id")
    assert deals.loc["D-1001", "grade"] == "A" and deals.loc["D-1001", "gate"] == "pass"
    assert deals.loc["D-1002", "gate"] == "forced"
    assert deals.loc["D-1002", "adjusted_probability"] == pytest.approx(0.15)
    assert deals.loc["D-1004", "evaluation"] == "knockout"
    assert deals.loc["D-1006", "evaluation"] == "fail"
    assert deals.loc["D-1007", "status"] == "won" and deals.loc["D-1008", "status"] == "lost"
    assert deals.loc["D-1010", "status"] == "withdrawn"


def test_zh_and_en_templates_give_the_same_findings() -> None:
    flat = {}
    for lang in LANGS:
        result = validate_file(committed(lang), as_of=AS_OF).result
        assert result is not None
        flat[lang] = list(zip(result.findings["code"], result.findings["cell"], strict=True))
    assert flat["zh"] == flat["en"] and len(flat["zh"]) == len(EXPECTED)


def test_a_custom_rule_set_shapes_the_template(tmp_path: Path) -> None:
    doc = dict(load_ruleset().document)
    doc["forced_advance"] = {"penalty_factor": 0.8, "penalty_per": "part"}
    doc["evaluation"] = {**doc["evaluation"], "factors": doc["evaluation"]["factors"][:3]}
    rs = load_ruleset(doc)
    wb = template_workbook("en", rs)
    headers = [c.value for c in wb["Deals"][1]]
    assert "Eval: price" not in headers and "Eval: funding" in headers
    path = build_template(tmp_path / "custom.xlsx", lang="en", ruleset=rs)
    result = validate_file(path, as_of=AS_OF).result
    assert result is not None
    assert result.ruleset.penalty_factor == 0.8 and len(result.ruleset.factors) == 3
    assert "DQ07" not in set(result.findings["code"])


def test_template_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert template_command("zh", None, None) == 0
    assert (tmp_path / "pipeline.xlsx").is_file()
    assert template_command("en", None, None) == 0
    assert (tmp_path / "pipeline_en.xlsx").is_file()
    before = (tmp_path / "pipeline.xlsx").read_bytes()
    (tmp_path / "pipeline.xlsx").write_bytes(b"my filled-in pipeline")
    assert template_command("zh", None, None) == 2  # never overwrite without --force
    assert (tmp_path / "pipeline.xlsx").read_bytes() == b"my filled-in pipeline"
    assert template_command("zh", None, None, force=True) == 0
    assert (tmp_path / "pipeline.xlsx").read_bytes() == before
    assert template_command("zh", tmp_path / "x.csv", None) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}', encoding="utf-8")
    assert template_command("zh", tmp_path / "y.xlsx", str(bad)) == 2
    assert not (tmp_path / "y.xlsx").exists()
    (tmp_path / "~$open.xlsx").write_bytes(b"lock")
    (tmp_path / "open.xlsx").write_bytes(b"in Excel")
    assert template_command("zh", tmp_path / "open.xlsx", None, force=True) == 2


# --------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="module")
def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        pytest.skip("soffice not on PATH")
    return path


def _convert(soffice: str, sources: list[Path], target: str, out: Path) -> list[Path]:
    """Convert every source in one LibreOffice run (starting it is most of the time)."""
    profile = out / f"lo-profile-{os.getpid()}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    converted = [out / f"{source.stem}.{target.split(':')[0]}" for source in sources]
    for path in converted:
        assert path.is_file() and path.stat().st_size > 0
    return converted


@pytest.fixture(scope="module")
def printed(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[Lang, Path]:
    """Both committed templates printed to PDF."""
    out = tmp_path_factory.mktemp("printed")
    pdfs = _convert(soffice, [committed(lang) for lang in LANGS], "pdf", out)
    return dict(zip(LANGS, pdfs, strict=True))


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", LANGS)
def test_libreoffice_prints_it(lang: Lang, printed: dict[Lang, Path]) -> None:
    pdf = printed[lang]
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.libreoffice
def test_libreoffice_round_trip_keeps_deals_and_rules(soffice: str, tmp_path: Path) -> None:
    """LibreOffice reads the template and writes it back as .ods; we read that the same way."""
    (ods,) = _convert(soffice, [committed("zh")], "ods", tmp_path)
    report = validate_file(ods, as_of=AS_OF)
    assert report.result is not None, report.error
    assert report.result.ruleset.source.endswith("!规则")
    got = sorted(
        zip(
            report.result.findings["deal_id"],
            report.result.findings["field"],
            report.result.findings["code"],
            strict=True,
        )
    )
    assert got == sorted(EXPECTED)
