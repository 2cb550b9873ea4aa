"""Time `import-data` against a bare executemany insert of the same rows into the same schema.

    python -m bench.import_bench                          # 100,000 returnees, 1,000,000 records, SQLite
    python -m bench.import_bench --returnees 10000 --records 100000
    python -m bench.import_bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

Each side gets a freshly migrated database (a temporary SQLite file, or the PostgreSQL database named,
whose public schema is DROPPED). The import side streams the generated CSV files through the real
command path (parse, check with the forms' rules, bulk insert, cases, batch); the baseline inserts the
same rows, already parsed into tuples, with one DB-API executemany per table. Also prints the peak
resident memory of the import, to show that it stays flat.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench._output import print_machine, print_ratio
from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS

OFFICES = ["Tbilisi", "Gori", "Telavi", "Kutaisi", "Akhaltsikhe", "Poti"]
FIRST = ["Nino", "Tamar", "Giorgi", "Davit", "ნინო", "გიორგი", "Levan", "Mariam"]
LAST = ["Beridze", "Kapanadze", "O'Neill", "ბერიძე", "Lomidze", "Gelashvili"]
COUNTRIES = ["Germany", "Greece", "France", "Belgium", "Austria", "Poland"]
#: code, carries an amount
TYPES = [("reception", True), ("business_counselling", False), ("business_grant", True), ("training", False),
         ("medical_counselling", False), ("tools", True), ("livelihood_items", True)]
STATUSES = ["delivered"] * 8 + ["planned", "cancelled"]
#: the import may cost at most this many times the bare executemany of the same rows
TARGET = 3.0


def write_files(folder: Path, returnees: int, records: int, seed: int = 5) -> tuple[Path, Path]:
    """Clean, valid import files of the given size (invented people)."""
    rng = random.Random(seed)
    start = date(2018, 1, 1)
    returnees_path, assistance_path = folder / "returnees.csv", folder / "assistance.csv"
    return_dates = []
    with open(returnees_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RETURNEE_COLUMNS)
        for n in range(returnees):
            returned = start + timedelta(days=rng.randrange(3200))
            return_dates.append(returned)
            writer.writerow([
                f"LEG-{n:07d}", rng.choice(FIRST), rng.choice(LAST), rng.choice("FM"),
                (returned - timedelta(days=rng.randrange(7000, 20000))).isoformat(),
                f"{10_000_000_000 + n:011d}" if n % 3 else "", "+995 599 12 34 56" if n % 2 else "",
                OFFICES[n % len(OFFICES)], returned.isoformat(), rng.choice(COUNTRIES),
                "elderly;disability" if n % 17 == 0 else "",
            ])
    with open(assistance_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ASSISTANCE_COLUMNS)
        for n in range(records):
            person = rng.randrange(returnees)
            code, carries_amount = rng.choice(TYPES)
            amount = f"{rng.randrange(100, 500000) / 100:.2f}" if carries_amount else ""
            writer.writerow([
                f"LEG-{person:07d}", code, min(return_dates[person] + timedelta(days=rng.randrange(900)),
                                              date.today()).isoformat(),
                rng.choice(STATUSES), amount, "GEL" if amount else "", "IOM Georgia",
                "note, with \"quotes\"\nand a second line" if n % 50 == 0 else "",
            ])
    return returnees_path, assistance_path


def fresh_app(url: str):
    from flask_migrate import upgrade

    from caseapp import create_app

    engine = sa.create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    # a fresh SQLite file is created here (the app refuses a missing file otherwise)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SQLITE_CREATE": True})
    with app.app_context():
        upgrade()
    return app


def time_import(url: str, returnees_path: Path, assistance_path: Path) -> tuple[float, dict]:
    from caseapp.extensions import db
    from caseapp.imports.readers import sources_for
    from caseapp.imports.services import import_files

    app = fresh_app(url)
    with app.app_context():
        started = time.perf_counter()
        outcome = import_files(None, sources_for(returnees=returnees_path, assistance=assistance_path))
        assert outcome.ok, outcome.problems[:5]
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    return elapsed, outcome.counts


def time_executemany(url: str, returnees_path: Path, assistance_path: Path) -> float:
    """The floor: the same rows, parsed beforehand, inserted by one executemany per table."""
    from caseapp.extensions import db

    app = fresh_app(url)
    with app.app_context():
        engine = db.engine
        sqlite = engine.dialect.name == "sqlite"
        mark = "?" if sqlite else "%s"
        offices = dict(db.session.execute(sa.text("SELECT name, id FROM field_office")).all())
        types = dict(db.session.execute(sa.text("SELECT code, id FROM assistance_type")).all())
        # the files name no project: the import credits the Unassigned one
        unassigned = db.session.scalar(sa.text("SELECT id FROM project WHERE code = 'UNASSIGNED'"))
        db.session.commit()
        now = datetime.now()

        def day(text):
            return text if sqlite else date.fromisoformat(text)

        ids = {}
        people = []
        with open(returnees_path, encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            for n, r in enumerate(rows, start=1):
                ids[r[0]] = n
                people.append((n, r[1], r[2], f"{r[1]} {r[2]}".casefold(), f"{r[2]} {r[1]}".casefold(), r[3],
                               day(r[4]), r[5] or None,
                               r[6] or None, offices[r[7]], day(r[8]), r[9], r[0], now, now, 1, unassigned))
        records = []
        with open(assistance_path, encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            for r in rows:
                records.append((ids[r[0]], types[r[1]], day(r[2]), r[3], r[4] or None, r[5] or None, r[6], r[7],
                                now, now, 1, unassigned))
        people_sql = ("INSERT INTO returnee (id, first_name, last_name, search_name, search_name_reversed, sex, "
                      "date_of_birth, "
                      "personal_number, phone, field_office_id, return_date, returned_from, "
                      "external_id, created_at, updated_at, version, return_project_id) VALUES ("
                      + ", ".join([mark] * 17) + ")")
        records_sql = ("INSERT INTO assistance_record (returnee_id, type_id, provided_on, status, amount, currency, "
                       "provider, notes, created_at, updated_at, version, project_id) VALUES ("
                       + ", ".join([mark] * 12) + ")")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            if sqlite:  # the app's engine leaves transactions to SQLAlchemy: open one, as the import has
                cursor.execute("BEGIN")
            cursor.executemany(people_sql, people)
            cursor.executemany(records_sql, records)
            raw.commit()
            elapsed = time.perf_counter() - started
        finally:
            raw.close()
        engine.dispose()
    return elapsed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="PostgreSQL database to use (its public schema is dropped)")
    args = parser.parse_args(argv)
    print_machine(args.database_url)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        os.environ.setdefault("CASEAPP_INSTANCE_PATH", str(folder / "instance"))
        print(f"Writing {args.returnees:,} returnees and {args.records:,} assistance records ...", flush=True)
        paths = write_files(folder, args.returnees, args.records)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        urls = ((args.database_url,) * 2 if args.database_url
                else (f"sqlite:///{folder / 'import.sqlite'}", f"sqlite:///{folder / 'baseline.sqlite'}"))
        rss_before = peak_rss_mb()
        imported, counts = time_import(urls[0], *paths)
        rss_import = peak_rss_mb()
        baseline = time_executemany(urls[1], *paths)
    rows = args.returnees + args.records
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\n{backend}, files {size_mb:.0f} MB, {rows:,} rows")
    print(f"{'':28}{'seconds':>10}{'rows/s':>12}")
    print(f"{'import-data':28}{imported:10.1f}{rows / imported:12,.0f}")
    print(f"{'bare executemany':28}{baseline:10.1f}{rows / baseline:12,.0f}")
    print_ratio("import.import_data", "import/executemany", imported / baseline, target=TARGET,
                database=backend.lower(), returnees=args.returnees, records=args.records,
                import_s=f"{imported:.1f}s", executemany_s=f"{baseline:.1f}s")
    print(f"peak memory: {rss_before:.0f} MB before the import, {rss_import:.0f} MB after it")
    print(f"created: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
