"""kill -9 of a gunicorn worker while caseworkers save: every save they were told about is stored, once.

The real server (gunicorn, two workers) on the suite's database: a SQLite file, or PostgreSQL when
TEST_DATABASE_URL names one. Clients log in and post the real "log assistance" form, with its CSRF token;
a write counts as acknowledged when the user got the redirect that follows a save. Mid-way one worker is
killed with SIGKILL; gunicorn starts another and the clients go on. No sleeps decide anything: the clients
make a fixed number of posts, and the kill happens after a fixed number of acknowledged ones."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories

#: this worktree's ports (HELPERS.md): the first free one is used
PORTS = range(5301, 5310)
CLIENTS = 3
POSTS_PER_CLIENT = 6
#: the worker is killed once this many writes were acknowledged
KILL_AFTER = 5
#: bounds for waiting on the server, never a condition of the test
REQUEST_TIMEOUT_S = 30
START_TIMEOUT_S = 60

CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE_RE = re.compile(r'value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is the answer we look for; following it is not needed


class Browser:
    """One user's session with the server: cookies, the CSRF token, forms posted without following
    redirects."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def csrf_token(self, path: str) -> str:
        status, page = self.get(path)
        assert status == 200, (path, status)
        return VALUE_RE.search(CSRF_RE.search(page).group()).group(1)

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT_S) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as answer:  # 3xx (not followed), 4xx, 5xx
            return answer.code, answer.read().decode(errors="replace")


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip(f"none of the ports {PORTS.start}-{PORTS.stop - 1} is free")


def worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


@pytest.fixture
def server(app, tmp_path):
    """gunicorn with two workers on the suite's database; yields (base URL, master pid)."""
    if sys.platform != "linux":
        pytest.skip("reads the workers' pids from /proc")
    port = free_port()
    instance = tmp_path / "instance"
    instance.mkdir()
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CASEAPP_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "reliability-test",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    master = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "caseapp:create_app()",
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if Browser(base).get("/healthz")[0] == 200 and len(worker_pids(master.pid)) == 2:
                    break
            except OSError:
                pass
            assert master.poll() is None, master.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield base, master.pid
    finally:
        master.send_signal(signal.SIGINT)  # quick shutdown
        try:
            master.wait(30)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
        master.stderr.close()


def test_a_killed_worker_loses_and_duplicates_no_acknowledged_write(app, app_ctx, server):
    base, master = server
    caseworker = factories.user(Role.CASEWORKER, "Gori")
    person = factories.returnee("Gori", caseworker=caseworker)
    counselling = factories.assistance_type("business_counselling").id
    person_id, username = person.id, caseworker.username
    db.session.commit()
    db.session.close()  # SQLite: no open transaction of the test while the server writes

    acknowledged, unanswered, lock = [], [], threading.Lock()
    enough = threading.Event()
    start = threading.Barrier(CLIENTS + 1)

    def caseworker_saves(client: int):
        browser = Browser(base)
        token = browser.csrf_token("/login")
        status, _page = browser.post(
            "/login", {"username": username, "password": factories.PASSWORD, "csrf_token": token}
        )
        assert status == 302, status
        token = browser.csrf_token(f"/returnees/{person_id}/assistance/new")
        start.wait()
        for n in range(POSTS_PER_CLIENT):
            note = f"client {client} post {n}"
            try:
                status, _page = browser.post(
                    f"/returnees/{person_id}/assistance/new",
                    {
                        "csrf_token": token,
                        "type_id": counselling,
                        "provided_on": "2024-05-02",
                        "status": "delivered",
                        "notes": note,
                    },
                )
            except OSError:  # the worker died under this request: the user saw no answer
                status = None
            with lock:
                (acknowledged if status == 302 else unanswered).append((note, status))
                if len(acknowledged) >= KILL_AFTER:
                    enough.set()

    clients = [threading.Thread(target=caseworker_saves, args=(n,)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    start.wait()
    enough.wait(REQUEST_TIMEOUT_S * POSTS_PER_CLIENT)
    victim = min(worker_pids(master))
    os.kill(victim, signal.SIGKILL)
    for thread in clients:
        thread.join(REQUEST_TIMEOUT_S * POSTS_PER_CLIENT)
    assert not any(thread.is_alive() for thread in clients)

    assert victim not in worker_pids(master)
    assert len(acknowledged) > KILL_AFTER, "the server went on saving after the kill"
    # anything else is a refused or lost request, never a page claiming success
    assert all(status in (None, 500, 502, 503) for _note, status in unanswered), unanswered
    db.session.expire_all()
    stored = Counter(
        db.session.scalars(sa.select(AssistanceRecord.notes).where(AssistanceRecord.returnee_id == person_id))
    )
    assert not [note for note, count in stored.items() if count > 1], "a write stored twice"
    assert {note for note, _status in acknowledged} <= set(stored), "an acknowledged write is missing"
    assert set(stored) <= {f"client {c} post {n}" for c in range(CLIENTS) for n in range(POSTS_PER_CLIENT)}
    db.session.rollback()  # the check below takes a connection of its own
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
