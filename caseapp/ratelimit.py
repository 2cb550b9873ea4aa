"""Where Flask-Limiter counts the login attempts (auth/views.py): one count for every app process and server.

RATELIMIT_STORAGE_URI chooses; left unset it means:
- PostgreSQL: the app's own database (`database://`, the `rate_limit_counter` table below). Several
  app servers, or several gunicorn workers of one, share the database already, so the limit holds for
  their sum without another service to run. Only login POSTs are limited, and a login writes to the
  database anyway (its audit entry, the failure count): one more upsert per attempt costs nothing
  that matters.
- SQLite: `memory://`, each worker process counting on its own (a SQLite file serves one host). The
  database is not used here: a login POST may already hold SQLite's write lock (caseapp/database.py)
  when the limit is checked, and the count on a connection of its own would wait for it.
- `redis://...` (the `redis` extra) when named: counts in Redis, for sites that run one anyway.

The counter is written on a connection of its own and committed at once: a refused or failed login
is counted even though its request may roll back. Time is the database's clock, so servers whose
clocks drift apart still agree on a window. Only the fixed-window strategy (Flask-Limiter's default)
is supported.
"""

from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa
from flask import Flask, current_app
from limits.errors import ConfigurationError
from limits.storage import Storage, storage_from_string
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.extensions import db

#: RATELIMIT_STORAGE_URI for the app's own database
DATABASE_STORAGE_URI = "database://"
#: where each app keeps its storage (see ThisAppsStorage)
EXTENSION_KEY = "caseapp.rate_limit_storage"
#: a longer limit key is stored as its SHA-256 (keys hold a client address or a typed username)
MAX_KEY_LENGTH = 200


class RateLimitCounter(db.Model):
    """The attempts counted against one limit (per address or per username) in its current window."""

    __tablename__ = "rate_limit_counter"

    #: Flask-Limiter's key: the limit and a client address or a typed username (gone with its window)
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH), primary_key=True, info={"personal": False})
    count: Mapped[int]
    #: when the window ends, in seconds since 1970 (the database's clock)
    expires_at: Mapped[float] = mapped_column(sa.Double, index=True)

    def __repr__(self) -> str:
        return f"<RateLimitCounter {self.key} {self.count} until {self.expires_at}>"


def _epoch_now():
    """The database's time in seconds since 1970: one clock for every app server."""
    return sa.extract("epoch", sa.func.clock_timestamp())


def _stored_key(key: str) -> str:
    return key if len(key) <= MAX_KEY_LENGTH else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """A `limits` storage in the app's PostgreSQL database (see the module's docstring)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, engine: sa.Engine, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if engine.dialect.name != "postgresql":
            raise ConfigurationError(
                f"RATELIMIT_STORAGE_URI = {DATABASE_STORAGE_URI!r} needs PostgreSQL (this database is "
                f"{engine.dialect.name}): use memory:// or redis://"
            )
        self.engine = engine

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's count and return the new count; a window that has ended starts anew."""
        table = RateLimitCounter.__table__
        now = _epoch_now()
        insert = postgresql.insert(table).values(key=_stored_key(key), count=amount, expires_at=now + expiry)
        ended = table.c.expires_at <= now
        upsert = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": sa.case((ended, insert.excluded.count), else_=table.c.count + amount),
                "expires_at": sa.case((ended, insert.excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with self.engine.begin() as connection:
            count = connection.execute(upsert).scalar_one()
            # Windows that ended go here: the table holds little more than the counts that still matter.
            connection.execute(sa.delete(table).where(table.c.expires_at < now))
        return count

    def get(self, key: str) -> int:
        table = RateLimitCounter.__table__
        with self.engine.connect() as connection:
            count = connection.execute(
                sa.select(table.c.count).where(table.c.key == _stored_key(key), table.c.expires_at > _epoch_now())
            ).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        table = RateLimitCounter.__table__
        with self.engine.connect() as connection:
            expires_at = connection.execute(
                sa.select(table.c.expires_at).where(table.c.key == _stored_key(key))
            ).scalar()
        return expires_at if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(sa.delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        table = RateLimitCounter.__table__
        with self.engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.key == _stored_key(key)))


class ThisAppsStorage(Storage):
    """The storage Flask-Limiter is given (extensions.py): the counts of the app that handles the request.

    Flask-Limiter keeps one storage per Limiter, and ours is made once, at import, for every app of the
    process; each app keeps its own storage (configure_storage), so that an app made later (the tests make
    several, on other databases) never counts in another app's store."""

    STORAGE_SCHEME = ["caseapp"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def of_app(self) -> Storage:
        return current_app.extensions[EXTENSION_KEY]

    @property
    def base_exceptions(self):
        return self.of_app.base_exceptions

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.of_app.incr(key, expiry, amount)

    def get(self, key: str) -> int:
        return self.of_app.get(key)

    def get_expiry(self, key: str) -> float:
        return self.of_app.get_expiry(key)

    def check(self) -> bool:
        return self.of_app.check()

    def reset(self) -> int | None:
        return self.of_app.reset()

    def clear(self, key: str) -> None:
        return self.of_app.clear(key)


def configure_storage(app: Flask) -> None:
    """Settle RATELIMIT_STORAGE_URI (see the module's docstring) and make this app's storage."""
    uri = app.config.get("RATELIMIT_STORAGE_URI")
    if not uri:
        dialect = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
        uri = DATABASE_STORAGE_URI if dialect == "postgresql" else "memory://"
        app.config["RATELIMIT_STORAGE_URI"] = uri
    options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
    if uri == DATABASE_STORAGE_URI:
        with app.app_context():
            options["engine"] = db.engine
    app.extensions[EXTENSION_KEY] = storage_from_string(uri, **options)
