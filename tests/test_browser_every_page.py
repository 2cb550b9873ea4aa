"""Every page each role can reach, in Georgian and in English, as a user finds them: by following the links on
the pages (menu, lists, records), not from a list kept by hand, so a new page is checked the day it is linked.

Each page must answer 200 (a link shown to a user never leads to a refusal or an error), contain no raw
message id or untranslated English on a Georgian page's headings, fit a 390 px phone and a 1366 px screen
without sideways scrolling, and pass axe-core with no serious or critical violation (Georgian at the phone
size, English at the desktop size: every page is checked once per language, both sizes for the width)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server, log_in  # noqa: F401 (live_server: fixture)
from tests.test_browser_accessibility import gori_office  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    # layout, language and accessibility do not depend on the database: the SQLite pass checks them
    pytest.mark.skipif(os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"), reason="SQLite pass only"),
]
SCREENS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
#: the screen on which axe runs, per language (the other screen is checked for width only)
AXE_SCREEN = {"ka": "phone", "en": "desktop"}
#: links a crawler must not follow: they end the session, change the user's language, or send a file
SKIP = re.compile(r"/logout|/language|/static/|export|download|template|\.(csv|xlsx|json|png|pdf)\b|format=")
#: pages per role and language (route shapes, not ids): enough for every screen, bounded in time
MAX_PAGES = 45
#: English words that must not be left on a Georgian page (menu and headings are all translated)
ENGLISH_LEFT = re.compile(r"\b(Returnees|Reports|Review|Log out|Search|Save|Cancel|Assistance)\b")


def shape(url: str) -> str:
    """One key per kind of page: ids become N, query values are ignored (page 2 is the same screen as page 1)."""
    parts = urlsplit(url)
    keys = sorted({item.split("=")[0] for item in parts.query.split("&") if item})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(page, base: str, start: str = "/"):
    """Breadth first over same-site links, one page per shape."""
    seen, queue = {shape(start)}, [start]
    while queue and len(seen) <= MAX_PAGES:
        path = queue.pop(0)
        yield path
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.netloc and base.split("//", 1)[1] != parts.netloc:
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if not parts.path.startswith("/") or SKIP.search(local) or shape(local) in seen:
                continue
            seen.add(shape(local))
            queue.append(local)


@pytest.mark.parametrize("language", ["ka", "en"])
def test_every_page_of_every_role_passes_axe_and_fits_a_phone(app, gori_office, live_server, language):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    from caseapp.extensions import db

    db.session.rollback()  # no open read: SQLite's write lock stays free for the server
    axe = Axe()
    problems, visited = [], 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for username in ("levan", "tamar", "giorgi", "admin"):
            context = browser.new_context(viewport=SCREENS["desktop"], locale="ka-GE" if language == "ka" else "en-GB")
            page = context.new_page()
            log_in(page, live_server, username)
            pages = crawl(page, live_server)
            for path in pages:
                visited += 1
                where = f"{language} {username} {path}"
                for screen in ("desktop", "phone") if language == "en" else ("phone", "desktop"):
                    page.set_viewport_size(SCREENS[screen])
                    response = page.goto(live_server + path)
                    if response.status != 200:
                        problems.append(f"{where}: answers {response.status}")
                        break
                    if page.evaluate("document.documentElement.lang") != language:
                        problems.append(f"{where}: lang is {page.evaluate('document.documentElement.lang')}")
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > SCREENS[screen]["width"]:
                        problems.append(f"{where} {screen}: {width}px wide")
                    if language == "ka":
                        headings = " ".join(page.locator("nav, h1, h2, th, button, label").all_inner_texts())
                        if ENGLISH_LEFT.search(headings):
                            problems.append(f"{where}: English left: {ENGLISH_LEFT.findall(headings)[:5]}")
                    if screen == AXE_SCREEN[language]:
                        for violation in axe.run(page).response["violations"]:
                            if violation["impact"] in ("serious", "critical"):
                                targets = [node["target"] for node in violation["nodes"]][:3]
                                problems.append(
                                    f"{where} {screen}: {violation['id']} ({violation['impact']}) {targets}"
                                )
            context.close()
        browser.close()
    assert visited > 30, f"the crawl found only {visited} pages"
    assert not problems, "\n".join(problems)
