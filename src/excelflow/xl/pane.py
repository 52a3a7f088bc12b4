"""What a script tells the task pane after a run (xlwings Server only).

The task pane (``addin/server/static/js/pane.js``) runs a script with the extra argument
``"pane"``; the script then queues one ``runMacro`` action calling the pane's JavaScript callback
:data:`CALLBACK` (registered with ``xlwings.registerCallback``) with a JSON summary of the run:
the message, the workbook's language, the deal count, the grade mix, the stated vs
gate-adjusted weighted pipeline (:func:`excelflow.engine.forecast.forecast_dict`) and, when the
server keeps a history, the changes since the book's last check
(:func:`excelflow.rules.history.changes_since`). Runs from the
ribbon, Lite or desktop pass nothing and queue nothing: there is no callback to receive it.
"""

from __future__ import annotations

import json
from typing import Any

import xlwings as xw

from excelflow.engine.forecast import forecast, forecast_dict
from excelflow.xl import macro_labels as say
from excelflow.xl.macros_annotate import Checked, MacroError

CALLBACK = "excelflowPaneReport"
"""The name of the pane's JavaScript callback (``excelflowPaneReport`` in pane.js)."""
PANE = "pane"
"""The script argument that asks for the report."""
GRADES = ("A", "B", "C", "D")


def wants_report(value: str | None) -> bool:
    """Whether a script's ``report`` argument asks for the pane's report.

    Raises:
        MacroError: a value that is neither blank nor ``pane``.
    """
    text = (value or "").strip().lower()
    if text and text != PANE:
        raise MacroError(say.BAD_REPORT, value=value)
    return text == PANE


def summary(checked: Checked | None) -> dict[str, Any]:
    """The deal count, grade mix and forecast of a checked book (empty without a check)."""
    if checked is None:
        return {}
    deals = checked.result.deals
    grades = [str(g) for g in deals["grade"]] if "grade" in deals else []
    mix = {g: grades.count(g) for g in GRADES}
    return {
        "deals": len(deals),
        "open": int(deals["is_open"].sum()),
        "grades": mix,
        "ungraded": len(deals) - sum(mix.values()),
        "forecast": forecast_dict(forecast(deals)),
        "changes": checked.changes,  # None: no history on this server, or a first check
    }


def send(book: xw.Book, report: dict[str, Any]) -> None:
    """Queue the ``runMacro`` action that hands ``report`` (as strict JSON) to the pane."""
    text = json.dumps(report, ensure_ascii=False, allow_nan=False, default=str)
    book.app.macro(CALLBACK)(text)
