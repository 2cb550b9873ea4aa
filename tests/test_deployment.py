"""Settings for several app servers (caseapp/deployment.py), the login counts in the database
(caseapp/ratelimit.py) and `db upgrade` run by several servers at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from limits.errors import ConfigurationError

from caseapp import database
from caseapp.deployment import DeploymentError, refuse_lone_server_settings, several_servers_problems
from caseapp.extensions import db, limiter
from caseapp.ratelimit import EXTENSION_KEY, DatabaseStorage, RateLimitCounter, configure_storage
from tests.multiserver import REPO_ROOT

PG_URL = "postgresql+psycopg://caseapp@db.example/caseapp"
ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only (TEST_DATABASE_URL)")


def settings(**overrides):
    config = {
        "SEVERAL_APP_SERVERS": True,
        "SQLALCHEMY_DATABASE_URI": PG_URL,
        "SECRET_KEY": "the same on every server",
        "RATELIMIT_STORAGE_URI": None,
        "BACKUP_DIR": "/srv/caseapp-backups",
    }
    config.update(overrides)
    return SimpleNamespace(config=config)


def test_several_servers_on_postgresql_with_a_shared_key_and_backup_folder_start(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert several_servers_problems(settings()) == []
    assert several_servers_problems(settings(RATELIMIT_STORAGE_URI="redis://cache:6379/0")) == []
    refuse_lone_server_settings(settings())


@pytest.mark.parametrize(
    "overrides,problem",
    [
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/caseapp.sqlite"}, "must be PostgreSQL"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "must not be memory://"),
        ({"BACKUP_DIR": None}, "BACKUP_DIR must name a directory every server mounts"),
    ],
)
def test_one_of_several_servers_refuses_to_start_on_settings_of_its_own(monkeypatch, overrides, problem):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(DeploymentError, match=problem):
        refuse_lone_server_settings(settings(**overrides))


def test_a_secret_key_from_the_environment_counts(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    assert several_servers_problems(settings(SECRET_KEY=None)) == []


def test_a_lone_server_is_not_checked():
    refuse_lone_server_settings(settings(SEVERAL_APP_SERVERS=False, SQLALCHEMY_DATABASE_URI="sqlite://"))


def test_the_app_factory_refuses_before_it_generates_a_key(tmp_path, monkeypatch):
    from caseapp import create_app

    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(DeploymentError, match="SECRET_KEY"):
        create_app({"SEVERAL_APP_SERVERS": True, "SQLALCHEMY_DATABASE_URI": PG_URL})
    assert not (tmp_path / "secret_key").exists()


def test_login_counts_live_in_the_database_on_postgresql_and_in_memory_on_sqlite(app):
    sqlite = SimpleNamespace(config={"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/x.sqlite"}, extensions={})
    configure_storage(sqlite)
    assert sqlite.config["RATELIMIT_STORAGE_URI"] == "memory://"
    named = SimpleNamespace(
        config={"SQLALCHEMY_DATABASE_URI": PG_URL, "RATELIMIT_STORAGE_URI": "memory://"}, extensions={}
    )
    configure_storage(named)
    assert named.config["RATELIMIT_STORAGE_URI"] == "memory://"  # named: kept
    expected = "database://" if ON_POSTGRESQL else "memory://"
    assert app.config["RATELIMIT_STORAGE_URI"] == expected


def test_the_database_storage_refuses_sqlite():
    with pytest.raises(ConfigurationError, match="needs PostgreSQL"):
        DatabaseStorage("database://", engine=sa.create_engine("sqlite://"))


@needs_postgresql
def test_the_database_storage_counts_per_key_and_window(app_ctx):
    storage = DatabaseStorage("database://", engine=db.engine)
    assert [storage.incr("LIMITER/10.0.0.1/login", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("LIMITER/10.0.0.2/login", 60) == 1
    assert storage.get("LIMITER/10.0.0.1/login") == 3
    assert storage.get_expiry("LIMITER/10.0.0.1/login") > time.time() + 50
    storage.clear("LIMITER/10.0.0.1/login")
    assert storage.get("LIMITER/10.0.0.1/login") == 0
    long_key = "LIMITER/account:" + "x" * 300
    assert [storage.incr(long_key, 60) for _ in range(2)] == [1, 2]
    assert storage.get(long_key) == 2
    assert storage.check()
    assert storage.reset() == 2


@needs_postgresql
def test_a_window_that_has_ended_starts_again_and_is_cleared_away(app_ctx):
    storage = DatabaseStorage("database://", engine=db.engine)
    storage.incr("ended", 1, amount=5)
    storage.incr("other", 1)
    time.sleep(1.1)
    assert storage.get("ended") == 0
    assert storage.incr("ended", 60) == 1  # a new window, not 6
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitCounter)) == 1  # "other" is gone


@needs_postgresql
def test_db_upgrade_waits_while_another_server_migrates(app):
    """`make serve` on two hosts at once: the second `db upgrade` waits for the first, then finds nothing to do."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    environment = {**os.environ, "DATABASE_URL": url}
    engine = sa.create_engine(url)
    try:
        with engine.begin() as holder:
            database.lock_migrations(holder)  # "the other server", migrating
            upgrade = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "caseapp", "db", "upgrade"],
                cwd=REPO_ROOT,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            time.sleep(4)  # well past the app's start: it is waiting for the lock
            assert upgrade.poll() is None, upgrade.stdout.read().decode()
        output, _ = upgrade.communicate(timeout=30)
        assert upgrade.returncode == 0, output.decode()
    finally:
        engine.dispose()


def test_each_app_counts_in_its_own_store(app, tmp_path):
    """The tests make apps on other databases: the suite's app keeps counting where it did."""
    from caseapp import create_app

    other = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}", "SECRET_KEY": "x"}
    )
    with app.app_context():
        assert limiter.storage.of_app is app.extensions[EXTENSION_KEY]
        assert isinstance(limiter.storage.of_app, DatabaseStorage) == ON_POSTGRESQL
    with other.app_context():
        assert limiter.storage.of_app is other.extensions[EXTENSION_KEY]
        assert not isinstance(limiter.storage.of_app, DatabaseStorage)
