"""What every door shares, once: a mapping's defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.cli_helpers import AS_OF, run

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_EN = REPO / "templates" / "pipeline_en.xlsx"


def _crm_export(tmp_path: Path) -> Path:
    """A CRM export without customer and probability columns."""
    path = tmp_path / "crm.csv"
    path.write_text(
        "opportunity_id,deal_stage,close_value,close_date\n"
        "O-1,Prospecting,1000,2027-01-15\n"
        "O-2,Engaging,2500,2027-02-01\n",
        encoding="utf-8",
    )
    return path


def _mapping(tmp_path: Path, defaults: dict[str, object] | None) -> Path:
    doc: dict[str, object] = {
        "columns": {"opportunity_id": "deal_id", "deal_stage": "stage", "close_value": "amount"},
        "values": {"stage": {"Prospecting": 1, "Engaging": 2}},
    }
    if defaults is not None:
        doc["defaults"] = defaults
    path = tmp_path / ("defaults.json" if defaults else "plain.json")
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_mapping_defaults_fill_a_missing_column_and_silence_its_dq07(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    crm = _crm_export(tmp_path)

    def report(mapping: Path) -> dict[str, object]:
        argv = ["validate", str(crm), "--mapping", str(mapping), *AS_OF, "--format", "json"]
        _, out, _ = run(capsys, *argv)
        [file] = json.loads(out)["files"]
        assert isinstance(file, dict)
        return file

    plain = report(_mapping(tmp_path, None))
    missing = [f["column"] for f in plain["findings"] if f["code"] == "DQ07"]  # type: ignore[attr-defined]
    assert "Customer" in missing

    filled = report(_mapping(tmp_path, {"customer": "Acme", "probability": "25%"}))
    findings = filled["findings"]
    assert isinstance(findings, list)
    assert "Customer" not in [f["column"] for f in findings if f["code"] == "DQ07"]
    assert not [f for f in findings if f["code"] == "DQ01" and f["column"] == "Customer"]
    detail = filled["deals_detail"]
    assert isinstance(detail, list)
    # the defaults fill their columns: every deal is stated at 25 %
    assert [d["probability"] for d in detail] == [0.25, 0.25]
