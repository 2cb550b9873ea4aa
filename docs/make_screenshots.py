"""The README's screenshots, taken from a running caseapp with the demo data (`make run`), in Debian's chromium:

    .venv/bin/python docs/make_screenshots.py http://127.0.0.1:5000

Writes docs/screenshots/*.png (the main screen of each role, in Georgian and English, desktop and phone)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent / "screenshots"
#: (file name, user, password, language, width, path): paths may be a returnee's page found by clicking
SHOTS = [
    ("caseworker-home-ka", "caseworker.gori", "demo-caseworker-pass", "ka-GE", 1366, "/"),
    ("caseworker-returnee-en", "caseworker.gori", "demo-caseworker-pass", "en-GB", 1366, "first-returnee"),
    ("caseworker-returnee-phone-ka", "caseworker.gori", "demo-caseworker-pass", "ka-GE", 390, "first-returnee"),
    ("supervisor-review-en", "supervisor.gori", "demo-supervisor-pass", "en-GB", 1366, "/review/"),
    ("manager-report-ka", "manager", "demo-manager-pass", "ka-GE", 1366, "/reports/"),
    ("manager-home-phone-en", "manager", "demo-manager-pass", "en-GB", 390, "/"),
    ("admin-project-indicators-ka", "admin", "demo-admin-pass", "ka-GE", 1366, "/projects/2/indicators/"),
    ("admin-audit-log-en", "admin", "demo-admin-pass", "en-GB", 1366, "/audit/"),
    ("supervisor-duplicates-en", "supervisor.gori", "demo-supervisor-pass", "en-GB", 1366, "/duplicates/"),
    ("caseworker-visits-ka", "caseworker.gori", "demo-caseworker-pass", "ka-GE", 1366, "/visits/"),
]


def main(base: str) -> None:
    HERE.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for name, user, password, locale, width, path in SHOTS:
            context = browser.new_context(
                viewport={"width": width, "height": 844 if width < 500 else 768}, locale=locale
            )
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("#username", user)
            page.fill("#password", password)
            page.click("main button[type=submit]")
            if path == "first-returnee":
                page.goto(base + "/returnees/")
                page.click("main table a[href^='/returnees/']")
            else:
                page.goto(base + path)
            page.screenshot(path=str(HERE / f"{name}.png"), full_page=False)
            context.close()
            print("wrote", HERE / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:5000")
