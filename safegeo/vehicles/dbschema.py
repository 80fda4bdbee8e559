"""The registry's database schema and its ordered migrations.

The tables are the same on every backend.  On PostgreSQL the ``vehicles``
table also has ``geom``, a PostGIS ``geometry(Point, 4326)`` column that the
database computes from ``lon``/``lat`` (a stored generated column, so it can
never disagree with them), with a GiST index for spatial filters.  ``lon`` and
``lat`` stay the columns every backend reads and writes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safegeo._errors import MissingExtraError, RegistryError

log = logging.getLogger(__name__)

#: The optional packages a PostgreSQL registry needs, and the extra that installs them.
POSTGRES_EXTRA = "pip install 'safegeo[postgres]'"
#: The SQL expression of the PostGIS location, computed by the database from lon/lat.
GEOM_EXPRESSION = "ST_SetSRID(ST_MakePoint(lon, lat), 4326)"


def require_postgres() -> Any:
    """Import the ``postgres`` extra (psycopg 3 and GeoAlchemy2); returns the ``geoalchemy2`` module.

    Raises
    ------
    MissingExtraError
        A package of the extra is missing; the message says how to install it.
    """
    missing = []
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing.append("psycopg")
    try:
        import geoalchemy2
    except ImportError:
        missing.append("geoalchemy2")
    if missing:
        raise MissingExtraError(f"a PostgreSQL/PostGIS registry needs {' and '.join(missing)}, which "
                                f"{'is' if len(missing) == 1 else 'are'} not installed",
                                hint=f"install the postgres extra: {POSTGRES_EXTRA}")
    return geoalchemy2


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


def _m3_postgis(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return  # SQLite (and other backends) keep lon/lat only
    _ensure_postgis(conn)
    conn.execute(sa.text(f"ALTER TABLE vehicles ADD COLUMN geom geometry(Point, 4326) "
                         f"GENERATED ALWAYS AS ({GEOM_EXPRESSION}) STORED"))
    conn.execute(sa.text("CREATE INDEX ix_vehicles_geom ON vehicles USING gist (geom)"))


def _ensure_postgis(conn: Connection) -> None:
    """Make sure the PostGIS extension is in the database (creating it needs a superuser or the database owner)."""
    if conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first() is not None:
        return
    db = conn.execute(sa.text("SELECT current_database()")).scalar()
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except sa.exc.DBAPIError as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise RegistryError(
            f"database {db} has no PostGIS extension and it cannot be added here ({detail}); nothing was changed",
            hint=f"an administrator runs `CREATE EXTENSION postgis;` in database {db} (install the server package "
                 "postgresql-NN-postgis-3 first if it is missing), then `safegeo vehicles migrate`") from None


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
    Migration(3, "PostGIS point geometry (geom) kept from lon/lat, with a GiST index (PostgreSQL only)", _m3_postgis,
              read_compatible=True),
)
#: First schema version whose PostgreSQL ``vehicles`` table has the ``geom`` column.
GEOM_VERSION = 3
#: Tables every safegeo registry has; an SQLite file with other tables and not these is not a registry.
REGISTRY_TABLES = frozenset({"schema_version", "vehicles", "vehicle_history"})
SCHEMA_VERSION = MIGRATIONS[-1].version



@functools.lru_cache(maxsize=1)
def postgis_vehicles_table() -> sa.Table:
    """``vehicles`` as it is on PostgreSQL from :data:`GEOM_VERSION` on: the same columns, plus ``geom``.

    ``geom`` is computed by the database (``GENERATED ALWAYS``), so inserts and
    updates never name it; queries use it for spatial filters (GiST index).
    """
    geoalchemy2 = require_postgres()
    cols = [sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in vehicles_table.columns]
    geom = sa.Column("geom", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False),
                     sa.Computed(GEOM_EXPRESSION, persisted=True))
    return sa.Table("vehicles", sa.MetaData(), *cols, geom)
