"""Sheets nobody wrote for ExcelFlow: the header report, ``mapping suggest`` and typed aliases.

The sheets are made here, the way people type them: a hand-typed Chinese pipeline and a
Salesforce-style export.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from openpyxl import Workbook

from excelflow import api
from excelflow.cli import main
from excelflow.engine.report import to_json, to_text
from excelflow.pipeline.mapping import load_mapping
from excelflow.pipeline.normalize import build_pipeline
from excelflow.pipeline.ruleset import load_ruleset

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 28)
CN_HEADER = ["编号", "客户", "负责销售", "阶段", "预计签约", "金额(万元)", "投标", "签约",
             "评估", "内线", "关键人", "采购标准", "合同审批", "备注"]  # fmt: skip
CN_ROWS = [
    ["X-1", "甲公司", "王", "投标阶段", "2027-03-01", 350, "", "", "✓", "✓", "✓", "✓", "", "老"],
    ["X-2", "乙公司", "李", "商务谈判", "2027-01-15", "120万", "✓", "", "✓", "✓", "✓", "✓", "", ""],
    ["X-3", "丙公司", "王", "赢单", "2026-06-01", 80, "✓", "✓", "✓", "✓", "✓", "✓", "✓", ""],
    ["X-4", "丁公司", "李", "丢单", "2026-05-01", 60, "", "", "✓", "", "", "", "", ""],
    ["X-5", "戊公司", "王", 2, "2027-05-01", 45.5, "", "", "✓", "", "", "", "", "新"],
]  # fmt: skip


def _cn_sheet(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "我的商机"
    ws.append(CN_HEADER)
    for row in CN_ROWS:
        ws.append(row)
    path = tmp_path / "手工商机.xlsx"
    wb.save(path)
    return path


def test_the_header_report_names_used_and_ignored_headers_with_suggestions(
    tmp_path: Path,
) -> None:
    path = _cn_sheet(tmp_path)
    rep = api.validate_file(path, as_of=AS_OF)
    assert rep.result is not None, rep.error
    uses = {h.header: h for h in rep.result.pipeline.headers}
    # typed short headers are known: 预计签约, 投标, 签约, 评估
    assert uses["预计签约"].fields == ("expected_close",)
    assert uses["投标"].fields == ("m:bid_submitted",)
    assert uses["签约"].fields == ("m:contract_signed",)
    assert (uses["负责销售"].fields, uses["负责销售"].suggestion) == ((), "owner")
    assert (uses["备注"].fields, uses["备注"].suggestion) == ((), None)
    assert (uses["金额(万元)"].fields, uses["金额(万元)"].unit) == (("amount",), "万元")
    zh = to_text([rep], limit=0)
    assert "未用列：负责销售（最接近：负责人），备注" in zh
    assert "预计签约 → 预计成交日期" in zh and "mapping suggest" in zh
    assert "金额(万元) → 金额 [单位 万元]" in zh
    en = to_text([rep], lang="en", limit=0)
    assert "Columns ignored: 负责销售 (closest: Owner), 备注" in en
    doc = json.loads(to_json([rep], load_ruleset(), as_of=AS_OF, lang=None))
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert doc["report_version"] == schema["version"] == "2"
    columns = {c["header"]: c for c in doc["files"][0]["columns"]}
    assert columns["负责销售"] == {
        "header": "负责销售",
        "column": "C",
        "fields": [],
        "field_headers": [],
        "suggestion": "owner",
        "suggestion_header": "负责人",
        "unit": None,
    }
    assert columns["编号"]["fields"] == ["deal_id"] and columns["编号"]["column"] == "A"
    assert (columns["金额(万元)"]["fields"], columns["金额(万元)"]["unit"]) == (["amount"], "万元")


def test_a_unit_in_the_header_scales_plain_numbers_and_flags_contradicting_cells(
    tmp_path: Path,
) -> None:
    path = _cn_sheet(tmp_path)
    rep = api.validate_file(path, as_of=AS_OF)
    assert rep.result is not None
    # 350 and 120万 in a 万元 column: 3.5 million and 1.2 million, not ¥350
    assert list(rep.result.deals["amount"]) == [3_500_000, 1_200_000, 800_000, 600_000, 455_000]
    assert rep.result.deals.loc[0, "weighted_amount"] > 0
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["ID", "Stage", "Amount (k)", "Value (USD)", "Probability (%)"])
    ws.append(["A", 2, 120, "$500", 60])
    ws.append(["B", 2, "120万", "¥500", "0.5"])
    ws.append(["C", 2, "1.5m", "1,000", "45%"])
    path = tmp_path / "units.xlsx"
    wb.save(path)
    rep = api.validate_file(path, as_of=AS_OF)
    assert rep.result is not None
    d = rep.result.deals
    assert list(d["amount"].fillna(-1)) == [120_000, -1, -1]  # 120万 and 1.5m contradict (k)
    assert list(d["probability"].round(4)) == [0.6, 0.005, 0.45]
    f = rep.result.findings
    dq04 = f[f["code"] == "DQ04"]
    assert list(dq04["cell"]) == ["C3", "C4"]  # D, a second amount column, is not read
    assert "an amount in k; the cell's own unit contradicts the header's" in dq04["message"].iloc[0]
    units = {h.header: h.unit for h in rep.result.pipeline.headers}
    assert units == {"ID": None, "Stage": None, "Amount (k)": "k", "Value (USD)": None,
                     "Probability (%)": "%"}  # fmt: skip
    rs = load_ruleset()
    usd = build_pipeline([["ID", "Stage", "Amount (USD)"], ["A", 1, "¥500"], ["B", 1, "1,000"]],
                         rs, source="usd.csv")  # fmt: skip
    assert list(usd.bad["amount"]) == [True, False] and usd.frame["amount"][1] == 1000


def test_mapping_suggest_then_validate_understands_every_stage_and_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _cn_sheet(tmp_path)
    out = tmp_path / "mapping.yaml"
    assert main(["mapping", "suggest", str(path), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert '"负责销售": "owner"  # check' in text and '# "备注": not recognised' in text
    assert '"阶段": ["stage", "status"]' in text  # 赢单/丢单 are outcomes in the stage column
    rs = load_ruleset()
    mapping = load_mapping(out, rs)
    rep = api.validate_file(path, rs, mapping=mapping, as_of=AS_OF)
    assert rep.result is not None, rep.error
    d = rep.result.deals
    assert list(d["status"]) == ["open", "open", "won", "lost", "open"]
    assert list(d["stage"].fillna(0)) == [4, 5, 0, 0, 2]
    f = rep.result.findings
    assert not f["code"].isin(["DQ03", "DQ04"]).any()
    assert rep.result.pipeline.columns["owner"].header == "负责销售"
    capsys.readouterr()
    assert main(["mapping", "suggest", str(path), "-o", str(tmp_path / "m.json")]) == 0
    load_mapping(tmp_path / "m.json", rs)  # the JSON form is a valid mapping too


def test_a_salesforce_style_export(tmp_path: Path) -> None:
    csv = tmp_path / "opportunities.csv"
    csv.write_text(
        "Opportunity Name,Account Name,Stage,Close Date,Amount,Probability (%),"
        "Opportunity Owner,Lead Source\n"
        'Cloud Migration,Hooli,Needs Analysis,2027-03-15,"120,000",20,Ann,Web\n'
        "Data Lake,Initech,Proposal/Price Quote,2027-04-01,80000,75,Bob,Partner\n"
        "Support,Acme,Closed Won,2026-01-01,5000,100,Ann,Web\n"
        "Pilot,Globex,Closed Lost,2026-02-01,7000,0,Bob,Web\n",
        encoding="utf-8",
    )
    rep = api.validate_file(csv, as_of=AS_OF)
    assert rep.result is not None
    uses = {h.header: h.fields for h in rep.result.pipeline.headers}
    assert uses["Opportunity Name"] == ("project",) and uses["Probability (%)"] == ("probability",)
    assert uses["Opportunity Owner"] == ("owner",) and uses["Lead Source"] == ()
    out = tmp_path / "sf.yaml"
    assert main(["mapping", "suggest", str(csv), "-o", str(out)]) == 0
    rs = load_ruleset()
    rep = api.validate_file(csv, rs, mapping=load_mapping(out, rs), as_of=AS_OF)
    assert rep.result is not None
    assert list(rep.result.deals["status"]) == ["open", "open", "won", "lost"]
    text = out.read_text(encoding="utf-8")
    # its stage values match the shipped Salesforce mapping: its values and settings are taken
    assert '"Needs Analysis": 2  # check: from the shipped mapping salesforce' in text
    assert 'deal_key: ["customer", "project"]' in text
    d = rep.result.deals
    assert list(d["stage"].fillna(0)) == [2, 4, 0, 0]
    assert not rep.result.findings["code"].isin(["DQ03", "DQ04"]).any()
    assert rep.result.pipeline.frame["deal_id"][0] == "Hooli - Cloud Migration"


def test_a_hubspot_style_export(tmp_path: Path) -> None:
    csv = tmp_path / "hubspot-deals.csv"
    csv.write_text(
        "Record ID,Deal Name,Company name,Deal owner,Deal Stage,Close Date,Amount,Pipeline,"
        "Deal Type,Create Date\n"
        "1,Website,Hooli,Ann,Appointment Scheduled,2027-03-15,1000,Sales Pipeline,new,2026-01-02\n"
        "2,Upgrade,Globex,Bob,Presentation Scheduled,2027-05-20,3000,Sales Pipeline,,2026-02-03\n"
        "3,Licences,Umbrella,Ann,Contract Sent,2027-06-30,4000,Sales Pipeline,,2026-03-04\n"
        "4,Support,Acme,Bob,Closed Won,2026-01-10,6000,Sales Pipeline,renewal,2025-05-06\n"
        "5,Pilot,Wayne,Ann,Closed Lost,2026-02-11,7000,Sales Pipeline,,2025-07-08\n",
        encoding="utf-8",
    )
    rep = api.validate_file(csv, as_of=AS_OF)
    assert rep.result is not None
    uses = {h.header: h for h in rep.result.pipeline.headers}
    ignored = {h.header: h.suggestion for h in uses.values() if not h.used}
    assert ignored == {"Pipeline": None, "Deal Type": "status", "Create Date": None}
    assert uses["Deal Name"].fields == ("project",) and uses["Deal owner"].fields == ("owner",)
    assert (rep.result.findings["code"] == "DQ03").sum() == 5  # HubSpot's own stage names
    text = to_text([rep], lang="en")
    assert "Columns ignored: Pipeline, Deal Type (closest: Status), Create Date" in text
    assert "try --mapping hubspot" in text
    out = tmp_path / "hubspot.yaml"
    assert main(["mapping", "suggest", str(csv), "-o", str(out)]) == 0
    # the stage column holds the outcomes, so it feeds the status: Deal Type is not guessed
    assert '"Deal Stage": ["stage", "status"]' in out.read_text(encoding="utf-8")
    rs = load_ruleset()
    rep = api.validate_file(csv, rs, mapping=load_mapping(out, rs), as_of=AS_OF)
    assert rep.result is not None
    d = rep.result.deals
    assert list(d["status"]) == ["open", "open", "open", "won", "lost"]
    assert list(d["stage"].fillna(0)) == [1, 3, 5, 0, 0]
    assert not rep.result.findings["code"].isin(["DQ03", "DQ04"]).any()


def test_rules_show_lists_every_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "show"]) == 0
    out = capsys.readouterr().out
    aliases = ("opportunity id", "account name", "close date", "win %", "close value",
               "投标", "签约", "验收", "结项", "Bid", "Signed", "预计签约", "签约时间")  # fmt: skip
    for alias in aliases:
        assert alias.casefold() in out.casefold(), alias


def test_a_folder_run_skips_files_without_a_pipeline_unless_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account,sector\nHooli,tech\n", encoding="utf-8")
    _cn_sheet(folder)
    args = ["validate", str(folder), "--as-of", "2026-11-28", "--fail-on", "never"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "– skipped (not a pipeline): " in out and "accounts.csv" in out
    assert "(0 could not be read, 1 skipped)" in out
    assert main([*args, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert [f["status"] for f in doc["files"]] == ["skipped", "ok"]
    assert (doc["summary"]["files_skipped"], doc["summary"]["files_failed"]) == (1, 0)
    assert main([*args, "--strict"]) == 2
    assert "✗" in capsys.readouterr().out
    # a file named on the command line is checked as asked: no pipeline table is an error
    assert main(["validate", str(folder / "accounts.csv"), "--fail-on", "never"]) == 2


def test_the_annotated_copy_shows_the_header_report(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = _cn_sheet(tmp_path)
    assert main(["annotate", str(path), "--as-of", "2026-11-28"]) in (0, 1)
    wb = load_workbook(tmp_path / "手工商机.checked.xlsx")
    dash = next(ws for ws in wb.worksheets if ws.title in ("看板", "Dashboard"))
    rows = [tuple(r) for r in dash.iter_rows(values_only=True)]
    title = next(i for i, r in enumerate(rows) if r[0] == "表头读取情况（列 → 字段）")
    block = {r[1]: r for r in rows[title + 2 : title + 2 + len(CN_HEADER)]}
    assert block["负责销售"][2:4] == ("（未读取）", "负责人")
    assert block["金额(万元)"][2:5] == ("金额", None, "万元")
    assert block["预计签约"][2] == "预计成交日期"
