"""/healthz: is the database there, answering, writable and at the schema the code expects?

The answer comes within HEALTHZ_TIMEOUT (1 s) whatever the database does: the check runs in a thread of
its own on a connection of its own (never the pool's, which a hung server could hold), and a check that
has not finished in time is the answer "unavailable". It never creates a database."""
from __future__ import annotations

import os
import threading
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy.pool import NullPool

from caseapp import database
from caseapp.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@cache
def head_revisions() -> frozenset[str]:
    """The revisions the code expects (the heads of migrations/versions)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_problem(app: Flask) -> str | None:
    """None when the database is fine, otherwise what is wrong: missing, unreachable (down, hung or too
    slow), not at the head revision, read-only."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    path = database.sqlite_path(url)
    if path is not None:
        if not path.exists():
            return "missing"
        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)  # WAL writes next to it
        if not writable or url.query.get("mode") == "ro" or "mode=ro" in (url.database or ""):
            return "read-only"
    outcome: list[str | None] = []
    engine = _health_engine(app)
    probe = threading.Thread(target=lambda: outcome.append(_probe(engine)), daemon=True)
    probe.start()
    probe.join(app.config["HEALTHZ_TIMEOUT"])
    return outcome[0] if outcome else "unreachable"


def _health_engine(app: Flask) -> sa.Engine:
    engine = app.extensions.get("caseapp_health_engine")
    if engine is None:
        options = {"poolclass": NullPool}
        if db.engine.dialect.name == "postgresql":
            options["connect_args"] = {"connect_timeout": 2}  # libpq's shortest; the thread stops waiting sooner
        engine = sa.create_engine(db.engine.url, **options)
        database.configure_engine(engine, {**app.config, "SQLITE_CREATE": False})
        app.extensions["caseapp_health_engine"] = engine
    return engine


def _probe(engine: sa.Engine) -> str | None:
    try:
        with database.read_only(), engine.connect() as connection:
            revisions = set(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
            if revisions != head_revisions():
                return "not at head revision"
            if connection.dialect.name == "postgresql" and \
                    connection.scalar(sa.text("SHOW transaction_read_only")) == "on":
                return "read-only"
            if connection.dialect.name == "sqlite" and connection.scalar(sa.text("PRAGMA query_only")):
                return "read-only"
    except sa.exc.SQLAlchemyError:
        return "unreachable"
    return None


def register_healthz(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        problem = database_problem(app)
        if problem is not None:
            return jsonify(status="unavailable", database="down", problem=problem), 503
        return jsonify(status="ok", database="up")
