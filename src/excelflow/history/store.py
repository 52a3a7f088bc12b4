"""Where snapshots live: a SQLite file (default) or a PostgreSQL database, opened and migrated.

:func:`store_url` turns what the user gave (``--history PATH``, ``postgresql://…``, the
``EXCELFLOW_HISTORY`` variable, or nothing: ``history.sqlite`` in the user's data folder) into a
SQLAlchemy URL; :func:`open_store` opens it once per process and applies the migrations.

SQLite is opened in WAL mode (the switch retried while other openers hold a new file) with a
60 s busy timeout, and every transaction starts with ``BEGIN IMMEDIATE``: writers from a
process pool queue for the one write lock instead of failing, readers are never blocked. On
PostgreSQL the migrations hold a transaction-level advisory lock, so processes opening a new
database at once migrate it once.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from excelflow.history import schema

ENV_VAR = "EXCELFLOW_HISTORY"
"""The history database when ``--history`` is not given (a path or a URL); the server reads it."""

BUSY_TIMEOUT_S = 60.0
_MIGRATION_LOCK = 0x45464C48  # "EFLH": the advisory lock id PostgreSQL migrations hold


class HistoryError(Exception):
    """The history database cannot be opened, migrated, read or written; the message is one
    line naming the database and the reason."""


def default_path() -> Path:
    """``history.sqlite`` in the user's data folder (platformdirs: ~/.local/share/excelflow,
    %LOCALAPPDATA%\\excelflow, ~/Library/Application Support/excelflow)."""
    try:
        import platformdirs

        base = Path(platformdirs.user_data_dir("excelflow", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is a dependency; XDG as a fallback
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = Path(xdg) / "excelflow"
    return base / "history.sqlite"


def store_url(given: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of the history database: ``given`` (a path or a URL), else the
    ``EXCELFLOW_HISTORY`` variable, else :func:`default_path`. ``postgresql://`` without a
    driver means psycopg (3)."""
    text = os.fspath(given) if given is not None else os.environ.get(ENV_VAR) or ""
    if not text:
        return f"sqlite:///{default_path()}"
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@dataclass(frozen=True)
class Store:
    """An open, migrated history database."""

    url: str
    engine: sa.Engine

    @property
    def name(self) -> str:
        """The database as shown in messages (no password)."""
        return shown(self.url)

    @property
    def is_sqlite(self) -> bool:
        """True for a SQLite file."""
        return self.engine.dialect.name == "sqlite"


_OPEN: dict[str, Store] = {}
_LOCK = threading.Lock()


def open_store(given: str | os.PathLike[str] | None = None) -> Store:
    """The history database ``given`` names (see :func:`store_url`), opened once per process
    and migrated to the latest schema.

    Raises:
        HistoryError: it cannot be opened or migrated (bad URL, server down, no permission).
    """
    url = store_url(given)
    with _LOCK:
        if url in _OPEN:
            return _OPEN[url]
        store = _open(url)
        _OPEN[url] = store
        return store


def close_all() -> None:
    """Dispose of every engine this process opened (tests; a worker before it exits)."""
    with _LOCK:
        for store in _OPEN.values():
            store.engine.dispose()
        _OPEN.clear()


def _open(url: str) -> Store:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise HistoryError(f"history database {url!r}: not a path or a database URL") from exc
    name = shown(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
        migrate(engine)
    except HistoryError:
        raise
    except ModuleNotFoundError as exc:
        raise HistoryError(f"history database {name}: no driver ({exc.name})") from exc
    except (SQLAlchemyError, OSError) as exc:
        raise HistoryError(f"history database {name}: cannot open ({_reason(exc)})") from exc
    return Store(url, engine)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        if not folder.is_dir():
            if folder == default_path().parent:
                folder.mkdir(parents=True, exist_ok=True)  # our own data folder, made once
            else:
                raise HistoryError(
                    f"history database {url.database}: the folder {folder} does not exist"
                )
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        _enable_wal(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock now, or wait for it

    return engine


def _enable_wal(cur: Any) -> None:
    """Put the database in WAL mode (it stays so, in the file), waiting out other openers.

    SQLite answers ``PRAGMA journal_mode=WAL`` with "database is locked" at once, without its
    busy handler, while another connection holds a lock on the file (workers of a pool opening
    a new database together). So the switch is retried here, up to the busy timeout; once one
    connection has made it, the others find the file in WAL mode already and skip it."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            mode = cur.execute("PRAGMA journal_mode").fetchone()
            if mode and str(mode[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))  # jitter: the openers do not retry in step
        pause = min(pause * 2, 0.25)


def migrate(engine: sa.Engine) -> int:
    """Apply every migration the database lacks, in order; returns the version it is at.
    Safe to call from many processes at once, and a no-op on a current database."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        schema.metadata.create_all(conn, tables=[schema.schema_version])
        done = {row[0] for row in conn.execute(sa.select(schema.schema_version.c.version))}
        if done and max(done) > schema.LATEST:
            raise HistoryError(
                f"history database {shown(str(engine.url))}: schema version {max(done)} is "
                f"newer than this ExcelFlow knows ({schema.LATEST}); upgrade ExcelFlow"
            )
        for version, description, step in schema.MIGRATIONS:
            if version in done:
                continue
            step(conn)
            conn.execute(
                sa.insert(schema.schema_version).values(
                    version=version, description=description, applied_at=now()
                )
            )
    return schema.LATEST


def version(store: Store) -> int:
    """The schema version the database is at."""
    with store.engine.begin() as conn:
        found = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar()
    return int(found or 0)


def now() -> dt.datetime:
    """The current time in UTC (``recorded_at``)."""
    return dt.datetime.now(dt.UTC)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
