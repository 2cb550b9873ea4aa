"""Test fixtures. The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL
names one (as .ci/run does). The schema is built once per run by the real migrations; every test then
starts from the reference data alone (offices and catalog)."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient

from caseapp import create_app
from caseapp.extensions import db, limiter
from caseapp.language.catalog import compile_catalogues
from tests import factories


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's own app context (and so its db session).

    Flask reuses an app context that is already pushed, which would let a request see the test's
    uncommitted objects and skip the session teardown. Each request here gets a context of its own, as
    in production; before it the test's pending changes are committed, afterwards the test's session is expired so that it reads what the request wrote."""

    def open(self, *args, **kwargs):
        outer = _cv_app.get(None)
        if outer is not None:
            db.session.commit()  # end the test's transaction: an open one would hold SQLite's write lock
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if outer is not None:
                db.session.expire_all()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def _reset_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
    except sa.exc.OperationalError as error:
        pytest.exit(f"The test database {engine.url!r} does not answer: {error}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    compile_catalogues()  # the Georgian .mo is built from the .po, never committed
    instance = tmp_path_factory.mktemp("instance")
    os.environ["CASEAPP_INSTANCE_PATH"] = str(instance)
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast for tests; production keeps scrypt
    })
    app.test_client_class = IsolatedClient
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        app.extensions["caseapp_reference_rows"] = _snapshot_reference_data()
    return app


REFERENCE_TABLES = (
    "field_office",
    "assistance_type",
    "project",  # the Unassigned one
    "questionnaire_version",
    "monitoring_rule",
)


def _snapshot_reference_data():
    tables = db.metadata.tables
    return {name: [dict(row._mapping) for row in db.session.execute(sa.select(tables[name]))]
            for name in REFERENCE_TABLES}


def _restore_reference_data(rows) -> None:
    if db.session.connection().dialect.name == "postgresql":
        # The audit is append-only (a trigger refuses DELETE, migration h16a_01); the test database's
        # owner empties it between tests the way a DBA would, with the triggers off for this transaction.
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    for name in REFERENCE_TABLES:
        db.session.execute(db.metadata.tables[name].insert(), rows[name])
    db.session.commit()


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    """Every test starts from migrated reference data only, and leaves no app context behind."""
    with app.app_context():
        _restore_reference_data(app.extensions["caseapp_reference_rows"])
        limiter.reset()  # login attempts counted by earlier tests (all from 127.0.0.1) do not carry over
    yield
    app.config["WTF_CSRF_ENABLED"] = False
    _check_analytics(app)


def _check_analytics(app) -> None:
    """Whatever a test wrote, and by whatever path (services, Core bulk statements, imports, merges, plain SQL),
    the report's analytics tables still equal what the base tables say (database triggers, caseapp/analytics)."""
    from caseapp.analytics.services import analytics_differences

    with app.app_context():
        try:
            differences = analytics_differences()
        finally:
            db.session.rollback()
    assert not differences, f"the analytics tables differ from the base tables after this test: {differences}"


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app_ctx):
    """Factories bound to the test database: make.user(...), make.returnee(...), make.record(...)."""
    return factories


@pytest.fixture
def login(client):
    def do_login(user, password=factories.PASSWORD):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, "login failed"
        return client

    return do_login
