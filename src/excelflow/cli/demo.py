"""``make demo``: run ExcelFlow end to end on the template and on generated samples.

Writes everything under ``--out`` (default ``out/``) and prints a readable summary. The demo
pretends today is 2026-11-28 (``DEMO_AS_OF``) so its output is the same on every machine and day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from excelflow import api
from excelflow.engine import report
from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.ruleset import Lang, load_ruleset
from excelflow.workbook.safe_write import atomic_write_text
from excelflow.workbook.sample import sample_deals, write_sample

DEMO_AS_OF = dt.date(2026, 11, 28)
REPO = Path(__file__).resolve().parents[2]


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

    from excelflow.workbook.annotate import annotate

    print("\nAnnotated copies (result columns, coloured rows, notes, Findings, Dashboard):")
    for source in inputs:
        target = out / f"{source.stem}.checked.xlsx"
        outcome = annotate(source, target, as_of=DEMO_AS_OF)
        counts = outcome.result.counts()
        print(
            f"  {target}  ({len(outcome.result.deals)} deals, {counts['error']} errors, "
            f"{counts['warning']} warnings, {counts['info']} info)"
        )

    from excelflow.cli.demo_bid import demo_bid

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
