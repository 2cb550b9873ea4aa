"""The Content-Security-Policy in a real browser: the main pages of every role load without a single
violation, and the behaviour that lives in caseapp/static/*.js still works under it."""

from __future__ import annotations

import pytest

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests.test_access import records_in
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server, log_in  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

#: runs before any page script: collects what the browser refused because of the policy
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " line " + e.lineNumber);
});
"""

#: the main pages of each role beyond those the behaviours below open
PAGES = {
    "caseworker": ["/", "/returnees/", "/returnees/{r}", "/returnees/new", "/review/my-requests"],
    "supervisor": ["/review/", "/reports/?from=2024-01-01&to=2024-12-31", "/imports/"],
    "manager": ["/", "/reports/?from=2024-01-01&to=2024-12-31"],
    "admin": ["/admin/users", "/audit/", "/imports/export"],
}


@pytest.fixture
def browser_context():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(COLLECT_VIOLATIONS)
        yield context
        browser.close()


class WatchedPage:
    """A page whose console is watched for the browser's own CSP messages."""

    def __init__(self, context):
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def visit(self, url: str):
        response = self.page.goto(url)
        assert response.status == 200, url
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        self.assert_no_violation(url)
        return self.page

    def assert_no_violation(self, where: str):
        assert self.page.evaluate("window.__cspViolations") == [], where
        assert self.console_errors == [], where


@pytest.fixture
def office_data(app, make):
    records = records_in(make, "Gori")
    for role in ("caseworker", "supervisor"):
        make.user(Role(role), "Gori", username=f"gori.{role}")
    for role in ("manager", "admin"):
        make.user(Role(role), None, username=f"country.{role}")
    db.session.commit()
    return records


def test_main_pages_load_without_a_csp_violation_and_their_scripts_work(app, office_data, live_server, browser_context):
    app.config["WTF_CSRF_ENABLED"] = True
    watched = WatchedPage(browser_context)
    page = watched.page

    def visit_main_pages(role, username):
        log_in(page, live_server, username)
        watched.assert_no_violation(f"{role} login")
        for url in PAGES[role]:
            watched.visit(live_server + url.format(**office_data))

    # The assistance form shows the money fields only for a type that carries an amount.
    visit_main_pages("caseworker", "gori.caseworker")
    watched.visit(f"{live_server}/returnees/{office_data['r']}/assistance/new")
    page.select_option("#type_id", label="Business counselling session")
    assert page.is_hidden("#amount")
    page.select_option("#type_id", label="Micro-business grant (needs approval)")
    assert page.is_visible("#amount")
    assert page.is_visible("#approval-hint")
    assert page.input_value("#status") == "requested"
    page.click("button:has-text('Log out')")

    # "Select all" ticks every case of the supervisor's reassignment list.
    visit_main_pages("supervisor", "gori.supervisor")
    watched.visit(f"{live_server}/review/cases")
    assert page.locator(".case-select").count() >= 1
    page.check("#select-all")
    assert all(box.is_checked() for box in page.locator(".case-select").all())
    page.uncheck("#select-all")
    assert not any(box.is_checked() for box in page.locator(".case-select").all())
    page.click("button:has-text('Log out')")

    visit_main_pages("manager", "country.manager")
    page.click("button:has-text('Log out')")

    # Bootstrap's own script (the menu) and the confirmation of a dangerous button.
    visit_main_pages("admin", "country.admin")
    watched.visit(f"{live_server}/imports/{office_data['b']}")
    page.click("a.dropdown-toggle:has-text('Administration')")
    assert page.is_visible("a.dropdown-item:has-text('Audit log')")
    page.keyboard.press("Escape")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('Undo this import')")
    assert questions == [f"Delete everything batch {office_data['b']} created?"]
    assert page.url.endswith(f"/imports/{office_data['b']}")  # dismissed: nothing was sent
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Undo this import')")
    page.wait_for_selector(f"text=Batch {office_data['b']} is undone.")
    watched.assert_no_violation("after the undo")
