"""Cell values of a Bid sheet as the bid model wants them (numbers, fractions, yes/no, names).

Users type margins as ``22%`` or ``0.22`` (a percent-formatted cell stores 22 % as 0.22), money
as ``780000``, ``780,000`` or ``¥78万``, yes/no as ``Yes``/``是``/``✓``. A value that cannot be
understood raises :class:`Unreadable`, which carries the message in both languages.
"""

from __future__ import annotations

import re
from typing import Any

from excelflow.bid.model import DEFAULT_MARKUPS
from excelflow.bid.sheet.layout import AUTO_WORDS, WIN_MODEL_ALIASES
from excelflow.pipeline.coerce import format_id, is_blank, parse_money, parse_tick
from excelflow.pipeline.fields import fold

__all__ = [
    "Unreadable",
    "fraction",
    "is_blank",
    "markup",
    "number",
    "parse_input",
    "probability",
    "text",
]


class Unreadable(ValueError):
    """A cell value that cannot be used, with the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def text(value: Any) -> str | None:
    """Text of a cell, stripped (numbers as IDs: no trailing ``.0``), None when blank.

    Deal IDs compare equal to the pipeline's: text is only stripped, as the Deals sheet reader
    does.
    """
    if is_blank(value):
        return None
    return value.strip() if isinstance(value, str) else format_id(value)


def number(value: Any) -> float | None:
    """A plain number or money text (``1,200``, ``¥1.2万``, ``120k``), None when not one."""
    if isinstance(value, bool) or is_blank(value):
        return None
    return parse_money(value)


def _percent_text(value: Any) -> float | None:
    if isinstance(value, str):
        stripped = value.strip().replace(" ", "")
        if stripped.endswith(("%", "％")):
            n = number(stripped[:-1])
            return None if n is None else n / 100
    return None


def fraction(value: Any) -> float | None:
    """A margin or rate: ``0.22`` or ``"22%"``. A bare number is taken as it is (22 stays 22,
    which the model then rejects as a margin) — the rule of :mod:`excelflow.functions.bid` too; in
    the sheet's percent-formatted cells Excel stores what the user types as 22 % as 0.22."""
    pct = _percent_text(value)
    return pct if pct is not None else number(value)


def markup(value: Any) -> float | None:
    """A markup on cost: ``0.05`` or ``"5%"`` (numbers are taken as they are)."""
    pct = _percent_text(value)
    return pct if pct is not None else number(value)


def probability(value: Any) -> float | None:
    """A probability: ``0.6``, ``"60%"`` or ``60`` (above 1 is a percent)."""
    pct = _percent_text(value)
    if pct is not None:
        return pct
    n = number(value)
    return None if n is None else (n / 100 if n > 1 else n)


def _yes_no(value: Any) -> bool:
    tick = parse_tick(value)
    if tick is None:
        raise Unreadable(f"「{value}」不是 是/否", f"{value!r} is not yes or no")
    return tick[0]


def _grid(value: Any) -> tuple[float, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (float(value),)
    parts = [p for p in re.split(r"[,;，；、\s]+", str(value)) if p]
    out = []
    for part in parts:
        m = markup(part)
        if m is None:
            raise Unreadable(
                f"加价率网格中的「{part}」不是数字（用逗号分隔，如 0, 0.05, 10%）",
                f"{part!r} in the markup grid is not a number (separate with commas: 0, 0.05, 10%)",
            )
        out.append(m)
    return tuple(out) or DEFAULT_MARKUPS


def _rank(value: Any) -> int:
    n = number(value)
    if n is None or not n.is_integer() or n < 1:
        raise Unreadable(
            f"排名「{value}」应为不小于 1 的整数", f"rank {value!r} must be a whole number >= 1"
        )
    return int(n)


def _win_model(value: Any) -> str | None:
    folded = fold(str(value))
    if folded in AUTO_WORDS:
        return None
    found = WIN_MODEL_ALIASES.get(folded)
    if found is None:
        raise Unreadable(
            f"未知的赢率模型「{value}」（可选 Friedman、Gates、正态，留空为自动）",
            f"Unknown win model {value!r} (Friedman, Gates or Normal; blank picks one)",
        )
    return found


_KINDS: dict[str, tuple[str, str, str]] = {
    "target_margin": ("fraction", "目标毛利率", "target margin"),
    "min_margin": ("fraction", "最低毛利率", "minimum margin"),
    "overhead_pct": ("fraction", "管理费用率", "overhead rate"),
    "lowest_bid_mean": ("fraction", "最低竞争加价率均值", "lowest competing markup mean"),
    "lowest_bid_sd": ("fraction", "最低竞争加价率标准差", "lowest competing markup sd"),
    "budget": ("money", "客户预算", "customer budget"),
    "quoted_price": ("money", "报价", "quoted price"),
    "withdraw_threshold": ("money", "放弃阈值", "withdraw threshold"),
    "expected_price": ("money", "预计报价", "expected price"),
    "ratio_mean": ("markup", "报价/成本比均值", "price ÷ cost mean"),
    "ratio_sd": ("markup", "报价/成本比标准差", "price ÷ cost sd"),
}


def parse_input(key: str, value: Any) -> Any:
    """The model value of input ``key`` (a :class:`~excelflow.bid.analysis.BidModel` or
    :class:`~excelflow.bid.analysis.Competitor` field) from its cell; None when blank.

    Raises:
        Unreadable: the value cannot be understood.
    """
    if is_blank(value):
        return None
    if key in ("deal_id", "customer", "project"):
        return text(value)
    if key == "currency":
        return str(value).strip().upper()
    if key in ("criteria_favourable", "withdraw_requires_both"):
        return _yes_no(value)
    if key in ("our_rank", "rank"):
        return _rank(value)
    if key == "win_model":
        return _win_model(value)
    if key == "markups":
        return _grid(value)
    kind, zh, en = _KINDS[key]
    parsed = {"fraction": fraction, "money": number, "markup": markup}[kind](value)
    if parsed is None:
        raise Unreadable(f"{zh}「{value}」不是数字", f"the {en} {value!r} is not a number")
    return parsed
