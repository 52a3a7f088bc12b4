"""The shipped CRM mappings (examples/mappings/) on exports shaped like each CRM's own.

Each export is made here with the CRM's headers and stage vocabulary; with its mapping every
deal's stage and status must be understood, closed deals must not count as open, US dates must
read as dates, and a deal without an ID column must still have a name.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from excelflow import api
from excelflow.pipeline.mapping import load_mapping
from excelflow.pipeline.ruleset import load_ruleset

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "examples" / "mappings"
AS_OF = dt.date(2026, 11, 28)

EXPORTS = {
    "salesforce": (
        "Opportunity Name,Account Name,Opportunity Owner,Stage,Close Date,Amount,Probability (%)\n"
        'Cloud Migration,Hooli,Ann,Needs Analysis,3/15/2027,"120,000",20\n'
        "Data Lake,Initech,Bob,Value Proposition,4/1/2027,80000,50\n"
        "CRM Rollout,Globex,Ann,Id. Decision Makers,5/20/2027,45000,60\n"
        "Audit,Umbrella,Bob,Perception Analysis,6/30/2027,30000,70\n"
        "Network,Stark,Ann,Proposal/Price Quote,2/1/2027,90000,75\n"
        "Renewal,Wayne,Bob,Negotiation/Review,1/15/2027,60000,90\n"
        "Support,Acme,Ann,Closed Won,1/10/2026,5000,100\n"
        "Pilot,Initech,Bob,Closed Lost,2/11/2026,7000,0\n"
        "Scouting,Hooli,Ann,Prospecting,12/31/2027,1000,10\n",
        [2, 3, 2, 3, 4, 5, None, None, 1],
        ["open"] * 6 + ["won", "lost", "open"],
    ),
    "hubspot": (
        "Record ID,Deal Name,Associated Company,Deal owner,Deal Stage,Close Date,Amount\n"
        "101,Website,Hooli,Ann,appointmentscheduled,03/15/2027,1000\n"
        "102,Migration,Initech,Bob,Qualified To Buy,04/01/2027,\n"
        "103,Upgrade,Globex,Ann,presentationscheduled,05/20/2027,3000\n"
        "104,Licences,Umbrella,Bob,Decision Maker Bought-In,06/30/2027,4000\n"
        "105,Renewal,Stark,Ann,contractsent,02/01/2027,5000\n"
        "106,Support,Acme,Bob,closedwon,01/10/2026,6000\n"
        "107,Pilot,Wayne,Ann,Closed Lost,02/11/2026,7000\n",
        [1, 2, 3, 4, 5, None, None],
        ["open"] * 5 + ["won", "lost"],
    ),
    "pipedrive": (
        "Deal - ID,Deal - Title,Deal - Organization,Deal - Owner,Deal - Stage,Deal - Status,"
        "Deal - Expected close date,Deal - Value\n"
        "1,Website,Hooli,Ann,Qualified,open,2027-03-15,1000\n"
        "2,Migration,Initech,Bob,Contact Made,open,,2000\n"
        "3,Upgrade,Globex,Ann,Demo Scheduled,open,2027-05-20,3000\n"
        "4,Licences,Umbrella,Bob,Proposal Made,won,2026-06-30,4000\n"
        "5,Renewal,Stark,Ann,Negotiations Started,lost,2026-02-01,5000\n"
        "6,Pilot,Wayne,Bob,Qualified,deleted,2026-02-11,7000\n",
        [1, 2, 3, 4, 5, 1],
        ["open", "open", "open", "won", "lost", "withdrawn"],
    ),
    "dynamics365": (
        "Topic,Potential Customer,Owner,Pipeline Phase,Status,Status Reason,Est. Close Date,"
        "Est. Revenue,Probability\n"
        "Website,Hooli,Ann,1-Qualify,Open,In Progress,2027-03-15,1000,10\n"
        "Migration,Initech,Bob,2-Develop,Open,In Progress,2027-04-01,2000,30\n"
        "Upgrade,Globex,Ann,3-Propose,Open,On Hold,2027-05-20,3000,50\n"
        "Licences,Umbrella,Bob,4-Close,Won,Won,2026-06-30,4000,100\n"
        "Pilot,Wayne,Ann,3-Propose,Lost,Out-Sold,2026-02-11,7000,0\n",
        [1, 2, 3, 5, 3],
        ["open", "open", "open", "won", "lost"],
    ),
}


@pytest.mark.parametrize("crm", sorted(EXPORTS))
def test_a_shipped_mapping_understands_its_crms_export(tmp_path: Path, crm: str) -> None:
    text, stages, statuses = EXPORTS[crm]
    path = tmp_path / f"{crm}.csv"
    path.write_text(text, encoding="utf-8")
    rs = load_ruleset()
    report = api.validate_file(
        path, rs, mapping=load_mapping(MAPPINGS / f"{crm}.json", rs), as_of=AS_OF
    )
    assert report.result is not None, report.error
    d = report.result.deals
    f = report.result.findings
    assert not f["code"].isin(["DQ03", "DQ04"]).any(), f[["code", "cell", "message"]]
    assert list(d["status"]) == statuses
    assert [None if pd.isna(s) else int(s) for s in d["stage"]] == stages
    assert not d.loc[d["status"] != "open", "is_open"].any()
    lost = d["status"].isin(["lost", "withdrawn"])
    assert (d.loc[lost, "weighted_amount"].fillna(0) == 0).all()  # closed deals weigh nothing
    assert d.loc[~d["is_open"], "grade"].isna().all()  # and are not graded
    assert d["deal_id"].notna().all()
    assert not (f["code"] == "DQ01").any(), f[["code", "cell", "message"]]
    close = report.result.pipeline.frame["expected_close"]
    header = report.result.pipeline.columns["expected_close"].header
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert close.notna().sum() == (raw[header] != "").sum()  # every date read (US ones too)


def test_salesforce_without_an_id_names_deals_by_account_and_opportunity(tmp_path: Path) -> None:
    path = tmp_path / "sf.csv"
    path.write_text(EXPORTS["salesforce"][0], encoding="utf-8")
    rs = load_ruleset()
    mapping = load_mapping(MAPPINGS / "salesforce.json", rs)
    report = api.validate_file(path, rs, mapping=mapping, as_of=AS_OF)
    assert report.result is not None
    frame = report.result.pipeline.frame
    assert frame["deal_id"][0] == "Hooli - Cloud Migration"
    assert frame["expected_close"][0] == pd.Timestamp("2027-03-15")  # 3/15/2027, month first
    assert frame["probability"][0] == pytest.approx(0.2)
    from excelflow.bid.seed import find_deal

    assert find_deal(report.result.pipeline, "Hooli - Cloud Migration") == 0


def test_without_a_mapping_the_report_names_the_shipped_mapping_that_fits(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from excelflow.cli import main

    csv = str(shared_data / "crm-sales-opportunities" / "sales_pipeline.csv")
    main(["validate", csv, "--as-of", "2026-11-28", "--limit", "1"])
    assert "try --mapping maven-crm" in capsys.readouterr().out
    main(["validate", csv, "--as-of", "2026-11-28", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["files"][0]["mapping_hint"] == "maven-crm"
    # a shipped mapping is named by its name; with it, no hint
    main(["validate", csv, "--as-of", "2026-11-28", "--mapping", "maven-crm", "--limit", "1"])
    out = capsys.readouterr().out
    assert "try --mapping" not in out and "By code: DQ01 1,425 · DQ07 10" in out


def test_mapping_suggest_on_the_real_crm_export(shared_data: Path, tmp_path: Path) -> None:
    from excelflow.cli import main

    csv = shared_data / "crm-sales-opportunities" / "sales_pipeline.csv"
    out = tmp_path / "maven.yaml"
    assert main(["mapping", "suggest", str(csv), "-o", str(out)]) == 0
    assert "from the shipped mapping maven-crm" in out.read_text(encoding="utf-8")
    rs = load_ruleset()
    report = api.validate_file(csv, rs, mapping=load_mapping(out, rs), as_of=AS_OF)
    assert report.result is not None
    f = report.result.findings
    assert set(f["code"]) == {"DQ01", "DQ07"}  # every stage and status understood, no SG01
    assert set(f.loc[f["code"] == "DQ01", "field"]) == {"customer"}  # 1,425 deals, no account
    assert report.result.pipeline.columns["project"].header == "product"


def test_the_recorded_digests_are_of_shipped_mappings_that_pass_the_schema() -> None:
    """Every shipped mapping passes the JSON schema (checked here with jsonschema itself), and
    VALIDATED_SHIPPED records the digest of exactly these files: a shipped mapping is loaded
    without jsonschema only while it is the file that passed."""
    import json

    import jsonschema

    from excelflow.pipeline import mapping as mapping_module
    from excelflow.pipeline.resources import load_schema, shipped_mappings

    shipped = shipped_mappings()
    assert sorted(shipped) == sorted(p.stem for p in MAPPINGS.glob("*.json"))
    schema = jsonschema.Draft202012Validator(load_schema("mapping.schema.json"))
    for path in shipped.values():
        schema.validate(json.loads(path.read_text(encoding="utf-8")))
    digests = {name: mapping_module.shipped_digest(path) for name, path in shipped.items()}
    assert digests == mapping_module.VALIDATED_SHIPPED, (
        f"record the new digests in VALIDATED_SHIPPED: {digests}"
    )


def test_an_edited_shipped_mapping_is_validated_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shipped file whose digest differs from the recorded one goes through the schema; an
    unchanged one loads to the same mapping with or without the schema check."""
    import json

    from excelflow.pipeline import mapping as mapping_module
    from excelflow.pipeline.mapping import MappingError, load_shipped

    rs = load_ruleset()
    for name in ("salesforce", "hubspot"):
        assert load_shipped(name, rs) == load_mapping(MAPPINGS / f"{name}.json", rs)
    doc = json.loads((MAPPINGS / "salesforce.json").read_text(encoding="utf-8"))
    doc["surprise"] = 1  # the schema allows no unknown key
    edited = tmp_path / "salesforce.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(mapping_module, "shipped_mappings", lambda: {"salesforce": edited})
    with pytest.raises(MappingError, match="surprise: unknown key"):
        load_shipped("salesforce", rs)
