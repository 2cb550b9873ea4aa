"""A database that hangs, is missing, is behind the code, read-only or locked: /healthz says so within
2 s, pages answer 503 "try again" (never a 500, never after 30 s), and nothing creates a database."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from caseapp import create_app
from caseapp.database import DatabaseMissing, sqlite_path
from caseapp.extensions import db
from caseapp.health import head_revisions
from tests.factories import PASSWORD

TRY_AGAIN = "Please try again in a moment"


def other_app(url: str, **settings):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True, "WTF_CSRF_ENABLED": False, **settings}
    )


@contextmanager
def disposed(app):
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@contextmanager
def hung_database_server():
    """A socket that accepts connections and never answers (a hung host, a stuck proxy)."""
    listener = socket.create_server(("127.0.0.1", 0))  # any free port: suites may run side by side
    hung_port = listener.getsockname()[1]
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"postgresql+psycopg://caseapp@127.0.0.1:{hung_port}/caseapp"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def health(app):
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    return response.status_code, json.loads(response.data), time.monotonic() - started


def test_healthz_answers_503_within_2_seconds_when_the_database_hangs():
    with hung_database_server() as url, disposed(other_app(url)) as app:
        status, body, seconds = health(app)
    assert (status, body["problem"]) == (503, "unreachable")
    assert seconds < 2


def test_a_page_answers_503_try_again_when_the_database_hangs_not_after_the_worker_timeout():
    with hung_database_server() as url, disposed(other_app(url, DATABASE_CONNECT_TIMEOUT=2)) as app:
        started = time.monotonic()
        response = app.test_client().post("/login", data={"username": "someone", "password": PASSWORD})
        seconds = time.monotonic() - started
    assert response.status_code == 503 and TRY_AGAIN in response.text
    assert seconds < 10  # the connect timeout, well under gunicorn's 30 s


def test_a_missing_sqlite_file_is_reported_and_never_created(tmp_path):
    missing = tmp_path / "caseapp.sqlite"
    with disposed(other_app(f"sqlite:///{missing}")) as app:
        status, body, _ = health(app)
        page = app.test_client().post("/login", data={"username": "someone", "password": PASSWORD})
    assert (status, body["problem"]) == (503, "missing")
    assert page.status_code == 503
    assert not missing.exists()


def test_a_server_refuses_to_start_on_a_missing_sqlite_file(tmp_path):
    missing = tmp_path / "caseapp.sqlite"
    with pytest.raises(DatabaseMissing, match="db upgrade"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{missing}", "SECRET_KEY": "x"})
    assert not missing.exists()


def test_the_migrations_create_a_missing_sqlite_file(tmp_path, monkeypatch):
    missing = tmp_path / "new.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path))
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    made = []
    command_line = FlaskGroup(create_app=lambda: made.append(create_app({"SECRET_KEY": "x"})) or made[-1])
    result = CliRunner().invoke(command_line, ["db", "upgrade"])  # a command starts: it is not a server
    assert result.exit_code == 0, result.output
    with disposed(made[0]) as app:
        assert health(app)[0] == 200


def test_healthz_answers_503_when_the_database_is_not_at_the_head_revision(app):
    (head,) = head_revisions()
    with app.app_context():
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0004'"))
        db.session.commit()
        try:
            status, body, _ = health(app)
        finally:
            db.session.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()
    assert (status, body["problem"]) == (503, "not at head revision")
    assert health(app)[0] == 200


def _read_only_url(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{sqlite_path(url)}?mode=ro&uri=true"
    return url.update_query_dict({"options": "-c default_transaction_read_only=on"}).render_as_string(
        hide_password=False
    )


def test_a_read_only_database_answers_503_to_healthz_and_to_a_write(app, make):
    worker = make.user()
    with app.app_context():
        url = _read_only_url(db.engine.url)
    with disposed(other_app(url)) as read_only:
        status, body, _ = health(read_only)
        # logging in writes the time of the login: the write is refused, the user told to try again
        response = read_only.test_client().post("/login", data={"username": worker.username, "password": PASSWORD})
    assert (status, body["problem"]) == (503, "read-only")
    assert response.status_code == 503 and TRY_AGAIN in response.text


def test_a_write_that_waits_too_long_for_a_lock_answers_503_try_again(app, make):
    username = make.user().username
    db.session.commit()  # the test's own transaction must not hold the lock
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        impatient = other_app(url.render_as_string(hide_password=False), SQLITE_BUSY_TIMEOUT=0.05)
        holder = sqlite3.connect(sqlite_path(url), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        release = holder.close
    else:
        impatient = other_app(url.render_as_string(hide_password=False), DATABASE_STATEMENT_TIMEOUT=0.2)
        engine = sa.create_engine(url)
        holder = engine.connect()
        holder.exec_driver_sql("LOCK TABLE user_account IN ACCESS EXCLUSIVE MODE")  # until released

        def release():
            holder.close()
            engine.dispose()

    try:
        with disposed(impatient):
            response = impatient.test_client().post("/login", data={"username": username, "password": PASSWORD})
    finally:
        release()
    assert response.status_code == 503 and TRY_AGAIN in response.text


def test_a_signed_in_user_gets_503_try_again_when_the_database_fails_to_load_them(app, make, login, monkeypatch):
    from caseapp.extensions import login_manager

    client = login(make.user())

    def database_gone(session_id):
        raise sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(login_manager, "_user_callback", database_gone)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/returnees/")
    assert response.status_code == 503 and TRY_AGAIN in response.text


@pytest.mark.parametrize(
    "arguments",
    [
        ["db", "current"],
        ["db", "check"],
        ["db", "downgrade", "0001", "--yes"],
        ["db", "stamp", "head"],
        ["backup"],
        ["backup", "--verify"],
        ["report", "--from", "2024-01-01", "--to", "2024-12-31"],
        ["seed-demo"],
        ["export-data", "export.xlsx"],
        ["import-undo", "1"],
        ["create-user", "--help"],
    ],
)
def test_a_command_on_a_missing_sqlite_file_says_so_in_one_line_and_creates_nothing(tmp_path, monkeypatch, arguments):
    missing = tmp_path / "caseapp.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    made = []
    command_line = FlaskGroup(create_app=lambda: made.append(create_app({"SECRET_KEY": "x"})) or made[-1])
    result = CliRunner().invoke(command_line, arguments)
    assert not missing.exists()
    if arguments[-1] == "--help":
        assert result.exit_code == 0
        return
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [f"Error: {DatabaseMissing(missing)}"], result.output
    assert not isinstance(result.exception, sa.exc.SQLAlchemyError)  # told, not crashed
    with disposed(made[0]) as app:
        assert health(app)[:2] == (503, {"status": "unavailable", "database": "down", "problem": "missing"})


def test_a_command_on_a_database_that_does_not_answer_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/nothing")
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path))
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    command_line = FlaskGroup(create_app=lambda: create_app({"SECRET_KEY": "x"}))
    result = CliRunner().invoke(command_line, ["report", "--from", "2024-01-01", "--to", "2024-12-31"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: The database is not available: "), line
