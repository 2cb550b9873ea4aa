"""How long does a full duplicate scan of 100,000 returnees take? `python -m bench.duplicates [--returnees N]
[--database-url postgresql+psycopg://...]`.

Builds N invented returnees in a temporary SQLite file, or in the PostgreSQL database named (its public
schema is DROPPED), with bulk inserts: names drawn from Georgian first and last names, a third of them written
in Georgian script, dates of birth over seventy years, a phone for most.
Among them, 1% are second records of another person: the name in the other script, a typo, the day and
month of birth swapped, or the birth year one off. Then times `flask find-duplicates --format csv` end to
end (reading every record, blocking, scoring, writing the CSV) and says how many planted pairs it found."""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench._output import print_figure, print_machine, print_ratio
from caseapp import create_app
from caseapp.extensions import db
from caseapp.names import GEORGIAN_TO_LATIN
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee
from caseapp.returnees.rules import name_columns

FIRST = [
    "ნინო",
    "თამარ",
    "მარიამ",
    "ანა",
    "ეკა",
    "სალომე",
    "ნათია",
    "ქეთევან",
    "მაია",
    "ლელა",
    "გიორგი",
    "დავით",
    "ლევან",
    "ირაკლი",
    "ნიკა",
    "ლუკა",
    "ზურაბ",
    "ვახტანგ",
    "თემურ",
    "ოთარ",
    "ნოდარ",
    "ბესიკ",
    "გელა",
    "სოსო",
]
LAST = [
    "ბერიძე",
    "კაპანაძე",
    "გელაშვილი",
    "მაისურაძე",
    "გიორგაძე",
    "ლომიძე",
    "წიკლაური",
    "ბოლქვაძე",
    "ნოზაძე",
    "ხუციშვილი",
    "აბაშიძე",
    "მჭედლიშვილი",
    "წერეთელი",
    "ჯავახიშვილი",
    "ქავთარაძე",
    "დოლიძე",
    "შენგელია",
    "ჩიქოვანი",
    "კვარაცხელია",
    "ღლონტი",
    "ცერცვაძე",
    "ხარაიშვილი",
    "ბაქრაძე",
    "მამალაძე",
]
LATIN = {ch: latin.replace("'", "") for ch, latin in GEORGIAN_TO_LATIN.items()}


def latin(name: str) -> str:
    return "".join(LATIN.get(ch, ch) for ch in name).capitalize()


def person(rng: random.Random, n: int, offices: list[int]) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST) + rng.choice(["", "", "ი"])
    if rng.random() < 0.66:
        first, last = latin(first), latin(last)
    returned = date(2021, 1, 1) + timedelta(days=rng.randrange(1400))
    return dict(
        id=n,
        first_name=first,
        last_name=last,
        sex=rng.choice("FM"),
        date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(70 * 365)),
        personal_number=f"{n:011d}" if rng.random() < 0.6 else None,
        phone=f"+995 5{rng.randrange(10**7, 10**8)}" if rng.random() < 0.7 else None,
        field_office_id=rng.choice(offices),
        return_date=returned,
        returned_from="Germany",
        consent_given=True,
        external_id=f"B-{n}",
        version=1,
    )


def second_record(rng: random.Random, original: dict, n: int, offices: list[int]) -> dict:
    """Another record of the same person, as people really register them twice."""
    twin = dict(
        original, id=n, personal_number=None, phone=None, external_id=f"B-{n}", field_office_id=rng.choice(offices)
    )
    born = original["date_of_birth"]
    kind = rng.choice(["script", "typo", "swap", "year"])
    if kind == "script":
        back = {latin(g): g for g in FIRST + LAST}
        twin["first_name"] = back.get(original["first_name"], original["first_name"])
    elif kind == "typo":
        name = original["last_name"]
        i = rng.randrange(1, len(name) - 1)
        twin["last_name"] = name[:i] + name[i + 1 :]
    if kind == "swap" and born.day <= 12 and born.day != born.month:
        twin["date_of_birth"] = date(born.year, born.day, born.month)
    elif kind == "year" and not (born.month == 2 and born.day == 29):
        twin["date_of_birth"] = born.replace(year=born.year + 1)
    return twin


def build(count: int) -> set[tuple[int, int]]:
    rng = random.Random(14)
    offices = list(db.session.scalars(select(FieldOffice.id)))
    rows, planted = [], set()
    for n in range(1, count + 1):
        if n > 100 and rng.random() < 0.01:
            original = rows[rng.randrange(len(rows))]
            rows.append(second_record(rng, original, n, offices))
            planted.add((original["id"], n))
        else:
            rows.append(person(rng, n, offices))
    for row in rows:
        row.update(name_columns(row["first_name"], row["last_name"]))
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(Returnee), rows[start : start + 10_000])
    db.session.commit()
    return planted


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL database to use (its public schema is dropped)")
    options = parser.parse_args(argv)
    count = options.returnees
    folder = Path(tempfile.mkdtemp(prefix="caseapp-bench-"))
    url = options.database_url or f"sqlite:///{folder / 'bench.sqlite'}"
    print_machine(url)
    if options.database_url:
        from bench.import_bench import fresh_app

        fresh_app(url)  # an empty, migrated schema
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SQLITE_CREATE": True, "DATABASE_STATEMENT_TIMEOUT": 0}
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        started = time.perf_counter()
        planted = build(count)
        print(
            f"built {count:,} returnees ({len(planted):,} planted second records) in "
            f"{time.perf_counter() - started:.1f} s"
        )
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=["find-duplicates", "--format", "csv"])
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    found = {(int(r["first_id"]), int(r["second_id"])) for r in csv.DictReader(io.StringIO(result.stdout))}
    print(
        f"find-duplicates: {len(found):,} likely pairs in {seconds:.1f} s; "
        f"{len(found & planted):,} of the {len(planted):,} planted pairs found"
    )
    database = "sqlite" if url.startswith("sqlite") else "postgresql"
    print_figure("duplicates.scan", seconds, "s", database=database, returnees=count)
    print_ratio(
        "duplicates.planted_found",
        "found/planted",
        len(found & planted) / max(len(planted), 1),
        database=database,
        returnees=count,
    )


if __name__ == "__main__":
    main()
