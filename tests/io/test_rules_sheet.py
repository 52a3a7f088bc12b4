"""The Rules sheet (规则): read back exactly, edits take effect, broken edits give DQ08."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine as pc
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from excelflow.api import validate_file
from excelflow.pipeline.read import Source
from excelflow.pipeline.ruleset import Lang, RuleSet, load_ruleset
from excelflow.rulesheet.grid import read_rules_grid
from excelflow.rulesheet.read import workbook_ruleset
from excelflow.rulesheet.sheet import rules_plan
from excelflow.workbook.sample import sample_deals, write_sample
from excelflow.workbook.template import build_template

AS_OF = dt.date(2026, 11, 28)
DEAL_CODES = {"SG01", "SG02", "EV01", "EV02", "GR01"}  # what the example deals produce


@pytest.fixture(scope="module")
def standard() -> RuleSet:
    return load_ruleset()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("rules")
    return {lang: build_template(folder / f"{lang}.xlsx", lang=lang) for lang in ("zh", "en")}


def cell_at(ws: Worksheet, table: str, key: Any, header: str) -> Any:
    """The cell of ``table``'s row whose key (or first column) is ``key``, under ``header``."""
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table].ref)
    headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    key_col = headers.get("键") or headers.get("Key") or min_col
    for row in range(min_row + 1, max_row + 1):
        if ws.cell(row, key_col).value == key:
            return ws.cell(row, headers[header])
    raise KeyError((table, key))


def edited(template: Path, out: Path, edit: Callable[[Worksheet], None]) -> Path:
    wb = openpyxl.load_workbook(template)
    edit(wb["规则"] if "规则" in wb.sheetnames else wb["Rules"])
    wb.save(out)
    return out


def rules_of(path: Path, default: RuleSet) -> tuple[RuleSet, list[dict[str, Any]]]:
    source = Source(path)
    try:
        return workbook_ruleset(source, default)
    finally:
        source.close()


def dq08(path: Path) -> list[tuple[str, str, str, str]]:
    report = validate_file(path, as_of=AS_OF)
    assert report.result is not None, report.error
    f = report.result.findings
    rows = f[f["code"] == "DQ08"]
    assert (rows["pos"] == -1).all() and rows["deal_id"].isna().all()
    return list(
        zip(rows["sheet"], rows["cell"], rows["message_zh"], rows["message_en"], strict=True)
    )


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_rules_read_back_as_the_standard_rule_set(
    lang: Lang, templates: dict[str, Path], standard: RuleSet
) -> None:
    rs, problems = rules_of(templates[lang], standard)
    assert problems == []
    assert rs.source == f"{templates[lang]}!{'规则' if lang == 'zh' else 'Rules'}"
    assert json.dumps(rs.document, sort_keys=True) == json.dumps(standard.document, sort_keys=True)
    assert rs == dataclasses.replace(standard, source=rs.source)


def test_no_rules_sheet_means_the_default(tmp_path: Path, standard: RuleSet) -> None:
    headers, rows = sample_deals(5)
    for path in (tmp_path / "plain.xlsx", tmp_path / "Rules.csv"):
        write_sample(path, headers, rows)
        assert rules_of(path, standard) == (standard, [])


# --------------------------------------------------------------------------- broken edits


def test_broken_edits_point_at_their_cells(templates: dict[str, Path], tmp_path: Path) -> None:
    cells: dict[str, str] = {}

    def edit(ws: Worksheet) -> None:
        prob = cell_at(ws, "tblStages", "entry", "默认赢率")
        prob.value = 1.5  # typed as 150 %
        header = cell_at(ws, "tblMilestones", "coach", "中文列名")
        header.value = None
        weight = cell_at(ws, "tblFactors", "funding", "权重")
        weight.value = "高"
        cells.update(prob=prob.coordinate, header=header.coordinate, weight=weight.coordinate)

    path = edited(templates["zh"], tmp_path / "broken.xlsx", edit)
    found = {cell: (sheet, zh, en) for sheet, cell, zh, en in dq08(path)}
    assert set(found) == set(cells.values())
    assert {sheet for sheet, _, _ in found.values()} == {"规则"}
    assert "0%–100%" in found[cells["prob"]][1] and "150%" in found[cells["prob"]][2]
    assert "不能为空" in found[cells["header"]][1]
    assert "must not be blank" in found[cells["header"]][2]
    assert "高" in found[cells["weight"]][1] and "must be a number" in found[cells["weight"]][2]
    report = validate_file(path, as_of=AS_OF)
    assert report.result is not None
    assert report.result.ruleset.source == "builtin:standard"  # deals still checked
    assert set(report.result.findings["code"]) >= DEAL_CODES
    row = report.result.findings.query("code == 'DQ08'").iloc[0]
    assert row["severity"] == "error" and isinstance(row["row"], int)


def test_english_sheet_broken_edit(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        cell_at(ws, "tblGrades", "B", "Min probability").value = "lots"

    path = edited(templates["en"], tmp_path / "en.xlsx", edit)
    [(sheet, cell, zh, en)] = dq08(path)
    assert sheet == "Rules" and cell.startswith("D")
    assert "Min probability must be a percentage" in en and "lots" in en
    assert "最低赢率" in zh


def test_duplicate_key_names_both_cells(templates: dict[str, Path], tmp_path: Path) -> None:
    where: list[str] = []

    def edit(ws: Worksheet) -> None:
        first = cell_at(ws, "tblFactors", "funding", "键")
        dup = cell_at(ws, "tblFactors", "price", "键")
        dup.value = "funding"
        where.extend([first.coordinate, dup.coordinate])

    [(_, cell, zh, en)] = dq08(edited(templates["zh"], tmp_path / "dup.xlsx", edit))
    assert cell == where[1]
    assert where[0] in zh and where[0] in en and "funding" in en


def test_stage_numbers_must_run_in_order(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        cell_at(ws, "tblStages", "proposal", "编号").value = 7

    [(_, _, zh, en)] = dq08(edited(templates["zh"], tmp_path / "order.xlsx", edit))
    assert "应为 3" in zh and "expected 3" in en


def test_missing_table_and_parameters(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        min_col, min_row, max_col, _ = range_boundaries(ws.tables["tblGrades"].ref)
        for col in range(min_col, max_col + 1):
            ws.cell(min_row, col).value = None  # the grades header row is gone
        cell_at(ws, "tblParams", "pass_mark", "键").value = None  # the pass mark row is gone
        cell_at(ws, "tblParams", "version", "键").value = "colour"  # not a parameter

    found = dq08(edited(templates["zh"], tmp_path / "missing.xlsx", edit))
    messages = " | ".join(en for *_, en in found)
    assert "'3. Grades' is missing" in messages
    assert "'Pass mark' (key pass_mark) is missing" in messages
    assert "unknown parameter 'colour'" in messages


def test_knockout_reason_needs_a_threshold(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        cell_at(ws, "tblFactors", "funding", "否决阈值").value = None

    [(_, _, zh, en)] = dq08(edited(templates["zh"], tmp_path / "ko.xlsx", edit))
    assert "否决阈值" in zh and "no threshold" in en


def test_a_garbage_rules_sheet_never_crashes(tmp_path: Path) -> None:
    headers, rows = sample_deals(8, violations=False)
    path = write_sample(tmp_path / "g.xlsx", headers, rows)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("Rules")
    ws.append(["my notes", 1, dt.datetime(2026, 1, 1)])
    ws.append(["Key", "Value"])
    ws.append([None, 3.5])
    ws.append(["=1/0", "#DIV/0!"])
    wb.save(path)
    found = dq08(path)
    assert found and all(sheet == "Rules" for sheet, *_ in found)


def test_a_foreign_sheet_called_rules_is_left_alone(tmp_path: Path, standard: RuleSet) -> None:
    headers, rows = sample_deals(4, violations=False)
    path = write_sample(tmp_path / "f.xlsx", headers, rows)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("规则")
    ws.append(["报销规则", "每月 5 日前提交"])
    ws.append(["差旅标准", 300])
    wb.save(path)
    assert rules_of(path, standard) == (standard, [])
    assert dq08(path) == []


# --------------------------------------------------------------------------- edits that work


def test_valid_edits_change_the_checks(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        cell_at(ws, "tblParams", "penalty_factor", "键").offset(column=2).value = 0.8
        cell_at(ws, "tblStages", "development", "默认赢率").value = "15%"
        cell_at(ws, "tblMilestones", "coach", "别名").value = "线人，insider"
        ws.cell(*_first_blank_override(ws), value="GR01").offset(column=2).value = "✓"
        row, col = _first_blank_override(ws)
        ws.cell(row, col, value="sg01").offset(column=1).value = "错误"

    path = edited(templates["zh"], tmp_path / "edited.xlsx", edit)
    rs, problems = rules_of(path, load_ruleset())
    assert problems == []
    assert rs.penalty_factor == 0.8 and rs.stages[0].probability == 0.15
    assert rs.milestones[1].aliases == ("线人", "insider")
    assert rs.disabled == {"GR01"} and rs.severities == {"SG01": "error"}
    result = validate_file(path, as_of=AS_OF).result
    assert result is not None
    deals = result.deals.set_index("deal_id")
    assert deals.loc["D-1002", "adjusted_probability"] == pytest.approx(0.6 * 0.8**2)
    codes = set(result.findings["code"])
    assert "GR01" not in codes and "DQ08" not in codes
    assert set(result.findings.query("code == 'SG01'")["severity"]) == {"error"}


def _first_blank_override(ws: Worksheet) -> tuple[int, int]:
    min_col, min_row, _, max_row = range_boundaries(ws.tables["tblOverrides"].ref)
    row = next(r for r in range(min_row + 1, max_row + 1) if ws.cell(r, min_col).value is None)
    return row, min_col


def test_clearing_a_row_removes_the_item(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        row = cell_at(ws, "tblFactors", "service", "键").row
        for col in range(1, ws.max_column + 1):
            ws.cell(row, col).value = None

    rs, problems = rules_of(edited(templates["zh"], tmp_path / "less.xlsx", edit), load_ruleset())
    assert problems == [] and [f.key for f in rs.factors][-1] == "solution"


def test_headers_may_be_in_either_language(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        min_col, min_row, max_col, _ = range_boundaries(ws.tables["tblStages"].ref)
        english = ["No.", "Key", "Name (Chinese)", "Name (English)", "Default probability"]
        for col, text in zip(range(min_col, max_col + 1), english, strict=False):
            ws.cell(min_row, col).value = text

    path = edited(templates["zh"], tmp_path / "mixed.xlsx", edit)
    rs, problems = rules_of(path, load_ruleset())
    assert problems == [] and rs.stages[3].probability == 0.6


def test_grid_origin_and_moved_tables(templates: dict[str, Path], standard: RuleSet) -> None:
    sheet = pc.CalamineWorkbook.from_path(str(templates["zh"])).get_sheet_by_name("规则")
    grid = sheet.to_python(skip_empty_area=True)
    origin = (int(sheet.start[0]), int(sheet.start[1]))
    assert origin[1] == 1  # the sheet starts in column B
    rs, problems = read_rules_grid(grid, origin, "规则", standard, source="x")
    assert problems == [] and rs.document == standard.document
    # the same tables three rows lower and with a weight broken: the cell moves with them
    moved = [[""] * len(grid[0]) for _ in range(3)] + [list(r) for r in grid]
    at = next(
        (i, r.index(15.0)) for i, r in enumerate(moved) if r and r[0] == "funding" and 15.0 in r
    )
    moved[at[0]][at[1]] = "x"
    _, problems = read_rules_grid(moved, origin, "规则", standard, source="x")
    [problem] = problems
    letter = openpyxl.utils.get_column_letter(origin[1] + at[1] + 1)
    assert problem["cell"] == f"{letter}{origin[0] + at[0] + 1}"
    assert problem["row"] == origin[0] + at[0] + 1 and problem["value"] == "x"
    assert set(problem) >= {"sheet", "cell", "row", "value", "message_zh", "message_en"}


def test_list_references_quote_the_sheet_name(standard: RuleSet) -> None:
    sheet = rules_plan(standard, "en", "Bob's rules")
    assert sheet.lists == {
        "stages": "'Bob''s rules'!$E$7:$E$12",
        "grades": "'Bob''s rules'!$B$28:$B$31",
    }
    assert [t.name for t in sheet.plan.tables] == [
        "tblStages", "tblMilestones", "tblGrades", "tblFactors", "tblParams", "tblOverrides",
    ]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_fail_action_is_shown_and_read_back(
    lang: Lang, templates: dict[str, Path], tmp_path: Path
) -> None:
    value = "值" if lang == "zh" else "Value"
    wb = openpyxl.load_workbook(templates[lang])
    ws = wb["规则" if lang == "zh" else "Rules"]
    mode = cell_at(ws, "tblParams", "fail_action", value)
    assert mode.value == ("改为下方建议" if lang == "zh" else "replace it")
    assert cell_at(ws, "tblParams", "fail_action_en", value).value == (
        "evaluation failed: lower the contact level"
    )
    assert cell_at(ws, "tblParams", "fail_action_zh", value).value == "评估未通过：降低接触级别"

    def keep(sheet: Worksheet) -> None:
        cell_at(sheet, "tblParams", "fail_action", value).value = (
            "保留评级建议" if lang == "zh" else "keep the grade's"
        )

    rs, problems = rules_of(edited(templates[lang], tmp_path / "keep.xlsx", keep), load_ruleset())
    assert problems == [] and rs.fail_action is None

    def own(sheet: Worksheet) -> None:
        cell_at(sheet, "tblParams", "fail_action_zh", value).value = "评估未过：暂停投入"
        cell_at(sheet, "tblParams", "fail_action_en", value).value = "failed: pause"

    rs, problems = rules_of(edited(templates[lang], tmp_path / "own.xlsx", own), load_ruleset())
    assert problems == [] and rs.fail_action == ("评估未过：暂停投入", "failed: pause")

    def half(sheet: Worksheet) -> None:
        cell_at(sheet, "tblParams", "fail_action_zh", value).value = None

    _, problems = rules_of(edited(templates[lang], tmp_path / "half.xlsx", half), load_ruleset())
    assert len(problems) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_proof_columns_are_shown_and_read_back(
    lang: Lang, templates: dict[str, Path], tmp_path: Path
) -> None:
    header = "证明列" if lang == "zh" else "Proof columns"
    wb = openpyxl.load_workbook(templates[lang])
    ws = wb["规则" if lang == "zh" else "Rules"]
    sep = "、" if lang == "zh" else ", "
    assert (
        cell_at(ws, "tblMilestones", "evaluated", header).value == f"evaluation factors{sep}grade"
    )
    assert cell_at(ws, "tblMilestones", "coach", header).value is None

    def edit(sheet: Worksheet) -> None:
        cell_at(sheet, "tblMilestones", "evaluated", header).value = None
        cell_at(sheet, "tblMilestones", "coach", header).value = "owner, customer"

    rs, problems = rules_of(edited(templates[lang], tmp_path / "proof.xlsx", edit), load_ruleset())
    assert problems == []
    assert rs.stage(1).milestones[0].proof == ()
    assert rs.stage(2).milestones[0].proof == ("owner", "customer")

    def bad(sheet: Worksheet) -> None:
        cell_at(sheet, "tblMilestones", "coach", header).value = "my notes"

    _, problems = rules_of(edited(templates[lang], tmp_path / "bad.xlsx", bad), load_ruleset())
    assert len(problems) == 1 and "my notes" in str(problems[0])


def test_closing_milestones_are_read_back(templates: dict[str, Path], tmp_path: Path) -> None:
    def edit(ws: Worksheet) -> None:
        cell_at(ws, "tblParams", "closing_finished", "值").value = "acceptance"
        cell_at(ws, "tblParams", "closing_contract", "值").value = "contract_signed、bid_submitted"

    path = edited(templates["zh"], tmp_path / "closing.xlsx", edit)
    rs, problems = rules_of(path, load_ruleset())
    assert problems == []
    assert (rs.closing_finished, rs.closing_contract) == (
        ("acceptance",),
        ("contract_signed", "bid_submitted"),
    )

    def wrong(ws: Worksheet) -> None:
        cell_at(ws, "tblParams", "closing_finished", "值").value = "handover"

    _, problems = rules_of(edited(templates["zh"], tmp_path / "wrong.xlsx", wrong), load_ruleset())
    assert len(problems) == 1 and "handover" in str(problems[0])
