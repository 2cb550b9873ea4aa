"""A large import on SQLite is written chunk by chunk, each chunk its own short transaction, so that other
users keep saving; until the batch is applied its rows are seen by no page, list, count, report or export,
and an import that fails or dies half-way leaves nothing anyone can see (the next import removes it)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.imports import services
from caseapp.imports.exports import assistance_rows, returnee_rows
from caseapp.imports.models import BatchStatus, ImportBatch
from caseapp.imports.readers import sources_for
from caseapp.imports.services import import_files
from caseapp.reports.counting import ReportFilters, build_report
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from tests import factories
from tests.test_imports import files, record_row, returnee_row, table_counts, write_csv  # noqa: F401

sqlite_only = pytest.mark.skipif(
    os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL imports in one transaction, which no one else sees before it commits",
)

WHOLE_PERIOD = ReportFilters(date(2000, 1, 1), date(2030, 12, 31))


def raw_count(table: str) -> int:
    """Rows in the table, as the database holds them (not through the ORM's filters)."""
    return db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608


def a_batch_being_applied() -> tuple[ImportBatch, Returnee]:
    """A batch with the state a chunked import leaves between two chunks: a returnee with a vulnerability,
    their case and a delivered record, tagged with the batch."""
    batch = ImportBatch(created_by_name="command line", status=BatchStatus.APPLYING, replaced=[])
    db.session.add(batch)
    db.session.flush()
    person = factories.returnee(
        "Gori", first_name="Hidden", vulnerabilities=("elderly",), commit=False, import_batch_id=batch.id
    )
    db.session.flush()
    person.current_case.import_batch_id = batch.id
    factories.record(person, commit=False).import_batch_id = batch.id
    db.session.commit()
    return batch, person


@sqlite_only
def test_rows_of_a_batch_being_applied_are_hidden_from_pages_counts_reports_and_exports(app, make, client, login):
    seen = factories.returnee("Gori", first_name="Visible")
    factories.record(seen)
    batch, hidden = a_batch_being_applied()
    hidden_id, batch_id = hidden.id, batch.id
    login(make.user(Role.ADMIN, None))
    assert raw_count("returnee") == 2 and raw_count("assistance_record") == 2

    def what_users_see():
        db.session.rollback()  # a new transaction looks again for batches being applied
        db.session.expunge_all()  # as a new request: nothing loaded yet
        report = build_report(WHOLE_PERIOD)
        return {
            "counts": table_counts(),
            "vulnerabilities": db.session.scalar(select(func.count()).select_from(ReturneeVulnerability)),
            "loaded": db.session.get(Returnee, hidden_id) is not None,
            "page": client.get(f"/returnees/{hidden_id}").status_code,
            "listed": f'/returnees/{hidden_id}"' in client.get("/returnees/").text,
            "found": f'/returnees/{hidden_id}"' in client.get("/returnees/?q=Hidden").text,
            "exported": [len(list(returnee_rows())), len(list(assistance_rows()))],
            "reported": report.returned_persons,
        }

    during = what_users_see()
    assert during["counts"] == {"returnee": 1, "reintegration_case": 1, "assistance_record": 1, "import_batch": 1}
    assert during["vulnerabilities"] == 0
    assert not during["loaded"] and during["page"] == 404
    assert not during["listed"] and not during["found"]
    assert during["exported"] == [1, 1]

    db.session.get(ImportBatch, batch_id).status = BatchStatus.APPLIED
    db.session.commit()
    after = what_users_see()
    assert after["counts"] == {"returnee": 2, "reintegration_case": 2, "assistance_record": 2, "import_batch": 1}
    assert after["vulnerabilities"] == 1
    assert after["loaded"] and after["page"] == 200
    assert after["listed"] and after["found"]
    assert after["exported"] == [2, 2]
    assert (during["reported"], after["reported"]) == (1, 2)


@sqlite_only
def test_no_filter_is_added_when_no_batch_is_being_applied(app, app_ctx):
    from caseapp.imports.visibility import hidden_batches

    factories.returnee("Gori")
    db.session.rollback()
    assert hidden_batches(db.session()) == ()
    statements = []

    def remember(connection, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        db.session.scalar(select(func.count(Returnee.id)))
        a_batch_being_applied()
        db.session.scalar(select(func.count(Returnee.id)))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    counts = [statement for statement in statements if statement.startswith("SELECT count(returnee.id)")]
    assert len(counts) == 2
    assert "import_batch_id" not in counts[0]  # nothing added while no batch is being applied
    assert "import_batch_id" in counts[1]


def many(n: int, prefix: str = "GE"):
    return [returnee_row(f"{prefix}-{i:05d}", first_name=f"Nino{i}") for i in range(n)]


@sqlite_only
def test_other_users_save_between_the_chunks_and_see_nothing_of_the_import_before_it_is_applied(
    app, app_ctx, files, monkeypatch
):
    app.config["IMPORT_CHUNK_ROWS"] = 5
    seen_by_others = []
    original = services._ImportRun._apply_staged

    def between_chunks(run, table, staged):
        if run.batch is not None and len(seen_by_others) < 3 and raw_returnees_of(run.batch.id):
            with app.app_context():  # another user's request: its own session and connection
                with db.engine.connect() as connection:  # a save that would fail at once if the lock were held
                    patience = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    connection.exec_driver_sql("PRAGMA busy_timeout=0")
                    try:
                        connection.execute(
                            sa.update(Returnee.__table__)
                            .where(Returnee.__table__.c.id == other_id)
                            .values(phone="+995599000000")
                        )
                        connection.commit()
                    finally:
                        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(patience)}")
                seen_by_others.append(db.session.scalar(select(func.count(Returnee.id))))
        return original(run, table, staged)

    other_id = factories.returnee("Gori").id
    monkeypatch.setattr(services._ImportRun, "_apply_staged", between_chunks)
    try:
        outcome = import_files(None, sources_for(**files(many(23), [record_row("GE-00001")] * 12)))
    finally:
        app.config["IMPORT_CHUNK_ROWS"] = 2000
    assert outcome.ok, outcome.problems
    assert seen_by_others == [1, 1, 1]  # saved at once, and none of the import's returnees seen
    assert db.session.get(Returnee, other_id).phone == "+995599000000"
    db.session.rollback()
    assert table_counts()["returnee"] == 24
    assert db.session.get(ImportBatch, outcome.batch.id).status == BatchStatus.APPLIED


def raw_returnees_of(batch_id: int) -> int:
    with sqlite3.connect(db.engine.url.database) as connection:
        return connection.execute("SELECT count(*) FROM returnee WHERE import_batch_id = ?", (batch_id,)).fetchone()[0]


def test_a_failure_half_way_leaves_nothing_and_the_next_import_goes_through(app, app_ctx, files, monkeypatch):
    app.config["IMPORT_CHUNK_ROWS"] = 5
    calls = []
    original = services._ImportRun._apply_staged

    def failing(run, table, staged):
        calls.append(table)
        if len(calls) == 3:
            raise RuntimeError("the disk is gone")
        return original(run, table, staged)

    monkeypatch.setattr(services._ImportRun, "_apply_staged", failing)
    paths = files(many(23), [record_row("GE-00001")] * 3)
    try:
        with pytest.raises(RuntimeError):
            import_files(None, sources_for(**paths))
    finally:
        app.config["IMPORT_CHUNK_ROWS"] = 2000
    db.session.rollback()
    assert len(calls) == 3
    assert {table: raw_count(table) for table in ("returnee", "reintegration_case", "assistance_record")} == {
        "returnee": 0,
        "reintegration_case": 0,
        "assistance_record": 0,
    }
    batches = db.session.scalars(select(ImportBatch)).all()
    assert [batch.status for batch in batches] in ([], [BatchStatus.FAILED])  # PostgreSQL: rolled back whole
    monkeypatch.setattr(services._ImportRun, "_apply_staged", original)
    outcome = import_files(None, sources_for(**paths))  # a failed batch does not count as imported
    db.session.commit()
    assert outcome.ok, outcome.problems
    assert table_counts()["returnee"] == 23


@sqlite_only
def test_an_import_killed_half_way_is_seen_by_no_one_and_the_next_import_removes_it(app, app_ctx, tmp_path, files):
    paths = files(many(3000, "KILL"), [record_row(f"KILL-{i:05d}") for i in range(0, 3000, 2)])
    environment = {
        **os.environ,
        "DATABASE_URL": str(db.engine.url),
        "CASEAPP_INSTANCE_PATH": app.instance_path,
        "CASEAPP_IMPORT_CHUNK_ROWS": "50",
        "CASEAPP_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    db.session.commit()
    importer = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "caseapp",
            "import-data",
            "--returnees",
            str(paths["returnees"]),
            "--assistance",
            str(paths["assistance"]),
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    database_file = db.engine.url.database
    written = 0
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, never a condition of the test
        while time.monotonic() < deadline and importer.poll() is None:
            with sqlite3.connect(database_file) as connection:
                written = connection.execute(
                    "SELECT count(*) FROM returnee JOIN import_batch ON import_batch.id = returnee.import_batch_id "
                    "WHERE import_batch.status = 'applying'"
                ).fetchone()[0]
            if written >= 200:
                importer.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        importer.kill()
        output = importer.communicate()
    assert written >= 200, f"the import ended before it could be killed: {output}"
    assert raw_count("returnee") >= 200
    db.session.rollback()
    assert table_counts() == {"returnee": 0, "reintegration_case": 0, "assistance_record": 0, "import_batch": 1}
    assert db.session.scalar(select(ImportBatch.status)) == BatchStatus.APPLYING
    assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"

    outcome = import_files(None, sources_for(**files([returnee_row("GE-1")], [record_row("GE-1")])))
    db.session.commit()
    assert outcome.ok
    assert raw_count("returnee") == 1 and raw_count("assistance_record") == 1 and raw_count("reintegration_case") == 1
    statuses = sorted(db.session.scalars(select(ImportBatch.status)))
    assert statuses == sorted([BatchStatus.FAILED, BatchStatus.APPLIED])


@sqlite_only
def test_the_web_confirmation_holds_no_write_lock_while_the_import_runs(app, make, client, login, monkeypatch):
    from tests.test_import_web import pending_token, upload

    supervisor = make.user(Role.SUPERVISOR, "Gori")
    login(supervisor)
    token = pending_token(upload(client, [returnee_row("GO-1")], [record_row("GO-1")]))
    other_id = factories.returnee("Gori").id
    saved = []
    original = services._ImportRun._check

    def check_while_someone_saves(run, staging):
        with db.engine.connect() as connection:
            patience = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            connection.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                connection.execute(
                    sa.update(Returnee.__table__)
                    .where(Returnee.__table__.c.id == other_id)
                    .values(phone="+995599000001")
                )
                connection.commit()
                saved.append(True)
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={int(patience)}")
        return original(run, staging)

    monkeypatch.setattr(services._ImportRun, "_check", check_while_someone_saves)
    db.session.commit()
    response = client.post(f"/imports/pending/{token}", data={"submit_key": "k" * 24})
    assert response.status_code == 302, response.text
    assert saved == [True]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Case.id))) == 2
    assert db.session.scalar(select(func.count(AssistanceRecord.id))) == 1


@sqlite_only
def test_a_personal_number_of_a_returnee_being_imported_is_refused_at_registration_not_a_500(app, make, client, login):
    batch, hidden = a_batch_being_applied()
    hidden.personal_number = "01001099999"
    db.session.commit()
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post(
        "/returnees/new",
        data={
            "first_name": "Eka",
            "last_name": "Kapanadze",
            "sex": "F",
            "date_of_birth": "1990-01-01",
            "personal_number": "01001099999",
            "field_office_id": factories.office("Gori").id,
            "return_date": "2024-03-01",
            "returned_from": "Germany",
        },
    )
    assert response.status_code == 200
    assert "already registered" in response.text
    assert raw_count("returnee") == 1
