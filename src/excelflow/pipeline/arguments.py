"""The two arguments every door takes: the report language and the "as of" date.

One parser each, used by the CLI (``--lang``, ``--as-of``), the worksheet functions (``lang``,
``as_of`` cells), the ribbon scripts and the engine. They raise :class:`ValueError`; each door
words the problem its own way (an argparse error, a ``#VALUE!`` text, a message box).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from excelflow.pipeline.coerce import DATE_RANGE, parse_date
from excelflow.pipeline.ruleset import Lang

LANG_WORDS: dict[str, Lang] = {
    **dict.fromkeys(("zh", "cn", "zh-cn", "zh-hans", "chinese", "中文"), "zh"),
    **dict.fromkeys(("en", "en-us", "en-gb", "english", "英文"), "en"),
}
"""Words for the languages (matched ignoring case); any other ``zh…`` / ``en…`` tag too."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_lang(value: Any) -> Lang | None:
    """``"zh"`` or ``"en"`` from ``zh``/``en``, ``中文``/``英文``, ``Chinese``/``English`` or a
    language tag (``zh-CN``, ``en-US``), ignoring case; None for a blank.

    Raises:
        ValueError: anything else.
    """
    if _blank(value):
        return None
    text = str(value).strip().casefold()
    lang = LANG_WORDS.get(text)
    if lang is not None:
        return lang
    if text.startswith("zh"):
        return "zh"
    if text.startswith("en"):
        return "en"
    raise ValueError(f"unknown language: {value!r}")


def parse_as_of(value: Any) -> pd.Timestamp | None:
    """The day date checks count from: a date, a datetime, an Excel serial number, or date text
    (``2027-03-01``, ``2027/3/1``, ``2027年3月1日``, ``20270301``, ISO with a time); None for a
    blank.

    Raises:
        ValueError: not a date, or outside :data:`AS_OF_RANGE` (pandas cannot count days
            from 0001-01-01 or 9999-12-31).
    """
    if _blank(value):
        return None
    date = parse_date(value, bounded=False)
    if date is None and isinstance(value, str):
        text = value.strip()
        for candidate in (text, text[:10]):
            try:
                date = pd.Timestamp(dt.date.fromisoformat(candidate))
                break
            except ValueError:
                continue
    if date is None:
        raise ValueError(f"not a date: {value!r}")
    low, high = AS_OF_RANGE
    if not low <= date.date() <= high:
        raise ValueError(f"the date {date.date()} is outside {low}..{high}")
    return date


AS_OF_RANGE = DATE_RANGE
"""The days a check may count from (a date check past 2262 overflows pandas' clock)."""


def as_of_timestamp(value: Any) -> pd.Timestamp:
    """:func:`parse_as_of`, with a blank meaning the real today."""
    return parse_as_of(value) or pd.Timestamp(dt.date.today())
