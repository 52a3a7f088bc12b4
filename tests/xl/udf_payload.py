"""Call our UDFs the way Excel does: the JSON body of xlwings' Office.js client, dispatched by
``xlwings.server.custom_functions_call`` (no Excel, no mocks).

The root ``tests/conftest.py`` sets ``XLWINGS_ON_SERVER=true`` and the ``noncommercial`` licence
key before anything imports xlwings, so ``xw.func`` here is xlwings Server's decorator.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import xlwings as xw
from xlwings import server

from excelflow.pipeline.coerce import EXCEL_EPOCH
from excelflow.xl import udfs


def payload(func_name: str, *args: Any, runtime: str = "1.4", **overrides: Any) -> dict[str, Any]:
    """The body custom-functions-code.js posts: one 2-D list per argument, ``None`` if omitted."""
    body: dict[str, Any] = {
        "func_name": func_name,
        "args": list(args),
        "caller_address": "Office.js[pipeline.xlsx]Check!H2",
        "formula_name": func_name.upper(),
        "version": xw.__version__,
        "runtime": runtime,
        "client": "Office.js",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
    }
    body.update(overrides)
    return body


def call(func_name: str, *args: Any, runtime: str = "1.4", **overrides: Any) -> Any:
    """Dispatch one call and return the 2-D value xlwings hands back to Excel."""
    data = payload(func_name, *args, runtime=runtime, **overrides)
    return asyncio.run(server.custom_functions_call(data, udfs))


def cell(value: Any) -> list[list[Any]]:
    """One cell as Office.js sends it."""
    return [[value]]


def column(*values: Any) -> list[list[Any]]:
    """A one-column range."""
    return [[v] for v in values]


def serial(day: dt.date) -> float:
    """An Excel serial date number, as Office.js passes a date cell to a custom function."""
    return float((dt.datetime.combine(day, dt.time()) - EXCEL_EPOCH).days)


def officejs_rows(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows as Office.js sends them: dates as serials, numbers as floats, blanks as null."""

    def convert(v: Any) -> Any:
        if isinstance(v, dt.date):
            return serial(v)
        if isinstance(v, int) and not isinstance(v, bool):
            return float(v)
        return v

    return [[convert(v) for v in r] for r in rows]


VALUE_ERROR = {"type": "Error", "errorType": "Value"}
NA_ERROR_IN = {"type": "Error", "errorType": "NotAvailable", "basicValue": "#N/A"}
NA_ERROR_OUT = {"type": "Error", "errorType": "NotAvailable"}
