"""Dates as integers in SQL, portable (SQLite and PostgreSQL): the analytics tables store days as yyyymmdd
and months as yyyymm, and the report compares and groups by them (caseapp/reports/counting.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, cast, extract, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def number(value: int):
    """An integer as literal SQL: PostgreSQL only accepts a SELECT expression that is also in GROUP BY when
    both are written identically, and each bound parameter gets its own placeholder."""
    return literal_column(str(int(value)), Integer)


class DayNumber(FunctionElement):
    """A date as the integer yyyymmdd: one cheap call per row on each database."""

    type = Integer()
    inherit_cache = True
    #: strftime pattern (SQLite), to_char pattern (PostgreSQL), whether the day is included
    patterns = ("%Y%m%d", "YYYYMMDD", True)


class MonthNumber(DayNumber):
    """A date's month as the integer yyyymm."""

    inherit_cache = True
    patterns = ("%Y%m", "YYYYMM", False)


def _compile_date_number(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    sqlite_pattern, postgresql_pattern, with_day = element.patterns
    if compiler.dialect.name == "sqlite":
        return f"CAST(strftime('{sqlite_pattern}', {column}) AS INTEGER)"
    if compiler.dialect.name == "postgresql":
        return f"CAST(to_char({column}, '{postgresql_pattern}') AS INTEGER)"
    argument = list(element.clauses)[0]
    expression = cast(extract("year", argument), Integer) * number(100) + cast(extract("month", argument), Integer)
    if with_day:
        expression = expression * number(100) + cast(extract("day", argument), Integer)
    return compiler.process(expression, **kw)


for _construct in (DayNumber, MonthNumber):
    compiles(_construct)(_compile_date_number)


def day_key(day: date) -> int:
    """The yyyymmdd of a date, as DayNumber computes it in SQL."""
    return day.year * 10000 + day.month * 100 + day.day
