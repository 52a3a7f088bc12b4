"""A real CRM export nobody here wrote (Maven Analytics' 8,800 deals), read through a mapping file.

The expected counts are computed independently from the raw CSV with pandas, and the same export
saved by Excel (.xlsx) must give exactly the same findings as the CSV.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from excelflow import api
from excelflow.pipeline.mapping import load_mapping
from excelflow.pipeline.ruleset import load_ruleset

REPO = Path(__file__).resolve().parents[1]
MAPPING = REPO / "examples" / "mappings" / "maven-crm.json"
AS_OF = dt.date(2026, 11, 28)


def _validate(path: Path) -> pd.DataFrame:
    rs = load_ruleset()
    report = api.validate_file(path, rs, mapping=load_mapping(MAPPING, rs), as_of=AS_OF)
    assert report.result is not None, report.error
    assert len(report.result.deals) == 8800
    return report.result.findings


def test_crm_csv_findings_match_an_independent_count(shared_data: Path) -> None:
    csv = shared_data / "crm-sales-opportunities" / "sales_pipeline.csv"
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    is_open = raw["deal_stage"].isin(["Prospecting", "Engaging"])
    f = _validate(csv)
    by = f.groupby(["code", "field"], dropna=False).size()
    assert by[("DQ01", "customer")] == (raw["account"] == "").sum()
    assert by[("DQ01", "expected_close")] == (is_open & (raw["close_date"] == "")).sum()
    assert by[("DQ01", "amount")] == (is_open & (raw["close_value"] == "")).sum()
    # every Engaging deal is at stage 2 without the stage-1 milestone column: one forced advance
    assert (f["code"] == "SG01").sum() == (raw["deal_stage"] == "Engaging").sum()
    assert set(f.loc[f["code"] == "SG01", "field"]) == {"m:evaluated"}
    assert not (f["code"].isin(["DQ03", "DQ04", "DQ06"])).any()  # the mapping covers every value
    assert (f["code"] == "DQ02").sum() == raw["opportunity_id"].duplicated().sum()
    # cells point at the CSV's own columns: account is column D
    first = f[(f["code"] == "DQ01") & (f["field"] == "customer")].iloc[0]
    row = int(raw.index[raw["account"] == ""][0]) + 2
    assert (first["cell"], first["deal_id"]) == (f"D{row}", raw["opportunity_id"][row - 2])


def test_the_excel_saved_export_gives_the_same_findings_as_the_csv(shared_data: Path) -> None:
    csv = _validate(shared_data / "crm-sales-opportunities" / "sales_pipeline.csv")
    xlsx = _validate(shared_data / "real-workbooks" / "sales_pipeline.xlsx")
    columns = ["code", "cell", "deal_id", "severity"]
    assert csv[columns].equals(xlsx[columns])
    assert set(xlsx["sheet"].dropna()) == {"sales_pipeline"} and csv["sheet"].isna().all()


def test_without_the_mapping_foreign_stage_values_are_flagged(shared_data: Path) -> None:
    report = api.validate_file(shared_data / "crm-sales-opportunities" / "sales_pipeline.csv")
    assert report.result is not None  # deal_stage is recognized as a Stage column by its alias
    assert (report.result.findings["code"] == "DQ03").sum() > 6000  # Won/Lost are not stages
