"""validate on a 100k-deal workbook vs a plain python-calamine read of the same file.

Target (issue 2): validate <= 1.3x the bare read. Prints one line per measurement and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import python_calamine as pc
from common import RESULTS, best_of, pipeline_workbook

from excelflow import api
from excelflow.engine import report
from excelflow.pipeline.ruleset import load_ruleset


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark; returns the measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = pipeline_workbook(args.deals)
    ruleset = load_ruleset()
    as_of = dt.date(2026, 11, 28)

    def bare_read() -> None:
        book = pc.CalamineWorkbook.from_path(str(path))
        book.get_sheet_by_name(book.sheet_names[0]).to_python()
        book.close()

    def validate_text() -> None:  # what `excelflow validate FILE` does by default
        rep = api.validate_file(path, ruleset, as_of=as_of)
        assert rep.result is not None, rep.error
        report.to_text([rep])

    def validate_json() -> None:  # `--format json`: adds 100k deals_detail records
        rep = api.validate_file(path, ruleset, as_of=as_of)
        assert rep.result is not None, rep.error
        report.to_json([rep], ruleset, as_of=as_of, lang=None)

    # Interleave the runs so machine noise hits all three alike; keep each one's best.
    read_s = text_s = json_s = float("inf")
    for _ in range(args.repeat):
        read_s = min(read_s, best_of(bare_read, 1))
        text_s = min(text_s, best_of(validate_text, 1))
        json_s = min(json_s, best_of(validate_json, 1))
    print(
        f"bench_validate: {args.deals:,} deals, {path.stat().st_size / 1e6:.1f} MB, "
        f"best of {args.repeat}"
    )
    print(f"  calamine read (to_python)      {read_s:6.2f} s")
    print(
        f"  validate, text report          {text_s:6.2f} s   ratio {text_s / read_s:.2f}x "
        "(target <= 1.30x)"
    )
    print(f"  validate, JSON report          {json_s:6.2f} s   ratio {json_s / read_s:.2f}x")
    lines = [
        f"bench_validate: {args.deals:,} deals, best of {args.repeat}",
        f"calamine read {read_s:.2f} s; validate (text) {text_s:.2f} s = {text_s / read_s:.2f}x; "
        f"validate (json) {json_s:.2f} s = {json_s / read_s:.2f}x",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_validate.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"read_s": read_s, "text_s": text_s, "json_s": json_s, "ratio": text_s / read_s}


if __name__ == "__main__":
    main()
