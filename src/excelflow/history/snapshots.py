"""Recording a check's deals, and reading back the previous snapshot the HX rules compare with.

The one seam every door uses (``validate --record``, the ribbon's Validate on a server with a
history database, and ``excelflow batch`` per file, in whichever process or Dask worker it runs)::

    frame = snapshot_frame(result)                   # the engine's result, as plain rows
    record_snapshot(url, path, file_hash(path), frame, as_of, user=None)

and, before the check, ``previous_snapshot(url, path, as_of)`` for ``engine.run(previous=…)``.
``url`` is anything :func:`excelflow.history.store.store_url` takes, or an open :class:`Store`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
import hashlib
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from excelflow.history import schema
from excelflow.history.store import HistoryError, Store, open_store
from excelflow.rules.history import PREVIOUS_COLUMNS

if TYPE_CHECKING:
    from excelflow.engine import Result

SNAPSHOT_COLUMNS = (
    "deal_id",
    "stage",
    "status",
    "milestones",
    "probability",
    "amount",
    "grade",
)
"""A snapshot frame's columns: one row per deal (``milestones``: the part keys reached)."""

StoreLike = Store | str | os.PathLike[str] | None

REQUESTER: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "excelflow_requester", default=None
)
"""Who the current request is from, on the server: set by the token auth provider
(:mod:`excelflow.server.auth`) for the ribbon's Validate to record; None elsewhere."""


def _store(store: StoreLike) -> Store:
    return store if isinstance(store, Store) else open_store(store)


def file_key(path: str | os.PathLike[str]) -> str:
    """How a file on disk is named in the history: its absolute path (``/``-separated)."""
    return Path(path).expanduser().resolve().as_posix()


def file_hash(path: str | os.PathLike[str]) -> str | None:
    """The SHA-256 of the file's bytes (hex), None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def current_user() -> str | None:
    """The login name of whoever runs the command (None when it cannot be told)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return None


def snapshot_frame(result: Result) -> pd.DataFrame:
    """The deals of an engine result as a snapshot frame (:data:`SNAPSHOT_COLUMNS`); deals
    without an ID cannot be followed over time and are left out."""
    deals = result.deals
    ids = deals["deal_id"]
    if result.done is not None and len(result.done.columns):
        done = result.done.to_numpy(dtype=bool)
        keys = np.asarray(result.done.columns, dtype=object)
        milestones = [tuple(keys[row]) for row in done]
    else:
        milestones = [()] * len(deals)
    frame = pd.DataFrame(
        {
            "deal_id": ids.astype(object).where(ids.notna(), None).to_numpy(dtype=object),
            "stage": deals["stage"].to_numpy(dtype=float, na_value=np.nan),
            "status": deals["status"].astype(object).where(deals["status"].notna(), None),
            "milestones": milestones,
            "probability": deals["probability"].to_numpy(dtype=float),
            "amount": deals["amount"].to_numpy(dtype=float),
            "grade": deals["grade"].astype(object).where(deals["grade"].notna(), None),
        }
    )
    keep = frame["deal_id"].map(lambda v: v is not None and str(v).strip() != "")
    return frame[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def _number(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _row(row: dict[Any, Any]) -> dict[str, Any]:
    stage = _number(row["stage"])
    return {
        "deal_id": str(row["deal_id"])[:200],
        "stage": None if stage is None else int(stage),
        "status": _text(row["status"]),
        "milestones": json.dumps(sorted(str(m) for m in row["milestones"])),
        "probability": _number(row["probability"]),
        "amount": _number(row["amount"]),
        "grade": _text(row["grade"]),
    }


def record_snapshot(
    store: StoreLike,
    file: str | os.PathLike[str],
    file_hash: str | None,
    deals: pd.DataFrame,
    as_of: dt.date,
    user: str | None = None,
    *,
    key: str | None = None,
) -> int:
    """Store one check of ``file``: one row per deal of ``deals`` (a :func:`snapshot_frame`), in
    one transaction; returns the check's id. ``key`` names the workbook instead of the file's
    absolute path (the server: a book's name).

    Raises:
        HistoryError: the database cannot be written.
    """
    opened = _store(store)
    name = key if key is not None else file_key(file)
    rows = [_row(row) for row in deals.to_dict("records")]
    try:
        with opened.engine.begin() as conn:
            check_id = conn.execute(
                sa.insert(schema.checks)
                .values(
                    file=name,
                    file_hash=file_hash,
                    user_name=user,
                    as_of=as_of,
                    recorded_at=_now(),
                    deals=len(rows),
                )
                .returning(schema.checks.c.id)
            ).scalar_one()
            if rows:
                conn.execute(
                    sa.insert(schema.deal_snapshots), [{"check_id": check_id, **r} for r in rows]
                )
    except SQLAlchemyError as exc:
        raise HistoryError(f"history database {opened.name}: cannot record {name} ({exc})") from exc
    return int(check_id)


def previous_snapshot(
    store: StoreLike,
    file: str | os.PathLike[str],
    as_of: dt.date,
    *,
    key: str | None = None,
) -> pd.DataFrame | None:
    """The last check of ``file`` recorded for a date up to ``as_of``, as the frame the HX rules
    read (:data:`excelflow.rules.history.PREVIOUS_COLUMNS`), with each deal's ``stage_since``
    (the first check of its latest unbroken run at that stage); None when there is none.

    Raises:
        HistoryError: the database cannot be read.
    """
    opened = _store(store)
    name = key if key is not None else file_key(file)
    c, s = schema.checks, schema.deal_snapshots
    try:
        with opened.engine.connect() as conn:
            last = conn.execute(
                sa.select(c.c.id, c.c.as_of)
                .where(c.c.file == name, c.c.as_of <= as_of)
                .order_by(c.c.as_of.desc(), c.c.id.desc())
                .limit(1)
            ).first()
            if last is None:
                return None
            history = pd.DataFrame(
                conn.execute(
                    sa.select(c.c.id, c.c.as_of, s.c.deal_id, s.c.stage, s.c.status, s.c.milestones)
                    .join(s, s.c.check_id == c.c.id)
                    .where(
                        c.c.file == name,
                        sa.or_(
                            c.c.as_of < last.as_of,
                            sa.and_(c.c.as_of == last.as_of, c.c.id <= last.id),
                        ),
                    )
                    .order_by(s.c.deal_id, c.c.as_of, c.c.id)
                ).all(),
                columns=["check_id", "as_of", "deal_id", "stage", "status", "milestones"],
            )
    except SQLAlchemyError as exc:
        raise HistoryError(f"history database {opened.name}: cannot read {name} ({exc})") from exc
    return _previous(history, int(last.id))


def _previous(history: pd.DataFrame, last_id: int) -> pd.DataFrame:
    """From one workbook's snapshots (sorted by deal, date, check), the last check's deals
    with ``stage_since``."""
    if not len(history):
        return pd.DataFrame(columns=list(PREVIOUS_COLUMNS))
    history["as_of"] = pd.to_datetime(history["as_of"])
    stage = history["stage"].astype(float).fillna(-1)
    deal = history["deal_id"]
    new_run = (stage != stage.shift()) | (deal != deal.shift())
    run = new_run.cumsum()
    history["stage_since"] = history.groupby(run)["as_of"].transform("min")
    last = history[history["check_id"] == last_id].drop_duplicates("deal_id", keep="last")
    return pd.DataFrame(
        {
            "deal_id": last["deal_id"].astype(object),
            "stage": last["stage"].astype(float),
            "status": last["status"].astype(object),
            "milestones": [frozenset(json.loads(m)) for m in last["milestones"]],
            "as_of": last["as_of"],
            "stage_since": last["stage_since"],
        }
    ).reset_index(drop=True)


def _now() -> dt.datetime:
    from excelflow.history.store import now

    return now()


class FileHistory:
    """A door's history for one run over files (``excelflow validate --record``, a batch):
    each file's previous snapshot before it is checked, and its snapshot recorded after
    (``record=True``). It never raises: the first database problem is kept in ``error`` (one
    line), and history is then off for the rest of the run, so the checks still finish.

    Implements :class:`excelflow.api.FileHistory`.
    """

    def __init__(
        self, store: StoreLike, as_of: dt.date, *, record: bool, user: str | None = None
    ) -> None:
        self.as_of = as_of
        self.recording = record
        self.user = user
        self.recorded = 0
        self.error: str | None = None
        self.store: Store | None = None
        try:
            self.store = _store(store)
        except HistoryError as exc:
            self.error = str(exc)

    def previous(self, path: Path) -> pd.DataFrame | None:
        """The file's previous snapshot (None: none, or history is off)."""
        if self.store is None or self.error is not None:
            return None
        try:
            return previous_snapshot(self.store, path, self.as_of)
        except HistoryError as exc:
            self.error = str(exc)
            return None

    def record(self, path: Path, report: Any) -> None:
        """Record the checked file's deals, when recording."""
        result = getattr(report, "result", None)
        if not self.recording or self.store is None or self.error is not None or result is None:
            return
        try:
            record_snapshot(
                self.store, path, file_hash(path), snapshot_frame(result), self.as_of, self.user
            )
            self.recorded += 1
        except HistoryError as exc:
            self.error = str(exc)
