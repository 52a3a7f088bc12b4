"""Terminal text helpers that know CJK characters take two columns."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def width(text: str) -> int:
    """Display width in a terminal: CJK and full-width characters count as two."""
    if text.isascii():  # no ASCII character is wide: one column each (a check in C)
        return len(text)
    return _wide_width(text)


@lru_cache(maxsize=4096)
def _wide_width(text: str) -> int:
    # a report repeats the same few texts (severity words, stage names) on many lines
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cols: int) -> str:
    """Left-align ``text`` to ``cols`` display columns."""
    return text + " " * max(0, cols - width(text))
