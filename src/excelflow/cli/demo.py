"""``make demo``: run ExcelFlow end to end on the template and on generated samples.

Writes everything under ``--out`` (default ``out/``) and prints a readable summary. The demo
pretends today is 2026-11-28 (``DEMO_AS_OF``) so its output is the same on every machine and day.

The demo bid (:func:`demo_model`) is a priced stage-4 bid for the template's deal D-1011 (Keystone
Bank / 恒信银行), written by :func:`demo_bid` to ``out/pipeline.bid.xlsx`` (the template with a
filled-in Bid sheet): branch equipment refresh, three competitors (one with a P(beat) history,
two with a bid/cost ratio model), Gates model, budget 900 000 and a quote of 850 000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from excelflow import api
from excelflow.bid.competitors import Competitor
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.engine import report
from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.ruleset import Lang, Text, load_ruleset
from excelflow.workbook.safe_write import atomic_write_text
from excelflow.workbook.sample import sample_deals, write_sample

DEMO_AS_OF = dt.date(2026, 11, 28)
REPO = Path(__file__).resolve().parents[3]


DEMO_DEAL = "D-1011"

_LINES: tuple[tuple[CostCategory, Text, float, float, str | None], ...] = (
    (CostCategory.EQUIPMENT, Text("智能柜员机", "Teller machines"), 6, 52_000, "GRG"),
    (CostCategory.EQUIPMENT, Text("网点服务器", "Branch servers"), 3, 28_000, "Inspur"),
    (CostCategory.SOFTWARE, Text("终端管理软件", "Device management licence"), 1, 64_000, None),
    (CostCategory.ENGINEERING, Text("安装调试", "Installation and commissioning"), 12, 6_500, None),
    (CostCategory.SERVICES, Text("三年维保", "Three-year maintenance"), 3, 26_000, None),
    (CostCategory.LOGISTICS, Text("运输与保险", "Freight and insurance"), 1, 9_500, None),
    (CostCategory.FINANCING, Text("履约保函", "Performance bond"), 1, 6_000, None),
    (CostCategory.CONTINGENCY, Text("不可预见费", "Contingency"), 1, 18_000, None),
)


def demo_model(lang: Lang, customer: str | None = None, project: str | None = None) -> BidModel:
    """The demo bid for D-1011 with descriptions in ``lang``."""
    names = {
        "zh": ("竞争对手甲", "竞争对手乙", "竞争对手丙"),
        "en": ("Rival A", "Rival B", "Rival C"),
    }
    a, b, c = names[lang]
    return BidModel(
        deal_id=DEMO_DEAL,
        customer=customer or Text("恒信银行", "Keystone Bank")(lang),
        project=project or Text("网点设备更新", "Branch equipment refresh")(lang),
        cost_lines=tuple(
            CostLine(cat, text(lang), qty, unit, supplier)
            for cat, text, qty, unit, supplier in _LINES
        ),
        overhead_pct=0.06,
        target_margin=0.22,
        min_margin=0.08,
        budget=900_000.0,
        quoted_price=850_000.0,
        our_rank=2,
        criteria_favourable=True,
        competitors=(
            Competitor(
                a,
                rank=1,
                p_beat=((0.05, 0.85), (0.10, 0.65), (0.15, 0.45), (0.25, 0.20)),
            ),
            Competitor(b, rank=3, ratio_mean=1.18, ratio_sd=0.08),
            Competitor(c, expected_price=880_000.0, ratio_mean=1.25, ratio_sd=0.12),
        ),
        win_model="gates",
        withdraw_threshold=10_000.0,
    )


def demo_bid(template: Path, out: Path, lang: Lang, as_of: dt.date) -> api.BidOutcome:
    """Write the template plus the demo Bid sheet to ``out`` (the template is not changed).

    Raises:
        excelflow.api.BidInputError: the template has no deal D-1011.
        excelflow.pipeline.read.ReadError: the template cannot be read.
    """
    return api.write_bid(
        template, DEMO_DEAL, None, out, lang=lang, as_of=as_of, model=demo_model(lang)
    )


def _template(lang: str) -> Path | None:
    name = "pipeline.xlsx" if lang == "zh" else "pipeline_en.xlsx"
    path = REPO / "templates" / name
    return path if path.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns 0 when every step worked."""
    parser = argparse.ArgumentParser(prog="python -m excelflow.cli.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument("--deals", type=int, default=200, help="deals in the generated samples")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    ruleset = load_ruleset()

    inputs: list[Path] = [p for p in (_template("zh"), _template("en")) if p is not None]
    for lang in ("en", "zh"):
        headers, rows = sample_deals(args.deals, lang=lang, as_of=DEMO_AS_OF)
        name = "sample.xlsx" if lang == "en" else "sample_zh.xlsx"
        inputs.append(write_sample(out / name, headers, rows, sheet=SHEETS["deals"](lang)))

    print(f"ExcelFlow demo — checking {len(inputs)} workbooks as of {DEMO_AS_OF} → {out}/\n")
    reports = api.validate_paths(inputs, as_of=DEMO_AS_OF)
    sys.stdout.write(report.to_text(reports, limit=12))
    atomic_write_text(
        out / "report.json", report.to_json(reports, ruleset, as_of=DEMO_AS_OF, lang=None)
    )
    print(f"\nFull JSON report: {out / 'report.json'}")
    failed = [r for r in reports if not r.ok]

    print("\nAnnotated copies (result columns, coloured rows, notes, Findings, Dashboard):")
    for source in inputs:
        target = out / f"{source.stem}.checked.xlsx"
        outcome = api.annotate(source, target, as_of=DEMO_AS_OF)
        counts = outcome.result.counts()
        print(
            f"  {target}  ({len(outcome.result.deals)} deals, {counts['error']} errors, "
            f"{counts['warning']} warnings, {counts['info']} info)"
        )

    print("\nBid analysis for the template's example deal D-1011 (live formulas, P(win) chart):")
    langs: tuple[Lang, ...] = ("zh", "en")
    for lang in langs:
        template = _template(lang)
        if template is None:
            continue
        target = out / f"{template.stem}.bid.xlsx"
        made = demo_bid(template, target, lang, DEMO_AS_OF)
        print(f"  {target}  (sheet {made.sheet!r})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
