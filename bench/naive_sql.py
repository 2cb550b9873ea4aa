"""The naive baseline of the report benchmark: the report's aggregates as the app computed them before issue 15
(thirteen grouped queries over the base tables, plus the two catalog reads), written by hand for SQLite and
PostgreSQL and run bare through the DB-API (sqlite3, psycopg), with no ORM in between.

Country-wide no filter needs the returnee, so records are read alone and grouped per person first; the
returnee is then looked up once per person, not once per record. The dialects differ only in how a date
becomes the integer yyyymmdd or yyyymm (SQLite strftime, PostgreSQL to_char) and in the integer type the
cents are summed as; the parameters are written `:name` and turned into psycopg's `%(name)s`.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

from bench._output import dbapi_conninfo

DIALECTS = ("sqlite", "postgresql")


def _day_number(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"CAST(strftime('%Y%m%d', {column}) AS INTEGER)"
    return f"CAST(to_char({column}, 'YYYYMMDD') AS INTEGER)"


def _month_number(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"CAST(strftime('%Y%m', {column}) AS INTEGER)"
    return f"CAST(to_char({column}, 'YYYYMM') AS INTEGER)"


def age_band(dialect: str) -> str:
    """The age band at the return date: whole years reached when yyyymmdd(return) - yyyymmdd(birth) >= years
    * 10000."""
    gap = f"{_day_number(dialect, 'r.return_date')} - {_day_number(dialect, 'r.date_of_birth')}"
    return f"CASE WHEN {gap} >= 600000 THEN '60+' WHEN {gap} >= 180000 THEN '18-59' ELSE '0-17' END"


def cents(dialect: str) -> str:
    """The exact sum of amounts, as whole cents."""
    return f"sum(CAST(round(a.amount * 100) AS {'INTEGER' if dialect == 'sqlite' else 'BIGINT'}))"


def queries(dialect: str, project: bool) -> list[str]:
    """The queries of the report, in this order (the benchmark's checks read results by position):
    0 catalog, 1 offices, 2 returned by office x sex x band, 3 assisted by office x sex x band, 4 persons and
    events by type, 5 returned by month, 6 assisted by month, 7 by month and type, 8 returned by return
    project, 9 assisted by project, 10 by project and type, 11 projects, 12 amounts, 13-14 funnels,
    15 pipeline persons and events, 16 pipeline amounts. With project=True, for the one project :project."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    band, month, cents_sum = age_band(dialect), _month_number(dialect, "a.provided_on"), cents(dialect)
    delivered = "a.status = 'delivered' AND a.provided_on >= :start AND a.provided_on <= :end"
    returned = "r.return_date >= :start AND r.return_date <= :end"
    grant_project = ""
    if project:
        delivered += " AND a.project_id = :project"
        returned += " AND r.return_project_id = :project"
        grant_project = " AND g.project_id = :project"
    pipeline = "a.status IN ('requested', 'approved') AND a.provided_on >= :start AND a.provided_on <= :end" + (
        " AND a.project_id = :project" if project else ""
    )

    def per_person(**keys: str) -> str:
        """Delivered records in the period, one row per returnee (and keys: alias=expression)."""
        columns = "".join(f", {expression} AS {alias}" for alias, expression in keys.items())
        group = "".join(f", {expression}" for expression in keys.values())
        return (
            f"(SELECT a.returnee_id AS returnee_id{columns}, count(a.id) AS events FROM assistance_record a"
            f" WHERE {delivered} GROUP BY a.returnee_id{group})"
        )

    def funnel(counselling: str, grant: str) -> str:
        return (
            "SELECT count(*), count(CASE WHEN EXISTS (SELECT 1 FROM assistance_record g"
            f" WHERE g.returnee_id = c.returnee_id AND g.type_id = :{grant} AND g.status = 'delivered'"
            f" AND g.provided_on >= c.first_session AND g.provided_on <= :end{grant_project})"
            " THEN c.returnee_id END)"
            " FROM (SELECT a.returnee_id, min(a.provided_on) AS first_session FROM assistance_record a"
            f" WHERE {delivered} AND a.type_id = :{counselling} GROUP BY a.returnee_id) c"
        )

    return [
        "SELECT id, code, name, carries_amount FROM assistance_type ORDER BY sort_order, name",
        "SELECT id, name FROM field_office ORDER BY name",
        f"SELECT r.field_office_id, r.sex, {band}, count(r.id) FROM returnee r WHERE {returned} GROUP BY 1, 2, 3",
        f"SELECT r.field_office_id, r.sex, {band}, count(*), sum(p.events) FROM {per_person()} p"
        " JOIN returnee r ON r.id = p.returnee_id GROUP BY 1, 2, 3",
        f"SELECT r.field_office_id, r.sex, {band}, p.type_id, count(*), sum(p.events)"
        f" FROM {per_person(type_id='a.type_id')} p JOIN returnee r ON r.id = p.returnee_id GROUP BY 1, 2, 3, 4",
        f"SELECT {_month_number(dialect, 'r.return_date')}, count(r.id) FROM returnee r WHERE {returned} GROUP BY 1",
        f"SELECT p.month, count(*), sum(p.events) FROM {per_person(month=month)} p GROUP BY 1",
        f"SELECT p.month, p.type_id, count(*), sum(p.events)"
        f" FROM {per_person(month=month, type_id='a.type_id')} p GROUP BY 1, 2",
        # by project: returns by the project credited, records by the project that paid
        f"SELECT r.return_project_id, count(r.id) FROM returnee r WHERE {returned} GROUP BY 1",
        f"SELECT p.project_id, count(*), sum(p.events) FROM {per_person(project_id='a.project_id')} p GROUP BY 1",
        f"SELECT p.project_id, p.type_id, count(*), sum(p.events)"
        f" FROM {per_person(project_id='a.project_id', type_id='a.type_id')} p GROUP BY 1, 2",
        "SELECT id, code, name, name_ka, donor FROM project",
        f"SELECT a.type_id, a.currency, {cents_sum} FROM assistance_record a WHERE {delivered}"
        " AND a.amount IS NOT NULL GROUP BY 1, 2",
        funnel("counselling", "grant"),
        funnel("counselling2", "grant2"),
        "SELECT a.type_id, a.status, count(DISTINCT a.returnee_id), count(a.id) FROM assistance_record a"
        f" WHERE {pipeline} GROUP BY 1, 2",
        f"SELECT a.type_id, a.status, a.currency, {cents_sum} FROM assistance_record a"
        f" WHERE {pipeline} AND a.amount IS NOT NULL GROUP BY 1, 2, 3",
    ]


_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


def dbapi_sql(dialect: str, sql: str) -> str:
    """`:name` parameters as the driver wants them (sqlite3 takes them as they are)."""
    return sql if dialect == "sqlite" else _PARAMETER.sub(r"%(\1)s", sql)


def connect(url: str):
    """A bare DB-API connection to the database of a SQLAlchemy URL."""
    if url.startswith("sqlite"):
        return sqlite3.connect(Path(url.removeprefix("sqlite:///")))
    import psycopg

    return psycopg.connect(dbapi_conninfo(url))


def dialect_of(connection) -> str:
    return "sqlite" if isinstance(connection, sqlite3.Connection) else "postgresql"


def parameters(connection, period: tuple[date, date], project_id: int | None) -> dict:
    """The values of :start, :end, :project and the type ids the funnels need (business, then vocational
    education: counselling and grant)."""
    type_ids = dict(connection.execute("SELECT code, id FROM assistance_type").fetchall())
    sqlite = dialect_of(connection) == "sqlite"
    return {
        "start": period[0].isoformat() if sqlite else period[0],
        "end": period[1].isoformat() if sqlite else period[1],
        "project": project_id,
        "counselling": type_ids["business_counselling"],
        "counselling2": type_ids["voc_ed_counselling"],
        "grant": type_ids["business_grant"],
        "grant2": type_ids["voc_ed_grant"],
    }


def naive_report(connection, values: dict, project: bool = False) -> list[list[tuple]]:
    """Every query's rows; the transaction is ended afterwards, as the app's session is."""
    dialect = dialect_of(connection)
    try:
        return [connection.execute(dbapi_sql(dialect, sql), values).fetchall() for sql in queries(dialect, project)]
    finally:
        connection.rollback()
