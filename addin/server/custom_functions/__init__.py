"""ExcelFlow's worksheet functions for xlwings Server: exactly the 13 ``EF_*`` functions.

xlwings Server registers every ``@xw.func`` it finds in this package; nothing else is imported
here, so nothing else is callable.
"""

from excelflow.xl.udfs import (
    ef_adjprob,
    ef_best_markup,
    ef_best_markup_normal,
    ef_check,
    ef_gate,
    ef_grade,
    ef_margin,
    ef_markup,
    ef_price,
    ef_score,
    ef_stage,
    ef_winprob,
    ef_winprob_normal,
)

__all__ = [
    "ef_adjprob",
    "ef_best_markup",
    "ef_best_markup_normal",
    "ef_check",
    "ef_gate",
    "ef_grade",
    "ef_margin",
    "ef_markup",
    "ef_price",
    "ef_score",
    "ef_stage",
    "ef_winprob",
    "ef_winprob_normal",
]
