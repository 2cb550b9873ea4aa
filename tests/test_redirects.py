"""No `next` leaves the site: every redirect target a request carries goes through ui.local_path."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from caseapp.auth.models import Role
from caseapp.ui import local_path
from tests.factories import PASSWORD

#: what attackers (and the usual open-redirect lists) try; none may leave the site
OFFSITE = [
    "http://evil.example/",
    "https://evil.example",
    "http:evil.example",
    "http:/evil.example",
    "http:///evil.example",
    "HTTP:evil.example",
    "hTtPs://evil.example",
    "https:/evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "//evil.example@localhost",
    "http://localhost@evil.example",
    "https://evil.example#@localhost",
    "evil.example",
    "@evil.example",
    "//%65vil.example",
    "/%0a/evil.example",
    "/\x00/evil.example",
    "/\u3000/evil.example",
    "%68ttp://evil.example",
    "",
    None,
]

LOCAL = [
    "/",
    "/returnees/",
    "/returnees/?q=Nino%20Beridze&page=2",
    "/review/#pending",
    "/returnees/5/edit",
    "/reports/?from=2024-01-01&to=2024-12-31",
    "/returnees/?q=a:b",
    "/@evil.example",
]  # a path of this site, whatever it looks like


@pytest.mark.parametrize("target", OFFSITE)
def test_no_trick_passes_as_a_local_path(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", LOCAL)
def test_a_path_of_this_site_is_kept(target):
    assert local_path(target) == target


def _stays_here(location: str) -> bool:
    """Where a browser goes from this Location, read the lenient way browsers do."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    resolved = urljoin("http://localhost/login", cleaned)
    return resolved.startswith("http://localhost/")


@pytest.mark.parametrize("target", [t for t in OFFSITE if t])
def test_login_never_sends_the_browser_to_another_site(client, make, target):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post(
        "/login", query_string={"next": target}, data={"username": user.username, "password": PASSWORD}
    )
    if response.status_code == 400:  # a NUL character: refused before the login (test_input_hardening)
        assert "Location" not in response.headers
        return
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert _stays_here(response.headers["Location"])


def test_login_goes_on_to_the_page_asked_for(client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    asked = client.get("/returnees/?q=Nino")
    response = client.post(asked.headers["Location"], data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] in ("/returnees/?q=Nino", "http://localhost/returnees/?q=Nino")


@pytest.mark.parametrize("target", ["http:evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example"])
def test_the_review_and_decision_forms_next_stays_on_the_site(client, make, login, target):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori")
    record = make.record(person, "business_grant", status="requested", amount="3000")
    login(supervisor)
    decided = client.post(
        f"/assistance/{record.id}/decision",
        data={"decision": "approved", "version": record.version, "next": target, "confirmed": "yes"},
    )
    assert decided.status_code == 302 and _stays_here(decided.headers["Location"])
    assert decided.headers["Location"].endswith("/review/")
    reviewed = client.post(
        f"/review/cases/{person.current_case.id}/review", data={"outcome": "fine", "comment": "", "next": target}
    )
    assert reviewed.status_code == 302 and _stays_here(reviewed.headers["Location"])
    assert reviewed.headers["Location"].endswith(f"/returnees/{person.id}")


def test_the_decision_form_goes_back_to_a_local_next(client, make, login):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori")
    record = make.record(person, "business_grant", status="requested", amount="3000")
    login(supervisor)
    decided = client.post(
        f"/assistance/{record.id}/decision",
        data={"decision": "approved", "version": record.version, "next": f"/returnees/{person.id}", "confirmed": "yes"},
    )
    assert decided.headers["Location"].endswith(f"/returnees/{person.id}")
