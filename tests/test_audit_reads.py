"""Who saw what: every read of personal data and every sign-in leaves one audit entry with who, when, the
office, the request id, the client's address and browser; searches record what was asked and how many came
back, never the names; a read never fails because its entry cannot be written."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.auth.models import Role
from caseapp.extensions import db
from tests.test_security_headers import proxied_app

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"


def _entries(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _only(action):
    entries = _entries(action)
    assert len(entries) == 1, entries
    return entries[0]


def test_opening_a_returnee_page_records_who_what_office_address_browser_and_request(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", first_name="Nino", last_name="Beridze")
    client.environ_base["HTTP_USER_AGENT"] = BROWSER  # the whole session's browser (a new one logs out)
    login(worker)
    response = client.get(f"/returnees/{person.id}")
    assert response.status_code == 200
    entry = _only(AuditAction.RETURNEE_VIEW)
    assert (entry.user_id, entry.user_name, entry.entity_type, entry.entity_id) == (
        worker.id,
        worker.username,
        "returnee",
        person.id,
    )
    assert entry.returnee_id == person.id and entry.label == "Nino Beridze"
    assert entry.field_office_id == person.field_office_id
    assert entry.client_address == "127.0.0.1" and entry.user_agent == BROWSER
    assert entry.request_id == response.headers["X-Request-ID"]
    assert entry.created_at is not None


def test_opening_the_edit_form_is_recorded_and_saving_it_is_a_change_not_a_read(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori")
    login(worker)
    assert client.get(f"/returnees/{person.id}/edit").status_code == 200
    assert _only(AuditAction.RETURNEE_EDIT_FORM).returnee_id == person.id


def test_a_page_of_another_office_answers_404_and_records_no_read(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    other = make.returnee("Tbilisi")
    assert client.get(f"/returnees/{other.id}").status_code == 404
    assert _entries(AuditAction.RETURNEE_VIEW) == []


def test_a_search_records_what_was_asked_and_how_many_came_back_never_the_names(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    for first in ("Salome", "Ketevan", "Maia"):
        make.returnee("Gori", first_name=first, last_name="Maisuradze")
    login(worker)
    assert client.get("/returnees/", query_string={"q": "Maisur", "status": "open"}).status_code == 200
    entry = _only(AuditAction.SEARCH)
    assert entry.changes == {"list": "returnees", "asked": {"q": "Maisur", "status": "open"}, "found": 3}
    stored = json.dumps(entry.changes) + (entry.label or "")
    assert not any(name in stored for name in ("Salome", "Ketevan", "Maia"))


def test_a_drill_down_records_which_figure_and_how_many_people(client, make, login):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori", first_name="Salome")
    make.record(person, "business_counselling", on=date(2024, 4, 1))
    login(supervisor)
    response = client.get(
        "/reports/drilldown",
        query_string={"measure": "persons", "type": "business_counselling", "from": "2024-01-01", "to": "2024-12-31"},
    )
    assert response.status_code == 200 and "Salome" in response.text
    entry = _only(AuditAction.DRILLDOWN)
    assert entry.changes["figure"] == {"measure": "persons", "type": "business_counselling", "status": "delivered"}
    assert entry.changes["people"] == 1
    assert entry.changes["report_filters"]["from"] == "2024-01-01"
    assert "Salome" not in json.dumps(entry.changes)


def test_every_export_records_the_file_its_rows_and_offices(client, make, login):
    for _ in range(3):
        make.returnee("Gori")
    make.returnee("Tbilisi")
    login(make.user(Role.ADMIN, None))
    assert client.get("/imports/export-returnees.csv").status_code == 200
    gori = db.session.scalar(sa.text("SELECT id FROM field_office WHERE name = 'Gori'"))
    assert client.get(f"/imports/export.xlsx?office={gori}").status_code == 200
    assert client.get("/reports/export.csv?from=2024-01-01&to=2024-12-31").status_code == 200
    assert client.get("/imports/template.xlsx").status_code == 200
    all_offices, gori_workbook, report, template = _entries(AuditAction.EXPORT)
    assert all_offices.changes == {"file": "caseapp-returnees.csv", "rows": 4, "offices": "all"}
    assert gori_workbook.changes["rows"] == 3 + 3 + 0  # returnees, cases, assistance of Gori
    assert gori_workbook.changes["offices"] == ["Gori"]
    assert report.label.startswith("report_2024-01-01_2024-12-31") and report.changes["rows"] > 0
    assert template.changes["rows"] == 0


def test_sign_ins_are_recorded_login_failed_login_with_the_username_logout(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    client.environ_base["HTTP_USER_AGENT"] = BROWSER
    assert client.post("/login", data={"username": user.username, "password": "wrong"}).status_code == 200
    assert client.post("/login", data={"username": "nobody.here", "password": "wrong"}).status_code == 200
    assert (
        client.post("/login", data={"username": user.username, "password": "correct horse battery"}).status_code == 302
    )
    assert client.post("/logout").status_code == 302
    known, unknown = _entries(AuditAction.LOGIN_FAILED)
    assert (known.user_id, known.entity_id, known.changes) == (None, user.id, {"username": user.username})
    assert known.field_office_id == user.field_office_id and known.client_address == "127.0.0.1"
    assert (unknown.entity_id, unknown.user_name, unknown.changes) == (None, "nobody.here", {"username": "nobody.here"})
    login_entry = _only(AuditAction.LOGIN)
    assert (login_entry.user_id, login_entry.user_agent) == (user.id, BROWSER)
    assert _only(AuditAction.LOGOUT).user_id == user.id


def test_a_lockout_and_a_password_change_are_recorded_with_the_address(app, client, make, login, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT", 2)
    user = make.user(Role.CASEWORKER, "Gori")
    for _ in range(2):
        client.post("/login", data={"username": user.username, "password": "wrong"})
    locked = _only(AuditAction.USER_LOCKED)
    assert locked.entity_id == user.id and locked.client_address == "127.0.0.1"
    other = make.user(Role.CASEWORKER, "Gori")
    login(other)
    client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery",
            "new_password": "a much longer passphrase 2026!",
            "new_password_again": "a much longer passphrase 2026!",
        },
    )
    changed = _only(AuditAction.USER_PASSWORD)
    assert changed.user_id == other.id and changed.client_address == "127.0.0.1" and changed.request_id


def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded_and_otherwise_ignored(app, make):
    user = make.user(Role.CASEWORKER, "Gori")
    credentials = {"username": user.username, "password": "correct horse battery"}
    db.session.commit()  # these apps' clients do not end the test's transaction for it
    proxied_app(app, 1).test_client().post("/login", data=credentials, headers={"X-Forwarded-For": "10.0.0.7"})
    proxied_app(app, 0).test_client().post("/login", data=credentials, headers={"X-Forwarded-For": "10.0.0.7"})
    db.session.commit()  # (the other apps' requests committed on connections of their own)
    behind_proxy, direct = _entries(AuditAction.LOGIN)
    assert behind_proxy.client_address == "10.0.0.7"
    assert direct.client_address == "127.0.0.1"


def test_a_read_is_served_even_when_its_audit_entry_cannot_be_written(client, make, login, monkeypatch, caplog):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", first_name="Nino")
    login(worker)
    from caseapp.audit import reads

    def locked(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    if db.engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL the entry goes with the request's own transaction")
    monkeypatch.setattr(reads, "insert", locked)
    with caplog.at_level(logging.ERROR, logger="caseapp.audit"):
        response = client.get(f"/returnees/{person.id}")
    assert response.status_code == 200 and "Nino" in response.text
    assert _entries(AuditAction.RETURNEE_VIEW) == []
    assert "Audit entry not written to the database" in caplog.text and "returnee.view" in caplog.text


def test_a_read_on_sqlite_after_another_worker_wrote_is_still_recorded(app, client, make, login):
    """The entry of a reading request is written in a transaction of its own that takes the write lock; the
    request's read transaction (whose snapshot another worker's commit made stale) never has to become a
    write one, which SQLite would refuse at once ("database is locked")."""
    worker = make.user(Role.CASEWORKER, "Gori")
    person_id = make.returnee("Gori").id
    login(worker)

    def another_worker_writes_meanwhile(response):
        # registered last, so it runs first: before the request's (read) transaction ends
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE returnee SET returned_from = 'Greece' WHERE id = :id"), {"id": person_id}
            )
        return response

    app.after_request_funcs[None].append(another_worker_writes_meanwhile)
    try:
        assert client.get(f"/returnees/{person_id}").status_code == 200
    finally:
        app.after_request_funcs[None].remove(another_worker_writes_meanwhile)
    assert len(_entries(AuditAction.RETURNEE_VIEW)) == 1


def test_page_reads_stay_out_of_the_case_history_and_the_home_page(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    login(worker)
    client.get(f"/returnees/{person.id}")
    page = client.get(f"/returnees/{person.id}").text
    assert "opened the file of" not in page
    assert "opened the file of" not in client.get("/").text


def test_an_import_preview_records_the_files_and_counts_and_its_problems_download(client, make, login):
    from tests.test_import_web import pending_token, upload
    from tests.test_imports import record_row, returnee_row

    login(make.user(Role.SUPERVISOR, "Gori"))
    response = upload(client, [returnee_row("GO-2"), returnee_row("GO-3")], [record_row("GO-2")])
    assert response.status_code == 200
    preview = _only(AuditAction.IMPORT_PREVIEW)
    assert preview.changes["files"] == ["legacy-assistance.csv", "legacy-returnees.csv"]
    assert preview.changes["returnees_created"] == 2 and preview.changes["records_created"] == 1
    assert preview.changes["problems"] == 0 and preview.field_office_id is not None
    assert client.get(f"/imports/pending/{pending_token(response)}/problems.csv").status_code == 200
    assert _only(AuditAction.EXPORT).changes == {"file": "import-problems.csv", "rows": 0, "offices": ["Gori"]}


def test_the_list_of_open_cases_is_recorded_as_a_search(client, make, login):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    make.returnee("Gori")
    login(supervisor)
    assert client.get("/review/cases", query_string={"caseworker": "none"}).status_code == 200
    entry = _only(AuditAction.SEARCH)
    assert entry.changes["list"] == "cases" and entry.changes["asked"]["caseworker"] == "none"
    assert entry.changes["found"] >= 0 and entry.field_office_id == supervisor.field_office_id
