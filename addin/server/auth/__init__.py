"""Auth providers of this project: ``excelflow`` (ExcelFlow tokens). ``entraid`` is xlwings
Server's own (its package is used when this folder has no ``entraid`` module)."""
