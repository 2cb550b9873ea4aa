"""The reintegration case: one open case at a time, status workflow, closing with a reason."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from caseapp.auth.models import Role
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.cases.services import CASE_TRANSITIONS, change_case_status, open_new_case
from caseapp.errors import ValidationFailed
from caseapp.extensions import db


def test_only_one_case_per_returnee_is_not_closed(make):
    person = make.returnee("Gori")
    with pytest.raises(ValidationFailed):
        open_new_case(None, person)


def test_database_refuses_a_second_open_case_too(make):
    person = make.returnee("Gori")
    db.session.add(Case(returnee=person, status=CaseStatus.ACTIVE, opened_on=person.return_date))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("old", list(CaseStatus))
@pytest.mark.parametrize("new", list(CaseStatus))
def test_case_transitions_follow_the_workflow(make, old, new):
    person = make.returnee("Gori")
    case = person.current_case
    case.status = old
    if old == CaseStatus.CLOSED:
        case.closure_reason, case.closed_on = ClosureReason.LOST_CONTACT, person.return_date
    db.session.commit()
    if new in CASE_TRANSITIONS[old]:
        change_case_status(None, case, new, reason=ClosureReason.REINTEGRATION_COMPLETED)
        assert case.status == new
    else:
        with pytest.raises(ValidationFailed):
            change_case_status(None, case, new, reason=ClosureReason.REINTEGRATION_COMPLETED)
        db.session.rollback()
        assert db.session.get(Case, case.id).status == old


def test_closing_needs_a_reason_and_other_needs_text(make):
    case = make.returnee("Gori").current_case
    with pytest.raises(ValidationFailed):
        change_case_status(None, case, CaseStatus.CLOSED)
    with pytest.raises(ValidationFailed):
        change_case_status(None, case, CaseStatus.CLOSED, reason=ClosureReason.OTHER)
    change_case_status(None, case, CaseStatus.CLOSED, reason=ClosureReason.OTHER, note="moved abroad")
    assert case.closure_note == "moved abroad" and case.closed_on is not None


def test_caseworker_closes_a_case_from_the_returnee_page(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    login(worker)
    person = make.returnee("Gori", caseworker=worker)
    case = person.current_case
    response = client.post(f"/returnees/cases/{case.id}/status",
                           data={"case-status": "closed", "case-reason": "", "case-version": case.version,
                                 "case-confirmed": "yes"})
    assert response.status_code == 200
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN  # no reason: refused
    client.post(f"/returnees/cases/{case.id}/status",
                data={"case-status": "closed", "case-reason": "reintegration_completed", "case-version": case.version,
                      "case-confirmed": "yes"})
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED
    page = client.get(f"/returnees/{person.id}")
    assert "Reintegration completed" in page.text and "Open a case" in page.text


def test_plan_is_saved_and_logged(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    login(worker)
    case = make.returnee("Gori").current_case
    client.post(f"/returnees/cases/{case.id}/plan", data={"summary": "Open a bakery"})
    from caseapp.plans.queries import plan_of_case

    assert plan_of_case(case).summary == "Open a bakery"


def test_supervisor_assigns_a_case_to_a_caseworker_of_the_office_only(client, make, login):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    gori_worker = make.user(Role.CASEWORKER, "Gori")
    tbilisi_worker = make.user(Role.CASEWORKER, "Tbilisi")
    login(supervisor)
    case = make.returnee("Gori").current_case
    client.post(f"/returnees/cases/{case.id}/assign", data={"assign-caseworker_id": tbilisi_worker.id,
                                                             "assign-confirmed": "yes"})
    assert db.session.get(Case, case.id).caseworker_id is None
    client.post(f"/returnees/cases/{case.id}/assign", data={"assign-caseworker_id": gori_worker.id,
                                                             "assign-confirmed": "yes"})
    assert db.session.get(Case, case.id).caseworker_id == gori_worker.id


def test_change_log_keeps_old_then_new_value(make):
    from caseapp.audit.models import AuditEntry

    case = make.returnee("Gori").current_case
    change_case_status(None, case, CaseStatus.ACTIVE)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.status"))
    assert entry.changes["status"] == ["open", "active"]
    assert entry.user_name == "system"
