"""The pipeline workbook template as plain data: its example deals, the Deals sheet and the whole
workbook (with the Rules sheet of :mod:`excelflow.rulesheet.sheet`)."""
