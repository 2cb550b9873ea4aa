"""Response headers: a CSP without inline code, no caching of pages, HSTS and Secure cookies over HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from caseapp import create_app
from caseapp.auth.models import Role
from tests.test_access import records_in

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: a sample of each role's pages ({r} a Gori returnee, {a} a record, {b} an import batch)
PAGES = {
    "caseworker": [
        "/",
        "/returnees/",
        "/returnees/{r}",
        "/returnees/new",
        "/returnees/{r}/assistance/new",
        "/assistance/{a}/edit",
        "/review/my-requests",
    ],
    "supervisor": [
        "/",
        "/review/",
        "/review/cases",
        "/reports/?from=2024-01-01&to=2024-12-31",
        "/imports/",
        "/imports/{b}",
        "/returnees/{r}",
    ],
    "manager": ["/", "/reports/?from=2024-01-01&to=2024-12-31", "/reports/export.csv"],
    "admin": [
        "/",
        "/admin/users",
        "/admin/users/new",
        "/admin/catalog",
        "/audit/",
        "/admin/offices",
        "/imports/export",
        "/imports/export.xlsx",
        "/reports/drilldown?measure=returned",
    ],
}
ROLE_PAGES = [(role, url) for role, urls in PAGES.items() for url in urls]

#: what the CSP forbids, as it would appear in a page's HTML
#: (a <script type="application/json"> data block is never run, so the CSP allows it)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def policy_of(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response.headers["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


def inline_code_in(html: str) -> list[str]:
    return [
        match.group(0)
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER, JAVASCRIPT_URL)
        for match in pattern.finditer(html)
    ]


def assert_hardened(response):
    policy = policy_of(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role,url", ROLE_PAGES, ids=[f"{role} {url}" for role, url in ROLE_PAGES])
def test_every_page_of_every_role_has_a_strict_csp_and_is_not_cached(client, make, login, role, url):
    records = records_in(make, "Gori")
    login(make.user(Role(role), None if role in ("manager", "admin") else "Gori"))
    response = client.get(url.format(**records))
    assert response.status_code == 200
    assert_hardened(response)
    if response.mimetype == "text/html":
        # Bootstrap-Flask's macros included: what the browser gets holds nothing the CSP would block.
        assert inline_code_in(response.text) == []


def test_login_page_and_its_failed_answer_are_not_cached(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    page = client.get("/login")
    assert_hardened(page)
    assert inline_code_in(page.text) == []
    failed = client.post("/login", data={"username": user.username, "password": "wrong password"})
    assert_hardened(failed)


def test_error_pages_carry_the_policy_too(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.get("/returnees/999999")
    assert response.status_code == 404
    assert_hardened(response)


def test_static_files_may_be_cached(client):
    response = client.get("/static/caseapp.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert "Content-Security-Policy" in response.headers


def test_no_template_holds_inline_script_style_or_handler():
    """The guard for new templates: behaviour goes in caseapp/static/*.js, data in data- attributes."""
    found = {
        str(path.relative_to(TEMPLATES)): inline_code_in(path.read_text(encoding="utf-8"))
        for path in TEMPLATES.rglob("*.html")
    }
    assert {name: code for name, code in found.items() if code} == {}


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<p style="color: red">',
        "<style>p {}</style>",
        '<form onsubmit="return confirm()">',
        '<a href="javascript:go()">',
    ],
)
def test_the_inline_code_check_finds_what_the_csp_blocks(html):
    assert inline_code_in(html)
    assert not inline_code_in(
        '<script src="/static/caseapp.js"></script><p data-style="x" class="one">'
        '<script type="application/json" id="series">[1, 2]</script>'
    )


def test_plain_http_gets_no_hsts_and_cookies_as_configured(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery"})
    assert "Strict-Transport-Security" not in response.headers
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and not any("secure" in cookie.lower() for cookie in cookies)


def test_https_gets_hsts_and_only_secure_cookies(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post(
        "/login", base_url="https://localhost", data={"username": user.username, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies
    for cookie in cookies:
        assert "; Secure" in cookie, cookie


def proxied_app(app, proxies: int):
    return create_app(
        {
            key: app.config[key]
            for key in (
                "TESTING",
                "SECRET_KEY",
                "SQLALCHEMY_DATABASE_URI",
                "WTF_CSRF_ENABLED",
                "SERVER_NAME",
                "PASSWORD_HASH_METHOD",
            )
        }
        | {"TRUSTED_PROXIES": proxies}
    )


def test_behind_a_trusted_proxy_https_is_read_from_x_forwarded_proto(app):
    behind_proxy = proxied_app(app, 1).test_client()
    response = behind_proxy.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert all("; Secure" in cookie for cookie in response.headers.getlist("Set-Cookie"))


def test_without_a_configured_proxy_x_forwarded_proto_is_ignored(app):
    direct = proxied_app(app, 0).test_client()
    response = direct.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers
