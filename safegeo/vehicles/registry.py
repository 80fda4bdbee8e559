"""The emergency-vehicle registry: a real database of the fleet, with history.

A :class:`Registry` wraps one SQLAlchemy engine: an SQLite file (the default:
WAL journal, foreign keys on, a busy timeout so concurrent writers wait
instead of failing) for one office, or a PostgreSQL database with PostGIS
(``postgresql://user@host/db``, driven by psycopg 3; the ``postgres`` extra)
shared by a whole province.  Both have the same tables, history and ordered
:data:`MIGRATIONS`; the schema carries a version number.

Tables
------
``vehicles``
    One row per vehicle: ``vehicle_id`` (unique, e.g. the plate), ``type``
    (:data:`~safegeo.schema.VEHICLE_TYPES`), ``agency``, base ``lon``/``lat``
    (EPSG:4326), ``status`` (:data:`~safegeo.schema.VEHICLE_STATUSES`),
    ``capacity``, ``capabilities`` (comma-separated
    :data:`~safegeo.schema.VEHICLE_CAPABILITIES`), ``contact`` (sensitive),
    ``notes``, ``updated_at``, ``updated_by``.  On PostgreSQL also ``geom``, a
    PostGIS ``geometry(Point, 4326)`` the database computes from ``lon``/``lat``
    (a generated column: never out of step), with a GiST index.
``vehicle_history``
    Every change: ``vehicle_id``, ``action`` (add, update, remove), ``field``,
    ``old_value``, ``new_value``, ``changed_at`` and ``changed_by``.  An add
    or a removal is one row holding the whole record as JSON; an update is one
    row per changed field.  History has no foreign key to ``vehicles`` on
    purpose: it outlives removed vehicles.
``schema_version``
    The migrations applied.

Upgrades
--------
An SQLite file (one user) is brought up to date when it is opened.  A
PostgreSQL registry is shared, so opening it never changes its schema: an
older schema whose pending steps only add things (indexes, the ``geom``
column) is read as it is, and a change asks for ``safegeo vehicles migrate``
(:meth:`Registry.migrate`), which one administrator runs once after upgrading
safegeo.  A fresh, empty database (or a new file) gets the whole schema on the
first ``add`` or ``import``, or from ``safegeo vehicles migrate``.

Reliability
-----------
Every write runs in one transaction.  On SQLite it starts with
``BEGIN IMMEDIATE``, so the write lock is taken before anything is read: two
processes updating the same vehicle are serialised and neither update is lost
(the second waits up to the busy timeout).  On PostgreSQL the vehicle rows a
write changes are locked with ``SELECT ... FOR UPDATE`` inside its
transaction: two offices updating the same vehicle are serialised the same
way, and updates of different vehicles never wait for each other (the busy
timeout is the server's ``lock_timeout``).  An import is all rows or none: a
process killed half-way leaves the database as it was (SQLite rolls the
unfinished transaction back on the next open; PostgreSQL as soon as the
connection drops).  A damaged or foreign file is reported as
:class:`~safegeo.RegistryError`, not a traceback.

Foreign files and read-only copies
----------------------------------
Before anything connects, an existing SQLite file is checked: a GeoPackage,
any other SQLite database, or a file that is not SQLite at all is refused and
left byte for byte as it was (an empty file, or an SQLite file without
tables, may become a registry).  A registry opens **read-only** when asked
(``read_only=True``) and on its own when the file or its folder is not
writable (permission bits are honoured even for root, and read-only media
are detected): the connection uses SQLite's ``mode=ro`` URI, or
``immutable=1`` when nobody can be writing the file (no ``-wal`` / ``-shm``
files are created then), never switches the journal to WAL and never
migrates.  Listing, showing, history, export, backup, dispatch and response
all work on such a copy; a change raises :class:`~safegeo.RegistryError`.

A PostgreSQL registry opens read-only when asked (the server enforces it:
``default_transaction_read_only``), when the database role may only read it
(``GRANT SELECT`` and no ``INSERT`` / ``UPDATE`` / ``DELETE``: a public-export
role), and on a standby server; such a connection never tries to create or
migrate tables, and a change says why it is refused.

Public outputs
--------------
``public=True`` (:meth:`Registry.get`, :meth:`Registry.vehicles`,
:meth:`Registry.history`, :meth:`Registry.export`) applies the one public
filter, :mod:`safegeo.privacy`: ``contact``, ``notes`` and ``updated_by`` are
left out, phone numbers and e-mail addresses in the other text are removed,
and in the history the values of those fields are blanked and the add /
remove snapshots filtered the same way.

Import rules
------------
:meth:`Registry.import_file` *adds* vehicles: an id already in the registry is
an error unless ``update=True`` (``--update`` on the command line), which
upserts: new ids are added, existing ones get the values of the columns
present in the file (empty cells keep the stored value).  Every row is
validated first (unknown type / status / capability, missing or out-of-range
coordinates, a base outside the study area when a study is given, an id
repeated in the file or already registered, missing required fields) and all
problems are reported together; nothing is written if any row is bad.

Examples
--------
>>> reg = Registry("fleet.db")                                     # doctest: +SKIP
>>> reg.add("KT-1234", type="ambulance", lon=101.82, lat=6.42,     # doctest: +SKIP
...         agency="Narathiwat Hospital")
>>> reg.update("KT-1234", status="maintenance", by="somchai")     # doctest: +SKIP
>>> reg.vehicles(type="ambulance")                                # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from safegeo._errors import (
    Problem,
    RegistryError,
    VehicleDataError,
    VehicleNotFoundError,
)
from safegeo.privacy import is_withheld, public_frame, public_record
from safegeo.schema import (
    VEHICLE_STATUSES,
    VEHICLE_TYPES,
)
from safegeo.vehicles.dbschema import (
    GEOM_VERSION,
    MIGRATIONS,
    REGISTRY_TABLES,
    SCHEMA_VERSION,
    Migration,
    history_table,
    metadata,
    postgis_vehicles_table,
    require_postgres,
    schema_version,
    vehicles_table,
)
from safegeo.vehicles.records import (
    BUSY_TIMEOUT_S,
    DEFAULT_DB,
    EDITABLE,
    FIELDS,
    ImportResult,
    _check_values,
    _fmt_value,
    _is_missing,
    _now,
    _points_to_lonlat,
    _public_snapshot,
    _rows_problem,
    _text,
    _with_district,
    db_url,
    read_vehicle_file,
)

if TYPE_CHECKING:
    from safegeo.study import StudyArea

log = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock that serialises migrations of one database.
_MIGRATE_LOCK_KEY = 0x5AFE6E0


def _redact(text: str) -> str:
    """*text* with any password of a URL in it replaced by ``***``."""
    return re.sub(r"(://[^/@:\s]*:)[^@\s]*@", r"\1***@", text)


def _first_line(exc: BaseException | None) -> str:
    """The first line of a database error (the server's detail lines are left out)."""
    text = str(exc).strip()
    return _redact(text.splitlines()[0] if text else type(exc).__name__)


# ---------------------------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------------------------
class Registry:
    """An emergency-vehicle registry in a database.

    Parameters
    ----------
    db
        Path of an SQLite file (created when *create*), or a database URL:
        ``postgresql://user@host:5432/dbname`` for a PostgreSQL database with
        PostGIS (psycopg 3, the ``postgres`` extra; keep the password in
        ``PGPASSWORD`` or ``~/.pgpass``, not in the URL), or any SQLAlchemy URL.
    create
        Create the file and schema when missing.  With ``False`` a missing
        registry is an error (read-only commands use this so a typo in the
        path does not create an empty registry).
    read_only
        Open without changing anything (see the module notes).  A registry
        whose file or folder is not writable, or whose database role may only
        read it, opens read-only anyway; :attr:`read_only` says which way it
        was opened and :attr:`read_only_reason` why.
    upgrade
        Apply pending schema migrations when opening.  ``None`` (the default)
        does so for an SQLite file (one user) and not for a server database,
        which is shared: there an older schema is read as it is (when its
        pending steps only add things) and changes ask for ``safegeo vehicles
        migrate`` (:meth:`migrate`).
    busy_timeout_s
        How long a writer waits for another process's lock before giving up
        (SQLite's busy timeout, PostgreSQL's ``lock_timeout``).

    Raises
    ------
    RegistryError
        The file is not a database, is damaged, is a GeoPackage or an SQLite
        database of something else (the file is left unchanged), was made by
        a newer safegeo, or cannot be created; the server cannot be reached;
        the schema is too old to read.
    MissingExtraError
        A PostgreSQL URL without the ``postgres`` extra installed.

    Examples
    --------
    >>> with Registry("/media/usb/fleet.db", read_only=True) as reg:   # doctest: +SKIP
    ...     fleet = reg.vehicles(public=True)
    >>> reg = Registry("postgresql://narathiwat@fleet.example/fleet")  # doctest: +SKIP
    """

    def __init__(self, db: str | os.PathLike = DEFAULT_DB, *, create: bool = True, read_only: bool = False,
                 upgrade: bool | None = None, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.url = db_url(db)
        try:
            self.backend = sa.engine.make_url(self.url).get_backend_name()
        except sa.exc.ArgumentError:
            raise RegistryError(f"{_redact(self.url)}: not a file path or a database URL",
                                hint="give a file path (fleet.db) or a URL like postgresql://user@host/db") from None
        self.is_sqlite = self.backend == "sqlite"
        self.is_postgres = self.backend == "postgresql"
        if self.is_postgres:
            require_postgres()
        self.path: Path | None = None
        #: Why changes are refused (None: the registry is writable).
        self.read_only_reason: str | None = "it was opened read-only" if read_only else None
        self._read_only_hint: str | None = None
        self._outdated: str | None = None  # why changes wait for `safegeo vehicles migrate`
        #: Migrations this object applied (when it created or upgraded the registry), oldest first.
        self.applied_migrations: list[Migration] = []
        self._vt: sa.Table = vehicles_table
        self._immutable = False
        if self.is_sqlite:
            raw = self.url.split(":///", 1)[-1] if ":///" in self.url else ""
            if raw and raw != ":memory:":
                self.path = Path(raw)
                if not self.path.exists() and not (create and not read_only):
                    raise RegistryError(f"{self.path}: no vehicle registry there",
                                        hint="check --db (or SAFEGEO_DB), or create one with `safegeo vehicles "
                                             "add` or `safegeo vehicles import`")
                if self.path.is_dir():
                    raise RegistryError(f"{self.path} is a folder, not a registry file",
                                        hint="give a file name such as fleet.db")
                if not self.path.parent.exists():
                    raise RegistryError(f"{self.path}: the folder {self.path.parent} does not exist",
                                        hint="create the folder first or choose another path")
                self._check_file(busy_timeout_s)
            elif read_only:
                raise RegistryError("an in-memory registry cannot be opened read-only",
                                    hint="give the path of a registry file")
        self.engine = self._make_engine(busy_timeout_s)
        try:
            self._open(create, self.is_sqlite if upgrade is None else upgrade)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def read_only(self) -> bool:
        """True when the registry was opened read-only (asked for, not writable, or a role that may only read)."""
        return self.read_only_reason is not None

    @property
    def pending_migrations(self) -> list[Migration]:
        """Schema steps this safegeo knows and the registry has not had yet (see :meth:`migrate`)."""
        current = self.schema_version
        return [m for m in MIGRATIONS if m.version > current]

    def _check_file(self, busy_timeout_s: float) -> None:
        """Refuse a file that is not a registry before anything connects; decide read-only and immutable."""
        path = self.path
        assert path is not None
        blocked = _write_blocker(path)
        if not path.exists():
            if blocked:
                raise RegistryError(f"{path}: cannot create a registry here: {blocked}",
                                    hint="choose a writable folder, or fix its permissions")
            return
        if blocked and self.read_only_reason is None:
            log.info("registry %s: %s; opening read-only", path, blocked)
        if blocked:
            self.read_only_reason = blocked
        # nobody can write a file in this state, so SQLite may skip locking and the -wal/-shm files entirely;
        # a non-empty -wal still holds committed changes, which only a WAL-aware (mode=ro) reader sees
        wal = Path(f"{path}-wal")
        pending_wal = wal.exists() and wal.stat().st_size > 0
        self._immutable = blocked is not None and not pending_wal
        # the check reads a WAL-mode file without a pending -wal as immutable too: a mode=ro reader would leave
        # empty -wal/-shm files beside someone else's database, and its main file is complete
        check_immutable = self._immutable or (not pending_wal and _header_says_wal(path))
        _check_registry_file(path, _sqlite_uri(path, immutable=check_immutable), busy_timeout_s)

    def __repr__(self) -> str:
        return f"Registry({self.where!r}, schema v{self.schema_version})"

    @property
    def where(self) -> str:
        """The file path (SQLite) or the URL without password."""
        if self.path is not None:
            return str(self.path)
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    # -- engine and transactions -----------------------------------------------------------------
    def _make_engine(self, busy_timeout_s: float) -> Engine:
        try:
            if self.is_sqlite:
                return self._sqlite_engine(busy_timeout_s)
            if self.is_postgres:
                return self._postgres_engine(busy_timeout_s)
            return sa.create_engine(self.url, pool_pre_ping=True)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise RegistryError(f"{self.where}: cannot use this database URL ({_redact(str(exc))})",
                                hint="give a file path (fleet.db) or a URL like postgresql://user@host/db "
                                     "with its driver installed") from None

    def _sqlite_engine(self, busy_timeout_s: float) -> Engine:
        if self.read_only and self.path is not None:
            uri = _sqlite_uri(self.path, immutable=self._immutable)
            engine = sa.create_engine(
                "sqlite://", poolclass=sa.pool.QueuePool,
                creator=lambda: sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, check_same_thread=False))
        else:
            engine = sa.create_engine(self.url, connect_args={"timeout": busy_timeout_s})
        timeout_ms = int(busy_timeout_s * 1000)
        read_only = self.read_only

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
            # let SQLAlchemy (not the sqlite3 module) emit BEGIN, so writes can use BEGIN IMMEDIATE
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            try:
                cur.execute(f"PRAGMA busy_timeout = {timeout_ms}")
                if read_only:  # no journal change, no write of any kind
                    cur.execute("PRAGMA query_only = ON")
                    return
                cur.execute("PRAGMA foreign_keys = ON")
                mode = cur.execute("PRAGMA journal_mode").fetchone()
                if mode and str(mode[0]).lower() != "wal":
                    cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("safegeo_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    def _postgres_engine(self, busy_timeout_s: float) -> Engine:
        url = sa.engine.make_url(self.url)
        # the server shows who is connected (pg_stat_activity); a name given in the URL wins
        connect_args = {} if "application_name" in url.query else {"application_name": "safegeo"}
        engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        lock_ms = max(1, int(busy_timeout_s * 1000))
        read_only = self.read_only

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, record: Any) -> None:
            with dbapi_conn.cursor() as cur:
                # a writer waits this long for a row another writer holds, then gives up with a clear error
                cur.execute(f"SET lock_timeout = {lock_ms}")
                if read_only:  # asked for: the server refuses any change, whatever the role may do
                    cur.execute("SET default_transaction_read_only = on")
            dbapi_conn.commit()

        return engine

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn database-level failures into :class:`RegistryError` with a clear message."""
        try:
            yield
        except RegistryError:
            raise
        except sa.exc.IntegrityError as exc:  # a server: two writers added the same id at once
            raise RegistryError(f"{self.where}: another writer made the same change at the same moment "
                                f"({_first_line(exc.orig)}); nothing was changed",
                                hint="run the command again: it now sees the other writer's change") from None
        except (sa.exc.DatabaseError, sqlite3.DatabaseError) as exc:
            orig = getattr(exc, "orig", exc)
            text = str(orig).lower()
            code = getattr(orig, "sqlstate", None)
            if not self.is_sqlite and isinstance(exc, sa.exc.OperationalError) and code is None:
                raise RegistryError(f"{self.where}: cannot connect to the database ({_first_line(orig)})",
                                    hint="check the host, port, database and user in --db (or SAFEGEO_DB); keep "
                                         "the password in PGPASSWORD or ~/.pgpass, not in the URL") from None
            if code == "42501" or "permission denied" in text or "must be owner" in text:
                raise RegistryError(f"{self.where}: the database role may not do this ({_first_line(orig)}); "
                                    "nothing was changed",
                                    hint="connect as a role with the needed privileges (`safegeo vehicles "
                                         "migrate` needs the owner of the registry tables)") from None
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                raise RegistryError(f"{self.where}: the file is damaged or is not a database ({orig})",
                                    hint="restore it from a backup (`safegeo vehicles backup` makes one), or "
                                         "point --db at another file") from None
            if "locked" in text or "busy" in text or code in ("55P03", "40P01"):
                raise RegistryError(f"{self.where}: the database stayed locked by another process "
                                    f"({_first_line(orig)})",
                                    hint="retry; if it persists, look for a stuck safegeo process") from None
            if "readonly" in text or "read-only" in text or "unable to open" in text:
                if self.read_only:
                    raise RegistryError(f"{self.where}: cannot read the registry read-only ({orig})",
                                        hint="copy the file (with its -wal file, if any) to a writable folder "
                                             "and open the copy") from None
                raise RegistryError(f"{self.where}: cannot write the database ({_first_line(orig)})",
                                    hint="check the file and folder permissions, or the database role") from None
            raise RegistryError(f"{self.where}: database error ({_first_line(orig)})") from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite); commits at the end, rolls back on error."""
        if self.read_only_reason is not None:
            raise RegistryError(f"{self.where}: the registry is read-only ({self.read_only_reason}); nothing was "
                                "changed", hint=self._read_only_hint or "make changes in a writable copy: check "
                                                "the file and folder permissions, or open it without read_only")
        if self._outdated is not None:
            raise RegistryError(f"{self.where}: {self._outdated}; nothing was changed",
                                hint="upgrade the registry once with `safegeo vehicles migrate` (same --db or "
                                     "SAFEGEO_DB, as the role that owns its tables), then retry")
        with self._transaction() as conn:
            yield conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn:
            conn = conn.execution_options(safegeo_write=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    def _open(self, create: bool, upgrade: bool) -> None:
        with self._guard():
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    check = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
                    if [tuple(r) for r in check] != [("ok",)]:
                        detail = "; ".join(str(r[0]) for r in check[:3])
                        raise RegistryError(f"{self.where}: the database file is damaged ({detail})",
                                            hint="restore it from a backup made with `safegeo vehicles backup`")
                if self.is_postgres:  # the tables an unqualified name reaches (search_path), as every query does
                    tables = set(conn.execute(sa.text(
                        "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'f') "
                        "AND pg_catalog.pg_table_is_visible(c.oid)")).scalars())
                    self._check_role(conn, tables)
                else:
                    tables = set(sa.inspect(conn).get_table_names())
                conn.rollback()
            if self.is_sqlite:
                fresh = "schema_version" not in tables
                if fresh and tables:
                    raise RegistryError(
                        f"{self.where}: this database is not a safegeo vehicle registry "
                        f"(it has tables {', '.join(sorted(tables)[:8])} but no schema_version)",
                        hint="point --db at a registry file or a new file name")
            else:  # a server database may hold other tables too; ours are all there or none is
                present = tables & REGISTRY_TABLES
                fresh = not present
                if present and present != REGISTRY_TABLES:
                    raise RegistryError(
                        f"{self.where}: this database is not a safegeo vehicle registry (it has "
                        f"{', '.join(sorted(present))} but no {', '.join(sorted(REGISTRY_TABLES - present))})",
                        hint="point --db at a registry database, or at an empty database for a new registry")
            if fresh:
                if not create or self.read_only:
                    why = f" and it is read-only ({self.read_only_reason})" if self.read_only else ""
                    raise RegistryError(f"{self.where}: the database has no vehicle registry yet{why}",
                                        hint=self._read_only_hint or "create it with `safegeo vehicles add`, "
                                             "`safegeo vehicles import` or `safegeo vehicles migrate`")
                self.migrate()
                return
            # an up-to-date registry is opened without the write lock: readers (list, dispatch) never
            # wait for a long import, and a read-only copy can still be listed
            current = self.schema_version
            self._check_version(current)
            pending = [m for m in MIGRATIONS if m.version > current]
            if pending and upgrade and not self.read_only:
                self.migrate()
                return
            if pending:
                steps = "; ".join(f"v{m.version}: {m.description}" for m in pending)
                if not all(m.read_compatible for m in pending):
                    if self.read_only:
                        raise RegistryError(
                            f"{self.where}: registry schema v{current} is older than this safegeo reads "
                            f"(v{SCHEMA_VERSION}) and it is read-only ({self.read_only_reason}), so it cannot be "
                            "upgraded",
                            hint="open a writable copy once (any `safegeo vehicles` command upgrades it)"
                            if self.is_sqlite else "ask the registry's administrator to run `safegeo vehicles migrate`")
                    raise RegistryError(
                        f"{self.where}: registry schema v{current} is older than this safegeo reads "
                        f"(v{SCHEMA_VERSION}); a shared registry is upgraded only when asked",
                        hint=f"upgrade it once with `safegeo vehicles migrate` (same --db or SAFEGEO_DB); it applies "
                             f"{steps}")
                if not self.read_only:
                    self._outdated = (f"registry schema v{current} is older than this safegeo (v{SCHEMA_VERSION}), "
                                      "which upgrades a shared registry only when asked")
                log.info("registry %s: schema v%d read as it is (v%d adds only %s)", self.where, current,
                         SCHEMA_VERSION, steps)
            self._use_version(current)

    def _check_role(self, conn: Connection, tables: set[str]) -> None:
        """On PostgreSQL: open read-only when the role may only read, or the server is a standby."""
        if self.read_only:
            return
        user, schema, standby, tx_read_only = conn.execute(sa.text(
            "SELECT current_user, current_schema(), pg_is_in_recovery(), current_setting('transaction_read_only')"
        )).one()
        reason = hint = None
        if standby:
            reason, hint = "the server is a read-only standby", "make changes on the primary server"
        elif tx_read_only == "on":
            reason = f"the database role '{user}' opens read-only transactions (default_transaction_read_only)"
            hint = "connect as a role that may change the registry"
        elif tables >= REGISTRY_TABLES:
            needed = [("vehicles", "INSERT"), ("vehicles", "UPDATE"), ("vehicles", "DELETE"),
                      ("vehicle_history", "INSERT")]
            have = conn.execute(sa.text(
                "SELECT " + ", ".join(f"has_table_privilege('{t}', '{p}')" for t, p in needed) +
                ", has_sequence_privilege(pg_get_serial_sequence('vehicle_history', 'id'), 'USAGE')")).one()
            missing = [f"{p} on {t}" for (t, p), ok in zip(needed, have[:-1], strict=True) if not ok]
            if not have[-1]:
                missing.append("USAGE on the vehicle_history id sequence")
            if missing:
                reason = f"the database role '{user}' may only read it (no {', '.join(missing)})"
                hint = ("connect as a role that may change the registry (see the README: GRANT SELECT, INSERT, "
                        "UPDATE, DELETE ON vehicles ...)")
        elif not tables & REGISTRY_TABLES:
            can_create = schema is not None and conn.execute(
                sa.text("SELECT has_schema_privilege(:s, 'CREATE')"), {"s": schema}).scalar()
            if not can_create:
                reason = f"the database role '{user}' may not create tables in schema {schema or '(none)'}"
                hint = ("create the registry once as the database owner (`safegeo vehicles migrate`), then grant "
                        "this role access")
        if reason:
            log.info("registry %s: %s; opening read-only", self.where, reason)
            self.read_only_reason, self._read_only_hint = reason, hint

    def _use_version(self, version: int) -> None:
        """Pick the table model matching the schema: with ``geom`` on PostgreSQL from :data:`GEOM_VERSION` on."""
        self._vt = postgis_vehicles_table() if self.is_postgres and version >= GEOM_VERSION else vehicles_table

    def migrate(self) -> list[Migration]:
        """Apply the pending schema migrations, all in one transaction; returns those applied, oldest first.

        Creates the schema in a new file or an empty database.  On PostgreSQL
        this needs the role that owns the registry tables (and PostGIS in the
        database, or the right to create the extension); two processes
        migrating at once are serialised and each step is applied once.

        Returns
        -------
        list of Migration
            Empty when the registry was up to date.

        Raises
        ------
        RegistryError
            The registry is read-only, the role may not change the schema, or
            the schema is newer than this safegeo.

        Examples
        --------
        >>> with Registry("postgresql://admin@fleet.example/fleet", create=False) as reg:  # doctest: +SKIP
        ...     print([m.description for m in reg.migrate()])
        """
        if self.read_only_reason is not None:
            raise RegistryError(f"{self.where}: the registry is read-only ({self.read_only_reason}), so it cannot be "
                                "upgraded", hint=self._read_only_hint or "open it without read_only")
        applied: list[Migration] = []
        with self._transaction() as conn:
            if conn.dialect.name == "postgresql":  # one migrator at a time; the others then find nothing to do
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK_KEY})
            metadata.create_all(conn, tables=[schema_version])
            current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
            self._check_version(current)
            for mig in MIGRATIONS:
                if mig.version > current:
                    mig.apply(conn)
                    conn.execute(schema_version.insert().values(version=mig.version, description=mig.description,
                                                                 applied_at=_now()))
                    applied.append(mig)
        for mig in applied:
            log.info("registry %s: applied migration %d (%s)", self.where, mig.version, mig.description)
        self._outdated = None
        self.applied_migrations += applied
        self._use_version(SCHEMA_VERSION)
        return applied

    def _check_version(self, current: int) -> None:
        if current > SCHEMA_VERSION:
            raise RegistryError(
                f"{self.where}: registry schema v{current} is newer than this safegeo knows (v{SCHEMA_VERSION})",
                hint="upgrade safegeo")

    @property
    def schema_version(self) -> int:
        """The schema version of the database (the last migration applied)."""
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- single vehicles -------------------------------------------------------------------------
    def add(
        self,
        vehicle_id: str,
        *,
        type: str,
        lon: float,
        lat: float,
        agency: str | None = None,
        status: str = "available",
        capacity: int | None = None,
        capabilities: str | Iterable[str] = (),
        contact: str | None = None,
        notes: str | None = None,
        by: str | None = None,
    ) -> dict[str, Any]:
        """Register a new vehicle.

        Parameters
        ----------
        vehicle_id
            Unique id, e.g. the licence plate ``"KT-1234"``.
        type
            One of :data:`~safegeo.schema.VEHICLE_TYPES`.
        lon, lat
            Base location in degrees (EPSG:4326).
        agency, status, capacity, capabilities, contact, notes
            Other fields; *capabilities* is a list or a comma-separated string.
        by
            Who made the change (recorded in the history).

        Returns
        -------
        dict
            The stored record.

        Raises
        ------
        VehicleDataError
            A value is invalid, or the id is already registered.
        """
        vid = _text(vehicle_id)
        values = {"type": type, "lon": lon, "lat": lat, "agency": agency, "status": status, "capacity": capacity,
                  "capabilities": capabilities, "contact": contact, "notes": notes}
        clean, errors = _check_values(values, require=True)
        if vid is None:
            errors.insert(0, "vehicle_id is missing")
        if errors:
            raise VehicleDataError(f"vehicle {vid or '?'}: " + "; ".join(errors))
        with self._write() as conn:
            if conn.execute(sa.select(vehicles_table.c.vehicle_id).where(vehicles_table.c.vehicle_id == vid)).first():
                raise VehicleDataError(f"vehicle {vid} is already registered",
                                       hint=f"change it with `safegeo vehicles update {vid} ...`")
            record = self._insert(conn, [(vid, clean)], by=by)[0]
        return record

    def _insert(self, conn: Connection, rows: list[tuple[str, dict[str, Any]]], *, by: str | None) -> list[dict]:
        now = _now()
        records = []
        for vid, clean in rows:
            rec = {"vehicle_id": vid, "type": clean["type"], "agency": clean.get("agency"), "lon": clean["lon"],
                   "lat": clean["lat"], "status": clean.get("status") or "available",
                   "capacity": clean.get("capacity"), "capabilities": clean.get("capabilities", ""),
                   "contact": clean.get("contact"), "notes": clean.get("notes"), "updated_at": now, "updated_by": by}
            records.append(rec)
        if records:
            conn.execute(vehicles_table.insert(), records)
            conn.execute(history_table.insert(), [
                {"vehicle_id": r["vehicle_id"], "action": "add", "field": None, "old_value": None,
                 "new_value": json.dumps({k: r[k] for k in FIELDS if k not in ("updated_at", "updated_by")},
                                         ensure_ascii=False),
                 "changed_at": now, "changed_by": by}
                for r in records
            ])
        return records

    def _apply_update(self, conn: Connection, old: dict[str, Any], clean: dict[str, Any], *,
                      by: str | None) -> dict[str, Any] | None:
        """Write the fields of *clean* that differ from *old*; one history row per change."""
        changes: dict[str, tuple[Any, Any]] = {}
        for key, new in clean.items():
            if key in ("lon", "lat"):
                continue
            if old.get(key) != new:
                changes[key] = (old.get(key), new)
        if "lon" in clean or "lat" in clean:
            new_loc = (clean.get("lon", old["lon"]), clean.get("lat", old["lat"]))
            if (round(old["lon"], 7), round(old["lat"], 7)) != new_loc:
                changes["location"] = ((old["lon"], old["lat"]), new_loc)
        if not changes:
            return None
        now = _now()
        values: dict[str, Any] = {k: v[1] for k, v in changes.items() if k != "location"}
        if "location" in changes:
            values["lon"], values["lat"] = changes["location"][1]
        values.update(updated_at=now, updated_by=by)
        conn.execute(vehicles_table.update().where(vehicles_table.c.vehicle_id == old["vehicle_id"]).values(**values))
        conn.execute(history_table.insert(), [
            {"vehicle_id": old["vehicle_id"], "action": "update", "field": k, "old_value": _fmt_value(k, o),
             "new_value": _fmt_value(k, n), "changed_at": now, "changed_by": by}
            for k, (o, n) in changes.items()
        ])
        return {**old, **values}

    def update(self, vehicle_id: str, *, by: str | None = None, **changes: Any) -> dict[str, Any]:
        """Change fields of a registered vehicle; every changed field goes to the history.

        Parameters
        ----------
        vehicle_id
            The vehicle to change.
        by
            Who made the change.
        **changes
            Any of ``type, agency, lon, lat, status, capacity, capabilities,
            contact, notes``; ``None`` clears an optional field.

        Returns
        -------
        dict
            The record after the change.

        Raises
        ------
        VehicleNotFoundError
            No such vehicle.
        VehicleDataError
            A value is invalid.
        """
        vid = _text(vehicle_id) or ""
        _, errors = _check_values({k: v for k, v in changes.items() if k not in ("lon", "lat")}, require=False)
        if errors:
            raise VehicleDataError(f"vehicle {vid}: " + "; ".join(errors))
        with self._write() as conn:
            old = self._get(conn, vid, lock=True)
            if ("lon" in changes) != ("lat" in changes):  # one coordinate: keep the other
                changes = {"lon": old["lon"], "lat": old["lat"], **changes}
            clean, errors = _check_values(changes, require=False)
            if errors:
                raise VehicleDataError(f"vehicle {vid}: " + "; ".join(errors))
            new = self._apply_update(conn, old, clean, by=by)
        return new or old

    def remove(self, vehicle_id: str, *, by: str | None = None) -> dict[str, Any]:
        """Delete a vehicle (its history stays); returns the removed record."""
        vid = _text(vehicle_id) or ""
        with self._write() as conn:
            old = self._get(conn, vid, lock=True)
            conn.execute(vehicles_table.delete().where(vehicles_table.c.vehicle_id == vid))
            conn.execute(history_table.insert().values(
                vehicle_id=vid, action="remove", field=None,
                old_value=json.dumps({k: old[k] for k in FIELDS if k not in ("updated_at", "updated_by")},
                                     ensure_ascii=False),
                new_value=None, changed_at=_now(), changed_by=by))
        return old

    def _get(self, conn: Connection, vid: str, *, lock: bool = False) -> dict[str, Any]:
        q = sa.select(vehicles_table).where(vehicles_table.c.vehicle_id == vid)
        if lock:  # row lock on servers (SQLite already holds the write lock from BEGIN IMMEDIATE)
            q = q.with_for_update()
        row = conn.execute(q).mappings().first()
        if row is None:
            near = conn.execute(sa.select(vehicles_table.c.vehicle_id)
                                .where(vehicles_table.c.vehicle_id.ilike(f"%{vid[:4]}%")).limit(5)).scalars().all()
            raise VehicleNotFoundError(f"no vehicle '{vid}' in {self.where}",
                                       hint=(f"similar ids: {', '.join(near)}" if near else
                                             "list them with `safegeo vehicles list`"))
        return dict(row)

    def get(self, vehicle_id: str, *, public: bool = False) -> dict[str, Any]:
        """The record of one vehicle; *public* applies the public filter (no ``contact``, ``notes``, ``updated_by``).

        Raises
        ------
        VehicleNotFoundError
            No such vehicle.
        """
        with self._read() as conn:
            rec = self._get(conn, _text(vehicle_id) or "")
        return public_record(rec) if public else rec

    # -- queries ---------------------------------------------------------------------------------
    def vehicles(
        self,
        *,
        type: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        agency: str | None = None,
        district: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        study: StudyArea | None = None,
        public: bool = False,
    ) -> gpd.GeoDataFrame:
        """The fleet as points (EPSG:4326), optionally filtered; the same frame from every backend.

        Parameters
        ----------
        type, status
            Keep these types / statuses (one or several).
        agency
            Keep vehicles whose agency contains this text (case-insensitive).
        district
            Keep vehicles based in this district (``district_id``, English
            or Thai name); needs *study*.  The district is the study's one
            area lookup (:meth:`safegeo.areas.AreaIndex.locate`); on PostGIS
            the database first narrows the fleet to the district's extent
            through the spatial index.
        bbox
            Keep vehicles whose base lies in ``(min_lon, min_lat, max_lon,
            max_lat)`` (degrees, edges included); on PostGIS through the
            spatial index of ``geom``.
        study
            Adds ``district_id`` and ``district`` columns from its districts.
        public
            Apply the public filter (:func:`safegeo.privacy.public_frame`):
            no ``contact``, ``notes`` or ``updated_by``, and no phone number
            or e-mail address in the other text.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns of :data:`FIELDS` (less ``lon``/``lat``) and point
            geometry, ordered by ``vehicle_id`` (code-point order on every
            backend).

        Raises
        ------
        VehicleDataError
            Unknown type/status, unknown district, *district* without
            *study*, or a malformed *bbox*.

        Examples
        --------
        >>> reg.vehicles(type="ambulance", bbox=(101.7, 6.3, 101.9, 6.5))  # doctest: +SKIP
        """
        t = self._vt
        q = sa.select(*(t.c[f] for f in FIELDS)).order_by(
            t.c.vehicle_id.collate("C") if self.is_postgres else t.c.vehicle_id)
        for col, val, allowed in (("type", type, VEHICLE_TYPES), ("status", status, VEHICLE_STATUSES)):
            if val is None:
                continue
            vals = [val] if isinstance(val, str) else list(val)
            bad = [v for v in vals if v not in allowed]
            if bad:
                raise VehicleDataError(f"unknown {col} {', '.join(bad)} (one of {', '.join(allowed)})")
            q = q.where(t.c[col].in_(vals))
        district_ids: set[str] | None = None
        if district is not None:
            district_ids = _district_ids(study, district)
            near = _district_extent(study, district_ids)
            if near is not None:  # a cheap first cut; the area lookup below decides
                q = self._in_box(q, near)
        if bbox is not None:
            q = self._in_box(q, _check_bbox(bbox))
        with self._read() as conn:
            df = pd.DataFrame(conn.execute(q).mappings().all(), columns=list(FIELDS))
        if agency:  # in Python, so non-ASCII text matches the same way on every backend
            hit = df["agency"].astype("string").str.casefold().str.contains(agency.casefold(), regex=False)
            df = df[hit.fillna(False).to_numpy(bool)].reset_index(drop=True)
        df["capacity"] = pd.array(df["capacity"].astype("Float64").round(), dtype="Int64")
        gdf = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                               geometry=gpd.points_from_xy(df["lon"].astype(float), df["lat"].astype(float)),
                               crs="EPSG:4326")
        if study is not None and study.has("districts"):
            gdf = _with_district(gdf, study)
        if district_ids is not None:
            gdf = gdf[gdf["district_id"].isin(district_ids)]
        if public:
            gdf = public_frame(gdf, what="vehicles")
        return gdf.reset_index(drop=True)

    def _in_box(self, q: sa.Select, box: tuple[float, float, float, float]) -> sa.Select:
        """*q* keeping bases inside *box* (edges included): PostGIS ``ST_Intersects`` on ``geom``, else lon/lat."""
        w, s, e, n = (sa.literal(float(v), sa.Float) for v in box)
        t = self._vt
        if "geom" in t.c:
            return q.where(t.c.geom.ST_Intersects(sa.func.ST_MakeEnvelope(w, s, e, n, 4326)))
        return q.where(t.c.lon.between(w, e), t.c.lat.between(s, n))

    def history(self, vehicle_id: str | None = None, *, limit: int | None = None,
                public: bool = False) -> pd.DataFrame:
        """Changes, oldest first: ``vehicle_id, action, field, old_value, new_value, changed_at, changed_by``.

        With *public*, the public filter applies (:mod:`safegeo.privacy`):
        the values of withheld fields (``contact``, ``notes``) are blank in
        their update rows and dropped from the add / remove snapshots, phone
        numbers and e-mail addresses in every other value are removed, and
        ``changed_by`` is left out.

        Raises
        ------
        VehicleNotFoundError
            *vehicle_id* has no history (it was never registered).
        """
        q = sa.select(history_table).order_by(history_table.c.id)
        if vehicle_id is not None:
            q = q.where(history_table.c.vehicle_id == vehicle_id)
        with self._read() as conn:
            df = pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in history_table.columns])
        if vehicle_id is not None and df.empty:
            raise VehicleNotFoundError(f"no history for vehicle '{vehicle_id}' in {self.where}",
                                       hint="list vehicles with `safegeo vehicles list`")
        if limit is not None:
            df = df.tail(limit)
        if public:
            df = df.copy()
            secret = np.array([isinstance(f, str) and is_withheld(f) for f in df["field"]], dtype=bool)
            df.loc[secret, ["old_value", "new_value"]] = None
            for col in ("old_value", "new_value"):
                snap = (df["field"].isna() & df[col].notna()).to_numpy()
                df.loc[snap, col] = [_public_snapshot(v) for v in df.loc[snap, col]]
            df = public_frame(df, what="vehicle history")  # scrubs the other values, drops changed_by
        return df.rename(columns={"id": "change"}).reset_index(drop=True)

    # -- import / export -------------------------------------------------------------------------
    def import_file(
        self,
        path: str | os.PathLike,
        *,
        layer: str | None = None,
        study: StudyArea | None = None,
        update: bool = False,
        by: str | None = None,
    ) -> ImportResult:
        """Import vehicles from CSV (``lon``/``lat`` columns), GeoJSON or GeoPackage; all rows or none.

        Parameters
        ----------
        path
            The file.  CSV needs ``vehicle_id``, ``type`` and coordinate
            columns (``lon``/``lat``, ``longitude``/``latitude`` or ``x``/``y``
            in degrees); vector files need point geometry.
        layer
            Layer name in a multi-layer file (GeoPackage).
        study
            When given, every base must lie inside the study area.
        update
            Upsert: existing ids are updated instead of refused.
        by
            Who made the change.

        Returns
        -------
        ImportResult

        Raises
        ------
        VehicleDataError
            Listing every bad row; nothing was imported.
        LayerReadError
            The file cannot be read.
        """
        frame, source, problems = read_vehicle_file(path, layer=layer)
        return self.import_frame(frame, source=source, study=study, update=update, by=by, problems=problems)

    def import_frame(
        self,
        frame: pd.DataFrame,
        *,
        source: str = "vehicles",
        study: StudyArea | None = None,
        update: bool = False,
        by: str | None = None,
        problems: list[Problem] | None = None,
    ) -> ImportResult:
        """Import vehicles from a table with ``vehicle_id``, ``type``, ``lon``, ``lat`` columns (all or none).

        A GeoDataFrame of points is accepted too (its coordinates are used, in
        EPSG:4326).  See :meth:`import_file` for the rules.
        """
        problems = list(problems or [])
        if isinstance(frame, gpd.GeoDataFrame):
            frame, geo_problems = _points_to_lonlat(frame, source)
            problems += geo_problems
        df = frame.reset_index(drop=True)
        n = len(df)
        missing_cols = [c for c in ("vehicle_id", "type", "lon", "lat") if c not in df.columns
                        and not (c in ("lon", "lat") and problems)]
        if missing_cols:
            problems.append(_rows_problem(source, [], f"column(s) {', '.join(missing_cols)} missing",
                                          "vehicles need vehicle_id, type and a base location (lon, lat)"))
        present = [c for c in EDITABLE if c in df.columns]
        ids = [_text(v) for v in df["vehicle_id"]] if "vehicle_id" in df.columns else [None] * n
        row_errors: dict[int, list[str]] = {}
        for p in problems:  # geometry problems found while reading
            for r in p.rows:
                row_errors.setdefault(r, []).append(p.message)
        problems = [p for p in problems if not p.rows]

        def bad(row: int, msg: str) -> None:
            row_errors.setdefault(row, []).append(msg)

        rows: list[tuple[int, str, dict]] = []
        first_row: dict[str, int] = {}
        records = df[present].to_dict("records")
        for i in range(n):
            row = i + 1
            rec = {c: v for c, v in records[i].items() if not _is_missing(v)}
            vid = ids[i]
            if vid is None:
                bad(row, "vehicle_id is missing")
            elif vid in first_row:
                bad(row, f"vehicle_id '{vid}' repeats row {first_row[vid]}")
            else:
                first_row[vid] = row
            clean, errors = _check_values(rec, require=not update)
            for e in errors:
                bad(row, e)
            rows.append((row, vid or "", clean))

        if study is not None:
            ok = [(r, c) for r, _, c in rows if "lon" in c]
            if ok:
                pts = gpd.GeoSeries(gpd.points_from_xy([c["lon"] for _, c in ok], [c["lat"] for _, c in ok]),
                                    crs="EPSG:4326").to_crs(study.crs)
                inside = shapely.covers(study.extent, pts.values)
                for (r, _), is_in in zip(ok, inside):
                    if not is_in:
                        bad(r, "base lies outside the study area")

        result = ImportResult(source)
        with self._write() as conn:
            wanted = sorted(first_row)
            existing: dict[str, dict] = {}
            for k in range(0, len(wanted), 500):
                q = sa.select(vehicles_table).where(vehicles_table.c.vehicle_id.in_(wanted[k:k + 500]))
                if update:  # on a server, lock the rows to change (in one order: two imports cannot deadlock)
                    key = vehicles_table.c.vehicle_id
                    q = q.order_by(key.collate("C") if self.is_postgres else key).with_for_update()
                for rec in conn.execute(q).mappings():
                    existing[rec["vehicle_id"]] = dict(rec)
            new_rows: list[tuple[str, dict]] = []
            upd_rows: list[tuple[dict, dict]] = []
            for row, vid, clean in rows:
                if not vid or first_row.get(vid) != row:
                    continue
                if vid in existing:
                    if not update:
                        bad(row, f"vehicle_id '{vid}' is already in the registry (use --update to change "
                                 "existing vehicles)")
                    else:
                        upd_rows.append((existing[vid], clean))
                else:
                    missing = [k for k in ("type", "lon") if k not in clean]
                    if update and missing and row not in row_errors:
                        bad(row, f"new vehicle '{vid}' needs " + " and ".join(
                            "a type" if m == "type" else "coordinates" for m in missing))
                    new_rows.append((vid, clean))
            if problems or row_errors:  # raising rolls the (still empty) transaction back
                all_problems = problems + [Problem("vehicles", "; ".join(msgs), "error", source, None, (r,))
                                           for r, msgs in sorted(row_errors.items())]
                lines = [f"{source}: {len(row_errors)} bad row(s) of {n}; nothing was imported:"]
                lines += [f"  - {p.format()}" for p in problems]
                lines += [f"  - row {r}: {'; '.join(msgs)}" for r, msgs in sorted(row_errors.items())]
                raise VehicleDataError("\n".join(lines), problems=all_problems,
                                       hint="fix those rows and import the whole file again")
            _write_rows(self, conn, new_rows, upd_rows, result, by=by)
        log.info("%s", result.format())
        return result

    def export(self, path: str | os.PathLike, *, public: bool = False, layer: str = "vehicles",
               study: StudyArea | None = None) -> Path:
        """Write the fleet to GeoPackage, GeoJSON or CSV (by suffix), atomically.

        CSV (:func:`safegeo.io.write_csv`: UTF-8 with a byte-order mark for
        Excel, formula-looking text neutralised) gets ``lon``/``lat`` columns;
        the others are EPSG:4326 points that open directly in QGIS.  *public*
        applies the public filter (see :meth:`vehicles`).  Works on a
        read-only registry.

        Raises
        ------
        VehicleDataError
            Unknown file suffix.
        """
        from safegeo.io import atomic_path, write_csv

        path = Path(path)
        suffix = path.suffix.lower()
        gdf = self.vehicles(public=public, study=study)
        if suffix in (".gpkg", ".geojson", ".json"):
            import pyogrio

            # geometry_type: an empty fleet still makes a point layer (not "Unknown") for QGIS
            with atomic_path(path, suffix=suffix) as tmp:
                pyogrio.write_dataframe(gdf, tmp, layer=layer, driver="GPKG" if suffix == ".gpkg" else "GeoJSON",
                                        geometry_type="Point")
            return path
        if suffix == ".csv":
            df = pd.DataFrame(gdf.drop(columns="geometry"))
            df.insert(3, "lon", gdf.geometry.x.round(7))
            df.insert(4, "lat", gdf.geometry.y.round(7))
            return write_csv(path, df)
        raise VehicleDataError(f"{path}: cannot export to '{suffix or 'no suffix'}'",
                               hint="use a .gpkg, .geojson or .csv file name")

    def backup(self, dest: str | os.PathLike) -> Path:
        """Copy the registry to *dest* with SQLite's online backup API (safe while others write).

        Raises
        ------
        RegistryError
            The registry is not an SQLite file.
        """
        from safegeo.io import atomic_path

        if not self.is_sqlite:
            hint = "use the database's own tools"
            if self.is_postgres:
                url = self.where.replace("postgresql+psycopg://", "postgresql://", 1)
                hint = f"use PostgreSQL's own tools: pg_dump --format=custom --file fleet.dump '{url}' (see the README)"
            raise RegistryError(f"{self.where}: `backup` copies SQLite registries only", hint=hint)
        dest = Path(dest)
        with self._guard(), atomic_path(dest, suffix=".db") as tmp, self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            target = sqlite3.connect(tmp)
            try:
                raw.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                target.close()
        return dest


def _check_bbox(bbox: Any) -> tuple[float, float, float, float]:
    """*bbox* as ``(min_lon, min_lat, max_lon, max_lat)`` floats, or a :class:`VehicleDataError` saying what is wrong."""
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise VehicleDataError(f"bbox {bbox!r} is not four numbers (min_lon, min_lat, max_lon, max_lat)") from None
    if not all(np.isfinite([w, s, e, n])) or not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise VehicleDataError(f"bbox {w:g},{s:g},{e:g},{n:g} is not min_lon,min_lat,max_lon,max_lat in degrees "
                               "with min <= max", hint="e.g. 101.7,6.3,101.9,6.5 (longitudes first)")
    return w, s, e, n


def _district_ids(study: StudyArea | None, district: str) -> set[str]:
    """Ids of the study districts named *district* (id, English or Thai name, any case)."""
    if study is None or not study.has("districts"):
        raise VehicleDataError("filtering by district needs a study area with districts",
                               hint="add --study STUDY.toml")
    d = study.layers["districts"]
    key = district.strip().lower()
    cols = [c for c in ("district_id", "name_en", "name_th") if c in d.columns]
    hit = np.zeros(len(d), bool)
    for c in cols:
        hit |= d[c].astype(str).str.strip().str.lower().to_numpy() == key
    if not hit.any():
        names = ", ".join(d[cols[1] if len(cols) > 1 else cols[0]].astype(str).tolist()[:20])
        raise VehicleDataError(f"no district '{district}' in the study area", hint=f"districts: {names}")
    return set(d.loc[hit, "district_id"].astype(str))


def _district_extent(study: StudyArea | None, ids: set[str]) -> tuple[float, float, float, float] | None:
    """A lon/lat box surely holding every place the area lookup puts in districts *ids* (None: no useful box).

    A place's district is its tambon's when tambons carry ``district_id``, so
    the box covers those tambons as well as the district polygons; edges are
    densified before reprojection and the box is padded, so it only ever
    keeps too much, never too little.
    """
    areas = getattr(study, "areas", None)
    if not areas or areas.crs is None:
        return None
    parts = []
    for level in ("district", "tambon"):
        a = areas.areas(level)
        if a is not None and "district_id" in a.columns:
            parts.append(a.geometry.values[a["district_id"].astype(str).isin(ids).to_numpy()])
    geoms = np.concatenate(parts) if parts else np.array([], dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        return None
    if areas.crs.is_projected:
        geoms = shapely.segmentize(geoms, 500.0 / areas.crs.axis_info[0].unit_conversion_factor)  # 500 m
    w, s, e, n = gpd.GeoSeries(geoms, crs=areas.crs).to_crs(4326).total_bounds
    pad = 1e-3  # about 110 m: far more than any reprojection error left after densifying
    return max(w - pad, -180.0), max(s - pad, -90.0), min(e + pad, 180.0), min(n + pad, 90.0)


def _write_rows(reg: Registry, conn: Connection, new_rows: list[tuple[str, dict]],
                upd_rows: list[tuple[dict, dict]], result: ImportResult, *, by: str | None) -> None:
    """Insert new vehicles and apply updates inside the import's transaction."""
    reg._insert(conn, new_rows, by=by)
    result.added = [vid for vid, _ in new_rows]
    for old, clean in upd_rows:
        if reg._apply_update(conn, old, clean, by=by) is None:
            result.unchanged.append(old["vehicle_id"])
        else:
            result.updated.append(old["vehicle_id"])


# ---------------------------------------------------------------------------------------------
# files: foreign files, read-only copies
# ---------------------------------------------------------------------------------------------
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: SQLite application_id values of GeoPackage files ("GPKG", and "GP10" / "GP11" of GeoPackage 1.0 / 1.1).
_GPKG_APPLICATION_IDS = frozenset({0x47504B47, 0x47503130, 0x47503131})


def _writable(path: Path) -> bool:
    """Writable by us, and not marked read-only by its permission bits (honoured for root too)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & 0o222)


def _write_blocker(path: Path) -> str | None:
    """Why SQLite could not change *path* (None when it can): the file or its folder is not writable."""
    if path.exists() and not _writable(path):
        return "the file is not writable"
    if not _writable(path.parent):
        return f"its folder {path.parent} is not writable"
    return None


def _header_says_wal(path: Path) -> bool:
    """True when the SQLite header of *path* says WAL journal (file format versions 2 at offsets 18 and 19)."""
    try:
        with path.open("rb") as f:
            head = f.read(20)
    except OSError:
        return False
    return head.startswith(_SQLITE_MAGIC) and head[18:20] == b"\x02\x02"


def _sqlite_uri(path: Path, *, immutable: bool) -> str:
    """A read-only SQLite URI for *path* (``immutable=1`` when nobody can be writing it)."""
    return path.resolve().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def _check_registry_file(path: Path, uri: str, busy_timeout_s: float) -> None:
    """Refuse an existing file that is not a safegeo registry; reads it read-only and never changes it."""
    fix = "point --db (or SAFEGEO_DB) at a vehicle registry such as fleet.db, or at a new file name"
    try:
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the file ({exc.strerror})",
                            hint="check the file permissions") from None
    if not head:
        return  # an empty file becomes a new registry
    if not head.startswith(_SQLITE_MAGIC):
        raise RegistryError(f"{path}: not an SQLite database, so not a vehicle registry; the file was left unchanged",
                            hint=fix)
    if int.from_bytes(head[68:72], "big") in _GPKG_APPLICATION_IDS:
        raise RegistryError(f"{path} is a GeoPackage, not a vehicle registry; the file was left unchanged",
                            hint="to load vehicles from it use `safegeo vehicles import FILE.gpkg` with --db naming "
                                 "the registry; " + fix)
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise RegistryError(f"{path}: the database stayed locked by another process ({exc})",
                                hint="retry; if it persists, look for a stuck safegeo process") from None
        raise RegistryError(f"{path}: the file is damaged or is not a database ({exc}); it was left unchanged",
                            hint="restore it from a backup (`safegeo vehicles backup` makes one), or " + fix) from None
    tables = {t for t in tables if not t.startswith("sqlite_")}
    if not tables or tables >= REGISTRY_TABLES:
        return
    kind = "a GeoPackage" if "gpkg_contents" in tables else "an SQLite database of something else"
    shown = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "")
    raise RegistryError(f"{path} is {kind}, not a vehicle registry (tables {shown}); the file was left unchanged",
                        hint=fix)
