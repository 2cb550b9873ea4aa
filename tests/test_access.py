"""Who may reach what: every route for every role, office scoping, CSRF, login behaviour."""
from __future__ import annotations

import pytest

from caseapp.auth.models import Role

ROLES = ["anonymous", "caseworker", "supervisor", "manager", "admin"]

# (method, url template, {role: expected status}); {r} is a Gori returnee, {c} its case, {a} a record.
ROUTES = [
    ("GET", "/", dict(anonymous=302, caseworker=200, supervisor=200, manager=200, admin=200)),
    ("GET", "/returnees/", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/new", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/{r}", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/{r}/edit", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/returnees/{r}/cases", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    ("POST", "/returnees/cases/{c}/status", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    ("GET", "/returnees/cases/{c}/plan", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/returnees/cases/{c}/assign", dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=302)),
    ("GET", "/returnees/{r}/assistance/new", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/assistance/{a}/edit", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/assistance/{a}/status", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    ("GET", "/admin/users", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/users/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/offices", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/offices/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/catalog", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/catalog/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/audit", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/healthz", dict(anonymous=200, caseworker=200, supervisor=200, manager=200, admin=200)),
]


@pytest.fixture
def gori_records(make):
    person = make.returnee("Gori")
    entry = make.record(person, "business_counselling", status="planned")
    return {"r": person.id, "c": person.current_case.id, "a": entry.id}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,expected", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_route_answers_each_role_as_specified(client, make, login, gori_records, role, method, url, expected):
    if role != "anonymous":
        login(make.user(Role(role), "Gori"))
    response = client.open(url.format(**gori_records), method=method)
    assert response.status_code == expected[role]
    if role == "anonymous" and expected[role] == 302:
        assert "/login" in response.headers["Location"]


def _caseworker_urls_of(records):
    """The record URLs a caseworker may use for their own office (the others answer 403 anyway)."""
    return [(m, u.format(**records)) for m, u, expected in ROUTES if "{" in u and expected["caseworker"] < 400]


def test_caseworker_cannot_reach_other_office_returnee_by_any_url(client, make, login):
    tbilisi_person = make.returnee("Tbilisi")
    entry = make.record(tbilisi_person, "business_counselling", status="planned")
    records = {"r": tbilisi_person.id, "c": tbilisi_person.current_case.id, "a": entry.id}
    login(make.user(Role.CASEWORKER, "Gori"))
    for method, url in _caseworker_urls_of(records):
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url)
    listing = client.get("/returnees/?q=" + tbilisi_person.first_name)
    assert f"/returnees/{tbilisi_person.id}\"" not in listing.text
    assert "0 matching returnees" in listing.text


def test_supervisor_cannot_reach_other_office_returnee(client, make, login):
    tbilisi_person = make.returnee("Tbilisi")
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.get(f"/returnees/{tbilisi_person.id}").status_code == 404


def test_admin_sees_every_office(client, make, login):
    tbilisi_person = make.returnee("Tbilisi")
    login(make.user(Role.ADMIN, None))
    assert client.get(f"/returnees/{tbilisi_person.id}").status_code == 200


def test_post_without_csrf_token_is_refused_with_400(app, client, make, login):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/returnees/{person.id}/cases")
    assert response.status_code == 400
    response = client.post("/returnees/new", data={"first_name": "X"})
    assert response.status_code == 400


def test_login_form_with_csrf_token_works(app, client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("username,password", [("nobody", "whatever pass"), ("{user}", "wrong password")])
def test_failed_login_says_the_same_whatever_was_wrong(client, make, username, password):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post("/login", data={"username": username.format(user=user.username), "password": password})
    assert response.status_code == 200
    assert "Invalid username or password." in response.text


def test_inactive_user_cannot_log_in(client, make):
    user = make.user(Role.CASEWORKER, "Gori", active=False)
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery"})
    assert "Invalid username or password." in response.text


@pytest.mark.parametrize("target,expected", [
    ("/returnees/", "/returnees/"),
    ("https://evil.example/steal", "/"),
    ("//evil.example/", "/"),
    ("\\\\evil.example", "/"),
])
def test_login_redirects_only_to_this_site(client, make, target, expected):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post("/login?next=" + target,
                           data={"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 302
    assert response.headers["Location"] in (expected, "http://localhost" + expected)


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/returnees/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_manager_home_shows_totals_but_no_names(client, make, login):
    person = make.returnee("Gori", first_name="Salome")
    make.record(person, "reception")
    login(make.user(Role.MANAGER, None))
    page = client.get("/")
    assert page.status_code == 200
    assert "Salome" not in page.text
    assert "Persons who received assistance" in page.text


def test_logout_needs_post(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_hashed(make):
    user = make.user(Role.CASEWORKER, "Gori")
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_production_hashes_passwords_with_scrypt():
    from caseapp.config import DefaultConfig

    assert DefaultConfig.PASSWORD_HASH_METHOD == "scrypt"
