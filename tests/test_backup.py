"""Backups: taken while the app writes, restored whole, verified table by table; the migration commands
take one first; administrators make and download them from a page, and the change log says so."""

from __future__ import annotations

import re
import stat
import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from caseapp import create_app
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.backup import services
from caseapp.backup.fingerprint import fingerprints
from caseapp.extensions import db


@pytest.fixture
def backup_dir(app, tmp_path):
    previous = app.config["BACKUP_DIR"]
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    yield tmp_path / "backups"
    app.config["BACKUP_DIR"] = previous


def test_backup_command_writes_an_owner_only_file_named_with_time_and_revision(runner, backup_dir, make):
    make.returnee("Gori")
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    [backup] = services.list_backups(backup_dir)
    assert backup.revision == services.current_revision(db.session.connection())
    assert backup.name.startswith(f"caseapp-{backup.taken_at:%Y%m%dT%H%M}")
    assert stat.S_IMODE(backup.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    assert str(backup.path) in result.output


def test_only_the_newest_backups_are_kept(app, runner, backup_dir, app_ctx):
    app.config["BACKUP_KEEP"] = 2
    try:
        for _ in range(3):
            assert runner.invoke(args=["backup"]).exit_code == 0
    finally:
        app.config["BACKUP_KEEP"] = 14
    names = [path.name for path in sorted(backup_dir.iterdir())]
    assert len(names) == 2
    assert [backup.name for backup in services.list_backups(backup_dir)] == sorted(names, reverse=True)


def test_backup_verify_restores_into_a_scratch_database_and_compares_every_table(runner, backup_dir, make):
    make.record(make.returnee("Gori"), "reception", amount="150")
    result = runner.invoke(args=["backup", "--verify"])
    assert result.exit_code == 0, result.output
    assert "Verified" in result.output
    assert "assistance_record" in result.output and "DIFFERENT" not in result.output


def test_verification_sees_a_row_the_backup_does_not_hold(app_ctx, backup_dir, make):
    backup = services.take_backup(db.engine, backup_dir)
    make.returnee("Gori", consents=())  # a returnee and a case, nothing else (but the report's row of the person)
    with db.engine.connect() as connection:
        live = fingerprints(connection)
    restored = services.restored_fingerprints(db.engine, backup.path)
    assert {table for table in live if live[table] != restored[table]} == {
        "returnee", "reintegration_case", "analytics_person"}


def test_restore_refuses_a_database_that_is_not_empty(runner, backup_dir, app_ctx):
    backup = services.take_backup(db.engine, backup_dir)
    result = runner.invoke(args=["restore", str(backup.path)])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("shopping list")
    result = runner.invoke(args=["restore", str(junk)])
    assert result.exit_code != 0
    assert "is not a caseapp backup" in result.output


def test_a_backup_taken_during_concurrent_writes_restores_every_committed_row(app, app_ctx, backup_dir):
    """Writers commit a returnee and its case in one transaction, again and again, while the backup runs:
    the restored copy holds every pair committed before the backup began, no half of a pair, nothing
    never committed, and equals the database at the moment it was taken (the verification)."""
    from tests import factories

    committed: list[tuple[float, int]] = []  # (monotonic time after commit, returnee id)
    stop, started = threading.Event(), threading.Event()

    def write_pairs() -> None:
        with app.app_context():
            while not stop.is_set():
                person = factories.returnee("Gori", last_name="Writer")  # returnee and case, one commit
                committed.append((time.monotonic(), person.id))
                if len(committed) >= 20:
                    started.set()

    threads = [threading.Thread(target=write_pairs) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        assert started.wait(30), "the writers did not get going"
        began = time.monotonic()
        verification = services.take_backup(db.engine, backup_dir, verify=True)
        ended = time.monotonic()
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert verification.ok, verification.differences
    before = {person for moment, person in committed if moment < began}
    everything = {person for _, person in committed}
    with services.scratch_database(db.engine) as scratch:
        services.restore_backup(verification.backup.path, scratch)
        with scratch.connect() as connection:
            people = set(connection.execute(sa.text("SELECT id FROM returnee WHERE last_name = 'Writer'")).scalars())
            with_case = set(
                connection.execute(
                    sa.text(
                        "SELECT returnee_id FROM reintegration_case JOIN returnee ON returnee.id = returnee_id"
                        " WHERE last_name = 'Writer'"
                    )
                ).scalars()
            )
    assert before <= people <= everything
    assert with_case == people
    assert any(began < moment < ended for moment, _ in committed), "nobody wrote while the backup ran"


def _scratch_app(tmp_path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'office.sqlite'}",
            "SECRET_KEY": "x",
            "TESTING": True,
            "BACKUP_DIR": str(tmp_path / "backups"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def _office_with_demo_data(tmp_path):
    """A SQLite office database of its own at head, with three demo returnees; returns the app and the
    database's fingerprints."""
    from flask_migrate import upgrade

    from caseapp.demo.data import seed_demo

    office = _scratch_app(tmp_path)
    with office.app_context():
        upgrade()
        seed_demo(3, on=date(2026, 1, 15))
        db.session.commit()
        with db.engine.connect() as connection:
            original = fingerprints(connection)
        db.engine.dispose()
    return office, original


def test_db_downgrade_of_a_database_with_data_asks_first_and_takes_a_backup(tmp_path):
    office, _ = _office_with_demo_data(tmp_path)
    with office.app_context():
        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        db.session.commit()
    runner = office.test_cli_runner()

    refused = runner.invoke(args=["db", "downgrade", "0003"], input="n\n")
    assert refused.exit_code != 0
    assert "Continue?" in refused.output
    assert services.list_backups(tmp_path / "backups") == []

    agreed = runner.invoke(args=["db", "downgrade", "0003", "--yes"])
    assert agreed.exit_code == 0, agreed.output
    [before_downgrade] = services.list_backups(tmp_path / "backups")
    assert (before_downgrade.revision, before_downgrade.reason) == (head, "before-downgrade")

    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    newest = services.list_backups(tmp_path / "backups")[0]
    assert (newest.revision, newest.reason) == ("0003", "before-upgrade")

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0  # at head: nothing to do, no backup
    assert len(services.list_backups(tmp_path / "backups")) == 2
    with office.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM returnee")) == 3
        db.engine.dispose()


def test_first_db_upgrade_of_a_new_database_takes_no_backup(tmp_path):
    office = _scratch_app(tmp_path)
    result = office.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert services.list_backups(tmp_path / "backups") == []
    with office.app_context():
        db.engine.dispose()


def test_admin_makes_and_downloads_a_backup_and_the_change_log_says_so(app, client, make, login, backup_dir):
    admin = make.user(Role.ADMIN, None)
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/admin/backups/")
    assert page.status_code == 200
    assert "No backups yet." in page.text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
    assert client.post("/admin/backups/").status_code == 400  # no CSRF token
    response = client.post("/admin/backups/", data={"csrf_token": token})
    assert response.status_code == 302
    [backup] = services.list_backups(backup_dir)
    listing = client.get("/admin/backups/").text
    assert backup.name in listing and backup.revision in listing

    download = client.get(f"/admin/backups/{backup.name}")
    assert download.status_code == 200
    assert download.data == backup.path.read_bytes()
    assert "attachment" in download.headers["Content-Disposition"]
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.user_id == admin.id, AuditEntry.entity_type == "backup")  # (not the login)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["backup.create", "backup.download"]


@pytest.mark.parametrize("name", ["../caseapp.sqlite", "..%2Fsecret_key", "secret_key", "caseapp.sqlite"])
def test_download_serves_only_backups(client, make, login, backup_dir, name):
    login(make.user(Role.ADMIN, None))
    assert client.get(f"/admin/backups/{name}").status_code == 404


def test_restore_command_brings_a_backup_back_into_a_new_database(tmp_path):
    office, original = _office_with_demo_data(tmp_path)
    made = office.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    assert made.exit_code == 0, made.output

    new_office = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new' / 'office.sqlite'}",
            "SECRET_KEY": "x",
            "TESTING": True,
        }
    )
    restored = new_office.test_cli_runner().invoke(args=["restore", str(tmp_path / "copy.sqlite")])
    assert restored.exit_code == 0, restored.output
    with new_office.app_context():
        with db.engine.connect() as connection:
            assert fingerprints(connection) == original
        db.engine.dispose()
    assert stat.S_IMODE((tmp_path / "new" / "office.sqlite").stat().st_mode) == 0o600


def test_without_pg_dump_on_the_path_the_backup_says_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(services.BackupError, match="pg_dump is not on the PATH.*postgresql-client"):
        services.run_pg_tool("pg_dump", sa.make_url("postgresql://caseapp@localhost/caseapp"), ["--version"])


def test_make_a_backup_clicked_twice_makes_one_backup(client, make, login, backup_dir):
    login(make.user(Role.ADMIN, None))
    key = re.search(r'name="submit_key"[^>]*value="([^"]+)"', client.get("/admin/backups/").text)[1]
    for _ in range(2):
        assert client.post("/admin/backups/", data={"submit_key": key}).status_code == 302
    assert len(services.list_backups(backup_dir)) == 1


def test_a_download_begins_with_the_write_lock_because_it_writes_its_audit_entry(app):
    # A deferred SQLite transaction cannot turn into a write once another worker has committed
    # ("database is locked" whatever the busy timeout): the GET that writes must say so.
    from caseapp.unit_of_work import may_write

    assert may_write(app.view_functions["backup.download"], "GET")
    assert not may_write(app.view_functions["backup.index"], "GET")


def test_settings_come_from_the_environment_too(monkeypatch, tmp_path):
    monkeypatch.setenv("CASEAPP_BACKUP_KEEP", "30")
    monkeypatch.setenv("CASEAPP_BACKUP_DIR", str(tmp_path / "elsewhere"))
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'env.sqlite'}",
            "SECRET_KEY": "x",
            "TESTING": True,
            "SQLITE_CREATE": True,
        }
    )
    assert other.config["BACKUP_KEEP"] == 30
    assert other.config["BACKUP_DIR"] == str(tmp_path / "elsewhere")


def test_back_up_now_holds_no_write_lock_while_the_copy_is_made(app, client, make, login, backup_dir, monkeypatch):
    """Other users keep saving while the administrator's backup is copied (SQLite: the request begins
    without the write lock; the copy is read on a connection of its own; then one short write)."""
    login(make.user(Role.ADMIN, None))
    person_id = make.returnee("Gori").id
    saved = []
    copy = services._sqlite_backup if db.engine.dialect.name == "sqlite" else services._postgresql_backup

    def copy_while_someone_saves(engine, connection, target):
        with db.engine.connect() as other:
            sqlite = other.dialect.name == "sqlite"
            if sqlite:  # fail at once rather than wait for a lock
                patience = other.exec_driver_sql("PRAGMA busy_timeout").scalar()
                other.exec_driver_sql("PRAGMA busy_timeout=0")
            else:  # for this transaction only: the pooled connection goes back as it came
                other.exec_driver_sql("SET LOCAL lock_timeout = 1")
            try:
                other.execute(sa.text("UPDATE returnee SET phone = '+995599000002' WHERE id = :id"), {"id": person_id})
                other.commit()
                saved.append(True)
            finally:
                if sqlite:
                    other.exec_driver_sql(f"PRAGMA busy_timeout={int(patience)}")
        copy(engine, connection, target)

    monkeypatch.setattr(services, "_sqlite_backup" if db.engine.dialect.name == "sqlite" else "_postgresql_backup",
                        copy_while_someone_saves)
    db.session.commit()
    response = client.post("/admin/backups/", data={"submit_key": "b" * 24})
    assert response.status_code == 302
    assert saved == [True]
    assert len(services.list_backups(backup_dir)) == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "backup.create")) == 1


def test_backup_keep_prunes_regular_backups_only_and_safety_copies_have_their_own_limit(app, app_ctx, backup_dir):
    for reason in ("before-upgrade", "before-downgrade"):
        services.take_backup(db.engine, backup_dir, reason=reason, keep=app.config["BACKUP_KEEP_SAFETY_COPIES"])
    for _ in range(3):
        services.take_backup(db.engine, backup_dir, keep=2)
    backups = services.list_backups(backup_dir)
    assert sorted(backup.reason or "regular" for backup in backups) == [
        "before-downgrade", "before-upgrade", "regular", "regular"]
    for _ in range(2):
        services.take_backup(db.engine, backup_dir, reason="before-upgrade", keep=2)
    backups = services.list_backups(backup_dir)
    assert sorted(backup.reason or "regular" for backup in backups) == [
        "before-upgrade", "before-upgrade", "regular", "regular"]
