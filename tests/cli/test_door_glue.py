"""What every door shares, once: the in-place writer, a mapping's defaults, the BD findings of
``excelflow bid`` through the engine, and the ``lang`` / ``as_of`` parsers."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cli.cli_helpers import AS_OF, run
from excelflow.cli import main
from excelflow.pipeline.arguments import parse_as_of, parse_lang

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_EN = REPO / "templates" / "pipeline_en.xlsx"


@pytest.fixture
def strict_umask() -> object:
    """A umask under which a file created anew would be 0600: only a writer that keeps the old
    file's mode leaves a shared workbook readable."""
    old = os.umask(0o077)
    yield
    os.umask(old)


@pytest.mark.parametrize(
    "argv",
    [
        ["annotate", "{book}", "--in-place", *AS_OF],
        ["bid", "{book}", "--deal", "D-1011", "--in-place", *AS_OF],
    ],
    ids=["annotate", "bid"],
)
@pytest.mark.usefixtures("strict_umask")
def test_in_place_keeps_a_shared_workbooks_mode_and_a_whole_backup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    book = tmp_path / "pipeline.xlsx"
    shutil.copyfile(TEMPLATE_EN, book)
    book.chmod(0o644)
    original = book.read_bytes()
    code, out, err = run(capsys, *(a.format(book=book) for a in argv))
    assert code == 0, err
    assert book.stat().st_mode & 0o777 == 0o644
    assert book.read_bytes() != original
    [saved] = tmp_path.glob("pipeline.*.bak.xlsx")
    assert saved.read_bytes() == original and str(saved) in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["pipeline.xlsx", saved.name])


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


def test_a_rule_sets_disabled_code_is_silent_in_excelflow_bid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(
        capsys, "bid", str(TEMPLATE_EN), "--deal", "D-1011", "-o", str(tmp_path / "a.xlsx"), *AS_OF
    )
    assert code == 0, err
    assert "to look at: BD04" in out  # the seeded cost lines have no unit costs yet
    doc = json.loads(run(capsys, "rules", "show", "--format", "json")[1])
    doc["disabled"] = ["BD04"]
    ruleset = tmp_path / "no-bd04.json"
    ruleset.write_text(json.dumps(doc), encoding="utf-8")
    argv = ["bid", str(TEMPLATE_EN), "--deal", "D-1011", "-o", str(tmp_path / "b.xlsx")]
    code, out, err = run(capsys, *argv, "--ruleset", str(ruleset), *AS_OF)
    assert code == 0, err
    assert "BD04" not in out and "to look at" not in out


def test_bid_codes_follow_the_stage_scope(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """BD01-BD04 wait for the bidding stage: a stage-2 deal's new sheet lists nothing to fix."""
    book = tmp_path / "early.csv"
    book.write_text("Deal ID,Stage,Status\nD-1,2,open\nD-2,4,open\n", encoding="utf-8")
    _, early, _ = run(capsys, "bid", str(book), "--deal", "D-1", "-o", str(tmp_path / "1.xlsx"))
    _, late, _ = run(capsys, "bid", str(book), "--deal", "D-2", "-o", str(tmp_path / "2.xlsx"))
    assert "to look at" not in early and "to look at: BD04" in late


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("zh", "zh"),
        ("EN", "en"),
        ("中文", "zh"),
        ("英文", "en"),
        ("Chinese", "zh"),
        ("english", "en"),
        ("zh-CN", "zh"),
        ("en-US", "en"),
        (" ", None),
        (None, None),
    ],
)
def test_one_lang_parser_for_every_door(text: str | None, lang: str | None) -> None:
    from excelflow.functions import checks
    from excelflow.xl import macros_annotate

    assert parse_lang(text) == lang
    assert checks.parse_lang(text) == lang  # the worksheet functions
    assert macros_annotate.parse_lang(text) == lang  # the ribbon scripts


def test_lang_parser_refusals_keep_each_doors_wording(capsys: pytest.CaptureFixture[str]) -> None:
    from excelflow.functions import checks
    from excelflow.xl import macros_annotate

    with pytest.raises(ValueError, match="unknown language"):
        parse_lang("fr")
    with pytest.raises(checks.CalcError, match="language 'fr': use zh or en"):
        checks.parse_lang("fr")
    with pytest.raises(macros_annotate.MacroError, match="Unknown language 'fr'"):
        macros_annotate.parse_lang("fr")
    with pytest.raises(SystemExit):
        main(["validate", "x.xlsx", "--lang", "fr"])
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_one_as_of_parser_for_every_door(capsys: pytest.CaptureFixture[str]) -> None:
    from excelflow.functions import checks
    from excelflow.pipeline.arguments import as_of_timestamp
    from excelflow.xl import macros_annotate

    day = pd.Timestamp("2027-03-01")
    for value in ("2027-03-01", "2027/3/1", "2027年3月1日", dt.date(2027, 3, 1), 46447):
        assert parse_as_of(value) == day
        assert checks.parse_as_of(value) == day
        assert macros_annotate.parse_date(value) == day.date()
    assert parse_as_of("2027-03-01T10:00:00Z") == day
    assert parse_as_of("") is None and as_of_timestamp(None) == pd.Timestamp.today().normalize()
    with pytest.raises(ValueError, match="not a date"):
        parse_as_of("tomorrow")
    with pytest.raises(checks.CalcError):
        checks.parse_as_of("tomorrow")
    with pytest.raises(macros_annotate.MacroError, match="is not a date"):
        macros_annotate.parse_date("tomorrow")
    with pytest.raises(SystemExit):
        main(["validate", "x.xlsx", "--as-of", "tomorrow"])
    assert "not a date (use YYYY-MM-DD): 'tomorrow'" in capsys.readouterr().err
