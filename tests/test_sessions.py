"""Sessions that end: a login session is a record in the database; logout, a new password, a change of
role, office or activity, idleness and age end it, and a browser holding its cookie is sent to log in."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caseapp.admin import services as admin_services
from caseapp.auth.models import LoginSession, Role
from caseapp.auth.sessions import SESSION_KEY
from caseapp.extensions import db
from caseapp.timeutil import utcnow
from tests.factories import PASSWORD


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _session_of(user) -> LoginSession:
    return db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                              .order_by(LoginSession.id.desc())).first()


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(app, client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    assert client.get("/returnees/").status_code == 200
    copied = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/returnees/")
    assert _sent_to_login(response)
    assert _session_of(user).ended_at is not None


def test_deactivated_user_is_logged_out_on_the_next_request(client, make, login):
    person = make.returnee("Gori")
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    assert client.get(f"/returnees/{person.id}").status_code == 200
    user.active = False
    db.session.commit()
    assert _sent_to_login(client.get(f"/returnees/{person.id}"))


@pytest.mark.parametrize("change", ["role", "office", "password", "deactivation"])
def test_an_account_change_ends_its_sessions_at_once(client, make, login, change):
    user = make.user(Role.SUPERVISOR, "Gori")
    login(user)
    assert client.get("/returnees/").status_code == 200
    if change == "role":
        user.role = Role.CASEWORKER
    elif change == "office":
        user.field_office_id = make.office("Tbilisi").id
    elif change == "password":
        user.set_password("a brand new password")
    else:
        user.active = False
    db.session.commit()
    assert _sent_to_login(client.get("/returnees/"))


@pytest.mark.parametrize("change", [dict(role=Role.CASEWORKER), dict(active=False),
                                    dict(password="another long passphrase")])
def test_the_administrators_change_marks_the_sessions_as_ended(make, change):
    admin = make.user(Role.ADMIN, None)
    user = make.user(Role.SUPERVISOR, "Gori")
    db.session.add(LoginSession(user_id=user.id, token_hash="a" * 64, access_stamp=user.access_stamp))
    db.session.flush()
    values = dict(display_name=user.display_name, role=user.role, field_office_id=user.field_office_id,
                  active=True) | change
    admin_services.update_user(admin, user, **values)
    assert _session_of(user).ended_at is not None


def test_a_new_display_name_does_not_end_the_sessions(make):
    admin = make.user(Role.ADMIN, None)
    user = make.user(Role.SUPERVISOR, "Gori")
    db.session.add(LoginSession(user_id=user.id, token_hash="a" * 64, access_stamp=user.access_stamp))
    db.session.flush()
    admin_services.update_user(admin, user, display_name="Tamar B.", role=user.role,
                              field_office_id=user.field_office_id, active=True)
    assert _session_of(user).ended_at is None


@pytest.mark.parametrize("idle_minutes,ends", [(29, False), (31, True)])
def test_a_session_ends_after_thirty_idle_minutes(client, make, login, idle_minutes, ends):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    _session_of(user).last_seen_at = utcnow() - timedelta(minutes=idle_minutes)
    db.session.commit()
    assert _sent_to_login(client.get("/returnees/")) is ends


@pytest.mark.parametrize("age_hours,ends", [(11.9, False), (12.1, True)])
def test_a_session_ends_twelve_hours_after_the_login_however_busy(client, make, login, age_hours, ends):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    _session_of(user).created_at = utcnow() - timedelta(hours=age_hours)
    db.session.commit()
    assert _sent_to_login(client.get("/returnees/")) is ends


def test_the_timeouts_are_settings(app, client, make, login, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    _session_of(user).last_seen_at = utcnow() - timedelta(minutes=6)
    db.session.commit()
    assert _sent_to_login(client.get("/returnees/"))


def test_a_request_keeps_the_session_alive(client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    _session_of(user).last_seen_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    assert client.get("/returnees/").status_code == 200
    assert utcnow() - _session_of(user).last_seen_at < timedelta(minutes=1)


def test_login_starts_a_new_session_and_forgets_what_the_browser_held(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
        before[SESSION_KEY] = "a token an attacker chose"
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    with client.session_transaction() as after:
        assert "planted" not in after
        first_token = after[SESSION_KEY]
        assert first_token != "a token an attacker chose"
    client.post("/logout")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    with client.session_transaction() as again:
        assert again[SESSION_KEY] != first_token
    # only a hash of the token is stored
    assert db.session.scalar(select(LoginSession).where(LoginSession.token_hash == first_token)) is None


def test_the_user_sees_their_sessions_and_ends_another(app, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    office, home = app.test_client(), app.test_client()
    office.post("/login", data={"username": user.username, "password": PASSWORD},
                headers={"User-Agent": "Firefox at the Gori office"})
    home.post("/login", data={"username": user.username, "password": PASSWORD},
              headers={"User-Agent": "Chrome at home"}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    page = office.get("/account/sessions", headers={"User-Agent": "Firefox at the Gori office"})
    assert "Firefox at the Gori office" in page.text and "Chrome at home" in page.text
    assert "10.9.8.7" in page.text
    home_session = _session_of(user)
    ended = office.post(f"/account/sessions/{home_session.id}/end",
                        headers={"User-Agent": "Firefox at the Gori office"})
    assert ended.status_code == 302
    assert _sent_to_login(home.get("/returnees/", headers={"User-Agent": "Chrome at home"},
                                   environ_base={"REMOTE_ADDR": "10.9.8.7"}))
    assert office.get("/returnees/", headers={"User-Agent": "Firefox at the Gori office"}).status_code == 200


def test_end_all_other_sessions_keeps_this_one(app, make):
    user = make.user(Role.CASEWORKER, "Gori")
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        browser.post("/login", data={"username": user.username, "password": PASSWORD})
    assert browsers[0].post("/account/sessions/end-others").status_code == 302
    assert browsers[0].get("/returnees/").status_code == 200
    assert all(_sent_to_login(b.get("/returnees/")) for b in browsers[1:])


def test_nobody_ends_another_users_session(client, make, login):
    other = make.user(Role.CASEWORKER, "Gori")
    db.session.add(LoginSession(user_id=other.id, token_hash="b" * 64, access_stamp=other.access_stamp))
    db.session.commit()
    login(make.user(Role.ADMIN, None))
    assert client.post(f"/account/sessions/{_session_of(other).id}/end").status_code == 404
    assert _session_of(other).ended_at is None


def _csrf_token(page) -> str:
    return page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_a_csrf_token_dies_with_its_session(app, client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori")
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/login")
    client.post("/login", data={"username": user.username, "password": PASSWORD,
                                "csrf_token": _csrf_token(login_page)})
    form_page = client.get(f"/returnees/{person.id}/edit")
    token, copied = _csrf_token(form_page), client.get_cookie("session").value
    logout_token = form_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": logout_token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", copied)
    # the copied cookie and its token neither write nor log in
    assert _sent_to_login(replay.post(f"/returnees/{person.id}/cases", data={"csrf_token": token}))
    replay.set_cookie("session", copied)
    refused = replay.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 400


def test_the_csrf_token_lives_no_longer_than_a_session(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] == app.config["SESSION_LIFETIME_HOURS"] * 3600


def test_session_cookie_is_http_only_and_same_site(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
