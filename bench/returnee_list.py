"""How fast is the returnee list with 100,000 returnees? `python -m bench.returnee_list [--returnees N]`.

Builds N invented returnees (with cases and a few vulnerabilities) in a temporary SQLite file with
bulk inserts, then times whole page requests of the list, as a Gori caseworker and as an admin, for the
searches people make. Prints the median of several runs per page."""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from caseapp import create_app
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from caseapp.returnees.rules import name_columns

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
    db.session.commit()


def timed(client, url: str, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=100_000)
    count = parser.parse_args(argv).returnees
    folder = Path(tempfile.mkdtemp(prefix="caseapp-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(count)
        print(f"built {count:,} returnees in {time.perf_counter() - started:.1f} s")
        gori = db.session.scalar(select(FieldOffice.id).where(FieldOffice.name == "Gori"))
        for username, role, office in (("cw", Role.CASEWORKER, gori), ("adm", Role.ADMIN, None)):
            user = User(username=username, display_name=username, role=role, field_office_id=office)
            user.set_password("bench password")
            db.session.add(user)
        db.session.commit()
    for username in ("cw", "adm"):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "bench password"})
        for label, url in (("first page", "/returnees/"), ("page 200", "/returnees/?page=200"),
                           ("name search", "/returnees/?q=beridze12"),
                           ("name search, Georgian script", "/returnees/?q=ბერიძე12"),
                           ("first name only", "/returnees/?q=nino"), ("personal number", "/returnees/?q=00000054321"),
                           ("status + vulnerability", "/returnees/?status=open&vulnerability=elderly"),
                           ("sort by return date desc", "/returnees/?sort=return_date&dir=desc")):
            print(f"{username:4} {label:26} {timed(client, url):7.1f} ms")


if __name__ == "__main__":
    main()
