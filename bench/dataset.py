"""The benchmarks' invented data: returnees, their vulnerabilities and their assistance records, paid by 40
projects, on SQLite or PostgreSQL.

    python -m bench.dataset [--database-url URL] [--returnees 100000] [--records 1000000] [--rebuild]

The schema comes from the real migrations (`flask db upgrade`); the rows are drawn from a seeded generator, so
that every database of a given size holds the same people and records whichever the backend. PostgreSQL is
loaded with COPY (10 million records in minutes), SQLite with executemany; on both, the secondary indexes and
the triggers of the loaded tables are taken off during the load and put back afterwards (PostgreSQL: the
session runs as a replica, so that neither triggers nor foreign-key checks fire row by row), then the tables
are analysed. A database that already holds the asked-for number of returnees and records is reused (and
brought up to date with the migrations); --rebuild builds it again.

Without --database-url the database is the SQLite file bench/report.sqlite. A PostgreSQL database that does
not exist is created; building one DROPS its public schema: name a database of its own.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bench._output import dbapi_conninfo, print_figure, print_machine

DATABASE = Path(__file__).resolve().parent / "report.sqlite"
#: the tables the generator fills (in load order)
LOADED_TABLES = ("returnee", "returnee_vulnerability", "assistance_record")
SEED = 4
PROJECTS = 40
FIRST_RETURN = date(2021, 1, 1)
#: relative weights of the assistance types, in the catalog's order
TYPE_WEIGHTS = [10, 6, 2, 3, 1, 1, 1, 1, 3, 1, 1, 2, 2, 1]
STATUSES = ["delivered"] * 17 + ["planned", "requested", "approved", "rejected", "cancelled"]
VULNERABILITIES = ["disability", "chronic_illness", "single_parent", "elderly"]
#: the time stamp of every generated row
CREATED = datetime(2026, 1, 1).isoformat(sep=" ")
PROGRESS_EVERY = 1_000_000

RETURNEE_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "search_name",
    "search_name_reversed",
    "sex",
    "date_of_birth",
    "field_office_id",
    "return_date",
    "returned_from",
    "created_at",
    "updated_at",
    "version",
    "return_project_id",
)
VULNERABILITY_COLUMNS = ("returnee_id", "code")
RECORD_COLUMNS = (
    "id",
    "returnee_id",
    "type_id",
    "provided_on",
    "status",
    "amount",
    "currency",
    "provider",
    "notes",
    "created_at",
    "updated_at",
    "version",
    "project_id",
)


def default_url() -> str:
    return f"sqlite:///{DATABASE}"


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def make_app(url: str):
    """The app on the benchmark's database, with no statement timeout: at 10 million records a report runs
    longer than the 10 s a web request may take."""
    from caseapp import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SQLITE_CREATE": True, "DATABASE_STATEMENT_TIMEOUT": 0}
    )


# --- the invented rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """What the generated rows refer to: ids made by the migrations and by project_rows()."""

    offices: list[int]
    projects: list[int]
    unassigned: int
    #: (type id, carries an amount) in the catalog's order
    types: list[tuple[int, bool]]


class Generator:
    """The rows of a dataset, always the same for the same seed and sizes. Draws are cheap on purpose
    (random() scaled, dates as day numbers with their ISO text looked up): 10 million records must be
    generated in about a minute of one core."""

    def __init__(self, catalog: Catalog, returnees: int, records: int, seed: int = SEED):
        self.catalog, self.returnees, self.records = catalog, returnees, records
        self.rng = random.Random(seed)
        self.first_day = date(1940, 1, 1).toordinal()
        self.iso = [date.fromordinal(day).isoformat() for day in range(self.first_day, date(2030, 1, 1).toordinal())]
        self.return_days: list[int] = []

    def returnee_rows(self):
        random, iso, first_day = self.rng.random, self.iso, self.first_day
        offices, projects, unassigned = self.catalog.offices, self.catalog.projects, self.catalog.unassigned
        start = FIRST_RETURN.toordinal()
        for n in range(1, self.returnees + 1):
            returned = start + int(random() * 5 * 365)
            born = returned - 1 - int(random() * (80 * 365 - 1))
            self.return_days.append(returned)
            last = f"Last{n % 977}"
            returned_on = iso[returned - first_day]
            yield (
                n,
                f"First{n}",
                last,
                f"first{n} {last.lower()}",
                f"{last.lower()} first{n}",
                "F" if random() < 0.5 else "M",
                iso[born - first_day],
                offices[int(random() * len(offices))],
                returned_on,
                "Germany",
                CREATED,
                CREATED,
                1,
                projects[int(random() * len(projects))] if random() < 0.7 else unassigned,
            )

    def vulnerability_rows(self):
        random = self.rng.random
        for n in range(1, self.returnees + 1):
            if random() < 0.1:
                yield n, VULNERABILITIES[int(random() * len(VULNERABILITIES))]

    def record_rows(self):
        """Assistance records of the returnees (returnee_rows() must have run): dated within 540 days of the
        person's return, mostly delivered, an amount on the types that carry one."""
        random, iso, first_day, return_days = self.rng.random, self.iso, self.first_day, self.return_days
        projects, unassigned = self.catalog.projects, self.catalog.unassigned
        types = self.catalog.types
        weights = TYPE_WEIGHTS[: len(types)] + [1] * (len(types) - len(TYPE_WEIGHTS))
        cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
        total = cumulative[-1]
        pick = bisect.bisect_right
        returnees, statuses = self.returnees, STATUSES
        for n in range(1, self.records + 1):
            person = int(random() * returnees) + 1
            type_id, carries_amount = types[pick(cumulative, random() * total)]
            on = return_days[person - 1] + int(random() * 540)
            amount = currency = None
            if carries_amount:
                cents = 10_000 + int(random() * 490_000)
                amount = f"{cents // 100}.{cents % 100:02d}"
                currency = "GEL" if random() < 0.9 else "EUR"
            yield (
                n,
                person,
                type_id,
                iso[on - first_day],
                statuses[int(random() * len(statuses))],
                amount,
                currency,
                "",
                "",
                CREATED,
                CREATED,
                1,
                projects[int(random() * len(projects))] if random() < 0.85 else unassigned,
            )


def project_rows() -> list[tuple]:
    """40 projects besides Unassigned (made by the migrations): most records and returns name one."""
    return [
        (f"PRJ-{n:03d}", f"Project {n}", "", "Donor", "2021-01-01", "2027-12-31", True, CREATED, CREATED)
        for n in range(1, PROJECTS + 1)
    ]


PROJECT_COLUMNS = (
    "code",
    "name",
    "name_ka",
    "donor",
    "start_date",
    "end_date",
    "active",
    "created_at",
    "updated_at",
    "version",
)


def read_catalog(cursor) -> Catalog:
    def column(sql):
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]

    cursor.execute("SELECT id, carries_amount FROM assistance_type ORDER BY sort_order, id")
    types = [(type_id, bool(carries)) for type_id, carries in cursor.fetchall()]
    return Catalog(
        offices=column("SELECT id FROM field_office ORDER BY id"),
        projects=column("SELECT id FROM project WHERE code != 'UNASSIGNED' ORDER BY id"),
        unassigned=column("SELECT id FROM project WHERE code = 'UNASSIGNED'")[0],
        types=types,
    )


def progress(rows, what: str, log, every: int = PROGRESS_EVERY):
    """The rows, passed through; a line to the log every `every` of them."""
    started = time.perf_counter()
    for n, row in enumerate(rows, start=1):
        if n % every == 0:
            log(f"  {n:,} {what} ({time.perf_counter() - started:.0f} s)")
        yield row


# --- building -----------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    url: str
    returnees: int
    records: int
    #: seconds the load took (rows, indexes, statistics), None when an existing database was reused
    load_seconds: float | None = None
    analytics_seconds: float | None = None

    @property
    def dialect(self) -> str:
        return dialect_of(self.url)


def ensure(url: str, returnees: int, records: int, *, rebuild: bool = False, seed: int = SEED, log=print) -> Dataset:
    """A database at `url` holding the dataset of this size: the existing one when its size matches (brought up
    to date with the migrations), else built anew."""
    dataset = Dataset(url, returnees, records)
    if not rebuild and existing_size(url) == (returnees, records):
        log(
            f"reusing the {dataset.dialect} database ({returnees:,} returnees, {records:,} records; --rebuild "
            "builds it again)"
        )
        if upgrade_schema(url):  # a new migration may change what the app keeps beside the base tables
            dataset.analytics_seconds = rebuild_analytics_if_present(url, log)
            analyse(url)
        return dataset
    build(dataset, seed=seed, log=log)
    return dataset


def existing_size(url: str) -> tuple[int, int] | None:
    """(returnees, records) of the database, or None when it or its tables do not exist."""
    if dialect_of(url) == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return None
        connection, errors = sqlite3.connect(path), sqlite3.Error
    else:
        import psycopg

        try:
            connection, errors = psycopg.connect(dbapi_conninfo(url)), psycopg.Error
        except psycopg.OperationalError:  # no such database yet
            return None
    try:
        return tuple(
            connection.execute(
                "SELECT (SELECT count(*) FROM returnee), (SELECT count(*) FROM assistance_record)"
            ).fetchone()
        )
    except errors:  # no tables yet
        return None
    finally:
        connection.close()


def upgrade_schema(url: str) -> bool:
    """`flask db upgrade` on the database; True when a migration was applied."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from caseapp.extensions import db

    app = make_app(url)
    with app.app_context():

        def revision():
            with db.engine.connect() as connection:
                try:
                    return connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                except Exception:
                    return []

        before = revision()
        upgrade()
        after = revision()
        db.engine.dispose()
    return before != after


def reset_database(url: str) -> None:
    """An empty database (SQLite: a new file; PostgreSQL: created when missing, its public schema dropped)."""
    if dialect_of(url) == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        return
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    try:
        connection = psycopg.connect(dbapi_conninfo(url), autocommit=True)
    except psycopg.OperationalError as error:
        if f'"{name}" does not exist' not in str(error):
            raise
        with psycopg.connect(dbapi_conninfo(url, database="postgres"), autocommit=True) as server:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        connection = psycopg.connect(dbapi_conninfo(url), autocommit=True)
    with connection:
        connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        connection.execute("CREATE SCHEMA public")


def build(dataset: Dataset, *, seed: int = SEED, log=print) -> None:
    """A new database of this size: an empty one, migrated, then loaded."""
    log(f"building the {dataset.dialect} database: {dataset.returnees:,} returnees, {dataset.records:,} records")
    reset_database(dataset.url)
    upgrade_schema(dataset.url)
    load(dataset, seed=seed, log=log)


def load(dataset: Dataset, *, seed: int = SEED, log=print) -> None:
    """The generated rows into a migrated database that holds only the migrations' reference rows (a fresh
    one, or the test database), indexes and statistics included; then the app's analytics rebuilt."""
    started = time.perf_counter()
    if dataset.dialect == "sqlite":
        load_sqlite(Path(dataset.url.removeprefix("sqlite:///")), dataset, seed, log)
    else:
        load_postgresql(dataset.url, dataset, seed, log)
    analyse(dataset.url)
    dataset.load_seconds = time.perf_counter() - started
    print_figure(
        "dataset.load",
        dataset.load_seconds,
        "s",
        database=dataset.dialect,
        returnees=dataset.returnees,
        records=dataset.records,
        method="COPY" if dataset.dialect == "postgresql" else "executemany",
    )
    dataset.analytics_seconds = rebuild_analytics_if_present(dataset.url, log)
    if dataset.analytics_seconds is not None:
        analyse(dataset.url)
        print_figure(
            "dataset.analytics_rebuild",
            dataset.analytics_seconds,
            "s",
            database=dataset.dialect,
            records=dataset.records,
        )


def load_sqlite(path: Path, dataset: Dataset, seed: int, log) -> None:
    connection = sqlite3.connect(path, isolation_level=None)  # transactions as written below
    connection.execute("PRAGMA synchronous = OFF")  # a benchmark's database: rebuilt, not recovered
    connection.execute("PRAGMA cache_size = -262144")
    cursor = connection.cursor()
    cursor.execute("BEGIN")
    insert(cursor, "project", PROJECT_COLUMNS, [(*row, 1) for row in project_rows()], "?")
    catalog = read_catalog(cursor)
    # Secondary indexes and triggers are put back once the rows are in (SQLite keeps their CREATE text).
    cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
        f" AND tbl_name IN ({', '.join(repr(t) for t in LOADED_TABLES)}) ORDER BY type, name"
    )
    taken_off = cursor.fetchall()
    for kind, name, _sql in taken_off:
        cursor.execute(f'DROP {kind.upper()} "{name}"')
    generator = Generator(catalog, dataset.returnees, dataset.records, seed)
    insert(cursor, "returnee", RETURNEE_COLUMNS, progress(generator.returnee_rows(), "returnees", log), "?")
    insert(cursor, "returnee_vulnerability", VULNERABILITY_COLUMNS, generator.vulnerability_rows(), "?")
    insert(cursor, "assistance_record", RECORD_COLUMNS, progress(generator.record_rows(), "records", log), "?")
    log(f"  rows in; putting back {len(taken_off)} indexes and triggers")
    for _kind, _name, create in taken_off:
        cursor.execute(create)
    cursor.execute("COMMIT")
    connection.close()


def insert(cursor, table: str, columns, rows, mark: str) -> None:
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", rows)


def load_postgresql(url: str, dataset: Dataset, seed: int, log) -> None:
    import psycopg

    with psycopg.connect(dbapi_conninfo(url)) as connection, connection.cursor() as cursor:
        # As a replica, the session fires no trigger and checks no foreign key row by row (the generator
        # only refers to rows that exist); the indexes are built once at the end, with memory to sort in.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        insert(cursor, "project", PROJECT_COLUMNS, [(*row, 1) for row in project_rows()], "%s")
        catalog = read_catalog(cursor)
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
            " AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
            " ORDER BY i.indexname",
            (list(LOADED_TABLES),),
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(psycopg.sql.SQL("DROP INDEX {}").format(psycopg.sql.Identifier(name)))
        # Emptied in this transaction, so that COPY may write the rows frozen and all-visible: index-only
        # scans work at once, with no VACUUM over the new rows.
        cursor.execute(f"TRUNCATE {', '.join(LOADED_TABLES)} CASCADE")
        generator = Generator(catalog, dataset.returnees, dataset.records, seed)
        for table, columns, rows in (
            ("returnee", RETURNEE_COLUMNS, progress(generator.returnee_rows(), "returnees", log)),
            ("returnee_vulnerability", VULNERABILITY_COLUMNS, generator.vulnerability_rows()),
            ("assistance_record", RECORD_COLUMNS, progress(generator.record_rows(), "records", log)),
        ):
            started = time.perf_counter()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FREEZE)") as copy:
                for row in rows:
                    copy.write_row(row)
            log(f"  COPY {table}: {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        log(f"  {len(indexes)} indexes built in {time.perf_counter() - started:.0f} s")
        for table in ("returnee", "assistance_record"):  # the ids were given: the sequences continue after them
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        connection.commit()


def analyse(url: str) -> None:
    """Fresh planner statistics (and, on PostgreSQL, the visibility map of anything written since)."""
    if dialect_of(url) == "sqlite":
        connection = sqlite3.connect(Path(url.removeprefix("sqlite:///")))
        connection.execute("ANALYZE")
        connection.close()
        return
    import psycopg

    with psycopg.connect(dbapi_conninfo(url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")


def rebuild_analytics_if_present(url: str, log) -> float | None:
    """Rebuild what the app derives from the base tables (its analytics), which a bulk load bypasses; the
    seconds it took, or None when this version of the app has no such thing."""
    # caseapp.analytics comes with issue 15's analytics table (branch h15a): the app keeps it up to date on
    # every write, which COPY and executemany bypass, so after a bulk load it is rebuilt from the base tables.
    # Until that branch is merged the module does not exist and there is nothing to rebuild.
    try:
        from caseapp.analytics.services import rebuild_analytics
    except ModuleNotFoundError as error:
        if error.name not in ("caseapp.analytics", "caseapp.analytics.services"):
            raise
        return None
    from caseapp.extensions import db

    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        rebuild_analytics()
        db.session.commit()
        seconds = time.perf_counter() - started
        db.engine.dispose()
    log(f"  analytics rebuilt in {seconds:.0f} s")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (default: bench/report.sqlite)")
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    options = parser.parse_args(argv)
    url = options.database_url or default_url()
    print_machine(url)
    ensure(url, options.returnees, options.records, rebuild=options.rebuild)


if __name__ == "__main__":
    main()
