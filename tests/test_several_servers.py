"""Two app servers on one PostgreSQL database serve one user alternately: nothing a request needs lives on one
server's disk or in one process's memory (caseapp/deployment.py). Real gunicorn servers (tests/multiserver.py).

Runs on the PostgreSQL run of the suite (TEST_DATABASE_URL); the login attempts are counted in the database,
or in Redis when TEST_REDIS_URL names one (e.g. redis://127.0.0.1:6379/6)."""

from __future__ import annotations

import os
import secrets

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from tests.factories import PASSWORD
from tests.multiserver import Browser, app_servers
from tests.test_imports import returnee_row

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
#: this run's own prefix of Redis keys: the keys are the test's alone, and found again to clear them
REDIS_PREFIX = "caseapp-test-" + secrets.token_hex(4)
#: login attempts per username, counted over both servers (LOGIN_RATE_LIMIT_PER_ACCOUNT)
ACCOUNT_LIMIT = 5

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"), reason="several app servers need PostgreSQL (TEST_DATABASE_URL)"
)


def _limit_storage() -> dict:
    if not REDIS_URL:
        return {}  # the default on PostgreSQL: the database
    return {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": REDIS_PREFIX}


@pytest.fixture(scope="module")
def servers(app, tmp_path_factory):
    """Two servers for the module's tests (the app fixture has migrated the database they share)."""
    settings = {
        **_limit_storage(),
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": f"{ACCOUNT_LIMIT} per minute",
        "LOGIN_FAILURE_LIMIT": 100,  # the lockout (in the database) must not answer before the rate limit
    }
    with app_servers(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path_factory.mktemp("servers"), settings=settings
    ) as pair:
        yield pair


@pytest.fixture(autouse=True)
def _fresh_limits(servers):
    """The database's counts go with every table between tests (conftest); Redis keeps its own."""
    yield
    if REDIS_URL:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{REDIS_PREFIX}*"):
            client.delete(key)


def test_a_login_on_one_server_goes_on_on_the_other_page_and_form(servers, make):
    a, b = servers
    make.user(Role.CASEWORKER, "Gori", username="nino")
    browser = Browser()
    assert browser.log_in(a, "nino", PASSWORD).path == "/"

    page = browser.get(b.url + "/returnees/new")  # a page on the other server: the same login session
    assert page.status == 200 and page.path == "/returnees/new"
    fields = page.hidden_fields()
    assert fields["csrf_token"]
    saved = browser.post(
        a.url + "/returnees/new",  # ... and its form sent back to the first server
        {
            **fields,
            "first_name": "Tamar", "last_name": "Maisuradze", "sex": "F", "date_of_birth": "1990-02-03",
            "personal_number": "01234567890", "field_office_id": make.office("Gori").id,
            "return_date": "2024-06-01", "returned_from": "Germany", "consent_purposes": ["assistance"],
            "consent_date": "2024-06-01", "consent_method": "signed_form", "open_case": "y",
        },
    )  # fmt: skip
    person = db.session.scalar(sa.select(Returnee))
    assert person is not None and person.full_name == "Tamar Maisuradze", saved.text[:2000]
    assert saved.status == 200 and saved.path == f"/returnees/{person.id}"

    assert browser.get(b.url + f"/returnees/{person.id}").status == 200


def test_logging_out_on_one_server_logs_out_on_the_other(servers, make):
    a, b = servers
    make.user(Role.CASEWORKER, "Gori", username="nino")
    browser = Browser()
    browser.log_in(b, "nino", PASSWORD)
    assert browser.get(a.url + "/returnees/").path == "/returnees/"
    copied = list(browser.cookies)  # the cookie as it was before the logout

    assert browser.log_out(a).path == "/login"
    assert browser.get(b.url + "/returnees/").path == "/login"
    stolen = Browser()
    for cookie in copied:
        stolen.cookies.set_cookie(cookie)
    assert stolen.get(b.url + "/returnees/").path == "/login"  # the session ended in the database


def test_login_attempts_are_counted_over_both_servers(servers, make):
    a, b = servers
    make.user(Role.CASEWORKER, "Gori", username="nino")
    answers = []
    for attempt in range(ACCOUNT_LIMIT + 1):
        server = (a, b)[attempt % 2]
        answers.append(Browser().log_in(server, "nino", "a wrong password").status)
    assert answers == [200] * ACCOUNT_LIMIT + [429]
    # the limit holds on both servers now, whoever asks
    assert Browser().log_in(a, "nino", PASSWORD).status == 429
    assert Browser().log_in(b, "nino", PASSWORD).status == 429


def test_an_administrators_rename_shows_on_the_other_server_at_once(servers, make):
    a, b = servers
    make.user(Role.ADMIN, None, username="admin")
    browser = Browser()
    browser.log_in(a, "admin", PASSWORD)
    assert "No contact any more" not in browser.get(b.url + "/admin/choices").text  # B has read the names

    form = browser.get(a.url + "/admin/choices/closure_reason/lost_contact")
    saved = browser.post(
        a.url + "/admin/choices/closure_reason/lost_contact",
        {**form.hidden_fields(), "name": "No contact any more", "name_ka": ""},
    )
    assert saved.path == "/admin/choices"
    assert "No contact any more" in browser.get(b.url + "/admin/choices").text


def test_an_upload_previewed_on_one_server_is_imported_on_the_other(servers, make):
    a, b = servers
    make.user(Role.SUPERVISOR, "Gori", username="tamar")
    browser = Browser()
    browser.log_in(a, "tamar", PASSWORD)
    form = browser.get(a.url + "/imports/")
    columns = list(returnee_row("GO-1"))
    lines = [",".join(columns)] + [",".join(returnee_row(f"GO-{n}")[c] for c in columns) for n in (1, 2)]
    preview = browser.post_files(
        a.url + "/imports/", form.hidden_fields(), {"returnees": ("office.csv", "\r\n".join(lines).encode())}
    )
    assert preview.status == 200 and "/imports/pending/" in preview.text, preview.text[:2000]
    token = preview.text.split("/imports/pending/", 1)[1][:32]

    confirmed = browser.post(b.url + f"/imports/pending/{token}", preview.hidden_fields())  # the other server
    assert confirmed.status == 200 and confirmed.path.startswith("/imports/"), confirmed.text[:2000]
    assert sorted(db.session.scalars(sa.select(Returnee.external_id))) == ["GO-1", "GO-2"]
    # the upload is gone from the database once imported: a repeat on the first server finds nothing to import
    assert browser.post(a.url + f"/imports/pending/{token}", preview.hidden_fields()).status in (200, 404)
    assert sorted(db.session.scalars(sa.select(Returnee.external_id))) == ["GO-1", "GO-2"]
