"""The history of checks: deal snapshots in SQLite or PostgreSQL, and what they tell over time.

- :mod:`.schema`: the one schema (SQLAlchemy Core) and its ordered migrations.
- :mod:`.store`: which database (``--history``, ``EXCELFLOW_HISTORY``, the user's data folder),
  opened once per process, WAL-mode SQLite safe for a pool of writers.
- :mod:`.snapshots`: record a check's deals; read back the previous snapshot for the HX rules
  (:mod:`excelflow.rules.history`, pure functions the engine runs).
- :mod:`.report`: ``excelflow history``: transitions, one deal's timeline, the funnel.

This package sits beside :mod:`excelflow.api` in the layers: the doors (CLI, ribbon, batch)
combine the two; the engine never touches a database.
"""

from __future__ import annotations

from excelflow.history.snapshots import (
    REQUESTER,
    SNAPSHOT_COLUMNS,
    FileHistory,
    current_user,
    file_hash,
    file_key,
    previous_snapshot,
    record_snapshot,
    snapshot_frame,
)
from excelflow.history.store import (
    ENV_VAR,
    HistoryError,
    Store,
    close_all,
    default_path,
    open_store,
    store_url,
)

__all__ = [
    "ENV_VAR",
    "REQUESTER",
    "SNAPSHOT_COLUMNS",
    "FileHistory",
    "HistoryError",
    "Store",
    "close_all",
    "current_user",
    "default_path",
    "file_hash",
    "file_key",
    "open_store",
    "previous_snapshot",
    "record_snapshot",
    "snapshot_frame",
    "store_url",
]
