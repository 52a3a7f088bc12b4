"""Reading and writing workbooks (python-calamine, openpyxl)."""
