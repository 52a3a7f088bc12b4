"""The ribbon's Validate with a history database: the book's previous snapshot before the
check (HX findings), its snapshot recorded after.

Only where the server is configured with a history database: ``excelflow serve --history URL``
(or ``$EXCELFLOW_HISTORY`` in the server's environment). Elsewhere (xlwings Lite, desktop
without the variable) nothing is read or recorded, and :mod:`excelflow.history` (SQLAlchemy) is
never imported. A book is followed per workbook and per user: its key is the signed-in user's
name and the book's name (the server sees no path), and every snapshot records the user.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pandas as pd
import xlwings as xw

from excelflow.engine import Result
from excelflow.pipeline.ruleset import Lang
from excelflow.xl import macro_labels as say

HISTORY_ENV = "EXCELFLOW_HISTORY"
"""= :data:`excelflow.history.ENV_VAR` (a test keeps the two equal; importing it here would
load SQLAlchemy in every xlwings Lite session)."""


@dataclass
class BookHistory:
    """Where and under which name a book's checks are recorded."""

    url: str
    key: str
    user: str | None
    as_of: dt.date
    error: str | None = None

    def previous(self) -> pd.DataFrame | None:
        """The book's last recorded snapshot (None: none yet, or the database failed)."""
        from excelflow.history import HistoryError, previous_snapshot

        try:
            return previous_snapshot(self.url, self.key, self.as_of, key=self.key)
        except HistoryError as exc:
            self.error = str(exc)
            return None

    def record(self, result: Result, lang: Lang) -> list[str]:
        """Record the checked deals; the lines the alert shows about it."""
        from excelflow.history import HistoryError, record_snapshot, snapshot_frame

        if self.error is None:
            try:
                frame = snapshot_frame(result)
                record_snapshot(
                    self.url, self.key, None, frame, self.as_of, self.user, key=self.key
                )
                return [say.HISTORY_RECORDED(lang).format(n=len(frame))]
            except HistoryError as exc:
                self.error = str(exc)
        return [say.HISTORY_FAILED(lang).format(error=self.error)]


def book_history(book: xw.Book, as_of: dt.date | None) -> BookHistory | None:
    """The book's history when the server has a history database, else None."""
    url = os.environ.get(HISTORY_ENV, "").strip()
    if not url:
        return None
    from excelflow.history import REQUESTER

    user = REQUESTER.get()
    name = str(book.name)
    key = f"excel:{user}/{name}" if user else f"excel:{name}"
    return BookHistory(url, key, user, as_of or dt.date.today())
