"""Logging assistance: the form adapts to the type, money is exact, the timeline shows everything."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.assistance.services import (
    AssistanceInput,
    assistance_errors,
    record_assistance,
)
from caseapp.assistance.workflow import TRANSITIONS, allowed_next
from caseapp.auth.models import Role
from caseapp.errors import ValidationFailed
from caseapp.extensions import db


@pytest.fixture
def caseworker(make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    return user


def log(client, make, person, code, **fields):
    data = {"type_id": make.assistance_type(code).id, "provided_on": "2024-05-02", "status": "delivered",
            "amount": "", "currency": "", "provider": "IOM", "notes": ""}
    data.update(fields)
    return client.post(f"/returnees/{person.id}/assistance/new", data=data)


def records_of(person):
    return list(db.session.scalars(select(AssistanceRecord).where(AssistanceRecord.returnee_id == person.id)
                                   .order_by(AssistanceRecord.id)))


def test_three_counselling_sessions_and_a_grant_request_show_on_the_timeline(client, make, caseworker):
    person = make.returnee("Gori", caseworker=caseworker)
    for day in ("2024-05-02", "2024-05-09", "2024-05-16"):
        assert log(client, make, person, "business_counselling", provided_on=day).status_code == 302
    assert log(client, make, person, "business_grant", status="requested", amount="3000.00",
               currency="GEL").status_code == 302
    saved = records_of(person)
    assert [r.assistance_type.code for r in saved] == ["business_counselling"] * 3 + ["business_grant"]
    assert saved[-1].status == AssistanceStatus.REQUESTED
    assert saved[-1].amount == Decimal("3000.00") and saved[-1].currency.value == "GEL"
    page = client.get(f"/returnees/{person.id}")
    assert page.text.count("Business counselling session") >= 3
    assert "3,000.00 GEL" in page.text and "Requested" in page.text


def test_amount_is_kept_exactly_as_a_decimal(client, make, caseworker):
    person = make.returnee("Gori")
    log(client, make, person, "tools", amount="1234.57", currency="EUR")
    assert records_of(person)[0].amount == Decimal("1234.57")


@pytest.mark.parametrize("fields,message", [
    ({"amount": "12,5", "currency": "GEL"}, "Type the amount as a number"),
    ({"amount": "-5", "currency": "GEL"}, "cannot be negative"),
    ({"amount": "100.123", "currency": "GEL"}, "two decimals"),
    ({"amount": "100", "currency": ""}, "currency"),
    ({"amount": "NaN", "currency": "GEL"}, "number"),
    ({"provided_on": (date.today() + timedelta(days=3)).isoformat()}, "future"),
])
def test_bad_money_or_dates_are_refused_next_to_the_field(client, make, caseworker, fields, message):
    person = make.returnee("Gori")
    response = log(client, make, person, "tools", **fields)
    assert response.status_code == 200
    assert message in response.text
    assert records_of(person) == []


def test_types_without_amount_ignore_any_amount_sent(client, make, caseworker):
    person = make.returnee("Gori")
    log(client, make, person, "business_counselling", amount="500", currency="GEL")
    assert records_of(person)[0].amount is None and records_of(person)[0].currency is None


def test_type_needing_approval_cannot_be_logged_as_delivered(client, make, caseworker):
    person = make.returnee("Gori")
    response = log(client, make, person, "business_grant", amount="3000", currency="GEL")
    assert response.status_code == 200
    assert "approval" in response.text
    assert records_of(person) == []


def test_planned_session_can_be_marked_delivered(client, make, caseworker):
    person = make.returnee("Gori")
    log(client, make, person, "medical_counselling", status="planned")
    record = records_of(person)[0]
    response = client.post(f"/assistance/{record.id}/status", data={"status": "delivered", "version": record.version})
    assert response.status_code == 302
    db.session.refresh(record)
    assert record.status == AssistanceStatus.DELIVERED


def test_requested_grant_cannot_be_delivered_before_approval(client, make, caseworker):
    person = make.returnee("Gori")
    record = make.record(person, "business_grant", status="requested", amount="3000")
    client.post(f"/assistance/{record.id}/status", data={"status": "delivered", "version": record.version})
    db.session.refresh(record)
    assert record.status == AssistanceStatus.REQUESTED


def test_stale_assistance_edit_is_refused(client, make, caseworker):
    person = make.returnee("Gori")
    record = make.record(person, "tools", status="planned", amount="100")
    version = record.version
    base = {"type_id": record.type_id, "provided_on": "2024-05-02", "status": "planned", "currency": "GEL",
            "provider": "", "notes": "", "version": version}
    assert client.post(f"/assistance/{record.id}/edit", data={**base, "amount": "150"}).status_code == 302
    response = client.post(f"/assistance/{record.id}/edit", data={**base, "amount": "999"})
    assert response.status_code == 200 and "someone changed" in response.text.lower()
    db.session.refresh(record)
    assert record.amount == Decimal("150.00")


def test_closed_case_takes_no_new_assistance(make):
    person = make.returnee("Gori")
    case = person.current_case
    from caseapp.cases.models import CaseStatus, ClosureReason

    case.status, case.closure_reason, case.closed_on = CaseStatus.CLOSED, ClosureReason.LOST_CONTACT, date.today()
    db.session.commit()
    with pytest.raises(ValidationFailed):
        record_assistance(None, person, AssistanceInput(assistance_type=make.assistance_type("training"),
                                                        provided_on=date(2024, 1, 1)))
    assert db.session.scalar(select(func.count(AssistanceRecord.id))) == 0


def test_rules_need_a_currency_only_with_an_amount(make):
    grant = make.assistance_type("tools")
    assert "currency" in assistance_errors(AssistanceInput(grant, date(2024, 1, 1), amount=Decimal("5")))
    assert assistance_errors(AssistanceInput(grant, date(2024, 1, 1))) == {}


@pytest.mark.parametrize("current", list(AssistanceStatus))
def test_workflow_final_states_lead_nowhere_and_delivery_skips_approval_only_when_none_is_needed(current):
    with_approval = allowed_next(current, approval_needed=True)
    without = allowed_next(current, approval_needed=False)
    assert with_approval <= TRANSITIONS[current] and without <= TRANSITIONS[current]
    if current in (AssistanceStatus.DELIVERED, AssistanceStatus.REJECTED, AssistanceStatus.CANCELLED):
        assert with_approval == without == set()
    if current in (AssistanceStatus.PLANNED, AssistanceStatus.REQUESTED):
        assert AssistanceStatus.DELIVERED not in with_approval
        assert AssistanceStatus.DELIVERED in without
    assert AssistanceStatus.APPROVED not in without
