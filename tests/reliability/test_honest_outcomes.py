"""What the user is told is what happened: a write that failed to commit is never reported as saved,
and a write that was committed is never reported as lost."""
from __future__ import annotations

import sqlite3

import pytest
from flask import has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.extensions import db

LOCKED = OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))


@pytest.fixture
def logging_assistance(make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    client = login(worker)
    url = f"/returnees/{person.id}/assistance/new"
    data = {"type_id": make.assistance_type("business_counselling").id, "provided_on": "2024-05-02",
            "status": "delivered"}
    return client, url, data, person


def _records() -> int:
    return db.session.scalar(select(func.count(AssistanceRecord.id)))


def test_a_commit_that_fails_answers_try_again_and_never_says_saved(app, logging_assistance, monkeypatch):
    client, url, data, person = logging_assistance
    commit = db.session.commit

    def failing_commit():
        if has_request_context():
            raise LOCKED
        return commit()

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = client.post(url, data=data)
    monkeypatch.undo()
    assert response.status_code == 503  # not the redirect that would announce success
    assert "Please try again" in response.text and "is logged" not in response.text
    assert _records() == 0
    assert "is logged" not in client.get(f"/returnees/{person.id}").text  # no stale "saved" message either


def test_a_failure_after_the_commit_tells_the_user_the_change_is_saved(app, logging_assistance, monkeypatch):
    client, url, data, _ = logging_assistance

    def fails_after_the_commit(response):  # e.g. a value read after the commit, and the database timed out
        raise LOCKED

    # the hooks run last-registered-first: the first in the list runs after the request's commit
    monkeypatch.setitem(app.after_request_funcs, None, [fails_after_the_commit, *app.after_request_funcs[None]])
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer as in production
    response = client.post(url, data=data)
    assert response.status_code == 500
    assert "Your change is saved" in response.text and "Nothing was saved" not in response.text
    assert _records() == 1


def test_an_error_page_rolls_the_request_back(app, make, login, monkeypatch):
    """Whatever a view wrote before it failed is not saved, even though nobody called rollback."""
    from caseapp.assistance import services

    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    client = login(worker)
    record = services.record_assistance

    def records_then_fails(*args, **kwargs):
        record(*args, **kwargs)
        raise RuntimeError("a bug after the write")

    monkeypatch.setattr(services, "record_assistance", records_then_fails)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.post(f"/returnees/{person.id}/assistance/new", data={
        "type_id": make.assistance_type("business_counselling").id, "provided_on": "2024-05-02",
        "status": "delivered"})
    assert response.status_code == 500 and "Nothing was saved" in response.text
    assert _records() == 0
