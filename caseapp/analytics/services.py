"""Computing the analytics tables from the base tables: `rebuild_analytics` (after a bulk load that went
around the triggers, or to repair) and `analytics_differences` (the check: what the tables hold against what
the base tables say, row by row).

The rows are computed here with SQLAlchemy expressions, independently of the migration's trigger SQL, so that
the check compares two derivations of the same rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import case, cast, func, literal, select

from caseapp.analytics.expressions import DayNumber
from caseapp.analytics.models import (
    COUNTED_STATUSES,
    NO_BATCH,
    NO_CURRENCY,
    VULNERABILITY_BITS,
    AnalyticsAssistance,
    AnalyticsPerson,
)
from caseapp.assistance.models import AssistanceRecord
from caseapp.extensions import db
from caseapp.returnees.models import Returnee, ReturneeVulnerability

#: returnees per INSERT ... SELECT of a rebuild (one progress step)
REBUILD_CHUNK = 20_000

Progress = Callable[[int, int], None]


def person_rows(returnees: sa.Table, vulnerabilities: sa.Table, records_of=None) -> sa.Select:
    """SELECT of the analytics_person rows the base tables call for (in AnalyticsPerson's column order)."""
    gap = DayNumber(returnees.c.return_date) - DayNumber(returnees.c.date_of_birth)
    bit = case(*((vulnerabilities.c.code == code.value, bit) for code, bit in VULNERABILITY_BITS.items()), else_=0)
    mask = (
        select(func.coalesce(func.sum(bit), 0)).where(vulnerabilities.c.returnee_id == returnees.c.id).scalar_subquery()
    )
    return select(
        returnees.c.id.label("returnee_id"),
        returnees.c.field_office_id,
        returnees.c.sex,
        case((gap >= 600000, "60+"), (gap >= 180000, "18-59"), else_="0-17").label("age_band"),
        mask.label("vulnerabilities"),
        DayNumber(returnees.c.return_date).label("return_day"),
        returnees.c.return_project_id,
        returnees.c.merged_into_id.is_not(None).label("merged"),
        func.coalesce(returnees.c.import_batch_id, NO_BATCH).label("import_batch_id"),
    )


def assistance_rows(records: sa.Table, persons: sa.Table) -> sa.Select:
    """SELECT of the analytics_assistance rows the base tables call for, given the analytics_person rows."""
    key = (
        records.c.returnee_id,
        records.c.type_id,
        records.c.status,
        DayNumber(records.c.provided_on),
        records.c.project_id,
        func.coalesce(records.c.currency, NO_CURRENCY),
        func.coalesce(records.c.import_batch_id, NO_BATCH),
    )
    attributes = (persons.c.field_office_id, persons.c.sex, persons.c.age_band, persons.c.vulnerabilities)
    cents = func.coalesce(cast(func.round(records.c.amount * 100), sa.BigInteger), 0)
    names = ("returnee_id", "type_id", "status", "day", "project_id", "currency", "import_batch_id")
    return (
        select(
            *(column.label(name) for column, name in zip(key, names)),
            (DayNumber(records.c.provided_on) // literal(100, sa.Integer)).label("month"),
            func.count().label("events"),
            func.sum(cents).label("cents"),
            *attributes,
        )
        .join_from(records, persons, persons.c.returnee_id == records.c.returnee_id)
        .where(records.c.status.in_(COUNTED_STATUSES))
        .group_by(*key, *attributes)
    )


def _person_columns() -> list[str]:
    return [column.name for column in AnalyticsPerson.__table__.columns]


def _assistance_columns() -> list[str]:
    return [
        "returnee_id",
        "type_id",
        "status",
        "day",
        "project_id",
        "currency",
        "import_batch_id",
        "month",
        "events",
        "cents",
        "field_office_id",
        "sex",
        "age_band",
        "vulnerabilities",
    ]


def rebuild_analytics(progress: Progress | None = None) -> tuple[int, int]:
    """Empty both tables and compute them again from the base tables, in the caller's transaction (commit
    afterwards), in chunks of returnees; `progress(done, total)` is called after each chunk with the number of
    returnees done (done == total once the indexes are built again, at the end). Returns the number of rows
    written (persons, assistance rows)."""
    returnees, records = Returnee.__table__, AssistanceRecord.__table__
    persons, assistance = AnalyticsPerson.__table__, AnalyticsAssistance.__table__
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # a rebuild of millions of records takes minutes (a background job, or the command line): no timeout,
        # and memory to sort and hash in
        session.execute(sa.text("SET LOCAL statement_timeout = 0"))
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        # Writes made meanwhile wait (their triggers write these tables) and are counted on top of the rebuilt
        # rows once it commits; a write still open when the rebuild begins is waited for, then seen.
        session.execute(sa.text("LOCK TABLE analytics_person, analytics_assistance IN EXCLUSIVE MODE"))
    session.execute(assistance.delete())
    session.execute(persons.delete())
    # Rows go in faster without the secondary indexes, which are built once at the end (in the transaction).
    connection = session.connection()
    indexes = [*assistance.indexes, *persons.indexes]
    for index in indexes:
        index.drop(connection)
    low, high, total = session.execute(select(func.min(returnees.c.id), func.max(returnees.c.id), func.count())).one()
    done = 0
    if progress is not None:
        progress(0, total)
    person_query = person_rows(returnees, ReturneeVulnerability.__table__)
    assistance_query = assistance_rows(records, persons)
    start = low or 0
    while high is not None and start <= high:
        end = start + REBUILD_CHUNK
        session.execute(
            persons.insert().from_select(
                _person_columns(), person_query.where(returnees.c.id >= start, returnees.c.id < end)
            )
        )
        session.execute(
            assistance.insert().from_select(
                _assistance_columns(),
                assistance_query.where(records.c.returnee_id >= start, records.c.returnee_id < end),
            )
        )
        done += session.scalar(select(func.count()).where(returnees.c.id >= start, returnees.c.id < end))
        if progress is not None and done < total:
            progress(done, total)
        start = end
    for index in indexes:
        index.create(connection)
    for table in (persons, assistance):  # the planner's statistics of the new rows
        session.execute(sa.text(f"ANALYZE {table.name}"))
    if progress is not None:
        progress(total, total)
    counts = session.execute(
        select(
            select(func.count()).select_from(persons).scalar_subquery(),
            select(func.count()).select_from(assistance).scalar_subquery(),
        )  # fmt: skip
    ).one()
    return counts[0], counts[1]


@dataclass(frozen=True)
class Differences:
    """Rows the analytics tables miss (or hold wrongly) and rows they hold that the base tables do not call for."""

    missing_persons: int
    extra_persons: int
    missing_assistance: int
    extra_assistance: int

    def __bool__(self) -> bool:
        return any((self.missing_persons, self.extra_persons, self.missing_assistance, self.extra_assistance))


def analytics_differences() -> Differences:
    """Compare the analytics tables with what the base tables call for (EXCEPT both ways), reading the tables
    as they are (rows of an import being applied included)."""
    persons, assistance = AnalyticsPerson.__table__, AnalyticsAssistance.__table__
    person_columns, assistance_columns = _person_columns(), _assistance_columns()
    expected_persons = person_rows(Returnee.__table__, ReturneeVulnerability.__table__)
    # The expected assistance rows join the expected persons, so that a wrong person row is not hidden.
    expected_person_table = expected_persons.subquery()
    expected_assistance = assistance_rows(AssistanceRecord.__table__, expected_person_table)
    stored_persons = select(*(persons.c[name] for name in person_columns))
    stored_assistance = select(*(assistance.c[name] for name in assistance_columns))

    def count(query) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    return Differences(
        missing_persons=count(expected_persons.except_(stored_persons)),
        extra_persons=count(stored_persons.except_(expected_persons)),
        missing_assistance=count(expected_assistance.except_(stored_assistance)),
        extra_assistance=count(stored_assistance.except_(expected_assistance)),
    )


# --- bulk loads -----------------------------------------------------------------------------------------------
# A bulk load (the benchmark's millions of rows, a COPY) is many times faster without a trigger per row; the
# analytics tables are then computed once by rebuild_analytics(). These take a DB-API connection (sqlite3,
# psycopg), as bulk loaders use one.

_SQLITE_TRIGGERS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics%'"
_POSTGRESQL_TRIGGERS = (
    "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE t.tgname LIKE 'analytics%' AND NOT t.tgisinternal"
)


def suspend_analytics_triggers(connection, dialect: str) -> list[tuple[str, str]]:
    """Stop the analytics triggers: dropped on SQLite (their SQL is returned, to create them again), disabled
    on PostgreSQL (the table's owner may). Call resume_analytics_triggers() and then rebuild_analytics()."""
    cursor = connection.cursor()
    if dialect == "postgresql":
        triggers = [tuple(row) for row in cursor.execute(_POSTGRESQL_TRIGGERS).fetchall()]
        for name, table in triggers:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
        return triggers
    triggers = [tuple(row) for row in cursor.execute(_SQLITE_TRIGGERS).fetchall()]
    for name, _sql in triggers:
        cursor.execute(f'DROP TRIGGER "{name}"')
    return triggers


def resume_analytics_triggers(connection, dialect: str, triggers: list[tuple[str, str]]) -> None:
    """Undo suspend_analytics_triggers()."""
    cursor = connection.cursor()
    for name, detail in triggers:
        if dialect == "postgresql":
            cursor.execute(f'ALTER TABLE "{detail}" ENABLE TRIGGER "{name}"')
        else:
            cursor.execute(detail)


@contextmanager
def analytics_triggers_suspended(connection, dialect: str) -> Iterator[None]:
    """No analytics trigger fires within the block (a bulk load); rebuild_analytics() afterwards."""
    triggers = suspend_analytics_triggers(connection, dialect)
    try:
        yield
    finally:
        resume_analytics_triggers(connection, dialect, triggers)
