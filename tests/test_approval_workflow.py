"""Approvals: the assistance state machine, four eyes and the office thresholds. These are rule tests:
they call the use cases directly, without HTTP."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from caseapp.assistance import services
from caseapp.assistance.models import ApprovalThreshold, Currency, Decision
from caseapp.assistance.models import AssistanceStatus as S
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.errors import ValidationFailed
from caseapp.extensions import db

ALLOWED_WITH_APPROVAL = {
    (S.PLANNED, S.REQUESTED), (S.PLANNED, S.CANCELLED),
    (S.REQUESTED, S.APPROVED), (S.REQUESTED, S.REJECTED), (S.REQUESTED, S.CANCELLED),
    (S.APPROVED, S.DELIVERED), (S.APPROVED, S.CANCELLED),
}
ALLOWED_WITHOUT_APPROVAL = {
    (S.PLANNED, S.REQUESTED), (S.PLANNED, S.DELIVERED), (S.PLANNED, S.CANCELLED),
    (S.REQUESTED, S.DELIVERED), (S.REQUESTED, S.CANCELLED),
    (S.APPROVED, S.DELIVERED), (S.APPROVED, S.CANCELLED),
}
EVERY_PAIR = [(old, new) for old in S for new in S if old != new]


@pytest.fixture(autouse=True)
def _request_context(app, app_ctx):
    """Messages are lazy strings: reading them needs a request's locale."""
    with app.test_request_context():
        yield


@pytest.fixture
def gori(make):
    caseworker = make.user(Role.CASEWORKER, "Gori")
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori", caseworker=caseworker)
    return caseworker, supervisor, person


def _audit_count():
    """Entries about assistance records (delivering a grant also schedules its monitoring visits, each logged)."""
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "assistance"))


@pytest.mark.parametrize("approval_needed", [True, False], ids=["grant", "counselling"])
@pytest.mark.parametrize("old,new", EVERY_PAIR, ids=[f"{o.value}->{n.value}" for o, n in EVERY_PAIR])
def test_every_transition_is_allowed_or_refused_with_a_message(gori, make, old, new, approval_needed):
    caseworker, supervisor, person = gori
    if approval_needed:
        record = make.record(person, "business_grant", status=old, amount="3000", recorded_by=caseworker)
    else:
        record = make.record(person, "business_counselling", status=old, recorded_by=caseworker)
    # the supervisor decides; anything else is the caseworker's move
    actor = supervisor if new in (S.APPROVED, S.REJECTED) else caseworker
    allowed = (old, new) in (ALLOWED_WITH_APPROVAL if approval_needed else ALLOWED_WITHOUT_APPROVAL)
    before = _audit_count()
    if allowed:
        services.change_assistance_status(actor, record, new, comment="checked")
        db.session.commit()
        assert record.status == new
        assert _audit_count() == before + 1
    else:
        with pytest.raises(ValidationFailed) as failure:
            services.change_assistance_status(actor, record, new, comment="checked")
        db.session.rollback()
        assert str(failure.value.errors["status"])  # a clear message, on the status
        db.session.refresh(record)
        assert record.status == old
        assert record.decisions == []
        assert _audit_count() == before


def test_approval_needing_record_cannot_be_recorded_as_delivered(gori, make):
    caseworker, _, person = gori
    values = services.AssistanceInput(make.assistance_type("business_grant"), date(2024, 5, 1),
                                      status=S.DELIVERED, amount=Decimal("3000"), currency=Currency.GEL)
    with pytest.raises(ValidationFailed) as failure:
        services.record_assistance(caseworker, person, values)
    assert "approval" in str(failure.value.errors["status"])


def test_caseworker_cannot_approve_own_request(gori, make):
    caseworker, _, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    with pytest.raises(ValidationFailed):
        services.approve_request(caseworker, record)


def test_supervisor_cannot_approve_a_request_they_recorded(gori, make):
    _, supervisor, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=supervisor)
    with pytest.raises(ValidationFailed) as failure:
        services.approve_request(supervisor, record)
    assert "Four eyes" in str(failure.value.errors[""])


def test_recorder_promoted_to_supervisor_still_cannot_approve(gori, make):
    caseworker, _, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    caseworker.role = Role.SUPERVISOR
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.approve_request(caseworker, record)
    db.session.rollback()
    assert record.status == S.REQUESTED


def test_supervisor_of_another_office_cannot_approve(gori, make):
    caseworker, _, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    with pytest.raises(ValidationFailed):
        services.approve_request(make.user(Role.SUPERVISOR, "Tbilisi"), record)


def test_administrator_does_not_approve(gori, make):
    caseworker, _, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    with pytest.raises(ValidationFailed):
        services.approve_request(make.user(Role.ADMIN, None), record)


def test_rejecting_needs_a_reason(gori, make):
    caseworker, supervisor, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    with pytest.raises(ValidationFailed) as failure:
        services.reject_request(supervisor, record, "  ")
    assert "comment" in failure.value.errors


def test_decision_keeps_who_when_comment_and_amount(gori, make):
    caseworker, supervisor, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000.50", recorded_by=caseworker)
    services.approve_request(supervisor, record, "Viable plan")
    db.session.commit()
    decision = record.last_decision
    assert (decision.decision, decision.decided_by_id, decision.comment) == (Decision.APPROVED, supervisor.id, "Viable plan")
    assert (decision.amount, decision.currency) == (Decimal("3000.50"), Currency.GEL)
    assert decision.decided_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assistance.approve"))
    assert entry.user_id == supervisor.id and entry.returnee_id == person.id and entry.comment == "Viable plan"


def _edit_amount(actor, record, amount):
    values = services.AssistanceInput(record.assistance_type, record.provided_on, amount=Decimal(amount),
                                      currency=Currency.GEL)
    services.update_assistance(actor, record, values, expected_version=record.version)
    db.session.commit()


def test_raising_an_approved_amount_needs_a_new_approval(gori, make):
    caseworker, supervisor, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    services.approve_request(supervisor, record)
    db.session.commit()
    _edit_amount(caseworker, record, "3500")
    assert record.status == S.REQUESTED
    assert record.requested_by_id == caseworker.id
    with pytest.raises(ValidationFailed):
        services.change_assistance_status(caseworker, record, S.DELIVERED)


def test_lowering_an_approved_amount_keeps_the_approval(gori, make):
    caseworker, supervisor, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    services.approve_request(supervisor, record)
    db.session.commit()
    _edit_amount(caseworker, record, "2500")
    assert record.status == S.APPROVED
    services.change_assistance_status(caseworker, record, S.DELIVERED)
    assert record.status == S.DELIVERED


def test_supervisor_who_raised_the_amount_cannot_approve_it(gori, make):
    caseworker, supervisor, person = gori
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    _edit_amount(supervisor, record, "4000")
    with pytest.raises(ValidationFailed):
        services.approve_request(supervisor, record)


def test_office_threshold_makes_any_type_need_approval(gori, make):
    caseworker, supervisor, person = gori
    db.session.add(ApprovalThreshold(field_office_id=person.field_office_id, currency=Currency.GEL,
                                     amount=Decimal("1000")))
    db.session.commit()
    tools = make.assistance_type("tools")
    assert not services.needs_approval(tools, Decimal("1000"), Currency.GEL, person.field_office_id)
    assert services.needs_approval(tools, Decimal("1000.01"), Currency.GEL, person.field_office_id)
    assert not services.needs_approval(tools, Decimal("5000"), Currency.EUR, person.field_office_id)
    tbilisi = make.office("Tbilisi").id
    assert not services.needs_approval(tools, Decimal("5000"), Currency.GEL, tbilisi)

    record = services.record_assistance(caseworker, person, services.AssistanceInput(
        tools, date(2024, 5, 1), amount=Decimal("1500"), currency=Currency.GEL))
    db.session.commit()
    assert record.status == S.REQUESTED
    with pytest.raises(ValidationFailed):
        services.change_assistance_status(caseworker, record, S.DELIVERED)
    db.session.rollback()
    services.approve_request(supervisor, record)
    services.change_assistance_status(caseworker, record, S.DELIVERED)
    assert record.status == S.DELIVERED


def test_amount_above_threshold_cannot_be_recorded_as_delivered(gori, make):
    caseworker, _, person = gori
    db.session.add(ApprovalThreshold(field_office_id=person.field_office_id, currency=Currency.GEL,
                                     amount=Decimal("1000")))
    db.session.commit()
    values = services.AssistanceInput(make.assistance_type("tools"), date(2024, 5, 1), status=S.DELIVERED,
                                      amount=Decimal("1200"), currency=Currency.GEL)
    with pytest.raises(ValidationFailed) as failure:
        services.record_assistance(caseworker, person, values)
    assert "threshold" in str(failure.value.errors["status"])
