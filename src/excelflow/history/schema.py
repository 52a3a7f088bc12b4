"""The history database's one schema (SQLAlchemy Core), and its ordered migrations.

Two tables: ``checks`` (one row per recorded check of one workbook: file, hash, user, the as-of
date and when it was recorded) and ``deal_snapshots`` (one row per deal of that check: deal ID,
stage, status, milestone parts reached, probability, amount, grade). ``schema_version`` lists the
migrations applied; :data:`MIGRATIONS` are applied in order, each in the same transaction as its
version row, so a database is never half-migrated and re-opening it is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

checks = sa.Table(
    "checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file", sa.String(1000), nullable=False),
    sa.Column("file_hash", sa.String(64), nullable=True),
    sa.Column("user_name", sa.String(200), nullable=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deals", sa.Integer, nullable=False),
    sa.Index("ix_checks_file_as_of", "file", "as_of", "id"),
)

deal_snapshots = sa.Table(
    "deal_snapshots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "check_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("deal_id", sa.String(200), nullable=False),
    sa.Column("stage", sa.Integer, nullable=True),
    sa.Column("status", sa.String(20), nullable=True),
    sa.Column("milestones", sa.Text, nullable=False),  # JSON list of the part keys reached
    sa.Column("probability", sa.Float, nullable=True),
    sa.Column("amount", sa.Float, nullable=True),
    sa.Column("grade", sa.String(10), nullable=True),
    sa.Index("ix_deal_snapshots_check", "check_id"),
    sa.Index("ix_deal_snapshots_deal", "deal_id"),
)


def _v1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[checks, deal_snapshots])


Migration = tuple[int, str, Callable[[sa.Connection], None]]

MIGRATIONS: tuple[Migration, ...] = ((1, "checks and deal snapshots", _v1),)
"""Every schema change, in order: (version, what it does, the step). A step is never edited
once released; a change to the tables above is a new step (``ALTER TABLE …``) appended here."""

LATEST = MIGRATIONS[-1][0]
