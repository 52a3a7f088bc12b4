"""``make bench``: run every benchmark, print the results and write them to ``out/bench/``.

``make bench-record`` (``--record``) also writes ``benchmarks/RESULTS.md``; nothing else ever
touches a tracked file. ``BENCH_FULL=1`` adds the 1,000,000-deal cases. ``--tiny`` runs every
benchmark once on a tiny size (the test suite does, so they keep working; its figures mean
nothing). Speed targets live here, never as timed assertions in the tests: these machines are
noisy, so every ratio is measured within one run, with interleaved repetitions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_serve
import bench_udf
import suite
from common import RESULTS

RECORD = Path(__file__).resolve().parent / "RESULTS.md"


def batch_hook(tiny: bool, rounds: int) -> list[str]:
    """The batch benchmark (``benchmarks/bench_batch.py``): serial vs process pool vs Dask
    (``rounds`` interleaved rounds, medians), and the parent's memory for few vs many files."""
    import bench_batch

    bench_batch.main(
        ["--files", "4", "--small", "2", "--deals", "5"] if tiny else ["--rounds", str(rounds)]
    )
    text = (RESULTS / "bench_batch.txt").read_text(encoding="utf-8").splitlines()
    return ["### batch: serial vs `--workers 2` vs `--dask local`", "", "```", *text, "```", ""]


def ribbon_hook(tiny: bool, rounds: int) -> list[str]:
    """The ribbon's Validate through xlwings' dispatcher (``benchmarks/bench_ribbon.py``)."""
    import bench_ribbon

    deals = 20 if tiny else 5_000
    r = bench_ribbon.main(["--deals", str(deals), "--repeat", "1" if tiny else str(2 * rounds)])
    by_sheet = ", ".join(f"{k} {v}" for k, v in r["by_sheet"].items())
    return [
        f"### ribbon Validate through xlwings' dispatcher ({deals:,} deals)",
        "",
        f"{r['actions']} actions, {r['notes']} of them notes ({by_sheet}); server time, median "
        f"of {'1 run' if tiny else f'{2 * rounds} runs'}: {r['wall']:.3f} s wall, "
        f"{r['cpu']:.3f} s CPU",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks in turn; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"also write {RECORD.name}")
    parser.add_argument("--tiny", action="store_true", help="every benchmark once, tiny sizes")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args(argv)
    full = os.environ.get("BENCH_FULL") == "1"
    started = time.perf_counter()
    if args.tiny:
        sizes, annotate_sizes, repeat, udf_deals, serve_deals = [20], [20], 1, 50, 50
    else:
        sizes = [1_000, 10_000, 100_000, *([1_000_000] if full else [])]
        annotate_sizes, repeat = [10_000, 100_000], args.repeat
        udf_deals, serve_deals = 10_000, 10_000
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# ExcelFlow benchmark results",
        "",
        f"Recorded {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `make bench"
        f"{'-record' if args.record else ''}`{' with BENCH_FULL=1' if full else ''}: "
        f"python {platform.python_version()}, {platform.machine()}, {cores} cores, "
        f"load average {load:.1f} at the start. Every ratio is measured within this one run."
        + (
            f" EXCELFLOW_MAX_CELLS={os.environ['EXCELFLOW_MAX_CELLS']}."
            if "EXCELFLOW_MAX_CELLS" in os.environ
            else ""
        ),
        "",
        *suite.main(
            sizes,
            repeat=repeat,
            annotate_sizes=annotate_sizes,
            annotate_full_max=100_000 if full else 10_000,
        ),
        "",
    ]
    print("\n".join(lines))
    serve = bench_serve.main(serve_deals, 1 if args.tiny else 5)
    lines += [
        f"### EF_CHECK over HTTPS through `excelflow serve` ({serve_deals:,} deals)",
        "",
        f"request body {serve['body_mb']:.1f} MB, {serve['findings']:,.0f} findings; medians: "
        f"HTTPS {serve['http'] * 1e3:.0f} ms, xlwings dispatcher in-process "
        f"{serve['dispatch'] * 1e3:.0f} ms, engine alone {serve['engine'] * 1e3:.0f} ms "
        f"(HTTPS / engine {serve['http'] / serve['engine']:.2f}×)",
        "",
    ]
    print("\n".join(lines[-5:]))
    udf = bench_udf.main(["--deals", str(udf_deals), "--repeat", "1", "--no-save"])
    lines += [
        f"### EF_CHECK through xlwings' dispatcher: raw range vs DataFrame ({udf_deals:,} deals)",
        "",
        f"engine {udf['engine'] * 1e3:.0f} ms, raw {udf['raw'] * 1e3:.0f} ms, "
        f"DataFrame {udf['dataframe'] * 1e3:.0f} ms ({udf['ratio']:.0f}×)",
        "",
    ]
    lines += ribbon_hook(args.tiny, repeat)
    lines += batch_hook(args.tiny, repeat)
    lines.append(f"Whole run: {time.perf_counter() - started:.0f} s.")
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "RESULTS.md").write_text(text, encoding="utf-8")
    print(f"\nwritten: {RESULTS / 'RESULTS.md'}")
    if args.record:
        RECORD.write_text(text, encoding="utf-8")
        print(f"written: {RECORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
