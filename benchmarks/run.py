"""``make bench``: run every benchmark and print its ratios (measured within one run each).

Speed targets live here, never as timed assertions in the tests: these machines are noisy.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch
import bench_udf
import bench_validate


def main() -> int:
    """Run the benchmarks in turn."""
    print("== validate: 100k deals vs a bare python-calamine read ==")
    bench_validate.main([])
    print("\n== EF_CHECK through xlwings' dispatcher: raw range vs DataFrame argument ==")
    bench_udf.main([])
    print("\n== batch: 500 small workbooks, serial vs --workers 2 vs --dask local ==")
    bench_batch.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
