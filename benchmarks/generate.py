"""The benchmark workbooks, deterministic and cached under ``benchmarks/data/`` (git-ignored).

* **tidy**: the project's own generator (:func:`excelflow.workbook.sample.sample_deals`), English
  headers, typed cells: real dates, numbers, stage numbers.
* **messy**: shaped like a real CRM export pasted into Excel: Chinese headers; stage names mixed
  (``提案阶段``, ``方案``, ``Proposal``, ``3``); dates as text in several spellings
  (``2027/1/11``, ``2027年1月11日``, ``2027-01-11``) beside real dates; amounts as ``120万``,
  ``288,000`` or numbers; probabilities as ``30%``, ``0.3`` or ``30``; ~8 % blank cells; ~5 %
  bad values (``待定``, ``TBD``, ``n/a``, ``-``, an unknown stage). Every row has a unique deal ID.

Both are written with xlsxwriter (``constant_memory``) in chunks of 50,000 generated deals, so a
1M-deal workbook never holds all rows in memory at once. Same ``n``, same bytes of content.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import write_xlsx

DATA = Path(os.environ.get("EF_BENCH_DATA") or Path(__file__).resolve().parent / "data")
AS_OF = dt.date(2026, 11, 28)
CHUNK = 50_000
KINDS = ("tidy", "messy")


def workbook(kind: str, n: int) -> Path:
    """The cached ``kind`` workbook of ``n`` deals (written on first use)."""
    if kind not in KINDS:
        raise ValueError(f"unknown workbook kind {kind!r} (one of {', '.join(KINDS)})")
    path = DATA / f"{kind}_{n}.xlsx"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp.xlsx")
        _write(tmp, kind, n)
        tmp.replace(path)
    return path


def _rows(kind: str, n: int) -> tuple[list[str], Iterator[list[Any]]]:
    from excelflow.workbook.sample import sample_deals

    lang = "zh" if kind == "messy" else "en"
    headers, _ = sample_deals(1, lang=lang, as_of=AS_OF)

    def gen() -> Iterator[list[Any]]:
        done = 0
        chunk_no = 0
        while done < n:
            size = min(CHUNK, n - done)
            _, rows = sample_deals(size, lang=lang, seed=7 + chunk_no, as_of=AS_OF)
            rng = random.Random(1000 + chunk_no)
            for i, row in enumerate(rows):
                row[0] = f"D-{done + i + 1:07d}"  # unique across chunks
                yield _mess(row, headers, rng) if kind == "messy" else row
            done += size
            chunk_no += 1

    return headers, gen()


_STAGE_SPELLINGS = {
    1: ["开发阶段", "开发", "线索", "Development", "1"],
    2: ["销售进入阶段", "进入", "Sales entry", "2"],
    3: ["提案阶段", "方案", "Proposal", "3"],
    4: ["投标阶段", "招投标", "Bidding", "4"],
    5: ["商务谈判阶段", "谈判", "Negotiation", "5"],
    6: ["工程实施阶段", "实施", "Delivery", "6"],
}
_BAD = ["待定", "TBD", "n/a", "-", "??", "见备注"]
_DATE_COLUMNS = {"预计成交日期", "投标日期", "签约日期"}


def _text_date(value: dt.date, rng: random.Random) -> Any:
    style = rng.randrange(4)
    if style == 0:
        return value  # a real date cell
    if style == 1:
        return f"{value.year}/{value.month}/{value.day}"
    if style == 2:
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def _mess(row: list[Any], headers: list[str], rng: random.Random) -> list[Any]:
    out = list(row)
    for j, header in enumerate(headers):
        value = out[j]
        if j == 0:
            continue
        roll = rng.random()
        if roll < 0.05:  # a bad value
            out[j] = rng.choice(_BAD) if header != "阶段" else "未知阶段"
            continue
        if roll < 0.13 and header not in ("阶段", "状态"):
            out[j] = None  # blank
            continue
        if value is None:
            continue
        if header == "阶段" and isinstance(value, int):
            out[j] = rng.choice(_STAGE_SPELLINGS.get(value, [str(value)]))
        elif header in _DATE_COLUMNS and isinstance(value, dt.date):
            out[j] = _text_date(value, rng)
        elif header == "金额" and isinstance(value, float):
            style = rng.randrange(3)
            if style == 0:
                out[j] = f"{value / 1e4:g}万"
            elif style == 1:
                out[j] = f"{value:,.0f}"
        elif header == "赢率" and isinstance(value, float):
            style = rng.randrange(3)
            if style == 0:
                out[j] = f"{value:.0%}"
            elif style == 1:
                out[j] = round(value * 100)
    return out


def _write(path: Path, kind: str, n: int) -> None:
    headers, rows = _rows(kind, n)
    write_xlsx(path, "商机" if kind == "messy" else "Deals", headers, rows)


if __name__ == "__main__":
    import sys

    for arg in sys.argv[2:]:
        print(workbook(sys.argv[1], int(arg)))
