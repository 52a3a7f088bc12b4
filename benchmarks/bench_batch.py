"""``excelflow batch`` over many small workbooks: serial vs the process pool vs Dask.

Generates ``--files`` small pipelines (the project's sample generator) into a temporary folder,
runs the batch over it with each executor (each run in its own process, which reports its time;
its peak memory is its own ``VmHWM``, written by :mod:`peak`), ``--rounds`` times with the modes
interleaved (the order rotates each round, so a load change on a shared machine hits every mode),
and prints the median files/s, the speed-up over serial (target >= 1.7x with 2 workers on 2
cores) and the parent's peak memory for ``--files`` vs ``--small`` files: flat (the parent holds
small per-file outcomes, never a DataFrame, spools each file's JSON entry to disk and writes the
xlsx row by row); measured with the JSON report alone and with both reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS

from excelflow.pipeline.fields import SHEETS
from excelflow.workbook.sample import sample_deals, write_sample

PEAK = str(Path(__file__).resolve().parent / "peak.py")
"""Each batch run is ``python peak.py -m excelflow batch …``, a fresh process whose own peak RSS
(``VmHWM``) :mod:`peak` writes: ``ru_maxrss`` would carry this driver's high-water mark into the
child. (``-m``, not ``-c``: the pool's forkserver re-imports the parent's main module by name,
and ``peak.py`` run by path would be run again in every worker.) The time is the process's wall
time, interpreter start included (the same for every mode)."""

MODES = {
    "serial": ["--workers", "1"],
    "pool": ["--workers", "2"],
    "dask": ["--dask", "local", "--workers", "2"],
}


def make_folder(root: Path, n: int, deals: int) -> Path:
    """``n`` small pipelines (English and Chinese, each with the sample's violations)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        lang = "zh" if i % 3 == 0 else "en"
        headers, rows = sample_deals(deals, lang=lang, seed=i)  # type: ignore[arg-type]
        write_sample(root / f"rep{i:05d}.xlsx", headers, rows, sheet=SHEETS["deals"](lang))  # type: ignore[arg-type]
    return root


def batch_run(folder: Path, mode: str, out: Path, *, xlsx: bool = True) -> dict[str, float]:
    """One ``excelflow batch`` run over ``folder`` with the JSON report (and the xlsx one)."""
    argv = [str(folder), "--as-of", "2026-11-28", "--quiet", *MODES[mode]]
    argv += ["--json", str(out / f"{mode}.json")]
    if xlsx:
        argv += ["--report", str(out / f"{mode}.xlsx")]
    with tempfile.NamedTemporaryFile(prefix="ef-peak-", delete=False) as fh:
        peak_file = Path(fh.name)
    try:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, PEAK, "-m", "excelflow", "batch", *argv],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "EF_PEAK_FILE": str(peak_file)},
        )
        seconds = time.perf_counter() - start
        peak_kb = float(peak_file.read_text() or 0)
    finally:
        peak_file.unlink(missing_ok=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench_batch: {mode} exit code {proc.returncode}:\n{proc.stderr}")
    return {"code": proc.returncode, "seconds": seconds, "peak_mb": peak_kb / 1024}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark; returns the measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=500, help="workbooks (default 500)")
    parser.add_argument("--small", type=int, default=50, help="the small run's workbooks (50)")
    parser.add_argument("--deals", type=int, default=20, help="deals per workbook (default 20)")
    parser.add_argument(
        "--modes", default="serial,pool,dask", help="executors to compare (serial,pool,dask)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs of each mode, interleaved (default 1)"
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="excelflow-bench-batch-") as tmp:
        root = Path(tmp)
        big = make_folder(root / "big", args.files, args.deals)
        small = make_folder(root / "small", args.small, args.deals)
        reports = root / "reports"
        reports.mkdir()
        lines = [f"bench_batch: {args.files} workbooks of {args.deals} deals"]
        times: dict[str, list[float]] = {m: [] for m in modes}
        peaks: dict[str, list[float]] = {m: [] for m in modes}
        for r in range(max(1, args.rounds)):
            for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
                result = batch_run(big, mode, reports)
                times[mode].append(result["seconds"])
                peaks[mode].append(result["peak_mb"])
        for mode in modes:
            seconds = statistics.median(times[mode])
            out[f"{mode}_s"] = seconds
            out[f"{mode}_files_per_s"] = args.files / seconds
            out[f"{mode}_peak_mb"] = statistics.median(peaks[mode])
            speed = out[f"{mode}_files_per_s"]
            ratio = out["serial_s"] / seconds if "serial_s" in out else 1.0
            target = "" if mode == "serial" else "  (target >= 1.70x)"
            lines.append(
                f"  {mode:<6} {seconds:7.2f} s  {speed:7.1f} files/s  speed-up "
                f"{ratio:4.2f}x{target}  parent peak {out[f'{mode}_peak_mb']:.0f} MB"
            )
        if args.rounds > 1:
            lines.append(f"  (medians of {args.rounds} interleaved rounds)")
        parent = "pool" if "pool" in modes else modes[0]
        for xlsx in (False, True):
            peaks = [batch_run(d, parent, reports, xlsx=xlsx)["peak_mb"] for d in (small, big)]
            growth = peaks[1] / peaks[0]
            what = "JSON + xlsx reports" if xlsx else "JSON report only"
            out["memory_ratio" if not xlsx else "memory_ratio_xlsx"] = growth
            target = "(a compact row per finding)" if xlsx else "(target <= 1.25x)"
            lines.append(
                f"  parent peak memory, {parent}, {what}: {args.small} files {peaks[0]:.0f} MB, "
                f"{args.files} files {peaks[1]:.0f} MB = {growth:.2f}x {target}"
            )
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_batch.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
