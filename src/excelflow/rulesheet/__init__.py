"""A workbook's own Rules sheet (规则): its layout, its documentation block, and reading it back
into a rule set."""
