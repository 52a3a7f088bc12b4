"""ExcelFlow's ribbon scripts for xlwings Server: exactly the five ``@xw.script`` functions.

``excelflow serve`` answers 404 to a script call naming anything else (see
``excelflow.server.app``).
"""

from excelflow.xl.macros import (
    bid_analysis,
    grade_deals,
    insert_template_sheets,
    refresh_dashboard,
    validate_pipeline,
)

__all__ = [
    "bid_analysis",
    "grade_deals",
    "insert_template_sheets",
    "refresh_dashboard",
    "validate_pipeline",
]
