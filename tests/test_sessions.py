"""An account change takes effect on the next request of a session that is already open."""
from __future__ import annotations

from caseapp.auth.models import Role
from caseapp.extensions import db


def test_deactivated_user_is_logged_out_on_the_next_request(client, make, login):
    person = make.returnee("Gori")
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    assert client.get(f"/returnees/{person.id}").status_code == 200
    user.active = False
    db.session.commit()
    response = client.get(f"/returnees/{person.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_role_change_takes_effect_in_an_open_session(client, make, login):
    person = make.returnee("Gori")
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    user.role, user.field_office_id = Role.MANAGER, None
    db.session.commit()
    assert client.get(f"/returnees/{person.id}").status_code == 403
    assert client.get("/returnees/").status_code == 403


def test_office_change_takes_effect_in_an_open_session(client, make, login):
    person = make.returnee("Gori")
    user = make.user(Role.SUPERVISOR, "Gori")
    login(user)
    user.field_office_id = make.office("Tbilisi").id
    db.session.commit()
    assert client.get(f"/returnees/{person.id}").status_code == 404


def test_session_cookie_is_http_only_and_same_site(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
