"""BD01–BD05 through ``api.validate_file``: a Deals sheet plus Bid sheets, findings on Bid cells.

The golden cases (tests/rules/BD0x.yaml) pin where each rule fires and stays quiet; these tests
check what a finding carries (sheet, cell, row, deal, value, column, both languages) and that
the JSON report stays valid.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook

from bid.bid_helpers import AS_OF, example, pipeline_book
from excelflow import api
from excelflow.bid.model import CostLine
from excelflow.engine import Result, report
from excelflow.pipeline.resources import load_schema
from excelflow.rules import load_all


def bid_findings(path: Path, lang: str = "en") -> tuple[Result, list[dict[str, object]]]:
    rep = api.validate_file(path, as_of=AS_OF, lang=lang)  # type: ignore[arg-type]
    assert rep.result is not None, rep.error
    f = rep.result.findings
    rows = f[f["code"].str.startswith("BD")].to_dict("records")
    return rep.result, rows


def test_bd01_bd03_bd04_on_the_stage_4_deal(tmp_path: Path) -> None:
    """D-00001 of the sample is an open stage-4 deal: quote below floor, criteria against us,
    one line with quantity 0 (the example's travel line)."""
    model = example(deal_id="D-00001", quoted_price=650_000.0, criteria_favourable=False)
    path = tmp_path / "pipeline.xlsx"
    layout = pipeline_book(path, model)[0]
    result, found = bid_findings(path)
    by_code = {f["code"]: f for f in found}
    assert set(by_code) == {"BD01", "BD03", "BD04"}
    bd01 = by_code["BD01"]
    assert bd01["sheet"] == layout.sheet == "Bid – D-00001"
    assert (bd01["cell"], bd01["row"], bd01["value"]) == ("B13", 13, 650_000.0)
    assert bd01["deal_id"] == "D-00001"
    assert bd01["column"] == "Quoted price"
    assert bd01["severity"] == "error"
    assert bd01["pos"] == 0  # the deal's position: its Ignore cell applies
    assert "Quoted price 650,000 CNY is below the floor price 689,000" in str(bd01["message_en"])
    assert "报价 650,000 CNY 低于底价 689,000" in str(bd01["message_zh"])
    assert by_code["BD03"]["cell"] == "E21" and by_code["BD03"]["severity"] == "warning"
    assert by_code["BD04"]["cell"] == "D32"
    assert "line 8 (Other: 差旅) has quantity 0" in str(by_code["BD04"]["message_en"])
    # the Bid findings come after the Deals sheet's own
    sheets = list(result.findings["sheet"])
    assert sheets.index("Bid – D-00001") > max(i for i, s in enumerate(sheets) if s == "Deals")


def test_chinese_workbook_and_messages(tmp_path: Path) -> None:
    model = example(deal_id="D-00001", budget=700_000.0, quoted_price=735_000.0)
    path = tmp_path / "商机.xlsx"
    pipeline_book(path, model, lang="zh")
    _, found = bid_findings(path, "zh")
    [bd02] = [f for f in found if f["code"] == "BD02"]
    assert bd02["sheet"] == "投标分析 – D-00001"
    assert bd02["column"] == "报价"
    assert bd02["message"] == "报价 735,000 CNY 超出客户预算 700,000，高出 35,000"
    assert bd02["message_en"] == (
        "The quoted price 735,000 CNY is above the customer budget 700,000 by 35,000"
    )


def test_only_open_deals_at_the_bidding_stage_or_later(tmp_path: Path) -> None:
    """Sample rows: D-00001 stage 4 open; D-00002 stage 3 (the SG02 row); D-00004 stage 2."""
    bad = {"quoted_price": 100.0, "criteria_favourable": False}
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(
        path,
        example(deal_id="D-00002", **bad),  # type: ignore[arg-type]
        example(deal_id="D-00004", cost_lines=(CostLine("services", "x", 1, None),), **bad),  # type: ignore[arg-type]
    )
    _, found = bid_findings(path)
    # only D-00001's withdraw hint from its own row (bidding, criteria marked no, no Bid sheet)
    assert [(f["code"], f["deal_id"], f["sheet"]) for f in found] == [("BD03", "D-00001", "Deals")]


def test_bd05_points_at_the_unreadable_cell_and_silences_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    layout = pipeline_book(path, example(deal_id="D-00001", quoted_price=1.0))[0]
    wb = load_workbook(path)
    wb[layout.sheet]["B9"] = "twenty-two"
    wb.save(path)
    _, found = bid_findings(path)
    [bd05] = found  # no model: BD01 cannot run, BD05 says why
    assert (bd05["code"], bd05["cell"], bd05["row"]) == ("BD05", "B9", 9)
    assert bd05["value"] == "twenty-two"
    assert bd05["deal_id"] == "D-00001"
    assert "target margin 'twenty-two' is not a number" in str(bd05["message_en"])


def test_ignore_column_silences_bd_findings(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(path, example(deal_id="D-00001", quoted_price=650_000.0))
    wb = load_workbook(path)
    ws = wb["Deals"]
    headers = [c.value for c in ws[1]]
    # BD06 too: the example bid says the criteria favour us, the sample row says no
    ws.cell(row=2, column=headers.index("ExcelFlow Ignore") + 1, value="BD01, BD04, BD06")
    wb.save(path)
    _, found = bid_findings(path)
    assert found == []


def test_json_report_with_bid_findings_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(path, example(deal_id="D-00001", quoted_price=650_000.0), example(deal_id="X"))
    rep = api.validate_file(path, as_of=AS_OF)
    assert rep.result is not None
    text = report.to_json([rep], rep.result.ruleset, as_of=AS_OF, lang="en")
    doc = json.loads(text)
    jsonschema.validate(doc, load_schema("report.schema.json"))
    findings = [f for file in doc["files"] for f in file["findings"] if f["code"][:2] == "BD"]
    assert {(f["code"], f["sheet"], f["row"]) for f in findings} >= {
        ("BD01", "Bid – D-00001", 13),
        ("BD05", "Bid – X", 5),
    }
    assert all(isinstance(f["row"], int) for f in findings)


def test_workbook_without_bid_sheets_has_no_bid_extras(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(path)
    rep = api.validate_file(path, as_of=AS_OF)
    assert rep.result is not None
    assert not rep.result.inputs.bids and not rep.result.inputs.bid_sheets
    bd = rep.result.findings[rep.result.findings["code"].str.startswith("BD")]
    # only the withdraw hint from D-00001's own row (criteria marked no at the bidding stage)
    assert list(zip(bd["code"], bd["deal_id"], bd["sheet"], strict=True)) == [
        ("BD03", "D-00001", "Deals")
    ]


@pytest.mark.parametrize("code", ["BD01", "BD02", "BD03", "BD04", "BD05"])
def test_registry_entries(code: str) -> None:
    rule = load_all()[code]
    assert rule.family == "BD"
    assert rule.description and "Bad row" in rule.doc and "Fix" in rule.doc
    assert rule.message.zh.strip() and rule.message.en.strip()
