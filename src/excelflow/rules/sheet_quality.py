"""The workbook's Rules sheet (DQ08): a broken edit is reported on its cell, never a crash."""

from __future__ import annotations

import pandas as pd

from excelflow.pipeline.findings import Severity
from excelflow.pipeline.ruleset import Text
from excelflow.rules import Context, no_hits, rule


@rule(
    "DQ08",
    "data_quality.rules_sheet_invalid",
    Severity.ERROR,
    Text(
        zh="规则表有误：{problem}；本次检查改用内置标准规则",
        en="Rules sheet: {problem}; the built-in standard rules were used instead",
    ),
)
def rules_sheet_invalid(ctx: Context) -> pd.DataFrame:
    """The workbook's Rules / 规则 sheet does not make a valid rule set.

    One finding per problem, on the Rules-sheet cell at fault (a blank required cell, text where
    a number belongs, a probability above 100 %, a duplicate key or column…). The deals are then
    checked with the built-in standard rules. Bad cell: Default probability of stage 2 typed as
    150 %. Fix: enter 0 %-100 % (the finding names the cell).
    """
    problems = ctx.inputs.rules_sheet_problems
    if not problems:
        return no_hits()
    n = len(problems)
    return pd.DataFrame(
        {
            "pos": [-1] * n,
            "field": [None] * n,
            "at_sheet": [p.get("sheet") for p in problems],
            "at_row": [p.get("row") for p in problems],
            "at_cell": [p.get("cell") for p in problems],
            "at_value": [p.get("value") for p in problems],
            "column": [p.get("column") for p in problems],
            "problem": [
                Text(zh=str(p.get("message_zh", "")), en=str(p.get("message_en", "")))
                for p in problems
            ],
        }
    )
