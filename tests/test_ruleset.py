"""Rule sets: the built-in standard, custom files (JSON/YAML), overrides, and precise errors."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from excelflow import api
from excelflow.pipeline.resources import builtin_rulesets, load_schema
from excelflow.pipeline.ruleset import RuleSetError, describe, load_ruleset, ruleset_from_document
from excelflow.workbook.sample import sample_deals, write_sample

AS_OF = dt.date(2026, 11, 28)


def standard_doc() -> dict[str, Any]:
    return copy.deepcopy(dict(load_ruleset().document))


def test_standard_rule_set_is_the_article() -> None:
    rs = load_ruleset()
    assert builtin_rulesets() == ["standard"]
    assert [s.name.zh for s in rs.stages] == [
        "开发阶段",
        "销售进入阶段",
        "提案阶段",
        "投标阶段",
        "商务谈判阶段",
        "工程实施阶段",
    ]
    assert [len(s.milestones) for s in rs.stages] == [1, 2, 1, 1, 2, 2]
    assert [(g.grade, g.max_days, g.min_probability) for g in rs.grades] == [
        ("A", 90, 0.6),
        ("B", 180, 0.4),
        ("C", 365, 0.2),
        ("D", None, None),
    ]
    assert [g.action.zh for g in rs.grades] == [
        "全力以赴，进入销售流程",
        "控制投入时间，客户维护",
        "关注变化，客户维护",
        "最后考虑，客户维护",
    ]
    assert len(rs.factors) == 9 and rs.penalty_factor == 0.5 and rs.late_entry_stage == 3
    knockouts = {f.key for f in rs.factors if f.knockout_at_or_below is not None}
    assert knockouts == {"funding", "project_level", "technical_fit"}
    assert rs.recommendation.zh == "放弃或降低接触级别"
    assert "投标阶段" in describe(rs, "zh") and "Bidding" in describe(rs, "en")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["stages"][2]["milestones"][0].pop("column"),
            "stages[2].milestones[0].column: required",
        ),
        (
            lambda d: d["stages"].__setitem__(1, {**d["stages"][1], "number": 5}),
            "stages[1].number: expected 2",
        ),
        (
            lambda d: d["stages"][3]["milestones"][0]["column"].__setitem__("en", "Coach"),
            "duplicate column 'Coach'",
        ),
        (
            lambda d: d["grades"][-1].__setitem__("max_days", 10),
            "grades[3]: the last band is the catch-all",
        ),
        (
            lambda d: d["evaluation"]["factors"][0].__setitem__("weight", "heavy"),
            "evaluation.factors[0].weight: 'heavy' is not of type 'number'",
        ),
        (
            lambda d: d["forced_advance"].__setitem__("penalty_factor", 2),
            "forced_advance.penalty_factor: 2 is greater than the maximum of 1",
        ),
        (
            lambda d: d.__setitem__("severities", {"SG01": "fatal"}),
            "severities.SG01: 'fatal' is not one of",
        ),
        (
            lambda d: d["evaluation"]["scale"].__setitem__("max", 0),
            "evaluation.scale.max: must be greater than",
        ),
        (
            lambda d: d.__setitem__("closing", {"contract": ["contract_signed", "signed"]}),
            "closing.contract[1]: 'signed' is not a milestone key",
        ),
        (
            lambda d: d["stages"][0]["milestones"][0].__setitem__("proof", ["crm notes"]),
            "stages[0].milestones[0].proof[0]: 'crm notes' is not one of",
        ),
    ],
)
def test_invalid_rule_sets_name_the_path(mutate: Any, message: str) -> None:
    doc = standard_doc()
    mutate(doc)
    with pytest.raises(RuleSetError) as err:
        ruleset_from_document(doc, "custom.json")
    assert any(message in e for e in err.value.errors), err.value.errors
    assert str(err.value).startswith("custom.json: invalid rule set")


def test_a_yaml_rule_set_with_four_stages_drives_the_engine(tmp_path: Path) -> None:
    doc = standard_doc()
    doc["name"] = "short"
    doc["stages"] = doc["stages"][:4]
    doc["late_entry"] = {"from_stage": 2}
    doc["forced_advance"] = {"penalty_factor": 0.8, "penalty_per": "part"}
    doc["severities"] = {"SG01": "error"}
    doc["disabled"] = ["GR01"]
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    rs = load_ruleset(path)
    assert (len(rs.stages), rs.source) == (4, str(path))
    headers = [
        "Deal ID",
        "Customer",
        "Stage",
        "Expected close",
        "Amount",
        "Probability",
        "Coach",
        "Key persons",
        "Customer grade",
    ]
    rows = [
        ["D1", "Acme", "Negotiation", AS_OF + dt.timedelta(days=30), 1000, 0.5, None, None, "A"],
        ["D2", "Beta", "Bidding", AS_OF + dt.timedelta(days=30), 1000, 0.5, None, None, "A"],
    ]
    wb = write_sample(tmp_path / "p.xlsx", headers, rows)
    result = api.validate_file(wb, rs, as_of=AS_OF).result
    assert result is not None
    f = result.findings
    assert f.loc[f["cell"] == "C2", "code"].tolist() == ["DQ03"]  # stage 5 no longer exists
    sg01 = f[f["code"] == "SG01"]
    assert set(sg01["severity"]) == {"error"} and set(sg01["cell"]) == {"G3", "H3"}
    assert "GR01" not in set(f["code"])
    # two parts missing (coach, key persons); the absent stage 1 and 3 milestone columns are
    # unknown, not missing: no finding and no penalty for them
    assert result.deals["adjusted_probability"][1] == pytest.approx(0.5 * 0.8**2)
    assert list(result.deals["gate"].fillna("-")) == ["-", "forced"]


def test_penalty_per_milestone_counts_a_stage_once() -> None:
    headers, rows = sample_deals(1, as_of=AS_OF, violations=False)
    col = {h: i for i, h in enumerate(headers)}
    row = rows[0]
    row[col["Stage"]] = 3
    row[col["Probability"]] = 0.4
    row[col["Coach"]] = None
    row[col["Key persons"]] = None
    for key in ("Evaluated & graded",):
        row[col[key]] = "✓"
    from excelflow.engine import run
    from excelflow.pipeline.normalize import build_pipeline

    rs = load_ruleset()
    result = run(build_pipeline([headers, row], rs, source="x"), rs, as_of=AS_OF)
    assert result.deals["missing_parts"][0] == 2 and result.deals["missing_milestones"][0] == 1
    assert result.deals["adjusted_probability"][0] == pytest.approx(0.2)
    assert result.deals["gate"][0] == "forced"


def test_the_schemas_are_valid_json_schema() -> None:
    import jsonschema

    for name in (
        "ruleset.schema.json",
        "mapping.schema.json",
        "report.schema.json",
        "bid.schema.json",
    ):
        jsonschema.Draft202012Validator.check_schema(load_schema(name))
    jsonschema.Draft202012Validator(load_schema("ruleset.schema.json")).validate(standard_doc())


def test_the_wheel_ships_the_schemas(tmp_path: Path) -> None:
    import zipfile

    pytest.importorskip("hatchling")
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(repo),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("excelflow_sales-*.whl")  # the distribution's name (PEP 427 form)
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in ("ruleset", "mapping", "report", "bid"):
        assert f"excelflow/schemas/{schema}.schema.json" in names
    assert "excelflow/pipeline/rulesets/standard.json" in names and "excelflow/py.typed" in names
    json.loads(zipfile.ZipFile(wheel).read("excelflow/schemas/report.schema.json"))
    project = "excelflow/server/project/"  # the add-in's xlwings Server project, for `serve`
    for part in (
        "custom_functions/__init__.py",
        "custom_scripts/__init__.py",
        "auth/excelflow.py",
        "templates/manifest.xml",
        "static/js/ribbon.js",
        "static/images/icons/excelflow-80.png",
        "pyproject.toml",
    ):
        assert project + part in names, part
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/certs/" in n]


def test_a_milestone_dated_after_as_of_is_a_plan_with_its_penalty() -> None:
    """Issue 12: a bid "submitted" on 2027-03-01, checked on 2027-01-15, is a plan: SG01 on the
    cell, the probability is cut, the grade and the weighted amount follow; checked after that
    date it is done."""
    from excelflow.engine import run
    from excelflow.pipeline.normalize import build_pipeline

    headers, rows = sample_deals(1, as_of=dt.date(2027, 1, 15), violations=False)
    col = {h: i for i, h in enumerate(headers)}
    row = rows[0]
    for key in ("Evaluated & graded", "Coach", "Key persons", "Purchasing criteria"):
        row[col[key]] = "✓"
    row[col["Stage"]] = 5
    row[col["Probability"]] = 0.8
    row[col["Amount"]] = 200_000
    row[col["Expected close"]] = dt.date(2027, 2, 15)
    row[col["Bid submitted"]] = "2027-03-01"
    row[col["Bid date"]] = None
    rs = load_ruleset()
    pipeline = build_pipeline([headers, row], rs, source="x")
    early = run(pipeline, rs, as_of="2027-01-15")
    sg01 = early.findings[early.findings["code"] == "SG01"]
    assert list(sg01["field"]) == ["m:bid_submitted"]
    assert "planned for 2027-03-01, not yet done" in sg01["message_en"].iloc[0]
    deal = early.deals.iloc[0]
    assert deal["adjusted_probability"] == pytest.approx(0.4)
    assert deal["weighted_amount"] == pytest.approx(80_000)
    assert deal["grade"] == "B" and deal["gate"] == "forced"
    late = run(pipeline, rs, as_of="2027-03-02")
    assert "SG01" not in set(late.findings["code"])
    assert late.deals["adjusted_probability"][0] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("fail_action", "want"),
    [
        (None, "evaluation failed: lower the contact level"),
        (True, "evaluation failed: lower the contact level"),
        (
            {"zh": "评估未通过：暂停投入", "en": "evaluation failed: pause"},
            "evaluation failed: pause",
        ),
        (False, "All-out: run the full sales process"),
    ],
)
def test_a_failed_evaluation_caps_the_action_not_the_grade(fail_action: Any, want: str) -> None:
    """Issue 12: a deal that fails the evaluation (EV01/EV02) is not told "all-out" at the same
    time; its grade stays what the bands say, its action follows the evaluation."""
    from excelflow.engine import run
    from excelflow.pipeline.normalize import build_pipeline

    doc = copy.deepcopy(dict(load_ruleset().document))
    if fail_action is not None:
        doc["evaluation"]["fail_action"] = fail_action
    rs = ruleset_from_document(doc, "test")
    headers, rows = sample_deals(3, as_of=AS_OF, violations=False)
    col = {h: i for i, h in enumerate(headers)}
    for row in rows:
        row[col["Status"]] = "open"
        row[col["Stage"]] = 1
        row[col["Probability"]] = 0.8
        row[col["Expected close"]] = AS_OF + dt.timedelta(days=30)
        for h in headers:
            if h.startswith("Eval: "):
                row[col[h]] = 4
    for h in headers:
        if h.startswith("Eval: "):
            rows[0][col[h]] = 2  # fails the pass mark
    rows[1][col["Eval: funding"]] = 1  # knocked out
    result = run(build_pipeline([headers, *rows], rs, source="x"), rs, as_of=AS_OF)
    deals = result.deals
    assert list(deals["grade"]) == ["A", "A", "A"]
    assert list(deals["evaluation"]) == ["fail", "knockout", "pass"]
    assert list(deals["action_en"]) == [want, want, "All-out: run the full sales process"]
    if isinstance(fail_action, dict):
        assert deals["action_zh"][0] == fail_action["zh"]


def test_proof_and_closing_keys_are_read() -> None:
    from excelflow.rules.closing import closing_milestones, contract_milestones

    rs = load_ruleset()
    assert rs.stage(1).milestones[0].proof == ("evaluation factors", "grade")
    # no closing keys: the last stage finishes the work, the one before signs the contract
    assert (rs.closing_finished, rs.closing_contract) == ((), ())
    last, done = closing_milestones(rs)
    sign, contract = contract_milestones(rs)
    assert (last.number, [m.key for m in done]) == (6, ["acceptance", "project_closed"])
    assert (sign.number, [m.key for m in contract]) == (5, ["contract_approved", "contract_signed"])
    doc = standard_doc()
    doc["closing"] = {"finished": ["contract_signed"], "contract": ["bid_submitted"]}
    doc["stages"][0]["milestones"][0]["proof"] = ["evaluation factors"]
    custom = ruleset_from_document(doc, "custom.json")
    assert custom.stage(1).milestones[0].proof == ("evaluation factors",)
    assert [s.number for s, _ in (closing_milestones(custom), contract_milestones(custom))] == [
        5,
        4,
    ]


def test_the_recorded_digest_of_the_builtin_rule_set_is_current_and_schema_valid() -> None:
    """The built-in set skips jsonschema at load time only because its digest is recorded here
    after the files passed the schema: this test is that check. A stale digest (standard.json or
    the schema edited) fails with the new value to record — after this very validation."""
    import jsonschema

    from excelflow.pipeline import resources
    from excelflow.pipeline import ruleset as rs_module

    doc = json.loads(resources.ruleset_path("standard").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema("ruleset.schema.json")).validate(doc)
    assert rs_module.schema_errors(doc, "ruleset.schema.json") == []
    digest = rs_module.builtin_digest("standard")
    assert {"standard": digest} == rs_module.VALIDATED_BUILTINS, (
        f"record the new digest in VALIDATED_BUILTINS: {digest}"
    )


def test_an_edited_builtin_rule_set_is_validated_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A built-in file whose digest differs from the recorded one goes through the schema."""
    from excelflow.pipeline import resources
    from excelflow.pipeline import ruleset as rs_module

    doc = json.loads(resources.ruleset_path("standard").read_text(encoding="utf-8"))
    doc["grades"][0]["grade"] = "a"  # the schema wants one capital letter
    (tmp_path / "standard.json").write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(resources, "_RULESETS_DIR", tmp_path)
    rs_module._builtin.cache_clear()
    try:
        with pytest.raises(RuleSetError) as err:
            load_ruleset()
        assert "grades[0].grade" in str(err.value)
    finally:
        monkeypatch.undo()
        rs_module._builtin.cache_clear()
    assert load_ruleset().grades[0].grade == "A"
