"""Sheets as plain data (values, styles by name, tables, charts, notes), written by one openpyxl
renderer and one xlwings renderer."""
