"""Case management by supervisors: reassignment (one or many), closing and reopening, read-only closed cases."""
from datetime import date

import pytest
from sqlalchemy import select

from caseapp.assistance.models import AssistanceStatus as S
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.cases import services
from caseapp.cases.models import CaseStatus, ClosureReason
from caseapp.errors import ValidationFailed
from caseapp.extensions import db


@pytest.fixture
def gori(make):
    return make.user(Role.CASEWORKER, "Gori"), make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori")


def test_bulk_reassignment_moves_the_selected_cases_and_nothing_else(make, login, client, gori):
    first, second, supervisor = gori
    people = [make.returnee("Gori", caseworker=first) for _ in range(4)]
    chosen = [people[0].current_case.id, people[2].current_case.id]
    login(supervisor)
    assert "Reassign selected" in client.get("/review/cases").text
    asked = client.post("/review/cases/reassign", data={"case_id": chosen, "caseworker_id": second.id})
    assert asked.status_code == 200 and "Move 2 cases to" in asked.text
    assert people[0].full_name in asked.text and people[1].full_name not in asked.text
    db.session.expire_all()
    assert {p.current_case.caseworker_id for p in people} == {first.id}  # nothing moved before the confirmation
    response = client.post("/review/cases/reassign", data={"case_id": chosen, "caseworker_id": second.id,
                                                           "confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [p.current_case.caseworker_id for p in people] == [second.id, first.id, second.id, first.id]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "case.assign")).all()
    assert sorted(e.entity_id for e in entries) == sorted(chosen)
    assert all(e.user_id == supervisor.id for e in entries)
    assert f"{first.display_name} → {second.display_name}" in client.get(f"/returnees/{people[0].id}").text


def test_bulk_reassignment_with_a_case_of_another_office_moves_nothing(make, login, client, gori):
    first, second, supervisor = gori
    mine = make.returnee("Gori", caseworker=first)
    theirs = make.returnee("Tbilisi", caseworker=make.user(Role.CASEWORKER, "Tbilisi"))
    login(supervisor)
    response = client.post("/review/cases/reassign",
                           data={"case_id": [mine.current_case.id, theirs.current_case.id], "caseworker_id": second.id,
                                 "confirmed": "yes"})
    assert response.status_code == 404
    db.session.expire_all()
    assert mine.current_case.caseworker_id == first.id


def test_bulk_reassignment_refuses_a_caseworker_of_another_office(make, login, client, gori):
    first, _, supervisor = gori
    mine = make.returnee("Gori", caseworker=first)
    login(supervisor)
    client.post("/review/cases/reassign", data={"case_id": [mine.current_case.id], "confirmed": "yes",
                                                "caseworker_id": make.user(Role.CASEWORKER, "Tbilisi").id})
    db.session.expire_all()
    assert mine.current_case.caseworker_id == first.id


def test_caseworkers_cannot_reassign(make, login, client, gori):
    first, second, _ = gori
    mine = make.returnee("Gori", caseworker=first)
    login(first)
    assert client.post("/review/cases/reassign", data={"case_id": [mine.current_case.id],
                                                       "caseworker_id": second.id}).status_code == 403


def test_supervisor_of_another_office_sees_no_case_of_this_one(make, login, client, gori):
    first, _, _ = gori
    person = make.returnee("Gori", caseworker=first, first_name="Ketevan")
    case_id = person.current_case.id
    login(make.user(Role.SUPERVISOR, "Tbilisi"))
    assert "Ketevan" not in client.get("/review/cases").text
    assert client.post(f"/returnees/cases/{case_id}/reopen", data={"reopen-reason": "x"}).status_code == 404
    assert client.post(f"/returnees/cases/{case_id}/follow-up", data={}).status_code == 404


def _close(client, case, **data):
    return client.post(f"/returnees/cases/{case.id}/status", data={
        "case-status": "closed", "case-reason": "reintegration_completed", "case-version": case.version,
        "case-confirmed": "yes", **data})


def test_closed_case_is_read_only_for_caseworkers(app, make, login, client, gori):
    first, _, _ = gori
    person = make.returnee("Gori", caseworker=first)
    case = person.current_case
    login(first)
    client.post(f"/returnees/cases/{case.id}/status", data={"case-status": "closed", "case-reason": "other",
                                                              "case-version": case.version})
    db.session.refresh(case)
    assert case.status == CaseStatus.OPEN  # "other" needs a description
    _close(client, case)
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED and case.closure_reason == ClosureReason.REINTEGRATION_COMPLETED
    page = client.get(f"/returnees/{person.id}").text
    assert "Edit plan" not in page and "Change status" not in page and "Reopen" not in page
    client.post(f"/returnees/cases/{case.id}/plan", data={"summary": "new"})
    client.post(f"/returnees/cases/{case.id}/follow-up", data={"follow-follow_up_on": "2030-01-01"})
    client.post(f"/returnees/cases/{case.id}/status", data={"case-status": "active", "case-note": "please"})
    db.session.refresh(case)
    from caseapp.plans.queries import plan_of_case

    assert (plan_of_case(case), case.follow_up_on, case.status) == (None, None, CaseStatus.CLOSED)


def test_case_with_open_assistance_cannot_be_closed(make, gori):
    first, _, supervisor = gori
    person = make.returnee("Gori", caseworker=first)
    make.record(person, "business_grant", status=S.APPROVED, amount="1000")
    with pytest.raises(ValidationFailed):
        services.change_case_status(supervisor, person.current_case, CaseStatus.CLOSED,
                                    reason=ClosureReason.LOST_CONTACT)


def test_supervisor_reopens_the_same_case_with_a_reason(make, login, client, gori):
    first, _, supervisor = gori
    person = make.returnee("Gori", caseworker=first)
    case = person.current_case
    services.change_case_status(supervisor, case, CaseStatus.CLOSED, reason=ClosureReason.LOST_CONTACT)
    db.session.commit()
    login(supervisor)
    client.post(f"/returnees/cases/{case.id}/reopen", data={"reopen-reason": "", "reopen-version": case.version})
    db.session.refresh(case)
    assert case.is_closed
    client.post(f"/returnees/cases/{case.id}/reopen",
                data={"reopen-reason": "Found again in Gori", "reopen-version": case.version})
    db.session.refresh(case)
    assert case.status == CaseStatus.ACTIVE and case.closure_reason is None and len(person.cases) == 1
    history = client.get(f"/returnees/{person.id}").text
    assert "reopened the case" in history and "Found again in Gori" in history and supervisor.username in history


def test_caseworker_cannot_reopen(make, login, client, gori):
    first, _, supervisor = gori
    case = make.returnee("Gori", caseworker=first).current_case
    services.change_case_status(supervisor, case, CaseStatus.CLOSED, reason=ClosureReason.LOST_CONTACT)
    db.session.commit()
    login(first)
    assert client.post(f"/returnees/cases/{case.id}/reopen", data={"reopen-reason": "x"}).status_code == 403
    with pytest.raises(ValidationFailed):
        services.reopen_case(first, case, "x")


def test_caseworker_sets_a_follow_up_date(make, login, client, gori):
    first, _, _ = gori
    case = make.returnee("Gori", caseworker=first).current_case
    login(first)
    client.post(f"/returnees/cases/{case.id}/follow-up",
                data={"follow-follow_up_on": "2030-01-15", "follow-version": case.version})
    db.session.refresh(case)
    assert case.follow_up_on == date(2030, 1, 15)


def test_assistance_of_a_closed_case_cannot_be_changed(make, login, client, gori):
    first, _, _ = gori
    person = make.returnee("Gori", caseworker=first)
    record = make.record(person, "business_counselling", status=S.DELIVERED)
    case = person.current_case
    case.status, case.closure_reason, case.closed_on = CaseStatus.CLOSED, ClosureReason.LOST_CONTACT, date.today()
    planned = make.record(person, "training", status=S.PLANNED)  # e.g. from before the rule
    login(first)
    client.post(f"/assistance/{planned.id}/status", data={"status": "cancelled", "version": planned.version})
    client.post(f"/assistance/{record.id}/edit", data={
        "type_id": record.type_id, "provided_on": "2024-04-01", "provider": "changed", "notes": "",
        "version": record.version})
    db.session.expire_all()
    assert planned.status == S.PLANNED and record.provider == ""
    assert f"/assistance/{record.id}/edit" not in client.get(f"/returnees/{person.id}").text


def test_administrator_reassigns_cases_of_the_office_they_pick(make, login, client, gori):
    first, second, _ = gori
    person = make.returnee("Gori", caseworker=first)
    gori_office = make.office("Gori").id
    login(make.user(Role.ADMIN, None))
    assert person.full_name.split()[0] in client.get(f"/review/cases?office={gori_office}").text
    client.post("/review/cases/reassign", data={"office": gori_office, "case_id": [person.current_case.id],
                                                "caseworker_id": second.id, "confirmed": "yes"})
    db.session.expire_all()
    assert person.current_case.caseworker_id == second.id
