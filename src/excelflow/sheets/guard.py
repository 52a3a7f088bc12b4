"""The one guard every text value passes on its way into a sheet ExcelFlow writes.

Cell text comes from users' workbooks, CSV exports and bid JSON files, so it may be hostile. Both
renderers (:mod:`excelflow.workbook.render`, :mod:`excelflow.xl.render`) and the writers of the
Deals sheet's result columns (:mod:`excelflow.workbook.annotate_deals`, the ribbon's
:mod:`excelflow.xl.macros_annotate` through the xlwings renderer) call :func:`cell_text` on every
``str`` value, and :func:`legal_text` on note texts. A real formula is never a ``str`` in a plan:
it is a :class:`~excelflow.sheets.parts.Formula` and stays a formula.

* **Formula-like text** (:func:`formula_like`): text that Excel or LibreOffice would take as a
  formula when it is typed, pasted, re-entered (F2, Enter) or exported to CSV and opened again:
  a leading ``=`` ``+`` ``-`` ``@`` (also after leading white space, and their full-width forms
  ``＝＋－＠`` that Excel's East Asian input converts), a leading tab or carriage return, and
  DDE forms (``cmd|' /C calc'!A0``). Writers keep the value and mark it as text: openpyxl as a
  string cell with Excel's quote prefix (the ``'`` that is not part of the value), xlwings with a
  leading apostrophe. The value reads back unchanged; numbers (negative ones too) are never text
  and never touched.
* **Characters XML cannot hold** (:func:`legal_text`): C0 controls other than tab, line feed and
  carriage return (ESC, BEL, NUL, ...) make openpyxl raise ``IllegalCharacterError`` and Excel
  reject the file. They become their visible Unicode Control Pictures (ESC -> ``␛`` U+241B, NUL
  -> ``␀`` U+2400), so the cell still shows where they were. Lone surrogates, U+FFFE and U+FFFF
  (which openpyxl writes into a file no reader can open) become ``�``.
"""

from __future__ import annotations

import re

ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037\ud800-\udfff\ufffe\uffff]")
"""Characters an XML 1.0 document cannot hold: openpyxl's ``ILLEGAL_CHARACTERS_RE`` (which it
refuses), plus lone surrogates and U+FFFE/U+FFFF (which it writes, leaving a file no reader
opens; a JSON ``"\\ud800"`` is one)."""

_FORMULA_LIKE = re.compile(
    r"""^(?:
        [\t\r]                               # tab / carriage return first (CSV injection)
      | \s*[=+\-@\uff1d\uff0b\uff0d\uff20]   # = + - @ (half or full width), after white space
      | \s*[\w.\- ]+\s*\|.*!                 # DDE: application|topic!item
    )""",
    re.VERBOSE | re.DOTALL,
)


def formula_like(text: str) -> bool:
    """True when a spreadsheet could take ``text`` for a formula or a DDE call (see the module
    docstring); such text must be written as text."""
    return _FORMULA_LIKE.match(text) is not None


def legal_text(text: str) -> str:
    """``text`` with every character XML cannot hold replaced by its Control Picture
    (``"\\x1b"`` -> ``"␛"``), or by ``�`` (U+FFFD) for a lone surrogate, U+FFFE and U+FFFF."""
    if ILLEGAL_XML.search(text) is None:
        return text
    return ILLEGAL_XML.sub(_picture, text)


def _picture(match: re.Match[str]) -> str:
    n = ord(match.group())
    return chr(0x2400 + n) if n < 0x20 else "\ufffd"


def cell_text(text: str) -> tuple[str, bool]:
    """What a writer stores for the text value ``text``: the text made legal
    (:func:`legal_text`) and whether it must be forced to be text (:func:`formula_like`)."""
    text = legal_text(text)
    return text, formula_like(text)
