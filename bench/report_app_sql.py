"""The report's queries as the app now runs them (caseapp/reports/counting.py reading caseapp/analytics),
written bare for the sqlite3 module: what the app adds over its own SQL is measured against these, and the
naive baseline (bench/report.py's bare_sql: the same figures from the base tables) against both."""

from __future__ import annotations

from datetime import date


def day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def app_sql(project: bool) -> list[str]:
    """The queries of build_report on the analytics tables; with project=True, for the one project :project."""
    delivered = "f.status = 'delivered' AND f.day >= :start_day AND f.day <= :end_day"
    returned = "p.return_day >= :start_day AND p.return_day <= :end_day AND p.merged = FALSE"
    grant_project = ""
    if project:
        delivered += " AND f.project_id = :project"
        returned += " AND p.return_project_id = :project"
        grant_project = " AND g.project_id = :project"
    pipeline = "f.status IN ('requested', 'approved') AND f.day >= :start_day AND f.day <= :end_day" + (
        " AND f.project_id = :project" if project else ""
    )

    def persons(*groups: str, where: str = delivered) -> str:
        columns = "".join(f"f.{group}, " for group in groups)
        return (
            f"SELECT {columns}count(DISTINCT f.returnee_id), sum(f.events) FROM analytics_assistance f"
            f" WHERE {where} GROUP BY {', '.join(f'f.{group}' for group in groups)}"
        )

    def funnel(counselling: str, grant: str) -> str:
        return (
            "SELECT count(*), count(CASE WHEN EXISTS (SELECT 1 FROM analytics_assistance g"
            f" WHERE g.returnee_id = c.returnee_id AND g.type_id = :{grant} AND g.status = 'delivered'"
            f" AND g.day >= c.first_session AND g.day <= :end_day{grant_project}) THEN c.returnee_id END)"
            " FROM (SELECT f.returnee_id, min(f.day) AS first_session FROM analytics_assistance f"
            f" WHERE {delivered} AND f.type_id = :{counselling} GROUP BY f.returnee_id) c"
        )

    return [
        "SELECT id, code, name, carries_amount, name_ka FROM assistance_type ORDER BY sort_order, name",
        "SELECT id, name, name_ka FROM field_office ORDER BY name",
        "SELECT p.field_office_id, p.sex, p.age_band, count(*) FROM analytics_person p"
        f" WHERE {returned} GROUP BY 1, 2, 3",
        persons("field_office_id", "sex", "age_band"),
        persons("type_id", "field_office_id", "sex", "age_band"),
        f"SELECT p.return_day / 100, count(*) FROM analytics_person p WHERE {returned} GROUP BY 1",
        persons("month"),
        persons("type_id", "month"),
        f"SELECT p.return_project_id, count(*) FROM analytics_person p WHERE {returned} GROUP BY 1",
        persons("project_id"),
        persons("type_id", "project_id"),
        "SELECT id, code, name, name_ka, donor FROM project",
        f"SELECT f.type_id, f.currency, sum(f.cents) FROM analytics_assistance f WHERE {delivered}"
        " AND f.currency != '' GROUP BY 1, 2",
        funnel("counselling", "grant"),
        funnel("counselling2", "grant2"),
        persons("type_id", "status", where=pipeline),
        f"SELECT f.type_id, f.status, f.currency, sum(f.cents) FROM analytics_assistance f WHERE {pipeline}"
        " AND f.currency != '' GROUP BY 1, 2, 3",
    ]


def app_bare_report(connection, parameters: dict, project: bool = False) -> list[list[tuple]]:
    """Run app_sql with the bench's parameters (:start and :end become day numbers) through the bare DB-API
    connection (sqlite3 or psycopg), with the report's own work_mem on PostgreSQL, as the app sets it."""
    from bench.naive_sql import dbapi_sql, dialect_of
    from caseapp.reports.counting import REPORT_WORK_MEM

    dialect = dialect_of(connection)
    start, end = (
        value if isinstance(value, date) else date.fromisoformat(value)
        for value in (parameters["start"], parameters["end"])
    )
    parameters = {**parameters, "start_day": day_number(start), "end_day": day_number(end)}
    try:
        if dialect == "postgresql":
            connection.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        return [connection.execute(dbapi_sql(dialect, sql), parameters).fetchall() for sql in app_sql(project)]
    finally:
        connection.rollback()
