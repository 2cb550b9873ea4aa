"""How fast is the returnee list with 100,000 returnees? `python -m bench.returnee_list [--returnees N]
[--database-url URL]`.

Builds N invented returnees (with cases, a few vulnerabilities and case reviews, some waiting for the
caseworker's answer) in a temporary SQLite file, or in the empty database of --database-url (e.g. a scratch
PostgreSQL database), with bulk inserts, then times whole page requests of the list, as a Gori caseworker and
as an admin, for the searches people make. Prints the median of several runs per page.

The list pages by keyset (caseapp/keyset.py): the deepest page (the last, reached by its "Last" link, and
the one before it, reached by "Previous" from there) is timed side by side with the first, run for run
interleaved, and each ratio is printed on one line:
`RATIO returnee_list.deepest/first admin 1.12 (target <= 1.5) database=sqlite returnees=100,000`."""
from __future__ import annotations

import argparse
import html
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from caseapp import create_app
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from caseapp.returnees.rules import name_columns
from caseapp.review.models import CaseReview

NAMES = ["Nino", "Giorgi", "Tamar", "Davit", "Mariam", "Levan", "ნინო", "გიორგი"]
SURNAMES = ["Beridze", "Kapanadze", "Gelashvili", "Maisuradze", "Lomidze", "ბერიძე", "Tsiklauri"]


def build(count: int) -> None:
    rng = random.Random(7)
    offices = list(db.session.scalars(select(FieldOffice.id)))
    rows, cases, vulnerabilities = [], [], []
    for n in range(1, count + 1):
        first, last = rng.choice(NAMES), rng.choice(SURNAMES) + str(n % 997)
        returned = date(2021, 1, 1) + timedelta(days=rng.randrange(1400))
        rows.append(dict(id=n, first_name=first, last_name=last, **name_columns(first, last),
                         sex=rng.choice("FM"), date_of_birth=returned - timedelta(days=rng.randrange(2000, 25000)),
                         personal_number=f"{n:011d}", field_office_id=rng.choice(offices), return_date=returned,
                         returned_from="Germany", consent_given=True, external_id=f"B-{n}", version=1))
        cases.append(dict(returnee_id=n, status=rng.choice(["open", "active", "monitoring", "closed"]),
                          opened_on=returned, version=1))
        if cases[-1]["status"] == "closed":
            cases[-1].update(closure_reason="lost_contact", closed_on=returned)
        if n % 9 == 0:
            vulnerabilities.append(dict(returnee_id=n, code="elderly"))
    for table, batch in ((Returnee, rows), (Case, cases), (ReturneeVulnerability, vulnerabilities)):
        for start in range(0, len(batch), 10_000):
            db.session.execute(insert(table), batch[start:start + 10_000])
    # a review of one case in five; one in twenty of them "needs action" and is not answered yet (the badge)
    reviews = []
    for case_id in db.session.scalars(select(Case.id)):
        if rng.random() < 0.2:
            waiting = rng.random() < 0.05
            reviews.append(dict(case_id=case_id, reviewed_at=datetime(2024, 1, 1) + timedelta(minutes=case_id),
                                outcome="needs_action" if waiting or rng.random() < 0.5 else "fine", comment="",
                                answered_at=None if waiting else datetime(2024, 2, 1),
                                answer=None if waiting else "done"))
    for start in range(0, len(reviews), 10_000):
        db.session.execute(insert(CaseReview), reviews[start:start + 10_000])
    db.session.commit()


def give_cases(caseworker_id: int, office_id: int, count: int = 150) -> None:
    """A caseworker's caseload: `count` of the office's open cases."""
    ids = list(db.session.scalars(
        select(Case.id).join(Returnee, Returnee.id == Case.returnee_id)
        .where(Returnee.field_office_id == office_id, Case.status != "closed").order_by(Case.id).limit(count)))
    db.session.execute(Case.__table__.update().where(Case.id.in_(ids)).values(caseworker_id=caseworker_id))
    db.session.commit()


def timed(client, url: str, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def link(client, url: str, rel: str) -> str:
    """The pager's link `rel` (first, prev, next, last) of the page at `url`."""
    text = client.get(url).text
    assert f'rel="{rel}"' in text, (url, rel)
    return html.unescape(text.split(f'rel="{rel}" href="')[1].split('"')[0])


def side_by_side(client, urls: dict[str, str], runs: int = 9) -> dict[str, float]:
    """Median milliseconds of each URL, the URLs requested in turn within each run (so that the machine's
    load falls on all of them alike)."""
    times: dict[str, list[float]] = {label: [] for label in urls}
    for label, url in urls.items():  # warm up
        assert client.get(url).status_code == 200, url
    for _ in range(runs):
        for label, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            times[label].append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
    return {label: statistics.median(values) * 1000 for label, values in times.items()}


def _app(database_url: str | None):
    config = {"SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="caseapp-bench-"))
        database_url = f"sqlite:///{folder / 'bench.sqlite'}"
        config["SQLITE_CREATE"] = True
    return create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url}), make_url(database_url).get_backend_name()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--database-url", help="an EMPTY database to fill (default: a temporary SQLite file)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per page (the median is shown)")
    options = parser.parse_args(argv)
    count = options.returnees
    app, backend = _app(options.database_url)
    from bench._output import print_machine

    print_machine(app.config["SQLALCHEMY_DATABASE_URI"],
                  ["python", "-m", "bench.returnee_list", *(argv if argv is not None else sys.argv[1:])])
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count(Returnee.id))):
            raise SystemExit("--database-url names a database with returnees in it: give an empty one")
        started = time.perf_counter()
        build(count)
        if backend == "postgresql":  # ids were given: move the sequence past them; fresh statistics
            db.session.execute(db.text("SELECT setval(pg_get_serial_sequence('returnee', 'id'), :n)"), {"n": count})
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(db.text("VACUUM ANALYZE"))
        print(f"built {count:,} returnees in {time.perf_counter() - started:.1f} s ({backend})")
        gori = db.session.scalar(select(FieldOffice.id).where(FieldOffice.name == "Gori"))
        for username, role, office in (("cw", Role.CASEWORKER, gori), ("adm", Role.ADMIN, None)):
            user = User(username=username, display_name=username, role=role, field_office_id=office)
            user.set_password("bench password")
            db.session.add(user)
        db.session.commit()
        give_cases(db.session.scalar(select(User.id).where(User.username == "cw")), gori)
    ratios = []
    for username in ("cw", "adm"):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "bench password"})
        for label, url in (("name search", "/returnees/?q=beridze12"),
                           ("name search, Georgian script", "/returnees/?q=ბერიძე12"),
                           ("first name only", "/returnees/?q=nino"), ("personal number", "/returnees/?q=00000054321"),
                           ("status + vulnerability", "/returnees/?status=open&vulnerability=elderly")):
            print(f"{username:4} {label:40} {timed(client, url):7.1f} ms")
        for sort_label, first in (("by name", "/returnees/"),
                                  ("by return date desc", "/returnees/?sort=return_date&dir=desc")):
            last = link(client, first, "last")
            urls = {"first": first, "second": link(client, first, "next"), "last": last,
                    "before last": link(client, last, "prev")}
            times = side_by_side(client, urls, options.runs)
            for label, ms in times.items():
                print(f"{username:4} {sort_label + ', ' + label + ' page':40} {ms:7.1f} ms")
            deepest = max(times["last"], times["before last"])
            ratios.append((f"{'admin' if username == 'adm' else 'caseworker'}"
                           f"{'' if sort_label == 'by name' else ' ' + sort_label.replace(' ', '_')}",
                           deepest / times["first"]))
    from bench._output import load_line, print_ratio

    for who, ratio in ratios:
        user, _space, order = who.partition(" ")
        print_ratio("returnee_list", "deepest/first", ratio, target=1.5, user=user, order=order or "by_name",
                    database=backend, returnees=count)
    print(load_line())


if __name__ == "__main__":
    main()
