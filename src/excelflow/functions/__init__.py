"""What the EF_* worksheet functions compute, over plain arrays: no xlwings, no openpyxl."""
