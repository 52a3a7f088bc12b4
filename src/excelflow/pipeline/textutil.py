"""Terminal text helpers that know CJK characters take two columns."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Display width in a terminal: CJK and full-width characters count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, cols: int) -> str:
    """Left-align ``text`` to ``cols`` display columns."""
    return text + " " * max(0, cols - width(text))
