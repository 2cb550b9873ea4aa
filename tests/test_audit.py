"""The change log: one helper records every change (who, what, old and new values, the record's label and
the request that made it); the migration that added the label and request id keeps every entry."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.services import record_change, record_event, snapshot
from caseapp.auth.models import Role
from caseapp.cases.models import CaseStatus
from caseapp.cases.services import change_case_status
from caseapp.extensions import db


def _entries(action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query).all()


def test_a_creation_records_the_values_and_the_readable_label(make):
    person = make.returnee("Gori", first_name="Tamar", last_name="Beridze", commit=False)
    record_change(None, person, AuditAction.RETURNEE_CREATE)
    entry = _entries()[-1]
    assert (entry.action, entry.entity_type, entry.entity_id) == (AuditAction.RETURNEE_CREATE, "returnee", person.id)
    assert entry.label == "Tamar Beridze" and entry.returnee_id == person.id and entry.user_name == "system"
    assert entry.changes["first_name"] == "Tamar" and entry.changes["date_of_birth"] == "1985-05-17"
    assert entry.entity_version == person.version


def test_an_update_records_only_what_changed_and_nothing_when_nothing_did(make):
    person = make.returnee("Gori")
    before = snapshot(person)
    person.returned_from = "Greece"
    entry = record_change(None, person, AuditAction.RETURNEE_UPDATE, before)
    assert entry.changes == {"returned_from": ["Germany", "Greece"]}
    assert entry.entity_version == person.version == 2  # flushed: the entry tells the version it made
    assert record_change(None, person, AuditAction.RETURNEE_UPDATE, snapshot(person)) is None


def test_details_that_are_not_fields_leave_the_version_alone(make):
    person = make.returnee("Gori")
    entry = record_change(None, person.current_case, AuditAction.CASE_REVIEW, fields=(), details={"outcome": "fine"})
    assert entry.changes == {"outcome": "fine"} and entry.entity_version is None
    assert entry.label == f"{person.full_name}, case {person.current_case.id}"


def test_an_event_that_changes_no_record_is_logged_with_its_details(make):
    admin = make.user(Role.ADMIN, None)
    entry = record_event(
        admin,
        AuditAction.IMPORT_UNDO,
        entity_type="import_batch",
        entity_id=3,
        label="batch 3",
        details={"returnees_deleted": 2},
    )
    assert (entry.user_name, entry.entity_type, entry.entity_id, entry.label) == (
        admin.username,
        "import_batch",
        3,
        "batch 3",
    )
    assert entry.changes == {"returnees_deleted": 2} and entry.entity_version is None and entry.returnee_id is None


def test_an_unknown_action_is_refused_before_anything_is_written(make):
    person = make.returnee("Gori")
    with pytest.raises(ValueError):
        record_change(None, person, "returnee.teleport")


def test_the_entries_of_one_request_share_its_id_which_the_response_names(client, make, login):
    caseworker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=caseworker)
    login(caseworker)
    response = client.post(
        f"/returnees/{person.id}/assistance/new",
        data={
            "type_id": make.assistance_type("business_counselling").id,
            "provided_on": "2024-05-01",
            "status": "delivered",
            "provider": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    request_id = response.headers["X-Request-ID"]
    second = client.post(
        f"/returnees/cases/{person.current_case.id}/status",
        data={"case-status": "active", "case-version": person.current_case.version},
    )
    created, status = _entries(AuditAction.ASSISTANCE_CREATE)[-1], _entries(AuditAction.CASE_STATUS)[-1]
    assert created.request_id == request_id and len(request_id) == 32
    assert status.request_id == second.headers["X-Request-ID"] != request_id


def test_a_request_id_header_is_taken_only_from_a_configured_proxy_and_only_when_well_formed(app, client):
    assert client.get("/login", headers={"X-Request-ID": "proxy-id-12345"}).headers["X-Request-ID"] != "proxy-id-12345"
    app.config["REQUEST_ID_HEADER"] = "X-Request-ID"
    try:
        assert (
            client.get("/login", headers={"X-Request-ID": "proxy-id-12345"}).headers["X-Request-ID"] == "proxy-id-12345"
        )
        assert (
            client.get("/login", headers={"X-Request-ID": "<script>1</script>"}).headers["X-Request-ID"]
            != "<script>1</script>"
        )
    finally:
        app.config["REQUEST_ID_HEADER"] = None


def test_the_command_line_records_no_request_id(make):
    person = make.returnee("Gori")
    change_case_status(None, person.current_case, CaseStatus.ACTIVE)
    assert _entries(AuditAction.CASE_STATUS)[-1].request_id is None


def test_the_label_and_request_id_migration_keeps_every_entry_both_ways(tmp_path):
    """Entries written before the migration keep every row; their label comes from the record if it exists."""
    from flask_migrate import downgrade, upgrade

    from caseapp import create_app

    other = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'audit.sqlite'}", "SECRET_KEY": "x", "TESTING": True}
    )
    with other.app_context():
        upgrade(revision="0004")
        office_id = db.session.scalar(sa.text("SELECT id FROM field_office WHERE name = 'Gori'"))
        db.session.execute(
            sa.text(
                "INSERT INTO returnee (id, first_name, last_name, search_name, sex, date_of_birth, field_office_id,"
                " return_date, returned_from, consent_given, created_at, updated_at, version)"
                " VALUES (7, 'Nino', 'Kapanadze', 'nino kapanadze', 'F', :born, :office, :returned, 'Germany', false,"
                " :now, :now, 1)"
            ),
            {"born": date(1980, 1, 1), "office": office_id, "returned": date(2024, 1, 1), "now": date(2024, 1, 2)},
        )
        for entity_id in (7, 8):  # 8: a returnee deleted since
            db.session.execute(
                sa.text(
                    "INSERT INTO audit_entry (created_at, user_name, action, entity_type, entity_id, returnee_id, changes)"
                    " VALUES (:now, 'lela', 'returnee.create', 'returnee', :id, :id, '{}')"
                ),
                {"now": date(2024, 1, 2), "id": entity_id},
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(sa.text("SELECT entity_id, label, request_id FROM audit_entry ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(7, "Nino Kapanadze", None), (8, None, None)]
        db.session.commit()
        downgrade(revision="0004")
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_entry")) == 2
        db.session.commit()
        upgrade()
        assert db.session.scalar(sa.text("SELECT label FROM audit_entry WHERE entity_id = 7")) == "Nino Kapanadze"
