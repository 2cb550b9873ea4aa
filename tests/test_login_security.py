"""Logins that cannot be guessed: a lock after repeated wrong passwords, answered and timed alike for
unknown usernames; throttling per address and per username; the administrator sees and unlocks."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from caseapp.audit.models import AuditEntry
from caseapp.auth import passwords
from caseapp.auth.models import LoginThrottle, Role
from caseapp.auth.services import authenticate
from caseapp.extensions import db
from caseapp.timeutil import utcnow
from tests.factories import PASSWORD

INVALID = "Invalid username or password."
LOCKED = "Too many failed logins with this username"


def _try(client, username, password="not the password"):
    response = client.post("/login", data={"username": username, "password": password})
    if response.status_code == 302:
        return "logged in"
    assert response.status_code == 200
    return LOCKED if LOCKED in response.text else INVALID if INVALID in response.text else response.text


def test_the_seventh_attempt_after_six_wrong_passwords_sees_the_lock_even_with_the_right_password(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    answers = [_try(client, user.username) for _ in range(6)]
    assert answers == [INVALID] * 6
    assert _try(client, user.username, PASSWORD) == LOCKED
    assert client.get("/returnees/").status_code == 302


def test_an_unknown_username_gets_the_same_answers_as_a_real_one(app, make):
    user = make.user(Role.CASEWORKER, "Gori")
    real, unknown = app.test_client(), app.test_client()
    real_answers = [_try(real, user.username) for _ in range(8)]
    unknown_answers = [_try(unknown, "nobody.gori") for _ in range(8)]
    assert real_answers == unknown_answers == [INVALID] * 6 + [LOCKED] * 2


def test_the_lock_ends_after_fifteen_minutes(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    for _ in range(6):
        _try(client, user.username)
    throttle = db.session.get(LoginThrottle, user.username)
    assert timedelta(minutes=14) < throttle.locked_until - utcnow() <= timedelta(minutes=15)
    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _try(client, user.username, PASSWORD) == "logged in"
    assert db.session.get(LoginThrottle, user.username) is None  # a success forgets the failures


def test_failures_older_than_the_window_do_not_count(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    for _ in range(4):
        _try(client, user.username)
    db.session.get(LoginThrottle, user.username).window_started_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    assert [_try(client, user.username) for _ in range(4)] == [INVALID] * 4  # 8 wrong, 4 in the window
    assert _try(client, user.username, PASSWORD) == "logged in"


def test_the_limits_are_settings(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT", 2)
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_MINUTES", 60)
    user = make.user(Role.CASEWORKER, "Gori")
    assert [_try(client, user.username) for _ in range(3)] == [INVALID, INVALID, LOCKED]
    locked_for = db.session.get(LoginThrottle, user.username).locked_until - utcnow()
    assert timedelta(minutes=59) < locked_for <= timedelta(minutes=60)


def test_an_unknown_username_costs_a_password_hash_like_a_real_one(make, monkeypatch):
    """Same timing: every attempt computes exactly one hash, a dummy one for an unknown username."""
    user = make.user(Role.CASEWORKER, "Gori")
    computed = []
    real_check = passwords.check_password_hash

    def counting_check(pwhash, password):
        computed.append(pwhash)
        return real_check(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting_check)
    monkeypatch.setattr("caseapp.auth.models.check_password_hash", counting_check)
    dummy = passwords._dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    for username, expected in [("nobody", [dummy]), (user.username, [user.password_hash])]:
        computed.clear()
        assert authenticate(username, "wrong password").user is None
        assert computed == expected
    computed.clear()
    for _ in range(6):
        authenticate("nobody", "wrong password")
    computed.clear()
    assert authenticate("nobody", "wrong password").locked
    assert computed == [dummy]  # a locked username still costs the hash


def test_an_inactive_account_is_refused_like_a_wrong_password(client, make):
    user = make.user(Role.CASEWORKER, "Gori", active=False)
    assert _try(client, user.username, PASSWORD) == INVALID


def test_the_admin_sees_failed_logins_and_locks_and_unlocks_with_an_audit_entry(client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    for _ in range(6):
        _try(client, user.username)
    admin = make.user(Role.ADMIN, None)
    login(admin)
    page = client.get("/admin/users")
    assert "locked until" in page.text and "Unlock" in page.text
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert db.session.get(LoginThrottle, user.username) is None
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == user.id, AuditEntry.entity_type == "user")
    ).all()
    assert "user.locked" in actions and "user.unlock" in actions
    client.post("/logout")
    assert _try(client, user.username, PASSWORD) == "logged in"


def test_a_few_failures_show_on_the_users_page_without_a_lock(client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    _try(client, user.username)
    _try(client, user.username)
    login(make.user(Role.ADMIN, None))
    page = client.get("/admin/users")
    assert "2, the last" in page.text and "locked until" not in page.text


def test_logins_per_username_are_throttled(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_ACCOUNT", "3 per minute")
    user = make.user(Role.CASEWORKER, "Gori")
    for _ in range(3):
        _try(client, user.username)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    # another username from the same address is not held up by this one
    assert _try(client, "someone.else") == INVALID


def test_logins_per_address_are_throttled(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_ADDRESS", "4 per minute")
    for n in range(4):
        _try(client, f"guess{n}")
    assert client.post("/login", data={"username": "guess9", "password": "x"}).status_code == 429
    other_address = client.post(
        "/login", data={"username": "guess9", "password": "x"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert other_address.status_code == 200


def test_showing_the_login_page_is_not_counted(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_PER_ADDRESS", "2 per minute")
    for _ in range(5):
        assert client.get("/login").status_code == 200
