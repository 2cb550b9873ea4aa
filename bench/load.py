"""Throughput under load: `python -m bench.load [--users 20 60] [--seconds 10] [--database-url URL]`.

Starts the app the way `make serve` does (gunicorn, two sync workers) on a fresh SQLite database with the
demo data (`flask db upgrade`, `flask seed-demo`), logs simulated users in through the login form, and runs
each workload for a fixed time with every user sending its next request as soon as the last one is answered
(a closed loop, no think time):

- `healthz`: `GET /healthz`, the floor of what a request costs;
- `list`: the returnee list, first page, as caseworker, supervisor and admin in turn;
- `mixed`: what a working office does: list pages and searches, returnee pages, the home page, the
  manager's report, and writes: an assistance record saved through the real form (its CSRF token and
  one-time key read from the page), each carrying a unique note.

Per workload and number of users it prints requests/s, p50/p95/p99 latency and errors, one line each, then
`RATIO load.list/healthz` (target >= 0.1, issue 15) and "acknowledged writes found": after the runs, every
write the server acknowledged (a redirect to the returnee's page) is looked up in the database by its note.

The client is one asyncio process (aiohttp), so it shares the machine's cores with the server: absolute
rates are lower than a separate load machine would see, and the ratios measured side by side in one run are
what count. Every loop is bounded in time and count, the server is started and stopped by this script, and
traffic goes to 127.0.0.1 only.

`--database-url postgresql+psycopg://...` runs against PostgreSQL instead: the database is migrated and
given the demo data when it holds no returnee (`seed-demo --if-empty`); nothing is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: the demo logins (`flask seed-demo`)
CASEWORKER = ("caseworker.gori", "demo-caseworker-pass")
SUPERVISOR = ("supervisor.gori", "demo-supervisor-pass")
ADMIN = ("admin", "demo-admin-pass")
MANAGER = ("manager", "demo-manager-pass")

#: who browses the returnee list in the `list` workload (the roles that see it), in turn
LIST_USERS = (CASEWORKER, SUPERVISOR, ADMIN)
#: who works in the `mixed` workload, in turn: mostly office staff, an admin and a manager now and then
MIXED_USERS = (CASEWORKER, SUPERVISOR, CASEWORKER, ADMIN, CASEWORKER, SUPERVISOR, MANAGER, CASEWORKER)

#: hard bounds: no run goes on past these whatever the arguments say
MAX_SECONDS = 300
MAX_REQUESTS_PER_RUN = 200_000
REQUEST_TIMEOUT = 30

TARGET_LIST_RATIO = 0.1
LOCAL = "127.0.0.1"


# --- output: one line per figure (the form of bench/_output.py, which the lead unifies) ---------------------


def _context(context: dict) -> str:
    return "".join(f" {key}={value}" for key, value in context.items() if value is not None)


def figure_line(name: str, value: float, unit: str, **context) -> str:
    shown = f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"
    return f"FIGURE {name} {shown} {unit}{_context(context)}"


def ratio_line(name: str, value: float, *, target: float, direction: str = ">=", **context) -> str:
    met = value >= target if direction == ">=" else value <= target
    verdict = "met" if met else "missed"
    return f"RATIO {name} {value:.2f} (target {direction} {target:g}: {verdict}){_context(context)}"


def emit(line: str) -> None:
    print(line, flush=True)


# --- the server ----------------------------------------------------------------------------------------------


def database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def server_environment(folder: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CASEAPP_INSTANCE_PATH=str(folder),
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        # Many simulated users log in from one address with four accounts within seconds: the login
        # throttle (10 a minute per account) is for people guessing passwords, not for this.
        CASEAPP_LOGIN_RATE_LIMIT_PER_ADDRESS="100000 per minute",
        CASEAPP_LOGIN_RATE_LIMIT_PER_ACCOUNT="100000 per minute",
    )
    return env


def prepare_database(env: dict[str, str], app_dir: Path, *, fresh: bool) -> None:
    flask = [str(BIN / "flask"), "--app", "caseapp"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=app_dir, check=True, capture_output=True, timeout=600)
    seed = [*flask, "seed-demo"] + ([] if fresh else ["--if-empty"])
    subprocess.run(seed, env=env, cwd=app_dir, check=True, capture_output=True, timeout=600)


class Server:
    """gunicorn as `make serve` starts it, in its own process group, stopped by `stop()`."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path, app_dir: Path = REPO):
        self.port = port
        self.log = log.open("wb")
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"{LOCAL}:{port}",
            "caseapp:create_app()",
        ]
        # the app is imported from app_dir (gunicorn puts its working folder first on the path)
        self.process = subprocess.Popen(
            command, env=env, cwd=app_dir, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def base(self) -> str:
        return f"http://{LOCAL}:{self.port}"

    def wait_until_up(self, seconds: float = 60) -> None:
        import urllib.request

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start (exit {self.process.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:  # noqa: S310 (local)
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in {seconds:.0f} s; see {self.log.name}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn and its workers, started by us
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


# --- pages and forms -----------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str | None
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class FormReader(HTMLParser):
    """The forms of a page with the values a browser would send as they stand (hidden inputs, text
    inputs, the selected option of each select, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attributes.get("action"), (attributes.get("method") or "get").lower()))
            return
        if not self.forms:
            return
        fields = self.forms[-1].fields
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "file"):
                fields[name] = attributes.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            value = attributes.get("value") or ""
            if self._select not in fields or "selected" in attributes:
                fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_of(page: str) -> list[Form]:
    reader = FormReader()
    reader.feed(page)
    return reader.forms


def form_posting_to(page: str, path: str | None = None) -> Form:
    for form in forms_of(page):
        if form.method == "post" and (path is None or form.action in (None, "", path)):
            return form
    raise LookupError(f"no form posting to {path!r} on the page")


RETURNEE_LINK = re.compile(r'href="/returnees/(\d+)"')


# --- measuring ---------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one workload measured: latencies (s) of the requests answered as expected, errors by kind."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    acknowledged_writes: list[str] = field(default_factory=list)
    refused_writes: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (values need not be sorted)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


class SimulatedUser:
    """One person with their own browser session (cookie jar) on the server."""

    def __init__(self, base: str, login: tuple[str, str], rng: random.Random):
        import aiohttp

        self.base = base
        self.username, self.password = login
        self.rng = rng
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for an address, not a host name
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
        )
        self.returnee_ids: list[int] = []
        self.tally: Tally | None = None  # where timed requests are counted; None: not counted (setup)

    async def close(self) -> None:
        await self.session.close()

    async def request(self, method: str, path: str, expect: int | tuple = 200, **kwargs) -> tuple[int, str, str]:
        """Send one request; time it and count it in the current tally. Returns status, body, Location."""
        started = time.perf_counter()
        try:
            async with self.session.request(method, self.base + path, allow_redirects=False, **kwargs) as answer:
                body = await answer.text()
                status, location = answer.status, answer.headers.get("Location", "")
        except Exception as error:  # noqa: BLE001 (a failed request is counted, whatever failed)
            if self.tally is not None:
                self.tally.error(type(error).__name__)
            return 0, "", ""
        if self.tally is not None:
            if status == expect or (isinstance(expect, tuple) and status in expect):
                self.tally.latencies.append(time.perf_counter() - started)
            else:
                self.tally.error(f"http {status}")
        return status, body, location

    async def log_in(self) -> None:
        status, page, _ = await self.request("GET", "/login")
        form = form_posting_to(page)
        form.fields.update(username=self.username, password=self.password)
        status, _, location = await self.request("POST", "/login", expect=302, data=form.fields)
        if status != 302 or "/login" in location:
            raise RuntimeError(f"{self.username} could not log in (HTTP {status})")
        if self.username != MANAGER[0]:
            _, page, _ = await self.request("GET", "/returnees/")
            self.returnee_ids = sorted({int(found) for found in RETURNEE_LINK.findall(page)})

    # --- what users do
    async def healthz(self) -> None:
        await self.request("GET", "/healthz")

    async def list_page(self) -> None:
        await self.request("GET", "/returnees/")

    async def browse(self, marker: str) -> None:
        """One step of the mixed workload, chosen by role and chance."""
        if self.username == MANAGER[0]:
            path = self.rng.choice(["/reports/", "/", "/reports/?from=2024-01-01&to=2026-12-31"])
            await self.request("GET", path)
            return
        roll = self.rng.random()
        if roll < 0.35:
            page = self.rng.choice([1, 1, 1, 2, 3])
            search = self.rng.choice(["", "", "", "&q=a", "&status=open", "&sort=return_date&dir=desc"])
            await self.request("GET", f"/returnees/?page={page}{search}")
        elif roll < 0.65 and self.returnee_ids:
            await self.request("GET", f"/returnees/{self.rng.choice(self.returnee_ids)}")
        elif roll < 0.75:
            await self.request("GET", "/")
        elif self.username != ADMIN[0] and self.returnee_ids:
            await self.record_assistance(marker)
        else:
            await self.request("GET", "/returnees/")

    async def record_assistance(self, marker: str) -> None:
        """An assistance record through the form a caseworker fills: the page first (CSRF token, one-time
        key, the choices as offered), then the submit. A redirect to the returnee's page is the server
        saying "saved"; the note carries `marker` so that it can be looked up afterwards."""
        returnee_id = self.rng.choice(self.returnee_ids)
        path = f"/returnees/{returnee_id}/assistance/new"
        status, page, _ = await self.request("GET", path + "?type=business_counselling")
        if status != 200:
            return
        try:
            form = form_posting_to(page, path)
        except LookupError:
            self.tally.error("no form")
            return
        form.fields.update(notes=marker, status="delivered")
        # 200: the form again, with the reason (a closed case cannot be changed): answered, not saved
        status, _, location = await self.request("POST", path, expect=(302, 200), data=form.fields)
        if status == 302 and location.rstrip("/").endswith(f"/returnees/{returnee_id}"):
            self.tally.acknowledged_writes.append(marker)
        elif status in (200, 302):
            self.tally.refused_writes += 1


async def run_workload(base: str, name: str, logins, users: int, seconds: float, warmup: float, run_id: str) -> Tally:
    rng = random.Random(f"{name}-{users}")
    people = [SimulatedUser(base, logins[n % len(logins)], random.Random(rng.random())) for n in range(users)]
    try:
        for start in range(0, users, 10):  # log in ten at a time (scrypt costs the server ~50 ms each)
            await asyncio.gather(*(person.log_in() for person in people[start : start + 10]))
        tally = Tally()
        written = iter(range(MAX_REQUESTS_PER_RUN))
        stop_at = time.monotonic() + warmup + seconds
        measure_from = time.monotonic() + warmup

        async def loop(person: SimulatedUser) -> None:
            for _ in range(MAX_REQUESTS_PER_RUN // users):
                now = time.monotonic()
                if now >= stop_at:
                    return
                person.tally = tally if now >= measure_from else Tally()
                if name == "healthz":
                    await person.healthz()
                elif name == "list":
                    await person.list_page()
                else:
                    await person.browse(f"load-{run_id}-{users}-{next(written)}")
                if person.tally is not tally:  # warm-up writes count too: they were acknowledged
                    tally.acknowledged_writes.extend(person.tally.acknowledged_writes)

        await asyncio.wait_for(asyncio.gather(*(loop(person) for person in people)), MAX_SECONDS)
        return tally
    finally:
        await asyncio.gather(*(person.close() for person in people))


def report_workload(name: str, tally: Tally, seconds: float, context: dict) -> float:
    rate = len(tally.latencies) / seconds
    emit(figure_line(f"load.{name}.throughput", rate, "req/s", requests=len(tally.latencies), **context))
    for label, share in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99)):
        emit(figure_line(f"load.{name}.{label}", percentile(tally.latencies, share) * 1000, "ms", **context))
    kinds = ",".join(f"{kind.replace(' ', '_')}:{count}" for kind, count in sorted(tally.errors.items())) or None
    emit(figure_line(f"load.{name}.errors", sum(tally.errors.values()), "requests", kinds=kinds, **context))
    return rate


def writes_found(database_url: str, markers: list[str], run_id: str) -> int:
    """How many of the acknowledged writes are in the database (looked up by their note)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            stored = set(
                connection.scalars(
                    sa.text("SELECT notes FROM assistance_record WHERE notes LIKE :prefix"),
                    {"prefix": f"load-{run_id}-%"},
                )
            )
    finally:
        engine.dispose()
    return len(set(markers) & stored)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20, 60], help="simulated users (each count a run)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time of each workload and count")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before each measurement")
    parser.add_argument(
        "--workloads", nargs="+", default=["healthz", "list", "mixed"], choices=["healthz", "list", "mixed"]
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--port", type=int, default=5140)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (`make serve`: 2)")
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=REPO,
        help="the checkout whose app is served (another version, to compare; default: this one)",
    )
    args = parser.parse_args(argv)
    if args.seconds + args.warmup > MAX_SECONDS or min(args.users) < 1 or max(args.users) > 500:
        parser.error(f"at most {MAX_SECONDS} s per workload and 1-500 users")

    folder = Path(tempfile.mkdtemp(prefix="caseapp-load-"))
    database_url = args.database_url or f"sqlite:///{folder / 'load.sqlite'}"
    from bench._output import load_line, print_machine

    print_machine(database_url, ["python", "-m", "bench.load", *(argv if argv is not None else sys.argv[1:])])
    kind = database_kind(database_url)
    env = server_environment(folder, database_url)
    started = time.perf_counter()
    prepare_database(env, args.app_dir, fresh=args.database_url is None)
    emit(figure_line("load.setup", time.perf_counter() - started, "s", database=kind))
    server = Server(env, args.port, args.workers, folder / "gunicorn.log", args.app_dir)
    run_id = secrets.token_hex(4)
    try:
        server.wait_until_up()
        for users in args.users:
            context = {"users": users, "workers": args.workers, "database": kind}
            rates: dict[str, float] = {}
            for name in args.workloads:
                logins = {"healthz": LIST_USERS, "list": LIST_USERS, "mixed": MIXED_USERS}[name]
                tally = asyncio.run(run_workload(server.base, name, logins, users, args.seconds, args.warmup, run_id))
                rates[name] = report_workload(name, tally, args.seconds, context)
                if name == "mixed":
                    found = writes_found(database_url, tally.acknowledged_writes, f"{run_id}-{users}")
                    acknowledged = len(tally.acknowledged_writes)
                    emit(
                        ratio_line(
                            "load.writes.found/acknowledged",
                            found / acknowledged if acknowledged else 0.0,
                            target=1.0,
                            found=found,
                            acknowledged=acknowledged,
                            refused=tally.refused_writes,
                            **context,
                        )
                    )
            if "list" in rates and rates.get("healthz"):
                emit(
                    ratio_line(
                        "load.list/healthz",
                        rates["list"] / rates["healthz"],
                        target=TARGET_LIST_RATIO,
                        users=users,
                        database=kind,
                    )
                )
    finally:
        server.stop()
    print(load_line(), flush=True)


if __name__ == "__main__":
    main()
