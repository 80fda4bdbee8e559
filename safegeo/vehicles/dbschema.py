"""The registry's database schema and its ordered migrations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# schema and migrations
# ---------------------------------------------------------------------------------------------
metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)
vehicles_table = sa.Table(
    "vehicles", metadata,
    sa.Column("vehicle_id", sa.Text, primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("agency", sa.Text),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("capacity", sa.Integer),
    sa.Column("capabilities", sa.Text, nullable=False),
    sa.Column("contact", sa.Text),
    sa.Column("notes", sa.Text),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Text),
)
history_table = sa.Table(
    "vehicle_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("vehicle_id", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("field", sa.Text),
    sa.Column("old_value", sa.Text),
    sa.Column("new_value", sa.Text),
    sa.Column("changed_at", sa.Text, nullable=False),
    sa.Column("changed_by", sa.Text),
)


def _m1_tables(conn: Connection) -> None:
    # frozen DDL of schema version 1 (later versions change tables in their own migration)
    m = sa.MetaData()
    sa.Table(
        "vehicles", m,
        sa.Column("vehicle_id", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("agency", sa.Text),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("capacity", sa.Integer),
        sa.Column("capabilities", sa.Text, nullable=False),
        sa.Column("contact", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text),
    )
    sa.Table(
        "vehicle_history", m,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("vehicle_id", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("field", sa.Text),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("changed_at", sa.Text, nullable=False),
        sa.Column("changed_by", sa.Text),
    )
    m.create_all(conn)


def _m2_indexes(conn: Connection) -> None:
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_vehicles_type_status ON vehicles (type, status)"))
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_history_vehicle ON vehicle_history (vehicle_id, id)"))


@dataclass(frozen=True)
class Migration:
    """One schema step: applied in order, each once, inside the opening transaction.

    ``read_compatible`` says a registry still missing this step can be read
    as it is (the step only adds indexes, say), so a read-only copy of an
    older registry can be listed without upgrading it.
    """

    version: int
    description: str
    apply: Callable[[Connection], None]
    read_compatible: bool = False


#: Ordered schema migrations; the registry's version is the last one applied.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "vehicles and vehicle_history tables", _m1_tables),
    Migration(2, "indexes on vehicle type/status and history vehicle_id", _m2_indexes, read_compatible=True),
)
#: Tables every safegeo registry has; an SQLite file with other tables and not these is not a registry.
REGISTRY_TABLES = frozenset({"schema_version", "vehicles", "vehicle_history"})
SCHEMA_VERSION = MIGRATIONS[-1].version

