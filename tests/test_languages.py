"""Chinese and English are both first-class: the same deals give the same findings in either."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from excelflow import api
from excelflow.pipeline.fields import SHEETS, all_fields
from excelflow.pipeline.ruleset import load_ruleset
from excelflow.workbook.sample import sample_deals, write_sample

AS_OF = dt.date(2026, 11, 28)


def _findings(path: Path) -> tuple[list[tuple[str, str | None, str | None]], str]:
    report = api.validate_file(path, as_of=AS_OF)
    assert report.result is not None, report.error
    f = report.result.findings
    return list(zip(f["code"], f["cell"], f["deal_id"], strict=True)), report.result.lang


def test_same_deals_with_zh_or_en_headers_give_the_same_findings(tmp_path: Path) -> None:
    headers_en, rows = sample_deals(80, lang="en", as_of=AS_OF)
    en_to_zh = {f.header.en: f.header.zh for f in all_fields(load_ruleset())}
    headers_zh = [en_to_zh[h] for h in headers_en]
    en = write_sample(tmp_path / "en.xlsx", headers_en, rows, sheet="Deals")
    zh = write_sample(tmp_path / "zh.xlsx", headers_zh, rows, sheet="商机")
    found_en, lang_en = _findings(en)
    found_zh, lang_zh = _findings(zh)
    assert (lang_en, lang_zh) == ("en", "zh")
    assert len(found_en) > 20
    assert found_en == found_zh


def test_a_chinese_team_and_an_english_team_with_the_same_pipeline(tmp_path: Path) -> None:
    """Values typed the local way too: 投标阶段 vs Bidding, 是 vs ✓, 进行中 vs open."""
    paths = {}
    for lang in ("zh", "en"):
        headers, rows = sample_deals(80, lang=lang, as_of=AS_OF)  # type: ignore[arg-type]
        paths[lang] = write_sample(
            tmp_path / f"{lang}.xlsx", headers, rows, sheet=SHEETS["deals"](lang)
        )  # type: ignore[arg-type]
    zh, _ = _findings(paths["zh"])
    en, _ = _findings(paths["en"])
    assert [(c, cell) for c, cell, _ in zh] == [(c, cell) for c, cell, _ in en]
    messages = {}
    for lang in ("zh", "en"):
        report = api.validate_file(paths[lang], as_of=AS_OF)
        assert report.result is not None
        messages[lang] = report.result.findings["message"].iloc[0]
    assert "强行推进" in messages["zh"] and "Forced advance" in messages["en"]


def test_csv_and_xlsx_of_the_same_deals_agree(tmp_path: Path) -> None:
    headers, rows = sample_deals(50, lang="zh", as_of=AS_OF)
    xlsx = write_sample(tmp_path / "p.xlsx", headers, rows, sheet="商机")
    csv = write_sample(tmp_path / "p.csv", headers, rows)
    assert [(c, cell) for c, cell, _ in _findings(xlsx)[0]] == [
        (c, cell) for c, cell, _ in _findings(csv)[0]
    ]
