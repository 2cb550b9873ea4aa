"""One submit, one record: every form that writes, sent twice (one after the other, or at the same
moment from several connections), makes one record; the repeat gets the first one's result, no error
page. Runs on the suite's database (SQLite or PostgreSQL)."""
from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from caseapp.assistance.models import ApprovalDecision, AssistanceRecord
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.imports.models import ImportBatch
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee
from caseapp.review.models import CaseReview
from caseapp.submissions import FormSubmission
from tests.factories import PASSWORD
from tests.test_import_web import pending_token, upload
from tests.test_imports import record_row, returnee_row

REPEAT_MESSAGE = "already sent and saved"


@dataclass
class Scenario:
    username: str
    url: str
    data: dict
    #: how many records of the kind the form makes exist now
    count: Callable[[], int]


def _count(model, *where) -> Callable[[], int]:
    return lambda: db.session.scalar(select(func.count()).select_from(model).where(*where))


def register_returnee(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    return Scenario(worker.username, "/returnees/new", {
        "first_name": "Tamar", "last_name": "Maisuradze", "sex": "F", "date_of_birth": "1990-02-03",
        "field_office_id": make.office("Gori").id, "return_date": "2024-06-01", "returned_from": "Germany",
        "open_case": "y"}, _count(Returnee))


def log_assistance(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    return Scenario(worker.username, f"/returnees/{person.id}/assistance/new", {
        "type_id": make.assistance_type("business_counselling").id, "provided_on": "2024-05-02",
        "status": "delivered"}, _count(AssistanceRecord))


def open_case(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", with_case=False)
    return Scenario(worker.username, f"/returnees/{person.id}/cases", {}, _count(Case))


def close_case(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    case = make.returnee("Gori", caseworker=worker).current_case
    return Scenario(worker.username, f"/returnees/cases/{case.id}/status", {
        "case-status": "closed", "case-reason": "reintegration_completed", "case-version": case.version},
        _count(AuditEntry, AuditEntry.action == "case.status"))


def review_case(make):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    case = make.returnee("Gori").current_case
    return Scenario(supervisor.username, f"/review/cases/{case.id}/review",
                    {"outcome": "fine", "comment": "checked"}, _count(CaseReview))


def approve_request(make):
    worker, supervisor = make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori")
    record = make.record(make.returnee("Gori"), "business_grant", status="requested", amount="3000",
                         recorded_by=worker)
    return Scenario(supervisor.username, f"/assistance/{record.id}/decision",
                    {"decision": "approved", "version": record.version, "comment": ""}, _count(ApprovalDecision))


def deliver(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    record = make.record(make.returnee("Gori"), "business_counselling", status="planned", recorded_by=worker)
    return Scenario(worker.username, f"/assistance/{record.id}/status",
                    {"status": "delivered", "version": record.version},
                    _count(AuditEntry, AuditEntry.entity_type == "assistance"))


def create_office(make):
    admin = make.user(Role.ADMIN, None)
    return Scenario(admin.username, "/admin/offices/new", {"name": "Zugdidi", "active": "y"}, _count(FieldOffice))


FORMS = [register_returnee, log_assistance, open_case, close_case, review_case, approve_request, deliver,
         create_office]


def signed_in(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def send_at_once(app, username, url, data, times=3):
    """The same form sent by `times` connections at the same moment; the responses."""
    clients = [signed_in(app, username) for _ in range(times)]
    start = threading.Barrier(times)
    responses = [None] * times

    def send(n):
        start.wait()
        responses[n] = clients[n].post(url, data=data)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(times)]
    db.session.commit()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    return responses


@pytest.mark.parametrize("scenario", FORMS, ids=lambda f: f.__name__)
def test_a_form_sent_twice_makes_one_record_and_the_repeat_is_shown_the_first_result(app, make, scenario):
    form = scenario(make)
    before = form.count()
    client = signed_in(app, form.username)
    data = {**form.data, "submit_key": secrets.token_urlsafe(18)}
    first = client.post(form.url, data=data)
    assert form.count() == before + 1
    second = client.post(form.url, data=data)
    assert form.count() == before + 1
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert REPEAT_MESSAGE in client.get(second.headers["Location"]).text


@pytest.mark.parametrize("scenario", FORMS, ids=lambda f: f.__name__)
def test_a_form_sent_three_times_at_the_same_moment_makes_one_record(app, make, scenario):
    form = scenario(make)
    before = form.count()
    responses = send_at_once(app, form.username, form.url, {**form.data, "submit_key": secrets.token_urlsafe(18)})
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert len({r.headers["Location"] for r in responses}) == 1
    assert form.count() == before + 1
    assert db.session.scalar(select(func.count(FormSubmission.id))) == 1


def test_a_refused_submit_leaves_its_key_free_for_the_corrected_form(app, make):
    form = log_assistance(make)
    client = signed_in(app, form.username)
    key = secrets.token_urlsafe(18)
    refused = client.post(form.url, data={**form.data, "provided_on": "2999-01-01", "submit_key": key})
    assert refused.status_code == 200 and form.count() == 0
    corrected = client.post(form.url, data={**form.data, "submit_key": key})
    assert corrected.status_code == 302 and form.count() == 1


def test_the_same_key_sent_by_another_user_is_another_submit(app, make):
    form = register_returnee(make)
    colleague = make.user(Role.CASEWORKER, "Gori")
    data = {**form.data, "submit_key": secrets.token_urlsafe(18)}
    signed_in(app, form.username).post(form.url, data=data)
    other = signed_in(app, colleague.username).post(form.url, data={**data, "first_name": "Nino"})
    assert other.status_code == 302 and form.count() == 2


def test_every_rendering_of_a_form_carries_a_new_key(app, make):
    form = log_assistance(make)
    client = signed_in(app, form.username)
    keys = [re.search(r'name="submit_key" value="([^"]+)"', client.get(form.url).text).group(1) for _ in range(2)]
    assert keys[0] != keys[1] and len(keys[0]) >= 16


def test_an_import_confirmed_twice_at_the_same_moment_is_one_batch(app, make, client, login):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    login(supervisor)
    token = pending_token(upload(client, [returnee_row("GO-1")], [record_row("GO-1")]))
    responses = send_at_once(app, supervisor.username, f"/imports/pending/{token}",
                             {"submit_key": secrets.token_urlsafe(18)})
    assert [r.status_code for r in responses] == [302, 302, 302]
    batch = db.session.scalar(select(ImportBatch))
    assert {r.headers["Location"] for r in responses} == {f"/imports/{batch.id}"}
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 1
    assert db.session.scalar(select(func.count(Returnee.id))) == 1


def test_every_form_that_writes_on_the_case_page_and_the_review_queue_carries_a_key(app, make):
    worker, supervisor = make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    make.record(person, "business_grant", status="requested", amount="3000", recorded_by=worker)
    make.record(person, "business_counselling", status="planned", recorded_by=worker)
    client = signed_in(app, supervisor.username)
    for url in (f"/returnees/{person.id}", "/review/", "/review/cases"):
        forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', client.get(url).text, re.S)
        # logging out and choosing the language do the same when repeated: no key needed
        writing = [(action, body) for action, body in forms if action not in ("/logout", "/language")]
        assert writing, url
        assert [action for action, body in writing if 'name="submit_key"' not in body] == [], url


def test_keys_older_than_the_keeping_time_are_forgotten_when_the_user_saves_again(app, make):
    from datetime import timedelta

    from caseapp.submissions import KEEP_DAYS
    from caseapp.timeutil import utcnow

    worker, colleague = make.user(Role.CASEWORKER, "Gori"), make.user(Role.CASEWORKER, "Gori")
    office = make.office("Gori").id
    old, now = utcnow() - timedelta(days=KEEP_DAYS + 1), utcnow()
    db.session.add_all([FormSubmission(key="old-mine".ljust(64, "-"), user_id=worker.id, created_at=old),
                        FormSubmission(key="old-theirs".ljust(64, "-"), user_id=colleague.id, created_at=old),
                        FormSubmission(key="new-mine".ljust(64, "-"), user_id=worker.id, created_at=now)])
    db.session.commit()
    response = signed_in(app, worker.username).post("/returnees/new", data={
        "first_name": "Tamar", "last_name": "Maisuradze", "sex": "F", "date_of_birth": "1990-02-03",
        "field_office_id": office, "return_date": "2024-06-01", "returned_from": "Germany",
        "submit_key": secrets.token_urlsafe(18)})
    assert response.status_code == 302
    kept = {key.rstrip("-") for key in db.session.scalars(select(FormSubmission.key))}
    assert {"old-theirs", "new-mine"} <= kept and "old-mine" not in kept and len(kept) == 3
