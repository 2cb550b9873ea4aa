"""Report benchmark: 100,000 returnees and 1,000,000 assistance records in SQLite, paid by 40 projects; the
country-wide three-year report (with its by-project table) and the report of one project, through the app
(caseapp.reports.counting.build_report) against the bare SQL of the same aggregates run with the sqlite3 module,
side by side.

    python -m bench.report [--returnees 100000] [--records 1000000] [--rounds 3] [--rebuild]

The database is built once into bench/report.sqlite (bulk inserts, executemany) and reused afterwards.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path

DATABASE = Path(__file__).resolve().parent / "report.sqlite"
PERIOD = (date(2023, 1, 1), date(2025, 12, 31))
CHUNK = 50_000


def make_app(path: Path):
    from caseapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench", "SQLITE_CREATE": True})


def build(path: Path, returnees: int, records: int, seed: int = 4) -> None:
    """A fresh database through the real migrations, then bulk inserts of invented rows."""
    from flask_migrate import upgrade

    from caseapp.analytics.services import rebuild_analytics, resume_analytics_triggers, suspend_analytics_triggers
    from caseapp.extensions import db

    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    app = make_app(path)
    with app.app_context():
        upgrade()
    rng = random.Random(seed)
    connection = sqlite3.connect(path)
    triggers = suspend_analytics_triggers(connection, "sqlite")  # a bulk load: the analytics are rebuilt after
    offices = [row[0] for row in connection.execute("SELECT id FROM field_office ORDER BY id")]
    now = datetime(2026, 1, 1).isoformat(sep=" ")
    with connection:  # 40 projects besides Unassigned (made by the migration): most records name one
        connection.executemany(
            "INSERT INTO project (code, name, name_ka, donor, start_date, end_date, active, created_at, updated_at,"
            " version) VALUES (?,?,?,?,?,?,?,?,?,1)",
            [(f"PRJ-{n:03d}", f"Project {n}", "", "Donor", "2021-01-01", "2027-12-31", 1, now, now)
             for n in range(1, 41)])
    unassigned = connection.execute("SELECT id FROM project WHERE code = 'UNASSIGNED'").fetchone()[0]
    projects = [row[0] for row in connection.execute("SELECT id FROM project WHERE code != 'UNASSIGNED'")]
    types = connection.execute("SELECT id, carries_amount FROM assistance_type ORDER BY sort_order").fetchall()
    weights = [10, 6, 2, 3, 1, 1, 1, 1, 3, 1, 1, 2, 2, 1][:len(types)]
    start = date(2021, 1, 1)
    return_dates = []
    started = time.perf_counter()
    with connection:
        rows = []
        for n in range(1, returnees + 1):
            returned = start + timedelta(days=rng.randrange(5 * 365))
            born = returned - timedelta(days=rng.randrange(1, 80 * 365))
            return_dates.append(returned)
            rows.append((n, f"First{n}", f"Last{n % 977}", f"first{n} last{n % 977}", f"last{n % 977} first{n}",
                         rng.choice("FM"),
                         born.isoformat(), rng.choice(offices), returned.isoformat(), "Germany", now, now, 1,
                         rng.choice(projects) if rng.random() < 0.7 else unassigned))
            if len(rows) == CHUNK or n == returnees:
                connection.executemany(
                    "INSERT INTO returnee (id, first_name, last_name, search_name, search_name_reversed, sex,"
                    " date_of_birth,"
                    " field_office_id, return_date, returned_from, created_at,"
                    " updated_at, version, return_project_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                rows = []
        vulnerable = [(n, rng.choice(["disability", "chronic_illness", "single_parent", "elderly"]))
                      for n in range(1, returnees + 1) if rng.random() < 0.1]
        connection.executemany("INSERT INTO returnee_vulnerability (returnee_id, code) VALUES (?, ?)", vulnerable)
        statuses = ["delivered"] * 17 + ["planned", "requested", "approved", "rejected", "cancelled"]
        rows = []
        for n in range(1, records + 1):
            person = rng.randrange(1, returnees + 1)
            type_id, carries_amount = rng.choices(types, weights)[0]
            on = return_dates[person - 1] + timedelta(days=rng.randrange(540))
            amount = currency = None
            if carries_amount:
                amount = f"{rng.randrange(100, 5000)}.{rng.randrange(100):02d}"
                currency = "GEL" if rng.random() < 0.9 else "EUR"
            rows.append((person, type_id, on.isoformat(), rng.choice(statuses), amount, currency, "", "", now, now, 1,
                         rng.choice(projects) if rng.random() < 0.85 else unassigned))
            if len(rows) == CHUNK or n == records:
                connection.executemany(
                    "INSERT INTO assistance_record (returnee_id, type_id, provided_on, status, amount, currency,"
                    " provider, notes, created_at, updated_at, version, project_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
                rows = []
    resume_analytics_triggers(connection, "sqlite", triggers)
    with app.app_context():  # after a bulk load, the report's analytics tables are computed again
        rebuild_analytics()
        db.session.commit()
    connection.execute("ANALYZE")
    connection.close()
    print(f"built {returnees:,} returnees and {records:,} records in {time.perf_counter() - started:.1f} s")


# The same aggregates as build_report, written by hand (country-wide: no filter needs the returnee, so records
# are read alone and returnees are looked up once per person, not once per record).
BAND = ("CASE WHEN CAST(strftime('%Y%m%d', r.return_date) AS INTEGER) - CAST(strftime('%Y%m%d', r.date_of_birth)"
        " AS INTEGER) >= 600000 THEN '60+' WHEN CAST(strftime('%Y%m%d', r.return_date) AS INTEGER)"
        " - CAST(strftime('%Y%m%d', r.date_of_birth) AS INTEGER) >= 180000 THEN '18-59' ELSE '0-17' END")
MONTH = "CAST(strftime('%Y%m', a.provided_on) AS INTEGER)"
CENTS = "sum(CAST(round(a.amount * 100) AS INTEGER))"  # exact: whole cents
def bare_sql(project: bool) -> list[str]:
    """The queries of build_report as hand-written SQL; with project=True, for the one project :project."""
    delivered = "a.status = 'delivered' AND a.provided_on >= :start AND a.provided_on <= :end"
    returned = "r.return_date >= :start AND r.return_date <= :end"
    grant_project = ""
    if project:
        delivered += " AND a.project_id = :project"
        returned += " AND r.return_project_id = :project"
        grant_project = " AND g.project_id = :project"
    pipeline = ("a.status IN ('requested', 'approved') AND a.provided_on >= :start AND a.provided_on <= :end"
                + (" AND a.project_id = :project" if project else ""))

    def per_person(**keys: str) -> str:
        """Delivered records in the period, one row per returnee (and keys: alias=expression)."""
        columns = "".join(f", {expression} AS {alias}" for alias, expression in keys.items())
        group = "".join(f", {expression}" for expression in keys.values())
        return (f"(SELECT a.returnee_id AS returnee_id{columns}, count(a.id) AS events FROM assistance_record a"
                f" WHERE {delivered} GROUP BY a.returnee_id{group})")

    def funnel(counselling: str) -> str:
        return ("SELECT count(*), count(CASE WHEN EXISTS (SELECT 1 FROM assistance_record g"
                " WHERE g.returnee_id = c.returnee_id AND g.type_id = :grant AND g.status = 'delivered'"
                f" AND g.provided_on >= c.first_session AND g.provided_on <= :end{grant_project})"
                " THEN c.returnee_id END)"
                " FROM (SELECT a.returnee_id, min(a.provided_on) AS first_session FROM assistance_record a"
                f" WHERE {delivered} AND a.type_id = :{counselling} GROUP BY a.returnee_id) c")

    return [
        "SELECT id, code, name, carries_amount FROM assistance_type ORDER BY sort_order, name",
        "SELECT id, name FROM field_office ORDER BY name",
        f"SELECT r.field_office_id, r.sex, {BAND}, count(r.id) FROM returnee r WHERE {returned} GROUP BY 1, 2, 3",
        f"SELECT r.field_office_id, r.sex, {BAND}, count(*), sum(p.events) FROM {per_person()} p"
        " JOIN returnee r ON r.id = p.returnee_id GROUP BY 1, 2, 3",
        f"SELECT r.field_office_id, r.sex, {BAND}, p.type_id, count(*), sum(p.events)"
        f" FROM {per_person(type_id='a.type_id')} p JOIN returnee r ON r.id = p.returnee_id GROUP BY 1, 2, 3, 4",
        f"SELECT CAST(strftime('%Y%m', r.return_date) AS INTEGER), count(r.id) FROM returnee r WHERE {returned}"
        " GROUP BY 1",
        f"SELECT p.month, count(*), sum(p.events) FROM {per_person(month=MONTH)} p GROUP BY 1",
        f"SELECT p.month, p.type_id, count(*), sum(p.events)"
        f" FROM {per_person(month=MONTH, type_id='a.type_id')} p GROUP BY 1, 2",
        # by project: returns by the project credited, records by the project that paid
        f"SELECT r.return_project_id, count(r.id) FROM returnee r WHERE {returned} GROUP BY 1",
        f"SELECT p.project_id, count(*), sum(p.events) FROM {per_person(project_id='a.project_id')} p GROUP BY 1",
        f"SELECT p.project_id, p.type_id, count(*), sum(p.events)"
        f" FROM {per_person(project_id='a.project_id', type_id='a.type_id')} p GROUP BY 1, 2",
        "SELECT id, code, name, name_ka, donor FROM project",
        f"SELECT a.type_id, a.currency, {CENTS} FROM assistance_record a WHERE {delivered}"
        " AND a.amount IS NOT NULL GROUP BY 1, 2",
        funnel("counselling"),
        funnel("counselling2"),
        "SELECT a.type_id, a.status, count(DISTINCT a.returnee_id), count(a.id) FROM assistance_record a"
        f" WHERE {pipeline} GROUP BY 1, 2",
        f"SELECT a.type_id, a.status, a.currency, {CENTS} FROM assistance_record a"
        f" WHERE {pipeline} AND a.amount IS NOT NULL GROUP BY 1, 2, 3",
    ]


def bare_report(connection: sqlite3.Connection, parameters: dict, project: bool = False) -> list[list[tuple]]:
    return [connection.execute(sql, parameters).fetchall() for sql in bare_sql(project)]


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--database", type=Path, default=DATABASE)
    options = parser.parse_args(argv)

    if options.rebuild or not options.database.exists():
        build(options.database, options.returnees, options.records)
    from caseapp.reports.counting import ASSISTED, PERSONS, RETURNED, ReportFilters, from_cents
    from caseapp.reports.presentation import PresentedReport

    app = make_app(options.database)
    connection = sqlite3.connect(options.database)
    type_ids = dict(connection.execute("SELECT code, id FROM assistance_type"))
    parameters = {"start": PERIOD[0].isoformat(), "end": PERIOD[1].isoformat(),
                  "counselling": type_ids["business_counselling"], "counselling2": type_ids["voc_ed_counselling"],
                  "grant": type_ids["business_grant"]}
    counts = connection.execute("SELECT (SELECT count(*) FROM returnee), (SELECT count(*) FROM assistance_record)")
    print("database: {:,} returnees, {:,} assistance records; period {} to {}".format(*counts.fetchone(), *PERIOD))

    project_id = connection.execute("SELECT id FROM project WHERE code = 'PRJ-001'").fetchone()[0]
    code_of = {type_id: code for code, type_id in type_ids.items()}
    with app.app_context():
        for title, project in (("country-wide, with the by-project table", None), ("one project (PRJ-001)", project_id)):
            filters = ReportFilters(*PERIOD, project_id=project)
            report, bare, app_times, bare_times, app_bare_times = measure(
                connection, filters, {**parameters, "project": project}, options.rounds)
            with app.test_request_context("/"):
                shared_seconds, _shown = timed(lambda: PresentedReport(report, shared=True).paragraph())
            # the same figures both ways (persons add up across office x sex x age band groups)
            assert report.total(RETURNED) == sum(row[3] for row in bare[2]), "app and bare SQL disagree"
            assert report.total(ASSISTED) == sum(row[3] for row in bare[3]), "app and bare SQL disagree"
            for code in type_ids:
                assert report.total(PERSONS, code) == sum(row[4] for row in bare[4] if code_of[row[3]] == code)
            assert {group: report.count("project", group, ASSISTED) for group in report.groups["project"]} \
                == {row[0]: row[1] for row in bare[9]}, "app and bare SQL disagree by project"
            assert report.amounts == {code_of[t]: {c: from_cents(cents) for t2, c, cents in bare[12] if t2 == t}
                                      for t in {row[0] for row in bare[12]}}
            app_best, bare_best = min(app_times), min(bare_times)
            print(f"\n{title}")
            print(f"app (build_report):  best {app_best:.2f} s, median {statistics.median(app_times):.2f} s")
            print(f"bare SQL (sqlite3):  best {bare_best:.2f} s, median {statistics.median(bare_times):.2f} s")
            print(f"ratio app / bare SQL: best {app_best / bare_best:.2f}, median "
                  f"{statistics.median(app_times) / statistics.median(bare_times):.2f}  (target <= 0.35)")
            app_bare_best = min(app_bare_times)
            print(f"app's own SQL bare:  best {app_bare_best:.2f} s, median {statistics.median(app_bare_times):.2f} s;"
                  f" ratio app / its own SQL bare: best {app_best / app_bare_best:.2f}, median "
                  f"{statistics.median(app_times) / statistics.median(app_bare_times):.2f}  (target <= 1.2)")
            print(f"small-count suppression and paragraph for the shared version: {shared_seconds:.2f} s")
            print(f"returned persons {report.returned_persons:,}; assisted persons {report.assisted_persons:,}")


def measure(connection, filters, parameters, rounds):
    from bench.report_app_sql import app_bare_report
    from caseapp.extensions import db
    from caseapp.reports.counting import build_report

    app_times, bare_times, app_bare_times = [], [], []
    for _round in range(rounds):  # alternate, so that all see the same warm cache
        seconds, report = timed(lambda: build_report(filters))
        app_times.append(seconds)
        db.session.rollback()
        seconds, bare = timed(lambda: bare_report(connection, parameters, filters.project_id is not None))
        bare_times.append(seconds)
        seconds, _rows = timed(lambda: app_bare_report(connection, parameters, filters.project_id is not None))
        app_bare_times.append(seconds)
    return report, bare, app_times, bare_times, app_bare_times


if __name__ == "__main__":
    main()
