"""Text measures for layouts: CJK-aware widths, header line breaks, wrapped line counts, Excel's
length limits, literal drop-down lists and date serials. Pure functions, no openpyxl or xlwings.

Excel limits honoured by callers: a data-validation prompt title is at most 32 characters and its
text at most 255; an error title 32 and its text 255; a literal drop-down list at most 255
characters.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

EXCEL_EPOCH = dt.date(1899, 12, 30)


def serial(day: dt.date) -> int:
    """Excel's serial number of ``day`` (1900 date system)."""
    return (day - EXCEL_EPOCH).days


def text_width(text: str) -> int:
    """Display width of ``text`` in Excel column units: wide (CJK) characters count two."""
    if text.isascii():  # no wide character: one unit each
        return len(text)
    return sum(map(_WIDTHS.__getitem__, text))


class _Widths(dict[str, int]):
    """Character -> its width (2 for wide and full-width characters), learnt on first use."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        return width


_WIDTHS = _Widths()


def has_wide(text: str) -> bool:
    """True when ``text`` has a wide (CJK) character."""
    return any(unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def shown(value: Any) -> str:
    """How a value roughly looks in a cell (for width estimates)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return "2027-01-01"
    if isinstance(value, float) and 0 <= value <= 1:
        return "100%"
    if isinstance(value, int | float):
        return f"{value:,.0f}"
    return str(value)


def header_lines(header: str) -> list[str]:
    """Split a header into at most two balanced lines: at a space or after ``-:/：``, else (CJK
    text only) mid-way."""
    if text_width(header) <= 10:
        return [header]
    cuts = [i + 1 for i, ch in enumerate(header[:-1]) if ch in " -:/：（"]
    if not cuts and has_wide(header):
        cuts = [(len(header) + 1) // 2]
    best = [header]
    for cut in cuts:
        pair = [header[:cut].rstrip(), header[cut:].lstrip()]
        if max(map(text_width, pair)) < max(map(text_width, best)):
            best = pair
    return best


def fit_width(header: str, values: Iterable[Any], *, low: float = 6, high: float = 42) -> float:
    """A column width that fits the (two-line) header plus filter button, and the values."""
    head = max(text_width(line) for line in header_lines(header)) + 3
    body = max((text_width(shown(v)) for v in values), default=0) + 2
    return float(min(high, max(low, head, body)))


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes when wrapped in a column ``width`` units wide (greedy: breaks
    at spaces, and between CJK characters as Excel does). Wrapped text mixing CJK and Latin
    words gets a spare line: renderers disagree about where such text may break."""
    budget = max(width - 1.5, 2.0)
    lines = 0
    for paragraph in text.split("\n"):
        used, lines = 0.0, lines + 1
        for token in re.findall(
            r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s", paragraph
        ):
            size = text_width(token)
            if used + size > budget and used > 0 and not token.isspace():
                lines += 1
                used = 0.0
            if not (token.isspace() and used == 0):
                used += size
            while used > budget:  # a word longer than the column breaks anywhere
                lines += 1
                used -= budget
    mixed = has_wide(text) and re.search(r"[A-Za-z]{3}", text) is not None
    return lines + 1 if lines > 1 and mixed else lines


EXCEL_TEXT_LIMIT = 32_767
"""The most characters Excel keeps in one cell or one note (a longer note is cut)."""


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def literal_list(items: Iterable[str]) -> str:
    """A data-validation list formula from literal items (``"a,b,c"``); at most 255 characters."""
    text = ",".join(item.replace(",", " ").replace('"', "'") for item in items)
    if len(text) > 255:
        raise ValueError("a drop-down list is limited to 255 characters")
    return f'"{text}"'
