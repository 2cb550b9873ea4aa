"""Engine set-up that the ORM cannot express: SQLite pragmas and write-locking transactions.

SQLite's default (deferred) transaction takes the write lock only at the first write. A request that
reads, decides and then writes can therefore interleave with another worker doing the same, and the
second one either fails with "database is locked" mid-request or, worse, acts on what it read before
the other's commit. We begin every transaction with BEGIN IMMEDIATE instead, so a writer holds the lock
from its first statement; readers are not blocked thanks to WAL. Requests that cannot write (GET, HEAD,
OPTIONS) begin deferred transactions, so that reading never waits for the lock.

Failing fast: a database that does not answer must give the user a "try again" page in seconds, well
before the web server's worker timeout (gunicorn: 30 s) kills the worker. PostgreSQL gets a connect
timeout and a statement timeout, SQLite a busy timeout (how long a writer waits for the lock); all three
are settings (see README, Configuration).

Durability: SQLite runs in WAL mode with synchronous=FULL by default, so that a write the user was told
about survives a power cut (NORMAL is faster but may lose the last transactions then).

The app never creates a database by accident: a missing SQLite file is refused at connect time (unless
`allow_create()` or the SQLITE_CREATE setting says otherwise), so that a wrong path or a lost disk gives
an error, not an empty database that answers "up".
"""

from __future__ import annotations

import contextvars
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine

from caseapp.private_files import create_private_file

#: False while a request that cannot write is handled; then SQLite transactions begin deferred.
_may_write: contextvars.ContextVar[bool] = contextvars.ContextVar("caseapp_may_write", default=True)

#: True while the migrations run: they may create the SQLite file (flask db upgrade on a fresh install)
_may_create: contextvars.ContextVar[bool] = contextvars.ContextVar("caseapp_may_create", default=False)

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")

#: SQLite's page cache of a connection writing a large import (KiB), and everyone else's (SQLite's default)
BULK_CACHE_KIB = 262_144
DEFAULT_CACHE_KIB = 2_000


class DatabaseMissing(RuntimeError):
    """The SQLite file the app is configured with does not exist."""

    def __init__(self, path: Path):
        super().__init__(
            f"The database file {path} does not exist. Create it with `flask --app caseapp db upgrade` "
            f"(`make run` does it), or point DATABASE_URL / CASEAPP_INSTANCE_PATH at the existing one. "
            f"(SQLITE_CREATE = True lets the app create an empty file.)"
        )
        self.path = path


#: execution options of a query that must see the rows of an import still being applied (hidden from
#: everything else, caseapp/imports/visibility.py): the uniqueness checks, whose database constraint sees them
SEES_ROWS_BEING_IMPORTED = {"caseapp_sees_rows_being_imported": True}


def error_text(error: BaseException) -> str:
    """One line saying what is wrong with the database, for a command's `Error: ...` (no SQL, no traceback)."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = reason[0] if reason else type(error).__name__
    if "does not exist. Create it with" in reason:  # DatabaseMissing, as the driver raised it
        return reason
    return f"The database is not available: {reason}"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_path(url: URL | str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    from sqlalchemy.engine import make_url

    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename (uri=true), e.g. file:/srv/caseapp.sqlite?mode=ro
        database = database[len("file:") :].split("?", 1)[0]
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    return Path(database)


def engine_options(config) -> dict:
    """Engine options of the configured database: the connect timeout for PostgreSQL."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return options
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", max(int(config["DATABASE_CONNECT_TIMEOUT"]), 2))  # libpq: >= 2
    options["connect_args"] = connect_args
    options.setdefault("pool_timeout", config["DATABASE_CONNECT_TIMEOUT"])
    return options


def configure_engine(engine: Engine, config) -> None:
    if not is_sqlite(engine):
        statement_timeout_ms = int(float(config["DATABASE_STATEMENT_TIMEOUT"]) * 1000)

        @event.listens_for(engine, "connect")
        def _postgresql_on_connect(dbapi_connection, connection_record):
            # A query that runs longer is cancelled: the user gets "try again", the worker lives on.
            _set_statement_timeout(dbapi_connection, statement_timeout_ms)
            connection_record.info["statement_timeout_ms"] = statement_timeout_ms

        return

    busy_timeout_ms = int(float(config["SQLITE_BUSY_TIMEOUT"]) * 1000)
    synchronous = str(config["SQLITE_SYNCHRONOUS"]).upper()
    if synchronous not in SYNCHRONOUS_MODES:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS_MODES)}, not {synchronous!r}")
    path = sqlite_path(engine.url)
    create_allowed = bool(config.get("SQLITE_CREATE"))

    @event.listens_for(engine, "do_connect")
    def _sqlite_refuse_missing_file(dialect, connection_record, cargs, cparams):
        if path is not None and not path.exists():
            if not (create_allowed or _may_create.get()):
                raise sqlite3.OperationalError(str(DatabaseMissing(path)))
            # SQLite would create the file readable by every local user (umask 022): create it
            # owner-only first. Its -wal and -shm files take the database file's mode.
            create_private_file(path)

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        if path is not None:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "checkin")
    def _sqlite_on_checkin(dbapi_connection, connection_record):
        if connection_record is not None and connection_record.info.pop("caseapp_bulk_cache", False):
            dbapi_connection.execute(f"PRAGMA cache_size=-{DEFAULT_CACHE_KIB}")

    @event.listens_for(engine, "begin")
    def _sqlite_on_begin(connection):
        connection.info["caseapp_deferred"] = not _may_write.get()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write.get() else "BEGIN")


def _set_statement_timeout(dbapi_connection, milliseconds: int) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # outside any transaction: SET lasts for the session
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(milliseconds)}")
    dbapi_connection.autocommit = autocommit


@contextmanager
def without_statement_timeout(connection):
    """No statement timeout on this (PostgreSQL) connection within the block (the migrations)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    record = connection.connection
    _set_statement_timeout(record.dbapi_connection, 0)
    try:
        yield
    finally:
        if not connection.invalidated:
            _set_statement_timeout(record.dbapi_connection, record.info.get("statement_timeout_ms", 0))


@contextmanager
def allow_create():
    """Within this block, connecting may create a missing SQLite file (the migrations do)."""
    token = _may_create.set(True)
    try:
        yield
    finally:
        _may_create.reset(token)


def use_bulk_cache(connection) -> None:
    """Give this connection a large page cache until it goes back to the pool (SQLite).

    With the default 2 MB, a bulk insert into tables with several indexes evicts the same index pages again
    and again, and each eviction writes them to the WAL while the write lock is held; with a large cache
    they are written once, at commit (a 100,000-row import's apply took half the time). The cache only grows
    as pages are used, and goes back to the default when the connection returns to the pool."""
    if not is_sqlite(connection.engine):
        return
    # on the driver's connection: through SQLAlchemy's, the pragma would begin a transaction
    connection.connection.dbapi_connection.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    connection.connection.info["caseapp_bulk_cache"] = True


def end_read_transaction(session) -> None:
    """End the session's SQLite transaction if it began deferred (under `read_only`, so it only read): the
    next one then begins with the write lock. A read transaction cannot become a write one once someone
    else has written since it began (SQLite fails it at once, without waiting)."""
    if not session.in_transaction():
        return
    connection = session.connection()
    if is_sqlite(connection.engine) and connection.info.get("caseapp_deferred"):
        session.rollback()


@contextmanager
def read_only():
    """Within this block, new SQLite transactions do not take the write lock."""
    token = _may_write.set(False)
    try:
        yield
    finally:
        _may_write.reset(token)


@contextmanager
def writing():
    """Within this block, new SQLite transactions take the write lock at BEGIN (an import's own short
    transactions, within a request that began without it)."""
    token = _may_write.set(True)
    try:
        yield
    finally:
        _may_write.reset(token)


def may_write() -> bool:
    """Whether the current transaction (or the next one) begins with the write lock on SQLite."""
    return _may_write.get()


def set_request_may_write(may_write: bool):
    return _may_write.set(may_write)


def reset_request_may_write(token) -> None:
    _may_write.reset(token)


class ForeignKeyViolation(RuntimeError):
    """Rows point at rows that do not exist (SQLite's PRAGMA foreign_key_check found them)."""


@contextmanager
def foreign_keys_off(connection: Connection):
    """On SQLite, run the block with foreign-key enforcement off; elsewhere, just run it.

    Migrations rebuild SQLite tables (copy, DROP the old one, rename the copy). With enforcement on, the
    DROP deletes the old table's rows one by one and ON DELETE CASCADE empties every table that refers
    to it: a downgrade or upgrade silently deleted every case and record. The pragma is a no-op inside a
    transaction, so it is set here, before the migration's transaction begins, and checked.
    Call check_foreign_keys() before the transaction commits.
    """
    if not is_sqlite(connection.engine):
        yield
        return
    if connection.in_transaction():
        raise RuntimeError("foreign keys can only be switched off outside a transaction")
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    if raw.execute("PRAGMA foreign_keys").fetchone()[0] != 0:
        raise RuntimeError("SQLite refused to switch foreign keys off; nothing was migrated")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection: Connection) -> None:
    """Raise ForeignKeyViolation if any row of a SQLite database points at a missing row."""
    if not is_sqlite(connection.engine):
        return  # PostgreSQL checks every foreign key at every statement
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        shown = "; ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in problems[:10])
        raise ForeignKeyViolation(
            f"{len(problems)} row(s) point at missing rows ({shown}); the migration was rolled back"
        )


#: the PostgreSQL advisory lock that `db upgrade` holds while it migrates (an arbitrary, fixed number)
MIGRATION_LOCK_ID = 151_662_026


def lock_migrations(connection: Connection) -> None:
    """PostgreSQL: wait until no other process is migrating this database, then hold the lock until this
    transaction ends (several app servers starting at once each run `db upgrade`)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
