"""Every role's main pages as a user sees them, in Debian's chromium at 1366x768 and on a 390x844 phone:
axe-core (from the axe-playwright-python package, no download) finds no serious or critical violation, no page
is wider than the screen, and the supervisor's Approve/Reject buttons are on screen without sideways scrolling."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from flask import url_for

from caseapp.assistance.models import AssistanceStatus as S
from caseapp.auth.models import Role
from caseapp.extensions import db
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server, log_in  # noqa: F401 (live_server: fixture)

pytestmark = pytest.mark.browser
SCREENS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def gori_office(make):
    """A Gori caseworker and supervisor, a manager and an admin; two returnees, one with a request to decide."""
    caseworker = make.user(Role.CASEWORKER, "Gori", username="levan")
    make.user(Role.SUPERVISOR, "Gori", username="tamar")
    make.user(Role.MANAGER, None, username="giorgi")
    make.user(Role.ADMIN, None, username="admin")
    today = date.today()
    nino = make.returnee(
        "Gori",
        first_name="Nino",
        last_name="Kapanadze-Tsereteli",
        caseworker=caseworker,
        return_date=today - timedelta(days=90),
    )
    for days in (80, 50, 20):
        make.record(nino, "business_counselling", on=today - timedelta(days=days), recorded_by=caseworker)
    make.record(
        nino,
        "business_grant",
        on=today - timedelta(days=5),
        status=S.REQUESTED,
        amount="3500",
        currency="GEL",
        recorded_by=caseworker,
    )
    make.returnee("Gori", first_name="Levan", caseworker=caseworker, return_date=today - timedelta(days=200))
    db.session.commit()
    return nino


def test_every_role_main_pages_pass_axe_and_fit_a_phone(app, gori_office, live_server):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    with app.test_request_context():
        person = url_for("returnees.show", returnee_id=gori_office.id)
        journeys = {
            "levan": ["/", url_for("returnees.index"), person, url_for("returnees.create")],
            "tamar": ["/", url_for("review.queue"), url_for("reports.index")],
            "giorgi": ["/"],
            "admin": [url_for("admin.users"), url_for("auditlog.index"), url_for("backup.index")],
        }
    db.session.rollback()  # no open read: SQLite's write lock stays free for the server
    axe = Axe()
    shots = os.environ.get("CASEAPP_SCREENSHOTS")  # a folder: keep a full-page screenshot of every page visited
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=SCREENS["desktop"]).new_page()
        for username, paths in journeys.items():
            page.context.clear_cookies()
            log_in(page, live_server, username)
            if username == "admin":  # one backup, so that the backups page lists one (a long file name)
                page.goto(live_server + journeys["admin"][-1])
                page.click("button:has-text('Make a backup now')")
                page.wait_for_selector("table a[href*='/admin/backups/']")
            for screen, size in SCREENS.items():
                page.set_viewport_size(size)
                for path in paths:
                    response = page.goto(live_server + path)
                    assert response.status == 200, (username, path, response.status)
                    where = f"{username} {screen} {path}"
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > size["width"]:
                        problems.append(f"{where}: {width}px wide")
                    for violation in axe.run(page).response["violations"]:
                        if violation["impact"] in ("serious", "critical"):
                            targets = [node["target"] for node in violation["nodes"]][:3]
                            problems.append(f"{where}: {violation['id']} ({violation['impact']}) {targets}")
                    if path.endswith("/review/") and screen == "phone":
                        for button in ("Approve", "Reject"):
                            box = page.locator(f"#pending-approvals button:has-text('{button}')").bounding_box()
                            if not (box and 0 <= box["x"] and box["x"] + box["width"] <= size["width"]):
                                problems.append(f"{where}: {button} is off screen ({box})")
                    if shots:
                        name = f"{username}-{screen}-{path.strip('/').replace('/', '-') or 'home'}.png"
                        page.screenshot(path=os.path.join(shots, name), full_page=True)
        browser.close()
    assert not problems, "\n".join(problems)
