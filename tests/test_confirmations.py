"""Nothing irreversible in one click: cancel, deliver, approve, reject, close and reassign say what will happen
to which record and wait for a confirmation (without JavaScript); delivering asks what happened."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from caseapp.assistance.models import ApprovalThreshold, Currency
from caseapp.assistance.models import AssistanceStatus as S
from caseapp.assistance.services import deliver_assistance
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.cases.models import CaseStatus
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.reports.counting import EVENTS, ReportFilters, build_report

TODAY = date.today()


@pytest.fixture
def gori(make):
    return make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori")


def test_cancel_shows_the_record_and_changes_nothing_until_confirmed(client, make, login, gori):
    caseworker, _ = gori
    person = make.returnee("Gori", first_name="Nino", last_name="Beridze", caseworker=caseworker)
    record = make.record(person, "medical_assistance", status=S.REQUESTED, amount="1481", recorded_by=caseworker)
    login(caseworker)
    timeline = client.get(f"/returnees/{person.id}").text
    link = f"/assistance/{record.id}/status?status=cancelled&amp;version={record.version}"
    assert link in timeline and "Cancel request…" in timeline  # a link to the confirmation, not a one-click form

    page = client.get(
        f"/assistance/{record.id}/status", query_string={"status": "cancelled", "version": record.version}
    )
    assert page.status_code == 200
    for words in (
        "Cancel this request?",
        "Nino Beridze",
        "Medical assistance",
        "1,481.00 GEL",
        "cannot be changed",
        ">Cancel this request</button>",
        ">Back</a>",
    ):
        assert words in page.text, words
    unconfirmed = client.post(
        f"/assistance/{record.id}/status", data={"status": "cancelled", "version": record.version}
    )
    assert unconfirmed.status_code == 200 and "Cancel this request?" in unconfirmed.text
    db.session.refresh(record)
    assert record.status == S.REQUESTED

    done = client.post(
        f"/assistance/{record.id}/status", data={"status": "cancelled", "version": record.version, "confirmed": "yes"}
    )
    assert done.status_code == 302
    db.session.refresh(record)
    assert record.status == S.CANCELLED
    assert "Medical assistance (1,481.00 GEL) for Nino Beridze is cancelled." in client.get(done.location).text


def _deliver(client, record, **data):
    return client.post(
        f"/assistance/{record.id}/status",
        data={"status": "delivered", "version": record.version, "confirmed": "yes", **data},
    )


def test_deliver_asks_the_date_defaulting_to_today_and_the_amount(client, make, login, gori):
    caseworker, _ = gori
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "tools", status=S.PLANNED, amount="300", on=TODAY - timedelta(days=5))
    login(caseworker)
    page = client.get(f"/assistance/{record.id}/status", query_string={"status": "delivered"})
    assert page.status_code == 200 and "Record the delivery" in page.text
    assert f'value="{TODAY.isoformat()}"' in page.text and 'value="300.00"' in page.text
    db.session.refresh(record)
    assert record.status == S.PLANNED


@pytest.mark.parametrize(
    "delivered_on,message",
    [
        (TODAY + timedelta(days=1), "cannot be in the future"),
        (date(2024, 3, 31), "cannot be before the record was made"),
        (None, "Required"),
    ],
)
def test_a_wrong_delivery_date_is_named_next_to_its_field_and_nothing_changes(
    client, make, login, gori, delivered_on, message
):
    caseworker, _ = gori
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "tools", status=S.PLANNED, amount="300", on=date(2024, 4, 1))
    login(caseworker)
    response = _deliver(client, record, delivered_on=delivered_on.isoformat() if delivered_on else "")
    assert response.status_code == 200
    assert 'id="delivered_on"' in response.text and "is-invalid" in response.text and message in response.text
    db.session.refresh(record)
    assert record.status == S.PLANNED


def test_a_grant_delivered_late_is_dated_and_counted_on_its_delivery_date(client, make, login, gori):
    caseworker, supervisor = gori
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "business_grant", status=S.APPROVED, amount="3500", on=date(2024, 11, 20))
    login(caseworker)
    response = _deliver(client, record, delivered_on="2024-11-25", amount="3500.00")
    assert response.status_code == 302
    db.session.refresh(record)
    assert (record.status, record.provided_on) == (S.DELIVERED, date(2024, 11, 25))
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity_id == record.id, AuditEntry.action == "assistance.status")
    )
    assert entry.changes["provided_on"] == ["2024-11-20", "2024-11-25"]  # the planned date stays in the history
    page = client.get(response.location).text
    assert f"Micro-business grant (3,500.00 GEL) for {person.full_name} is delivered on" in page
    planned_day = build_report(ReportFilters(date(2024, 11, 20), date(2024, 11, 20)))
    delivery_day = build_report(ReportFilters(date(2024, 11, 25), date(2024, 11, 25)))
    assert planned_day.total(EVENTS, "business_grant") == 0
    assert delivery_day.total(EVENTS, "business_grant") == 1
    assert delivery_day.amounts["business_grant"] == {"GEL": Decimal("3500.00")}


def test_less_than_approved_is_paid_and_counted_more_needs_a_new_approval(client, make, login, gori):
    caseworker, _ = gori
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "business_grant", status=S.APPROVED, amount="3500", on=date(2024, 11, 20))
    login(caseworker)
    refused = _deliver(client, record, delivered_on="2024-11-25", amount="3600")
    assert refused.status_code == 200 and "needs a supervisor&#39;s approval" in refused.text
    assert 'value="3600"' in refused.text  # what was typed is kept
    db.session.refresh(record)
    assert (record.status, record.amount) == (S.APPROVED, Decimal("3500.00"))
    assert _deliver(client, record, delivered_on="2024-11-25", amount="3200.50").status_code == 302
    db.session.refresh(record)
    assert (record.status, record.amount) == (S.DELIVERED, Decimal("3200.50"))
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity_id == record.id, AuditEntry.action == "assistance.status")
    )
    assert entry.changes["amount"] == ["3500.00", "3200.50"]


def test_more_than_recorded_is_allowed_where_no_approval_is_needed_but_not_above_the_threshold(make):
    person = make.returnee("Gori")
    tools = make.record(person, "tools", status=S.PLANNED, amount="300", on=date(2024, 4, 1))
    deliver_assistance(None, tools, delivered_on=date(2024, 4, 2), paid=Decimal("320.00"))
    assert (tools.status, tools.amount) == (S.DELIVERED, Decimal("320.00"))
    db.session.add(
        ApprovalThreshold(field_office_id=make.office("Gori").id, currency=Currency.GEL, amount=Decimal("500"))
    )
    more_tools = make.record(person, "tools", status=S.PLANNED, amount="450", on=date(2024, 4, 1))
    with pytest.raises(ValidationFailed) as refused:
        deliver_assistance(None, more_tools, delivered_on=date(2024, 4, 2), paid=Decimal("501.00"))
    assert "amount" in refused.value.errors
    assert more_tools.status == S.PLANNED


def test_approve_and_reject_ask_first_and_a_rejection_without_reason_stays_on_its_field(client, make, login, gori):
    caseworker, supervisor = gori
    person = make.returnee("Gori", first_name="Levan", last_name="Kapanadze", caseworker=caseworker)
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    login(supervisor)
    asked = client.post(
        f"/assistance/{record.id}/decision",
        data={"decision": "approved", "comment": "fine", "version": record.version, "next": "/review/"},
    )
    assert asked.status_code == 200
    assert "Approve this request?" in asked.text and "Levan Kapanadze" in asked.text and "3,000.00 GEL" in asked.text
    assert ">Approve this request</button>" in asked.text and 'value="fine"' not in asked.text.split("<textarea")[0]
    db.session.refresh(record)
    assert record.status == S.REQUESTED

    rejected = client.post(
        f"/assistance/{record.id}/decision",
        data={
            "decision": "rejected",
            "comment": " ",
            "version": record.version,
            "next": "/review/",
            "confirmed": "yes",
        },
    )
    assert rejected.status_code == 200
    assert "Reject this request?" in rejected.text  # the chosen decision is kept
    assert "is-invalid" in rejected.text and "Give the reason for rejecting the request." in rejected.text
    db.session.refresh(record)
    assert record.status == S.REQUESTED and record.decisions == []


def test_closing_a_case_without_a_reason_keeps_the_choice_and_names_the_field(client, make, login, gori):
    caseworker, _ = gori
    person = make.returnee("Gori", caseworker=caseworker)
    case = person.current_case
    login(caseworker)
    response = client.post(
        f"/returnees/cases/{case.id}/status",
        data={"case-status": "closed", "case-reason": "", "case-version": case.version},
    )
    assert response.status_code == 200
    assert '<option selected value="closed">' in response.text or 'value="closed" selected' in response.text
    assert "is-invalid" in response.text and "Give the reason for closing the case." in response.text
    other = client.post(
        f"/returnees/cases/{case.id}/status",
        data={"case-status": "closed", "case-reason": "other", "case-note": "", "case-version": case.version},
    )
    assert "Describe the reason when it is" in other.text
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN


def test_closing_a_case_asks_first_saying_what_happens(client, make, login, gori):
    caseworker, _ = gori
    person = make.returnee("Gori", first_name="Eka", last_name="Tsereteli", caseworker=caseworker)
    case = person.current_case
    login(caseworker)
    data = {"case-status": "closed", "case-reason": "lost_contact", "case-version": case.version}
    asked = client.post(f"/returnees/cases/{case.id}/status", data=data)
    assert asked.status_code == 200
    assert "Close the case of Eka Tsereteli?" in asked.text and "Lost contact" in asked.text
    assert ">Close this case</button>" in asked.text and "read-only" in asked.text
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN
    done = client.post(f"/returnees/cases/{case.id}/status", data={**data, "case-confirmed": "yes"})
    assert done.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED


def test_moving_a_case_on_does_not_ask(client, make, login, gori):
    caseworker, _ = gori
    case = make.returnee("Gori", caseworker=caseworker).current_case
    login(caseworker)
    response = client.post(
        f"/returnees/cases/{case.id}/status", data={"case-status": "active", "case-version": case.version}
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.ACTIVE


def test_reassigning_one_case_asks_first_naming_both_caseworkers(client, make, login, gori):
    caseworker, supervisor = gori
    other = make.user(Role.CASEWORKER, "Gori")
    case = make.returnee("Gori", caseworker=caseworker).current_case
    login(supervisor)
    asked = client.post(f"/returnees/cases/{case.id}/assign", data={"assign-caseworker_id": other.id})
    assert asked.status_code == 200
    assert caseworker.display_name in asked.text and f"Reassign to {other.display_name}" in asked.text
    db.session.refresh(case)
    assert case.caseworker_id == caseworker.id
    client.post(
        f"/returnees/cases/{case.id}/assign", data={"assign-caseworker_id": other.id, "assign-confirmed": "yes"}
    )
    db.session.refresh(case)
    assert case.caseworker_id == other.id


def test_no_confirmation_page_for_a_step_that_would_be_refused(client, make, login, gori):
    caseworker, _ = gori
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000")
    login(caseworker)
    response = client.get(f"/assistance/{record.id}/status", query_string={"status": "delivered"})
    assert response.status_code == 302  # needs an approval first: said on the returnee page
    assert "approval" in client.get(response.location).text
