"""The header report: which of a sheet's headers were used (and as which field), which were
ignored, and for each ignored one the closest known field when one is close.

Closeness works on folded text (:func:`excelflow.pipeline.fields.fold`) in both languages: one
name containing the other (``金额(万元)`` holds ``金额``), else the similarity ratio of the two
strings (``Opportunty Name`` ~ ``opportunity name``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from excelflow.pipeline.fields import FieldSpec, Kind, all_fields, fold, has_cjk
from excelflow.pipeline.ruleset import Lang, RuleSet

CLOSE_ENOUGH = 0.6
"""Lowest closeness (0-1) for a suggestion."""


@dataclass(frozen=True)
class HeaderUse:
    """One header of the source: where it is, the field it feeds (None: ignored), the closest
    known field when it was ignored, and the unit its header states (``万元``, ``%``…)."""

    header: str
    letter: str
    fields: tuple[str, ...] = ()
    suggestion: str | None = None
    unit: str | None = None

    @property
    def used(self) -> bool:
        """True when the column feeds at least one field."""
        return bool(self.fields)


def closeness(text: str, name: str) -> float:
    """How close two folded names are, 0-1: 1 equal, 0.7-1 one holds the other, else the
    similarity ratio."""
    if text == name:
        return 1.0
    short, long_ = sorted((text, name), key=len)
    if short in long_ and (len(short) >= 4 or (has_cjk(short) and len(short) >= 2)):
        return 0.7 + 0.3 * len(short) / len(long_)
    return SequenceMatcher(None, text, name).ratio()


DATE_WORDS = ("date", "日期", "时间", "time")
"""A header with one of these words is a date: only date fields are suggested for it."""


def _names(ruleset: RuleSet) -> tuple[tuple[str, str, bool], ...]:
    """(folded name, field key, is a date field) for every header, key and alias of every
    input field."""
    out: list[tuple[str, str, bool]] = []
    for spec in all_fields(ruleset):
        if spec.key.startswith(("ef_", "f:")) or spec.key == "ignore":
            continue  # results, and factor scores: a "product" column is what is sold
        for name in (spec.header.zh, spec.header.en, spec.key, *spec.aliases):
            folded = fold(name)
            if folded:
                out.append((folded, spec.key, spec.kind == Kind.DATE))
    return tuple(out)


def closest_field(
    header: str,
    ruleset: RuleSet,
    taken: Collection[str] = (),
    names: Sequence[tuple[str, str, bool]] | None = None,
) -> str | None:
    """The known field whose header or alias is closest to ``header`` (not one in ``taken``),
    or None when none is close enough. ``names``: :func:`_names` of the rule set, if at hand."""
    text = fold(header)
    if not text:
        return None
    is_date = any(word in text for word in DATE_WORDS)
    best, best_score = None, CLOSE_ENOUGH
    for name, key, date_field in names if names is not None else _names(ruleset):
        if key in taken or (is_date and not date_field):
            continue
        score = closeness(text, name)
        if score > best_score:
            best, best_score = key, score
    return best


def header_uses(
    header: Sequence[Any],
    targets: Sequence[tuple[str, ...]],
    letters: Sequence[str],
    ruleset: RuleSet,
    units: Mapping[int, str] | None = None,
) -> list[HeaderUse]:
    """One :class:`HeaderUse` per non-blank header cell, in sheet order (ExcelFlow's own
    result columns left out)."""
    taken = {k for keys in targets for k in keys}
    names = _names(ruleset)
    out = []
    for j, (text, keys) in enumerate(zip(header, targets, strict=True)):
        if not isinstance(text, str) or not text.strip():
            continue
        if any(k.startswith("ef_") for k in keys):
            continue  # ExcelFlow's own result columns (a checked copy): not the user's data
        hint = None if keys else closest_field(text, ruleset, taken, names)
        out.append(HeaderUse(text.strip(), letters[j], keys, hint, (units or {}).get(j)))
    return out


def field_name(key: str, ruleset: RuleSet, lang: Lang) -> str:
    """A field's header in ``lang`` (the key itself when unknown)."""
    spec: FieldSpec | None = next((s for s in all_fields(ruleset) if s.key == key), None)
    return spec.header(lang) if spec else key
