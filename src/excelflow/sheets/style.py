"""Cell styles as plain data: a :class:`Style` is defined once under a name and cells refer to it.

A cell may name several styles; they are layered left to right (:func:`layered`): a later style
sets only what it defines, attribute by attribute (a font's colour, an alignment's indent, one
border side), like direct formatting over a cell style in Excel. Colours are ``"RRGGBB"``; None
always means "not set here" (the renderer leaves the attribute as the writer's default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Font:
    """A font. ``scheme="minor"`` marks the workbook theme's body font (Excel's default for
    new cells), which the xlwings renderer has no need to write."""

    name: str | None = None
    family: int | None = None
    scheme: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None
    color: str | None = None
    underline: str | None = None
    """``"single"`` or ``"double"``."""


def body_font(**attrs: Any) -> Font:
    """A font in the workbook's body font (Calibri, with the theme's 等线 for Chinese).

    A font without a name is drawn in some fallback face (a serif in LibreOffice), so every font
    ExcelFlow writes names one.
    """
    return Font(name="Calibri", family=2, scheme="minor", **attrs)


@dataclass(frozen=True)
class Fill:
    """A pattern fill: ``color`` is the pattern's foreground (what a solid fill shows),
    ``background`` its background (what a conditional format's solid fill shows in Excel)."""

    color: str | None = None
    background: str | None = None
    pattern: str = "solid"


@dataclass(frozen=True)
class Side:
    """One border line: ``style`` as Excel names it (``thin``, ``medium``, ``thick``, ``dashed``,
    ``dotted``, ``double``, ``hair``…)."""

    style: str
    color: str | None = None


@dataclass(frozen=True)
class Border:
    """A cell's border, per side."""

    left: Side | None = None
    right: Side | None = None
    top: Side | None = None
    bottom: Side | None = None


@dataclass(frozen=True)
class Align:
    """Alignment: ``horizontal`` (left, center, right, justify, distributed), ``vertical`` (top,
    center, bottom), text ``wrap`` and an ``indent`` in characters."""

    horizontal: str | None = None
    vertical: str | None = None
    wrap: bool | None = None
    indent: int | None = None


@dataclass(frozen=True)
class Style:
    """What a cell looks like; also a conditional format's differential style (font, fill and
    border only)."""

    font: Font | None = None
    fill: Fill | None = None
    border: Border | None = None
    align: Align | None = None
    number_format: str | None = None


def _over(base: T | None, top: T | None) -> T | None:
    """``top`` laid over ``base`` field by field (its None fields keep ``base``'s)."""
    if base is None or top is None:
        return top if base is None else base
    changes = {f.name: getattr(top, f.name) for f in fields(top)}  # type: ignore[arg-type]
    return replace(base, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[type-var]


def _over_border(base: Border | None, top: Border | None) -> Border | None:
    if base is None or top is None:
        return top if base is None else base
    return Border(*(_over(getattr(base, s), getattr(top, s)) for s in SIDES))


SIDES = ("left", "right", "top", "bottom")


def layered(styles: Iterable[Style]) -> Style:
    """The styles laid over one another, first to last (see the module docstring). A fill or a
    number format is replaced whole; fonts, alignments and border sides field by field."""
    out = Style()
    for s in styles:
        out = Style(
            font=_over(out.font, s.font),
            fill=s.fill if s.fill is not None else out.fill,
            border=_over_border(out.border, s.border),
            align=_over(out.align, s.align),
            number_format=s.number_format if s.number_format is not None else out.number_format,
        )
    return out
