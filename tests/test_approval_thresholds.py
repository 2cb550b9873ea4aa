"""Administrators set each office's approval thresholds (per currency)."""
from decimal import Decimal

from sqlalchemy import select

from caseapp.assistance.models import ApprovalThreshold, Currency
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.extensions import db


def test_admin_sets_and_removes_an_office_threshold(make, login, client):
    gori = make.office("Gori")
    login(make.user(Role.ADMIN, None))
    response = client.post(f"/admin/offices/{gori.id}/thresholds", data={"GEL": "1000.00", "EUR": "", "USD": ""})
    assert response.status_code == 302
    threshold = db.session.scalar(select(ApprovalThreshold))
    assert (threshold.field_office_id, threshold.currency, threshold.amount) == (gori.id, Currency.GEL, Decimal("1000.00"))
    assert "1,000.00 GEL" in client.get("/admin/offices").text
    client.post(f"/admin/offices/{gori.id}/thresholds", data={"GEL": "", "EUR": "", "USD": ""})
    assert db.session.scalar(select(ApprovalThreshold)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "office.thresholds")) is not None


def test_a_malformed_threshold_is_refused_next_to_its_field(make, login, client):
    gori = make.office("Gori")
    login(make.user(Role.ADMIN, None))
    response = client.post(f"/admin/offices/{gori.id}/thresholds", data={"GEL": "1,0,00", "EUR": "", "USD": ""})
    assert response.status_code == 200 and "Type the amount as a number, e.g. 1,500.00 or 1500.00" in response.text
    response = client.post(f"/admin/offices/{gori.id}/thresholds", data={"GEL": "", "EUR": "-5", "USD": ""})
    assert response.status_code == 200 and "positive amount" in response.text
    assert db.session.scalar(select(ApprovalThreshold)) is None


def test_only_administrators_set_thresholds(make, login, client):
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.post(f"/admin/offices/{make.office('Gori').id}/thresholds", data={"GEL": "1"}).status_code == 403
