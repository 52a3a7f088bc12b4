"""A workbook's own Rules sheet (规则): its layout, the sheet as a plan, its documentation block,
and reading it back into a rule set."""
