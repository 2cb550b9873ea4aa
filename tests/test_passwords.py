"""Passwords: long, not guessable, not the account's own words; the user changes their own, and one an
administrator chose must be replaced at the first login."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.audit.models import AuditEntry
from caseapp.auth.models import LoginSession, Role, User
from caseapp.auth.passwords import password_problem
from caseapp.demo.data import DEMO_USERS
from caseapp.extensions import db
from tests.factories import PASSWORD

NEW = "plum orchard under snow"


@pytest.mark.parametrize(
    "password,why",
    [
        ("password12", "At least 12"),
        ("password1234", "too easy to guess"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("1234567890ab", "too easy to guess"),
        ("qwertyuiop123", "too easy to guess"),
        ("tamar.gori.caseworker", None),  # fine: not the account's own words as a whole
        ("tamar.beridze", "Your name, username"),  # the username
        ("Tamar Beridze", "Your name, username"),  # the display name
        ("CaseApp", "At least 12"),
        ("caseappcaseapp", "Your name, username"),
        ("caseapp2024!", "too easy to guess"),
        ("tamarberidze1", "Your name, username"),
        ("Beridze-Tamar-99", "Your name, username"),
        ("caseapp.tamar.beridze.gori", None),  # four letters more than the own words: zxcvbn judges
        ("short words", "At least 12"),
        ("x" * 129, "At most 128"),
    ],
)
def test_weak_or_own_passwords_are_refused_with_a_reason(app_ctx, password, why):
    problem = password_problem(password, username="tamar.beridze", display_name="Tamar Beridze")
    if why is None:
        assert problem is None
    else:
        assert why in str(problem)


@pytest.mark.parametrize(
    "password",
    [
        "plum orchard under snow",
        "Mtskheta-bridge-1987-kite",  # composition is not required, nor refused
        "ნინო მთაწმინდაზე ცხოვრობს",  # any script
        "a reasonably long sentence " * 4 + "ok",  # 110 characters: long passphrases are welcome
    ],
)
def test_long_unguessable_passwords_are_accepted_without_composition_rules(app_ctx, password):
    assert len(password) <= 128
    assert password_problem(password, username="tamar.beridze", display_name="Tamar Beridze") is None


def test_the_demo_passwords_satisfy_the_rules(app_ctx):
    for username, display_name, _role, _office, password in DEMO_USERS:
        assert password_problem(password, username=username, display_name=display_name) is None, username


def test_the_factory_password_satisfies_the_rules(app_ctx):
    assert password_problem(PASSWORD, username="caseworker1", display_name="Caseworker 1") is None


@pytest.fixture
def caseworker(make, login):
    user = make.user(Role.CASEWORKER, "Gori", username="tamar.beridze")
    login(user)
    return user


def _change(client, current=PASSWORD, new=NEW, again=None, **extra):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "new_password_again": again or new, **extra},
    )


@pytest.mark.parametrize("new", ["password12", "aaaaaaaaaaaa", "1234567890ab", "tamar.beridze"])
def test_a_weak_new_password_is_refused_next_to_the_field(client, caseworker, new):
    response = _change(client, new=new)
    assert response.status_code == 200
    field = response.text.split('name="new_password"')[1].split('name="new_password_again"')[0]
    assert "invalid-feedback" in field
    assert any(why in field for why in ("too easy to guess", "Your name, username", "At least 12"))
    db.session.refresh(caseworker)
    assert caseworker.check_password(PASSWORD)


def test_the_current_password_is_required(client, caseworker):
    response = _change(client, current="not my password")
    assert "This is not your current password." in response.text
    db.session.refresh(caseworker)
    assert caseworker.check_password(PASSWORD)


def test_the_repetition_must_match(client, caseworker):
    response = _change(client, again="plum orchard under rain")
    assert "The passwords differ." in response.text


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_browser(app, client, caseworker):
    other_browser = app.test_client()
    other_browser.post("/login", data={"username": caseworker.username, "password": PASSWORD})
    response = _change(client)
    assert response.status_code == 302
    assert client.get("/returnees/").status_code == 200
    assert other_browser.get("/returnees/").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": caseworker.username, "password": PASSWORD}).status_code == 200
    assert fresh.post("/login", data={"username": caseworker.username, "password": NEW}).status_code == 302
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password")) is not None
    live = db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == caseworker.id, LoginSession.ended_at.is_(None))
    ).all()
    assert len(live) == 2  # this browser's new session and the fresh login


def test_the_change_page_works_with_csrf_on(app, client, caseworker):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/account/password")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert _change(client).status_code == 400  # no token
    assert _change(client, csrf_token=token).status_code == 302
    db.session.refresh(caseworker)
    assert caseworker.check_password(NEW)


def test_a_password_set_by_the_administrator_must_be_changed_at_first_login(app, client, make, login):
    login(make.user(Role.ADMIN, None))
    created = client.post(
        "/admin/users/new",
        data={
            "username": "ana",
            "display_name": "Ana K",
            "role": "caseworker",
            "field_office_id": make.office("Poti").id,
            "active": "y",
            "password": "given by the admin",
            "password_again": "given by the admin",
        },
    )
    assert created.status_code == 302
    ana = db.session.scalar(select(User).where(User.username == "ana"))
    assert ana.must_change_password
    browser = app.test_client()
    assert browser.post("/login", data={"username": "ana", "password": "given by the admin"}).status_code == 302
    for url in ("/", "/returnees/", "/account/sessions"):
        response = browser.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert browser.get("/account/password").status_code == 200
    assert (
        browser.post(
            "/account/password",
            data={"current_password": "given by the admin", "new_password": NEW, "new_password_again": NEW},
        ).status_code
        == 302
    )
    assert browser.get("/returnees/").status_code == 200
    db.session.refresh(ana)
    assert not ana.must_change_password


def test_a_password_reset_by_the_administrator_must_be_changed_too(client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(make.user(Role.ADMIN, None))
    client.post(
        f"/admin/users/{user.id}",
        data={
            "username": user.username,
            "display_name": user.display_name,
            "role": "caseworker",
            "field_office_id": user.field_office_id,
            "active": "y",
            "password": "given by the admin",
            "password_again": "given by the admin",
        },
    )
    db.session.refresh(user)
    assert user.must_change_password and user.check_password("given by the admin")


def test_the_administrator_cannot_set_a_weak_password(client, make, login):
    login(make.user(Role.ADMIN, None))
    response = client.post(
        "/admin/users/new",
        data={
            "username": "ana",
            "display_name": "Ana K",
            "role": "manager",
            "field_office_id": 0,
            "active": "y",
            "password": "password12",
            "password_again": "password12",
        },
    )
    assert response.status_code == 200 and "At least 12 characters." in response.text
    response = client.post(
        "/admin/users/new",
        data={
            "username": "ana",
            "display_name": "Ana K",
            "role": "manager",
            "field_office_id": 0,
            "active": "y",
            "password": "aaaaaaaaaaaa",
            "password_again": "aaaaaaaaaaaa",
        },
    )
    assert response.status_code == 200 and "too easy to guess" in response.text
    assert db.session.scalar(select(User).where(User.username == "ana")) is None


def test_an_administrator_setting_their_own_password_stays_logged_in_here_only(app, client, make, login):
    admin = make.user(Role.ADMIN, None)
    login(admin)
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": admin.username, "password": PASSWORD})
    saved = client.post(
        f"/admin/users/{admin.id}",
        data={
            "username": admin.username,
            "display_name": admin.display_name,
            "role": "admin",
            "field_office_id": 0,
            "active": "y",
            "password": NEW,
            "password_again": NEW,
        },
    )
    assert saved.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert elsewhere.get("/admin/users").status_code == 302
    db.session.refresh(admin)
    assert not admin.must_change_password
