"""The supervisor's review queue, "my requests" and case reviews, through the screens."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord
from caseapp.assistance.models import AssistanceStatus as S
from caseapp.auth.models import Role
from caseapp.cases.models import CaseStatus
from caseapp.extensions import db
from caseapp.plans.models import ReintegrationPlan
from caseapp.review import queries
from caseapp.review.models import CaseReview, ReviewOutcome
from caseapp.timeutil import utcnow
from tests.factories import assistance_type


@pytest.fixture
def gori_staff(make):
    return make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori")


def _request_grant(client, person, amount="3000"):
    response = client.post(f"/returnees/{person.id}/assistance/new", data={
        "type_id": assistance_type("business_grant").id, "provided_on": "2024-05-01", "status": "requested",
        "amount": amount, "currency": "GEL", "provider": "", "notes": "Bakery",
    })
    assert response.status_code == 302, response.text
    return db.session.scalar(select(AssistanceRecord).order_by(AssistanceRecord.id.desc()))


def _decide(client, record, decision, comment=""):
    return client.post(f"/assistance/{record.id}/decision",
                       data={"decision": decision, "comment": comment, "version": record.version, "next": "/review/",
                             "confirmed": "yes"})


def test_done_when_a_grant_is_requested_approved_by_another_supervisor_and_delivered(app, make, login, client):
    caseworker, supervisor = make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori")
    tbilisi_supervisor = make.user(Role.SUPERVISOR, "Tbilisi")
    person = make.returnee("Gori", caseworker=caseworker)

    login(caseworker)
    record = _request_grant(client, person)
    assert record.status == S.REQUESTED and record.requested_by_id == caseworker.id
    assert _decide(client, record, "approved").status_code == 403  # caseworkers have no queue

    caseworker.role = Role.SUPERVISOR  # promoted: still the one who asked for it
    db.session.commit()
    assert client.get("/review/").status_code == 302  # a new role ends the session: log in again
    login(caseworker)
    _decide(client, record, "approved")
    db.session.refresh(record)
    assert record.status == S.REQUESTED
    assert "Four eyes" in client.get("/review/").text  # the refusal, flashed
    client.post("/logout")

    login(tbilisi_supervisor)
    assert "Bakery" not in client.get("/review/").text
    assert client.get(f"/returnees/{person.id}").status_code == 404
    assert _decide(client, record, "approved").status_code == 404
    client.post("/logout")

    login(supervisor)
    queue = client.get("/review/").text
    assert person.full_name in queue and "3,000.00 GEL" in queue
    assert _decide(client, record, "approved", "Viable plan").status_code == 302
    db.session.refresh(record)
    assert record.status == S.APPROVED
    client.post("/logout")

    caseworker.role = Role.CASEWORKER
    db.session.commit()
    login(caseworker)
    client.post(f"/assistance/{record.id}/status", data={"status": "delivered", "version": record.version,
                                                         "delivered_on": date.today().isoformat(), "confirmed": "yes"})
    db.session.refresh(record)
    assert record.status == S.DELIVERED
    page = client.get(f"/returnees/{person.id}").text
    assert "Viable plan" in page and supervisor.display_name in page  # approval history on the timeline


def test_rejected_request_shows_its_reason_to_the_caseworker(make, login, client, gori_staff):
    caseworker, supervisor = gori_staff
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    login(supervisor)
    _decide(client, record, "rejected", "")  # no reason: refused
    db.session.refresh(record)
    assert record.status == S.REQUESTED
    _decide(client, record, "rejected", "No quotes from suppliers")
    db.session.refresh(record)
    assert record.status == S.REJECTED
    client.post("/logout")
    login(caseworker)
    for page in ("/review/my-requests", "/"):
        text = client.get(page).text
        assert "No quotes from suppliers" in text and "Rejected" in text


def test_queue_lists_pending_approvals_of_own_office_oldest_first(make, login, client, gori_staff):
    caseworker, supervisor = gori_staff
    person = make.returnee("Gori", caseworker=caseworker, first_name="Ana")
    newer = make.record(person, "medical_assistance", status=S.REQUESTED, amount="800", recorded_by=caseworker)
    older = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    older.created_at = utcnow() - timedelta(days=3)
    make.record(person, "business_counselling", status=S.REQUESTED, recorded_by=caseworker)  # needs none
    other = make.returnee("Tbilisi", first_name="Zura")
    make.record(other, "business_grant", status=S.REQUESTED, amount="2000")
    db.session.commit()
    assert [r.id for r in queries.pending_approvals(supervisor.field_office_id)] == [older.id, newer.id]
    login(supervisor)
    text = client.get("/review/").text
    assert text.index("Micro-business grant") < text.index("Medical assistance")
    assert "Zura" not in text and caseworker.display_name in text


def test_navigation_counts_waiting_items(make, login, client, gori_staff):
    caseworker, supervisor = gori_staff
    old = date.today() - timedelta(days=200)
    quiet = make.returnee("Gori", caseworker=caseworker, return_date=old)  # no activity since: 1 case
    make.record(quiet, "business_grant", on=old, status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    make.record(quiet, "voc_ed_grant", on=old, status=S.REQUESTED, amount="900", recorded_by=caseworker)
    make.returnee("Tbilisi", return_date=old)  # another office: not counted
    counts = queries.queue_counts(supervisor)
    assert (counts.approvals, counts.attention) == (2, 1)
    assert queries.queue_counts(caseworker).my_pending == 2
    assert queries.queue_counts(make.user(Role.SUPERVISOR, "Tbilisi")).approvals == 0
    login(supervisor)
    nav = client.get("/returnees/").text
    assert 'id="nav-review-queue"' in nav
    assert '>2 to approve</span>' in nav and '>1 needs attention</span>' in nav  # badges in words


def test_attention_kinds_follow_their_definitions(app, make, gori_staff):
    caseworker, supervisor = gori_staff
    today = date.today()
    long_ago = today - timedelta(days=app.config["INACTIVITY_DAYS"] + 10)
    inactive = make.returnee("Gori", caseworker=caseworker, return_date=long_ago)
    busy = make.returnee("Gori", caseworker=caseworker, return_date=long_ago)
    make.record(busy, "business_counselling", on=today - timedelta(days=5))
    due = make.returnee("Gori", caseworker=caseworker)
    due.current_case.follow_up_on = today
    db.session.add(ReintegrationPlan(case=due.current_case, summary="Plan"))
    ready = make.returnee("Gori", caseworker=caseworker)
    ready.current_case.status = CaseStatus.MONITORING
    db.session.add(ReintegrationPlan(case=ready.current_case, summary="Plan"))
    make.record(ready, "business_counselling", on=today)
    not_ready = make.returnee("Gori", caseworker=caseworker)
    not_ready.current_case.status = CaseStatus.MONITORING
    make.record(not_ready, "business_counselling", on=today)
    make.record(not_ready, "business_grant", on=today, status=S.APPROVED, amount="1000")
    db.session.commit()
    lists = {group.kind: {c.returnee_id for c in group.cases} for group in queries.cases_needing_attention(
        supervisor.field_office_id)}
    assert inactive.id in lists["inactive"] and busy.id not in lists["inactive"]
    assert lists["follow_up_due"] == {due.id}
    assert inactive.id in lists["plan_missing"] and due.id not in lists["plan_missing"]
    assert lists["ready_to_close"] == {ready.id}


def test_needs_action_review_waits_on_caseworker_home_until_answered(make, login, client, gori_staff):
    caseworker, supervisor = gori_staff
    person = make.returnee("Gori", caseworker=caseworker)
    case = person.current_case
    login(supervisor)
    client.post(f"/review/cases/{case.id}/review", data={"outcome": "needs_action", "comment": ""})
    assert db.session.scalar(select(CaseReview)) is None  # needs action says what
    client.post(f"/review/cases/{case.id}/review", data={"outcome": "needs_action", "comment": "Call the family"})
    review = db.session.scalar(select(CaseReview))
    assert review.outcome == ReviewOutcome.NEEDS_ACTION and review.reviewer_id == supervisor.id
    client.post("/logout")
    login(caseworker)
    assert "Call the family" in client.get("/").text
    assert queries.queue_counts(caseworker).reviews_to_answer == 1
    client.post(f"/review/reviews/{review.id}/answer", data={"answer": "Called on Monday"})
    db.session.refresh(review)
    assert review.answer == "Called on Monday"
    assert "Call the family" not in client.get("/").text
    history = client.get(f"/returnees/{person.id}").text
    assert "reviewed the case" in history and "answered the review" in history


def test_supervisor_of_other_office_cannot_review_or_answer(make, login, client, gori_staff):
    caseworker, supervisor = gori_staff
    case = make.returnee("Gori", caseworker=caseworker).current_case
    review = CaseReview(case=case, reviewer_id=supervisor.id, outcome=ReviewOutcome.NEEDS_ACTION, comment="x")
    db.session.add(review)
    db.session.commit()
    login(make.user(Role.SUPERVISOR, "Tbilisi"))
    assert client.post(f"/review/cases/{case.id}/review", data={"outcome": "fine"}).status_code == 404
    assert client.post(f"/review/reviews/{review.id}/answer", data={"answer": "x"}).status_code == 404


@pytest.mark.parametrize("path,roles_allowed", [
    ("/review/", {"supervisor"}),
    ("/review/my-requests", {"caseworker", "supervisor"}),
    ("/review/cases", {"supervisor", "admin"}),
])
def test_review_pages_by_role(make, login, client, path, roles_allowed):
    for role in Role:
        login(make.user(role, "Gori"))
        expected = 200 if role.value in roles_allowed else 403
        assert client.get(path).status_code == expected, (role, path)
        client.post("/logout")


def test_decision_on_a_changed_request_is_refused(make, login, client, gori_staff):
    caseworker, supervisor = gori_staff
    person = make.returnee("Gori", caseworker=caseworker)
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    login(supervisor)
    response = client.post(f"/assistance/{record.id}/decision",
                           data={"decision": "approved", "version": record.version - 1, "next": "/review/",
                                 "confirmed": "yes"})
    db.session.refresh(record)
    assert record.status == S.REQUESTED and record.decisions == []
    assert "Not saved: someone changed this record" in response.text  # the stale banner, on the page


@pytest.mark.parametrize("action", ["decision", "review", "answer", "reopen", "follow_up", "assign", "reassign"])
def test_every_supervisor_action_on_another_office_is_not_found(make, login, client, gori_staff, action):
    caseworker, supervisor = gori_staff
    person = make.returnee("Gori", caseworker=caseworker)
    case = person.current_case
    record = make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    review = CaseReview(case=case, reviewer_id=supervisor.id, outcome=ReviewOutcome.NEEDS_ACTION, comment="x")
    db.session.add(review)
    db.session.commit()
    tbilisi = make.user(Role.SUPERVISOR, "Tbilisi")
    url, data = {
        "decision": (f"/assistance/{record.id}/decision", {"decision": "approved"}),
        "review": (f"/review/cases/{case.id}/review", {"outcome": "fine"}),
        "answer": (f"/review/reviews/{review.id}/answer", {"answer": "done"}),
        "reopen": (f"/returnees/cases/{case.id}/reopen", {"reopen-reason": "x"}),
        "follow_up": (f"/returnees/cases/{case.id}/follow-up", {"follow-follow_up_on": "2030-01-01"}),
        "assign": (f"/returnees/cases/{case.id}/assign", {"assign-caseworker_id": tbilisi.id}),
        "reassign": ("/review/cases/reassign", {"case_id": [case.id], "caseworker_id": tbilisi.id}),
    }[action]
    login(tbilisi)
    assert client.post(url, data=data).status_code == 404
    db.session.expire_all()
    assert (record.status, case.caseworker_id, case.follow_up_on, review.answer) == \
        (S.REQUESTED, caseworker.id, None, None)


def test_my_requests_are_those_of_my_office(make, login, client, gori_staff):
    caseworker, _ = gori_staff
    person = make.returnee("Gori", caseworker=caseworker, first_name="Lela")
    make.record(person, "business_grant", status=S.REQUESTED, amount="3000", recorded_by=caseworker)
    login(caseworker)
    assert "Lela" in client.get("/review/my-requests").text
    caseworker.field_office_id = make.office("Tbilisi").id  # moved to another office
    db.session.commit()
    login(caseworker)  # the move ended the session
    page = client.get("/review/my-requests")
    assert page.status_code == 200 and "Lela" not in page.text
