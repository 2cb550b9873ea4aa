"""End to end in a real browser: Debian's chromium driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.extensions import db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (apt-get install chromium)"),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.config["SERVER_NAME"] = "localhost"


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def log_in(page, base, username):
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", "correct horse battery")
    page.click("main button[type=submit]")  # not the language switch of the menu


def test_gori_caseworker_registers_logs_assistance_and_sees_the_timeline(app, make, live_server, page, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True  # the real forms, with their tokens
    make.user(Role.CASEWORKER, "Gori", username="levan")
    make.user(Role.CASEWORKER, "Tbilisi", username="eka")
    db.session.commit()
    log_in(page, live_server, "levan")
    page.click("text=Register returnee")
    page.fill("#first_name", "Nino")
    page.fill("#last_name", "Beridze")
    page.select_option("#sex", "F")
    page.fill("#date_of_birth", "1988-04-12")
    page.fill("#personal_number", "01001012345")
    page.fill("#return_date", "2024-09-01")
    page.fill("#returned_from", "Germany")
    page.check("input[value=single_parent]")
    page.check("input[name=consent_purposes][value=assistance]")
    page.fill("#consent_date", "2024-09-01")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Nino Beridze is registered.")
    returnee_url = page.url

    for day in ("2024-09-10", "2024-09-20", "2024-10-01"):
        page.click("button:has-text('Log assistance')")
        page.click("a.dropdown-item:has-text('Business counselling session')")
        page.wait_for_load_state()
        assert page.is_hidden("#amount")  # counselling carries no amount
        page.fill("#provided_on", day)
        page.click("button:has-text('Save')")
        page.wait_for_selector("text=Business counselling session is logged.")

    page.click("button:has-text('Log assistance')")
    page.click("a.dropdown-item:has-text('Micro-business grant')")
    page.wait_for_load_state()
    assert page.is_visible("#amount")
    assert page.input_value("#status") == "requested"
    page.fill("#provided_on", "2024-10-15")
    page.fill("#amount", "3000")
    page.select_option("#currency", "GEL")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Micro-business grant is logged.")
    rows = page.locator("#timeline tbody tr")
    assert rows.count() == 4
    assert "3,000.00 GEL" in page.inner_text("#timeline")
    page.screenshot(path=str(tmp_path / "returnee.png"), full_page=True)

    records = db.session.scalars(select(AssistanceRecord)).all()
    assert sorted(r.status.value for r in records) == ["delivered"] * 3 + ["requested"]
    db.session.rollback()  # end the test's read: an open transaction would hold SQLite's write lock

    # The Tbilisi caseworker cannot reach the record by URL.
    page.click("button:has-text('Log out')")
    log_in(page, live_server, "eka")
    response = page.goto(returnee_url)
    assert response.status == 404


def test_georgian_browser_gets_georgian_pages_and_one_click_switches_to_english_and_back(
        app, make, live_server, page):
    app.config["WTF_CSRF_ENABLED"] = True
    make.user(Role.SUPERVISOR, "Gori", username="tamar")
    db.session.commit()
    page.set_extra_http_headers({"Accept-Language": "ka-GE,ka;q=0.9"})
    page.goto(live_server + "/login")
    assert page.get_attribute("html", "lang") == "ka"
    assert page.inner_text("h1") == "შესვლა"
    log_in(page, live_server, "tamar")
    assert "მოგესალმებით" in page.inner_text("main")
    page.click("button[name=locale][value=en]")
    assert page.get_attribute("html", "lang") == "en"
    assert "Welcome" in page.inner_text("main")
    page.goto(live_server + "/returnees/")  # the choice stays, whatever the browser says
    assert page.get_attribute("html", "lang") == "en"
    page.click("button[name=locale][value=ka]")
    assert page.get_attribute("html", "lang") == "ka"
    assert page.url.endswith("/returnees/")
    assert "დაბრუნებული მიგრანტები" in page.inner_text("h1")
