"""A person's own data: one workbook with everything held about them; the request and delivery are logged."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.auth.models import Role
from caseapp.extensions import db


def test_supervisor_produces_the_file_of_everything_held_about_the_person(client, make, login):
    person = make.returnee("Gori", first_name="Mariam", personal_number="01001012345", phone="+995 599 000 111")
    record = make.record(person, "business_grant", amount="1500")
    record.notes = '=HYPERLINK("x")'
    db.session.commit()
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    login(supervisor)
    client.get(f"/returnees/{person.id}")
    response = client.post(
        f"/returnees/{person.id}/own-data/file", data={"request-received_on": "2024-05-01", "request-channel": "letter"}
    )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert {
        "personal data",
        "returnee",
        "reintegration_case",
        "assistance_record",
        "consent_record",
        "access and changes",
    } <= set(workbook.sheetnames)
    facts = dict(workbook["personal data"].iter_rows(min_row=2, values_only=True))
    assert facts["First name"] == "Mariam" and facts["Personal number"] == "01001012345"
    assert workbook["consent_record"].max_row == 6  # header and the five purposes the factory records
    notes = [c.value for c in workbook["assistance_record"][2] if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert notes and all(c.data_type == "s" for c in workbook["assistance_record"][2] if isinstance(c.value, str))
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.RETURNEE_DATA_REQUEST)
    ).one()
    assert entry.returnee_id == person.id and entry.changes["received_on"] == "2024-05-01"
    assert entry.changes["rows"]["consent_record"] == 5

    delivered = client.post(
        f"/returnees/{person.id}/own-data/delivery",
        data={"delivery-delivered_on": "2024-05-03", "delivery-method": "in_person"},
    )
    assert delivered.status_code == 302
    page = client.get(f"/returnees/{person.id}/own-data")
    assert "delivered the file of the person" in page.text and "produced the file of the person" in page.text
    # the next file lists the earlier request in "who accessed it"
    again = client.post(f"/returnees/{person.id}/own-data/file", data={"request-received_on": "2024-05-04"})
    rows = list(load_workbook(io.BytesIO(again.data))["access and changes"].iter_rows(values_only=True))
    actions = [row[rows[0].index("action")] for row in rows[1:]]
    assert "returnee.data_request" in actions and "returnee.data_delivery" in actions


def test_a_request_without_its_date_is_refused_and_nothing_is_logged(client, make, login):
    person = make.returnee("Gori")
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post(f"/returnees/{person.id}/own-data/file", data={"request-received_on": ""})
    assert response.status_code == 400 and "is-invalid" in response.text
    asked = [AuditAction.RETURNEE_DATA_REQUEST, AuditAction.RETURNEE_DATA_DELIVERY]
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action.in_(asked))) == 0


def test_caseworkers_and_other_offices_get_no_file(client, make, login):
    person = make.returnee("Tbilisi")
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.get(f"/returnees/{person.id}/own-data").status_code == 404
    assert (
        client.post(f"/returnees/{person.id}/own-data/file", data={"request-received_on": "2024-05-01"}).status_code
        == 404
    )
