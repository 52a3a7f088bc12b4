"""EF_CHECK over a 10,000-deal range through xlwings' own dispatcher: raw range vs DataFrame.

Both functions go through ``xlwings.server.custom_functions_call`` with the JSON body Office.js
posts (the table as a 2-D list with a header row, dates as Excel serial numbers, empty cells as
``null``) and run the same engine path (``excelflow.functions.checks.check_table``):

* ``ef_check`` — the product UDF: ``@xw.arg("table", "raw")``, shapes and blanks normalised by
  ``excelflow.xl.convert`` in a few vectorized steps;
* ``ef_check_df`` — defined here only: ``@xw.arg("table", pd.DataFrame, index=False,
  header=True)``, the DataFrame turned back into rows and passed to ``ef_check``.

Why the difference is so large (xlwings 0.37.8, measured by our research, not patched here):
xlwings' converters clean every cell with ``_xlofficejs._clean_value_data_element``, which calls
``xlwings.utils.is_jsnull``; that tries ``from pyodide.ffi import JsNull`` on every call, and
off-Pyodide the failed import is not cached, so each cell walks ``sys.path`` (~40-90 µs a cell,
growing with ``len(sys.path)``). A ``"raw"`` argument skips that stage entirely. We measure
xlwings as shipped and never monkeypatch it in product code.

Also printed: the engine time alone (``check_table`` on the converted rows, no xlwings), so the
ratio can be read against what the check itself costs. Runs are interleaved and the best of
``--repeat`` rounds is kept (the fast runs go five times a round). The licence key
``noncommercial`` is used only when no key is set (this is a noncommercial benchmark; see README
"Use it in Excel").
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")  # before the first `import xlwings`
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import argparse
import asyncio
import datetime as dt
import platform
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import xlwings as xw
from xlwings import server

from excelflow.functions import checks as calc
from excelflow.pipeline.coerce import EXCEL_EPOCH
from excelflow.workbook.sample import sample_deals
from excelflow.xl import convert
from excelflow.xl.udfs import ef_check

AS_OF = dt.date(2026, 11, 28)
RESULTS = Path(__file__).resolve().parents[1] / "out" / "bench" / "bench_udf.txt"  # git-ignored
__all__ = ["ef_check", "ef_check_df"]


@xw.func
@xw.arg("table", pd.DataFrame, index=False, header=True)
@xw.arg("lang", "raw")
@xw.arg("as_of", "raw")
@xw.arg("origin", "raw")
def ef_check_df(table: Any, lang: Any = None, as_of: Any = None, origin: Any = None) -> Any:
    """EF_CHECK with xlwings' DataFrame converter (benchmark only)."""
    rows = [list(table.columns), *table.to_numpy(dtype=object).tolist()]
    return ef_check(rows, lang, as_of, origin)


def officejs_grid(n: int) -> list[list[Any]]:
    """A generated n-deal Deals range as Office.js sends it: serial dates, null blanks."""
    headers, rows = sample_deals(n, as_of=AS_OF)

    def cell(v: Any) -> Any:
        if isinstance(v, dt.date):
            return float((dt.datetime.combine(v, dt.time()) - EXCEL_EPOCH).days)
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v

    return [list(headers), *([cell(v) for v in r] for r in rows)]


def payload(func_name: str, table: list[list[Any]]) -> dict[str, Any]:
    """The JSON body of xlwings' custom-functions-code.js for one call."""
    serial = float((dt.datetime.combine(AS_OF, dt.time()) - EXCEL_EPOCH).days)
    return {
        "func_name": func_name,
        "args": [table, [["en"]], [[serial]], None],
        "caller_address": "Office.js[pipeline.xlsx]Check!A1",
        "formula_name": func_name.upper(),
        "version": xw.__version__,
        "runtime": "1.4",
        "client": "Office.js",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
    }


def dispatch(func_name: str, table: list[list[Any]]) -> Any:
    """One call through xlwings' dispatcher, as the add-in's HTTP handler would make it."""
    return asyncio.run(
        server.custom_functions_call(payload(func_name, table), sys.modules[__name__])
    )


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print the timings and the ratio, save them; returns the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-save", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    table = officejs_grid(args.deals)
    ruleset = calc.default_ruleset()

    cells = convert.grid(table)  # what the raw UDF hands the engine

    def engine_only() -> Any:
        return calc.check_table(cells, ruleset, lang="en", as_of=AS_OF)

    raw_out, df_out = dispatch("ef_check", table), dispatch("ef_check_df", table)
    assert raw_out == df_out, "raw and DataFrame UDFs disagree"
    best = {"engine": float("inf"), "raw": float("inf"), "dataframe": float("inf")}
    runs = {"engine": engine_only, "raw": lambda: dispatch("ef_check", table)}
    runs["dataframe"] = lambda: dispatch("ef_check_df", table)
    # Interleaved rounds, so machine noise hits all three alike; the two fast runs go 5 times a
    # round (a 0.2 s run is easily hit by a neighbour's burst, a 20 s one averages it out).
    for _ in range(args.repeat):
        for name, fn in runs.items():
            for _ in range(1 if name == "dataframe" else 5):
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
    size = len(table) * len(table[0])
    ratio = best["dataframe"] / best["raw"]
    lines = [
        f"bench_udf: EF_CHECK over {args.deals:,} deals ({len(table)}x{len(table[0])} = "
        f"{size:,} cells, {len(raw_out) - 1:,} findings), best of {args.repeat} interleaved "
        "rounds",
        f"  python {platform.python_version()}, xlwings {xw.__version__}, "
        f"pandas {pd.__version__}, len(sys.path) = {len(sys.path)}",
        f"  engine only (check_table, no xlwings) {best['engine'] * 1e3:7.1f} ms",
        f"  EF_CHECK, raw range (product)      {best['raw'] * 1e3:9.1f} ms",
        f"  EF_CHECK, pd.DataFrame argument    {best['dataframe'] * 1e3:9.1f} ms "
        f"({best['dataframe'] / size * 1e6:.1f} µs a cell)",
        f"  ratio DataFrame / raw: {ratio:.0f}x (expected > 100x)",
    ]
    print("\n".join(lines))
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        RESULTS.write_text(f"# {stamp}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return {**best, "ratio": ratio}


if __name__ == "__main__":
    main()
