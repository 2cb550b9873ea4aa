"""Two (or more) real app servers on one PostgreSQL database, and a browser-like client that goes between them.

    with app_servers(database_url, tmp_path) as (a, b):
        browser = Browser()
        browser.log_in(a, "caseworker1", PASSWORD)
        page = browser.get(b.url + "/returnees/new")
        browser.post(b.url + "/returnees/new", {**page.hidden_fields(), "first_name": ...})

Each server is a gunicorn of its own, started as `make serve` starts it, with SEVERAL_APP_SERVERS on: its own
instance folder (nothing on one server's disk is seen by the other), the same SECRET_KEY and database,
a shared BACKUP_DIR. The client's cookies go to every server, as a browser's do behind one reverse proxy.

Ports: TEST_SERVER_PORTS ("5163,5164") when set, otherwise free ports the system picks.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import gunicorn

REPO_ROOT = Path(__file__).resolve().parent.parent
#: seconds a server may take to answer /healthz after it was started (a few on an idle machine; far more on
#: a busy one, and waiting longer costs nothing when all is well)
START_TIMEOUT = 120


def server_ports(count: int) -> list[int]:
    """TEST_SERVER_PORTS when set (a developer's own range), otherwise ports that are free now."""
    configured = os.environ.get("TEST_SERVER_PORTS")
    if configured:
        ports = [int(port) for port in configured.split(",") if port.strip()]
        if len(ports) < count:
            raise ValueError(f"TEST_SERVER_PORTS names {len(ports)} ports, {count} are needed")
        return ports[:count]
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class AppServer:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def ask_to_stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown

    def stop(self) -> None:
        self.ask_to_stop()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_environment(database_url: str, instance: Path, settings: dict) -> dict[str, str]:
    """The environment of one app server: the parent's, less its caseapp settings, plus `settings` as
    CASEAPP_<NAME> (JSON for anything but a string)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("CASEAPP_")}
    environment.pop("SECRET_KEY", None)
    environment["DATABASE_URL"] = database_url
    environment["CASEAPP_INSTANCE_PATH"] = str(instance)
    for name, value in settings.items():
        environment[f"CASEAPP_{name}"] = value if isinstance(value, str) else json.dumps(value)
    return environment


@contextlib.contextmanager
def app_servers(
    database_url: str, folder: Path, *, count: int = 2, settings: dict | None = None, workers: int = 1
) -> Iterator[list[AppServer]]:
    """Start `count` gunicorn servers on one database; stop them on leaving. `settings` apply to all."""
    shared = {
        "SEVERAL_APP_SERVERS": True,
        "SECRET_KEY": secrets.token_hex(32),
        "BACKUP_DIR": str(folder / "backups"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # as the tests' own app: fast
        **(settings or {}),
    }
    servers = []
    try:
        for number, port in enumerate(server_ports(count)):
            name = "abcdefgh"[number]
            instance = folder / f"instance-{name}"
            instance.mkdir(parents=True, exist_ok=True)
            log = folder / f"server-{name}.log"
            command = [
                sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "2",
                "--bind", f"127.0.0.1:{port}", "caseapp:create_app()",
            ]  # fmt: skip
            if gunicorn.version_info >= (27,):
                command.append("--no-control-socket")  # else every server on this host shares ~/.gunicorn/gunicorn.ctl
            with log.open("wb") as output:
                process = subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    env=server_environment(database_url, instance, shared),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            servers.append(AppServer(name, port, process, log))
        for server in servers:
            _wait_until_healthy(server)
        yield servers
    finally:
        for server in servers:
            server.ask_to_stop()  # all at once, then wait for each
        for server in servers:
            server.stop()


def _wait_until_healthy(server: AppServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"app server {server.name} stopped at start:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"app server {server.name} did not answer /healthz in {START_TIMEOUT} s:\n{server.log_tail()}")


class _FormFields(HTMLParser):
    """The hidden inputs of the page's forms (CSRF token, one-time submit key, next)."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields.setdefault(attributes["name"], attributes.get("value") or "")


@dataclass
class Page:
    status: int
    url: str
    text: str

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path

    def hidden_fields(self) -> dict[str, str]:
        """The first form's hidden fields of each name (a page's main form comes before the logout form)."""
        parser = _FormFields()
        parser.feed(self.text)
        return parser.fields


class Browser:
    """Cookies for every server (as behind one reverse proxy, where all answer on one host); redirects followed."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> Page:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict) -> Page:
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def post_files(self, url: str, fields: dict, files: dict[str, tuple[str, bytes]]) -> Page:
        """A multipart form (an upload): fields, and files as name -> (file name, content)."""
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (file_name, content) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=20) as answer:
                return Page(answer.status, answer.url, answer.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.url, error.read().decode(errors="replace"))

    def log_in(self, server: AppServer, username: str, password: str) -> Page:
        """The login form of `server`, filled in and sent (its CSRF token taken from the form)."""
        form = self.get(server.url + "/login")
        return self.post(server.url + "/login", {**form.hidden_fields(), "username": username, "password": password})

    def log_out(self, server: AppServer) -> Page:
        page = self.get(server.url + "/")
        return self.post(server.url + "/logout", {"csrf_token": page.hidden_fields()["csrf_token"]})
