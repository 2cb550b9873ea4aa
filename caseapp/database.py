"""Engine set-up that the ORM cannot express: SQLite pragmas and write-locking transactions.

SQLite's default (deferred) transaction takes the write lock only at the first write. A request that
reads, decides and then writes can therefore interleave with another worker doing the same, and the
second one either fails with "database is locked" mid-request or, worse, acts on what it read before
the other's commit. We begin every transaction with BEGIN IMMEDIATE instead, so a writer holds the lock
from its first statement; readers are not blocked thanks to WAL. Requests that cannot write (GET, HEAD,
OPTIONS) begin deferred transactions, so that reading never waits for the lock.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: False while a request that cannot write is handled; then SQLite transactions begin deferred.
_may_write: contextvars.ContextVar[bool] = contextvars.ContextVar("caseapp_may_write", default=True)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def configure_engine(engine: Engine) -> None:
    if not is_sqlite(engine):
        return

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not _is_memory(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write.get() else "BEGIN")


def _is_memory(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:"


@contextmanager
def read_only():
    """Within this block, new SQLite transactions do not take the write lock."""
    token = _may_write.set(False)
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
