"""The workbook's own Rules / 规则 sheet as a rule set.

A workbook built by ``excelflow template`` carries its rule set as editable tables (layout in
:mod:`excelflow.rulesheet.layout`). :func:`workbook_ruleset` reads them back into a rule-set
document (the shape of ``rulesets/standard.json``), validates it with the same JSON Schema and
semantic checks as a rule-set file, and returns it. A broken edit never raises: the fallback
rule set is used instead and every problem comes back pointing at the cell to fix (rule DQ08).

The sheet's tables are read by :mod:`excelflow.rulesheet.grid`, loaded only when a workbook has
a Rules sheet.

Problems come in two rounds: first every cell that is blank, of the wrong type or out of range
(all reported at once); once those are fixed, the checks that need the whole rule set (stage
numbering, duplicate keys and column headers, a catch-all last grade…).
"""

from __future__ import annotations

from typing import Any

from excelflow.pipeline.fields import SHEETS
from excelflow.pipeline.read import ReadError, Source
from excelflow.pipeline.ruleset import RuleSet, load_ruleset


def resolve_ruleset(
    source: Source, given: RuleSet | None = None
) -> tuple[RuleSet, list[dict[str, Any]]]:
    """The rule set every door checks ``source`` with: ``given`` (``--ruleset``) when there is
    one, else the workbook's own Rules sheet, else the built-in standard set.

    Returns:
        The rule set and the Rules sheet's problems (DQ08; none when ``given``), as
        :func:`workbook_ruleset`.
    """
    if given is not None:
        return given, []
    return workbook_ruleset(source, load_ruleset())


def workbook_ruleset(source: Source, default: RuleSet) -> tuple[RuleSet, list[dict[str, Any]]]:
    """The rule set a workbook carries in its Rules sheet, else ``default``; plus problems found.

    Args:
        source: the opened workbook.
        default: the rule set to use when there is no Rules sheet or it is broken.

    Returns:
        The rule set and a list of problems, each a dict with ``sheet``, ``cell``, ``row``,
        ``column``, ``value``, ``message_zh`` and ``message_en``. When there are problems the rule
        set is ``default``. A workbook (or CSV) without a Rules sheet gives ``(default, [])``.
        Never raises.
    """
    if source.is_csv:
        return default, []
    name = source.find_sheet(*SHEETS["rules"])
    if name is None:
        return default, []
    # The reader of the sheet (:mod:`excelflow.rulesheet.grid`) is loaded only now: a workbook
    # without a Rules sheet (and every CSV) is checked without it.
    from excelflow.rulesheet.check import Problem, t
    from excelflow.rulesheet.grid import read_rules_grid

    try:
        sheet = source.sheet(name)
    except ReadError as exc:
        message = t(
            f"规则表无法读取：{exc.reason}", f"the Rules sheet cannot be read: {exc.reason}"
        )
        return default, [Problem(name, "A1", 1, None, None, message).as_dict()]
    try:
        return read_rules_grid(
            sheet.grid, sheet.origin, name, default, source=f"{source.path}!{name}"
        )
    except Exception as exc:  # a Rules sheet we cannot make sense of must never stop a check
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        message = t(f"规则表无法解析（{reason}）", f"the Rules sheet cannot be read ({reason})")
        return default, [Problem(name, "A1", 1, None, None, message).as_dict()]
