"""A large upload through the web, run by the jobs worker, while caseworkers keep saving.

    python -m bench.background_import                           # 50,000 returnees + 150,000 records, SQLite
    python -m bench.background_import --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs
    python -m bench.background_import --screenshot docs/screenshots/import-progress.png

A fresh database (a temporary SQLite file, or the PostgreSQL database named, whose public schema is DROPPED)
gets the demo users and returnees. The real server (gunicorn) and the real worker (`flask jobs run-worker`)
start on it. The administrator uploads the files through the import page (the real form, CSRF included): the
worker checks them, with a progress bar; the administrator opens the preview and confirms; the worker imports
them, with a progress bar. Meanwhile writer processes log assistance as the Gori caseworker, timing every
save (bench.import_writer_wait). Printed: the check's and the import's times, the progress seen on the job's
JSON while they ran, and the writers' waits. With --screenshot, headless Chromium photographs the job's page
while the import runs (Playwright, the system's Chromium).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from bench.import_writer_wait import TARGET_WAIT_S, _writer, prepare

PORT = 5151
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
SUBMIT_KEY_RE = re.compile(r'name="submit_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submit_key"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One user's session with the server: cookies, forms (multipart ones too), redirects not followed."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect())

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=600) as response:
                return response.status, response.read().decode(), response.headers.get("Location", "")
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace"), answer.headers.get("Location", "")

    def form_fields(self, page: str) -> dict[str, str]:
        fields = {"csrf_token": next(g for g in CSRF_RE.search(page).groups() if g)}
        key = SUBMIT_KEY_RE.search(page)
        if key:
            fields["submit_key"] = next(g for g in key.groups() if g)
        return fields

    def post(self, path: str, fields: dict) -> tuple[int, str, str]:
        return self.open(path, urllib.parse.urlencode(fields).encode())

    def post_files(self, path: str, fields: dict, files: dict[str, Path]) -> tuple[int, str, str]:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, path_ in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path_.name}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            )
            parts.append(head.encode() + path_.read_bytes() + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.open(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, username: str, password: str) -> None:
        _status, page, _location = self.open("/login")
        status, _page, _location = self.post(
            "/login", {**self.form_fields(page), "username": username, "password": password}
        )
        assert status == 302, f"login of {username} failed"


def follow_job(browser: Browser, job_path: str, seen: list, on_progress=None) -> dict:
    """Poll the job's JSON until it is finished; note (time, done, total) of each answer."""
    while True:
        status, body, _location = browser.open(job_path + ".json")
        assert status == 200, (status, body[:300])
        job = json.loads(body)
        seen.append((time.time(), job["done"], job["total"], job["status"]))
        if on_progress is not None:
            on_progress(job)
        if job["finished"]:
            return job
        time.sleep(0.5)


def screenshot_job(base: str, job_path: str, target: Path) -> None:
    """Log in as the administrator in headless Chromium (Flask-Login's strong session protection ties a
    session to its browser) and photograph the job's page once its script has moved the bar."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_context(viewport={"width": 1100, "height": 620}).new_page()
        page.goto(base + "/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "demo-admin-pass")
        with page.expect_navigation():
            page.click("button[type=submit], input[type=submit]")
        page.goto(base + job_path)
        page.wait_for_timeout(2500)
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target))
        browser.close()


def start_servers(url: str, instance: str, log_folder: Path) -> list[subprocess.Popen]:
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "CASEAPP_INSTANCE_PATH": instance,
        "SECRET_KEY": "bench",
        "CASEAPP_IMPORT_BACKGROUND_ROWS": "20000",
    }
    flask = [sys.executable, "-m", "flask", "--app", "caseapp"]
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{PORT}",
        "caseapp:create_app()",
    ]
    processes = []
    for name, command in (("server", gunicorn), ("worker", [*flask, "jobs", "run-worker"])):
        log = open(log_folder / f"{name}.log", "wb")  # noqa: SIM115
        processes.append(subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
    base = f"http://127.0.0.1:{PORT}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310
            return processes
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("the server did not start")


def run(url: str, files: tuple[Path, Path], writers: int, instance: str, folder: Path, screenshot: Path | None):
    returnee_ids, type_id = prepare(url)
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Semaphore(0), context.Event(), context.Queue()
    writer_processes = [
        context.Process(target=_writer, args=(url, instance, returnee_ids, type_id, ready, stop, results))
        for _ in range(writers)
    ]
    logs = Path(tempfile.gettempdir()) / "caseapp-bench-logs"  # kept: the server's and the worker's output
    logs.mkdir(exist_ok=True)
    servers = start_servers(url, instance, logs)
    try:
        for process in writer_processes:
            process.start()
        for _ in writer_processes:
            ready.acquire()
        base = f"http://127.0.0.1:{PORT}"
        admin = Browser(base)
        admin.login("admin", "demo-admin-pass")
        _status, page, _location = admin.open("/imports/")
        started = time.time()
        status, _page, location = admin.post_files(
            "/imports/", admin.form_fields(page), {"returnees": files[0], "assistance": files[1]}
        )
        uploaded = time.time()
        assert status == 302 and "/jobs/" in location, (status, _page[:500])
        check_path = urllib.parse.urlparse(location).path
        check_seen: list = []
        check = follow_job(admin, check_path, check_seen)
        checked = time.time()
        assert check["status"] == "done", check
        _status, preview, _location = admin.open(urllib.parse.urlparse(check["next_url"]).path)
        token = re.search(r"/imports/pending/([0-9a-f]{32})", preview).group(1)
        status, _page, location = admin.post(f"/imports/pending/{token}", admin.form_fields(preview))
        confirmed = time.time()
        assert status == 302 and "/jobs/" in location, (status, _page[:500])
        import_path = urllib.parse.urlparse(location).path
        import_seen: list = []
        shot = {}

        def photograph(job):
            if screenshot is not None and not shot and job["total"] and job["done"] > job["total"] * 0.55:
                shot["at"] = (job["done"], job["total"])
                screenshot_job(base, import_path, screenshot)

        imported_job = follow_job(admin, import_path, import_seen, photograph)
        imported = time.time()
        assert imported_job["status"] == "done", imported_job
        time.sleep(1.0)
    finally:
        stop.set()
        reports = [results.get(timeout=120) for _ in writer_processes]
        for process in writer_processes:
            process.join(30)
        for process in servers:
            process.send_signal(signal.SIGINT)
        for process in servers:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
    during = sorted(waited for report in reports for at, waited in report[4] if started <= at <= imported)
    return {
        "upload_s": uploaded - started,
        "check_s": checked - uploaded,
        "import_s": imported - confirmed,
        "check_progress": check_seen,
        "import_progress": import_seen,
        "writes_during": len(during),
        "writer_max_s": during[-1] if during else 0.0,
        "writer_p95_s": during[int(0.95 * (len(during) - 1))] if during else 0.0,
        "slow_writes": sum(1 for waited in during if waited > TARGET_WAIT_S),
        "slow_at": sorted(
            (round(at - started, 1), round(waited, 1))
            for report in reports
            for at, waited in report[2]
            if at >= started
        ),
        "phases": (round(uploaded - started, 1), round(checked - started, 1), round(confirmed - started, 1)),
        "errors": [error for report in reports for error in report[3]],
        "screenshot_at": shot.get("at"),
    }


def _distinct_steps(seen: list) -> str:
    steps = sorted({done for _at, done, _total, _status in seen})
    total = seen[-1][2]
    sample = steps[:: max(1, len(steps) // 6)]
    return f"{len(steps)} distinct values seen (of {total:,}): " + ", ".join(f"{s:,}" for s in sample)


def main(argv=None) -> int:
    from bench.import_bench import write_files

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=50_000)
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL database to use (its public schema is dropped)")
    parser.add_argument("--screenshot", type=Path, help="where to save a picture of the job page mid-import")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        instance = str(folder / "instance")
        os.environ["CASEAPP_INSTANCE_PATH"] = instance
        rows = args.returnees + args.records
        print(f"Writing {args.returnees:,} returnees and {args.records:,} assistance records ...", flush=True)
        files = write_files(folder, args.returnees, args.records)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
        figures = run(url, files, args.writers, instance, folder, args.screenshot)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\n{backend}: a {rows:,}-row upload through the web, run by the worker, {args.writers} writers saving\n")
    print(
        f"upload (request) {figures['upload_s']:.1f} s; check (worker) {figures['check_s']:.1f} s; "
        f"import (worker) {figures['import_s']:.1f} s"
    )
    print(f"check progress: {_distinct_steps(figures['check_progress'])}")
    print(f"import progress: {_distinct_steps(figures['import_progress'])}")
    print(
        f"writers: {figures['writes_during']} saves meanwhile, max wait {figures['writer_max_s']:.2f} s, "
        f"p95 {figures['writer_p95_s']:.2f} s, {figures['slow_writes']} slower than {TARGET_WAIT_S:.0f} s, "
        f"{len(figures['errors'])} errors"
    )
    if figures["slow_at"]:
        print(
            f"slow saves (s after the upload began, s waited): {figures['slow_at'][:10]}; "
            f"uploaded, checked, confirmed at {figures['phases']} s"
        )
    if figures["screenshot_at"]:
        done, total = figures["screenshot_at"]
        print(f"screenshot taken at {done:,} / {total:,}: {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
