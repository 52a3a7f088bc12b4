"""The pipeline workbook template: its example deals and the Deals sheet."""
