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
    # open deals have no close date or value by design (2,089 each): the mapping says they are
    # not required on open deals, so neither is a DQ01 finding
    assert (is_open & (raw["close_date"] == "")).sum() == 2089
    assert ("DQ01", "expected_close") not in by and ("DQ01", "amount") not in by
    # what remains: deals without an account (real), one DQ07 per absent column
    assert set(f["code"]) == {"DQ01", "DQ07"}, by
    # the export has no milestone columns: they are unknown, not missing (no SG01 at all)
    assert not (f["code"] == "SG01").any()
    dq07 = f[f["code"] == "DQ07"]
    assert len(dq07) == 10  # nine milestone parts and the evaluation factors, once each
    engaging = int((raw["deal_stage"] == "Engaging").sum())
    assert f"whether the {engaging} open deals past stage 1" in dq07["message"].iloc[0]
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


def test_absent_milestone_columns_leave_gates_unknown_and_probabilities_uncut(
    shared_data: Path,
) -> None:
    from excelflow.annotate.dashboard import dashboard

    csv = shared_data / "crm-sales-opportunities" / "sales_pipeline.csv"
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    rs = load_ruleset()
    report = api.validate_file(csv, rs, mapping=load_mapping(MAPPING, rs), as_of=AS_OF)
    assert report.result is not None
    d = report.result.deals
    engaging = (raw["deal_stage"] == "Engaging").to_numpy()
    assert (d.loc[engaging, "gate"] == "unknown").all()
    assert (d.loc[raw["deal_stage"] == "Prospecting", "gate"] == "pass").all()
    open_ = d["is_open"]
    assert (d.loc[open_, "adjusted_probability"] == d.loc[open_, "probability"]).all()
    assert (d.loc[engaging, "adjusted_probability"] == 0.2).all()  # the stage-2 default, uncut
    dash = dashboard(report.result, "en")
    rate = {k.key: k.value for k in dash.kpis}["forced_rate"]
    assert rate == 0.0  # only the Prospecting deals could be checked, and none is forced
    assert all(row[2] == 0 for row in dash.tables["by_owner"].rows)


def test_missing_milestone_column_missing_restores_the_forced_advances(shared_data: Path) -> None:
    import copy

    csv = shared_data / "crm-sales-opportunities" / "sales_pipeline.csv"
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    doc = copy.deepcopy(dict(load_ruleset().document))
    doc["forced_advance"]["missing_milestone_column"] = "missing"
    rs = load_ruleset(doc)
    report = api.validate_file(csv, rs, mapping=load_mapping(MAPPING, rs), as_of=AS_OF)
    assert report.result is not None
    f = report.result.findings
    assert (f["code"] == "SG01").sum() == (raw["deal_stage"] == "Engaging").sum()
    assert set(report.result.deals["gate"].dropna()) == {"pass", "forced"}
