"""analytics: the tables the report counts from (caseapp/analytics), kept exact by triggers in the same
transaction as every write, and the funnel index on assistance_record.

- analytics_person: one row per returnee (office, sex, age band at return, vulnerabilities as a bit mask,
  return day yyyymmdd, project credited with the return, merged or not, import batch);
- analytics_assistance: delivered, requested and approved records counted per returnee x type x status x
  day x project x currency x import batch (events, amounts in cents), with the person's attributes copied.

Triggers on returnee, returnee_vulnerability and assistance_record maintain both, whatever writes: the ORM,
Core bulk statements (imports, merges, bulk project moves, anonymisation, undo), or plain SQL. SQLite gets
SQL triggers; PostgreSQL row triggers calling plpgsql functions; the statements inside are the same SQL
except for the date-to-integer function. A later migration that rebuilds one of these three tables on SQLite
(batch_alter_table) drops its triggers and must create them again (tests/test_analytics.py checks they exist).

Upgrading fills both tables from the existing rows; downgrading drops them (no other row changes).

Revision ID: h15a_01
Revises: h15f_01
Create Date: 2026-11-25 18:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h15a_01"
down_revision = "h15f_01"
branch_labels = None
depends_on = None

#: the vulnerabilities' bits (caseapp.analytics.models.VULNERABILITY_BITS)
BITS = {
    "disability": 1,
    "chronic_illness": 2,
    "single_parent": 4,
    "elderly": 8,
    "trafficking_victim": 16,
    "unaccompanied_minor": 32,
}
STATUSES = "('delivered', 'requested', 'approved')"
RECORD_COLUMNS = ("returnee_id", "type_id", "status", "provided_on", "project_id", "amount", "currency",
                  "import_batch_id")  # fmt: skip
RETURNEE_COLUMNS = ("field_office_id", "sex", "date_of_birth", "return_date", "return_project_id", "merged_into_id",
                    "import_batch_id")  # fmt: skip
PERSON_COLUMNS = ("field_office_id", "sex", "age_band", "vulnerabilities", "return_day", "return_project_id", "merged",
                  "import_batch_id")  # fmt: skip
ASSISTANCE_KEY = ("returnee_id", "type_id", "status", "day", "project_id", "currency", "import_batch_id")
ATTRIBUTES = ("field_office_id", "sex", "age_band", "vulnerabilities")


def day(dialect: str, column: str) -> str:
    """A date as the integer yyyymmdd (caseapp.reports.counting.DayNumber)."""
    if dialect == "postgresql":
        return f"CAST(to_char({column}, 'YYYYMMDD') AS INTEGER)"
    return f"CAST(strftime('%Y%m%d', {column}) AS INTEGER)"


def person_select(dialect: str) -> str:
    """The analytics_person row of each returnee (FROM returnee r)."""
    gap = f"{day(dialect, 'r.return_date')} - {day(dialect, 'r.date_of_birth')}"
    mask = " ".join(f"WHEN '{code}' THEN {bit}" for code, bit in BITS.items())
    return (
        f"SELECT r.id, r.field_office_id, r.sex,"  # nosec B608 - SQL of this migration's own constant names, no input
        f" CASE WHEN {gap} >= 600000 THEN '60+' WHEN {gap} >= 180000 THEN '18-59' ELSE '0-17' END,"
        f" COALESCE((SELECT SUM(CASE v.code {mask} ELSE 0 END) FROM returnee_vulnerability v"
        f" WHERE v.returnee_id = r.id), 0),"
        f" {day(dialect, 'r.return_date')}, r.return_project_id, r.merged_into_id IS NOT NULL,"
        f" COALESCE(r.import_batch_id, 0) FROM returnee r"
    )


def refresh_person(dialect: str, person: str) -> list[str]:
    """Statements that make a returnee's analytics_person row, and the attributes copied into their
    analytics_assistance rows, what the base tables say."""
    updates = ", ".join(f"{column} = excluded.{column}" for column in PERSON_COLUMNS)
    attributes = ", ".join(ATTRIBUTES)
    found = f"SELECT {attributes} FROM analytics_person p WHERE p.returnee_id = {person}"  # nosec B608 - SQL of this migration's own constant names, no input
    return [
        f"INSERT INTO analytics_person (returnee_id, {', '.join(PERSON_COLUMNS)}) {person_select(dialect)}"  # nosec B608 - SQL of this migration's own constant names, no input
        f" WHERE r.id = {person} ON CONFLICT (returnee_id) DO UPDATE SET {updates}",
        f"UPDATE analytics_assistance SET ({attributes}) = ({found}) WHERE returnee_id = {person}"  # nosec B608 - SQL of this migration's own constant names, no input
        f" AND EXISTS (SELECT 1 FROM analytics_person p WHERE p.returnee_id = {person})",
    ]


def cents(row: str) -> str:
    return f"COALESCE(CAST(round({row}.amount * 100) AS BIGINT), 0)"


def key_values(dialect: str, row: str) -> list[str]:
    return [f"{row}.returnee_id", f"{row}.type_id", f"{row}.status", day(dialect, f"{row}.provided_on"),
            f"{row}.project_id", f"COALESCE({row}.currency, '')", f"COALESCE({row}.import_batch_id, 0)"]  # fmt: skip


def add_record(dialect: str, row: str) -> list[str]:
    """The statement that counts a record (NEW) in analytics_assistance."""
    values = ", ".join(key_values(dialect, row))
    return [
        f"INSERT INTO analytics_assistance ({', '.join(ASSISTANCE_KEY)}, month, events, cents, {', '.join(ATTRIBUTES)})"  # nosec B608 - SQL of this migration's own constant names, no input
        f" SELECT {values}, {day(dialect, f'{row}.provided_on')} / 100, 1, {cents(row)},"
        f" p.field_office_id, p.sex, p.age_band, p.vulnerabilities FROM analytics_person p"
        f" WHERE p.returnee_id = {row}.returnee_id AND {row}.status IN {STATUSES}"
        f" ON CONFLICT ({', '.join(ASSISTANCE_KEY)}) DO UPDATE SET"
        f" events = analytics_assistance.events + excluded.events,"
        f" cents = analytics_assistance.cents + excluded.cents"
    ]


def remove_record(dialect: str, row: str) -> list[str]:
    """The statements that stop counting a record (OLD)."""
    key = " AND ".join(f"{column} = {value}" for column, value in zip(ASSISTANCE_KEY, key_values(dialect, row)))
    return [
        f"UPDATE analytics_assistance SET events = events - 1, cents = cents - {cents(row)} WHERE {key}",  # nosec B608 - SQL of this migration's own constant names, no input
        f"DELETE FROM analytics_assistance WHERE {key} AND events <= 0",  # nosec B608 - SQL of this migration's own constant names, no input
    ]


def sqlite_trigger(name: str, when: str, statements: list[str]) -> str:
    body = "".join(f"{statement}; " for statement in statements)
    return f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body}END"


def sqlite_triggers() -> list[str]:
    dialect = "sqlite"
    return [
        sqlite_trigger("analytics_returnee_insert", "AFTER INSERT ON returnee", refresh_person(dialect, "NEW.id")),
        sqlite_trigger(
            "analytics_returnee_update",
            f"AFTER UPDATE OF {', '.join(RETURNEE_COLUMNS)} ON returnee",
            refresh_person(dialect, "NEW.id"),
        ),  # fmt: skip
        sqlite_trigger(
            "analytics_returnee_delete",
            "AFTER DELETE ON returnee",
            ["DELETE FROM analytics_person WHERE returnee_id = OLD.id"],
        ),  # fmt: skip
        sqlite_trigger(
            "analytics_vulnerability_insert",
            "AFTER INSERT ON returnee_vulnerability",
            refresh_person(dialect, "NEW.returnee_id"),
        ),  # fmt: skip
        sqlite_trigger(
            "analytics_vulnerability_update",
            "AFTER UPDATE ON returnee_vulnerability",
            refresh_person(dialect, "OLD.returnee_id") + refresh_person(dialect, "NEW.returnee_id"),
        ),  # fmt: skip
        sqlite_trigger(
            "analytics_vulnerability_delete",
            "AFTER DELETE ON returnee_vulnerability",
            refresh_person(dialect, "OLD.returnee_id"),
        ),  # fmt: skip
        sqlite_trigger("analytics_record_insert", "AFTER INSERT ON assistance_record", add_record(dialect, "NEW")),
        sqlite_trigger(
            "analytics_record_update",
            f"AFTER UPDATE OF {', '.join(RECORD_COLUMNS)} ON assistance_record",
            remove_record(dialect, "OLD") + add_record(dialect, "NEW"),
        ),  # fmt: skip
        sqlite_trigger("analytics_record_delete", "AFTER DELETE ON assistance_record", remove_record(dialect, "OLD")),
    ]


SQLITE_TRIGGER_NAMES = (
    "analytics_returnee_insert", "analytics_returnee_update", "analytics_returnee_delete",
    "analytics_vulnerability_insert", "analytics_vulnerability_update", "analytics_vulnerability_delete",
    "analytics_record_insert", "analytics_record_update", "analytics_record_delete",
)  # fmt: skip


def plpgsql(statements: list[str]) -> str:
    return "".join(f"        {statement};\n" for statement in statements)


def postgresql_functions() -> list[str]:
    dialect = "postgresql"
    return [
        "CREATE OR REPLACE FUNCTION analytics_refresh_person(person integer) RETURNS void LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{plpgsql(refresh_person(dialect, 'person'))}END\n$$",
        "CREATE OR REPLACE FUNCTION analytics_returnee_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF TG_OP = 'DELETE' THEN\n"
        "        DELETE FROM analytics_person WHERE returnee_id = OLD.id;\n"
        "    ELSE\n"
        "        PERFORM analytics_refresh_person(NEW.id);\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n$$",
        "CREATE OR REPLACE FUNCTION analytics_vulnerability_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        "        PERFORM analytics_refresh_person(OLD.returnee_id);\n"
        "    END IF;\n"
        "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
        "        PERFORM analytics_refresh_person(NEW.returnee_id);\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n$$",
        "CREATE OR REPLACE FUNCTION analytics_record_change() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n"
        f"{plpgsql(remove_record(dialect, 'OLD'))}"
        "    END IF;\n"
        "    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n"
        f"{plpgsql(add_record(dialect, 'NEW'))}"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n$$",
    ]


POSTGRESQL_TRIGGERS = (
    ("analytics_returnee", "returnee", f"INSERT OR DELETE OR UPDATE OF {', '.join(RETURNEE_COLUMNS)}",
     "analytics_returnee_change"),
    ("analytics_vulnerability", "returnee_vulnerability", "INSERT OR DELETE OR UPDATE", "analytics_vulnerability_change"),
    ("analytics_record", "assistance_record", f"INSERT OR DELETE OR UPDATE OF {', '.join(RECORD_COLUMNS)}",
     "analytics_record_change"),
)  # fmt: skip
POSTGRESQL_FUNCTIONS = ("analytics_record_change()", "analytics_vulnerability_change()", "analytics_returnee_change()",
                        "analytics_refresh_person(integer)")  # fmt: skip


def fill(dialect: str) -> list[str]:
    """Both tables computed from the existing rows."""
    record_day = day(dialect, "a.provided_on")
    key = [
        "a.returnee_id", "a.type_id", "a.status", record_day, "a.project_id", "COALESCE(a.currency, '')",
        "COALESCE(a.import_batch_id, 0)",
    ]  # fmt: skip
    attributes = ", ".join(f"p.{column}" for column in ATTRIBUTES)
    return [
        f"INSERT INTO analytics_person (returnee_id, {', '.join(PERSON_COLUMNS)}) {person_select(dialect)}",
        f"INSERT INTO analytics_assistance ({', '.join(ASSISTANCE_KEY)}, month, events, cents, {', '.join(ATTRIBUTES)})"  # nosec B608 - SQL of this migration's own constant names, no input
        f" SELECT {', '.join(key)}, {record_day} / 100, COUNT(*), SUM({cents('a')}), {attributes}"
        f" FROM assistance_record a JOIN analytics_person p ON p.returnee_id = a.returnee_id"
        f" WHERE a.status IN {STATUSES} GROUP BY {', '.join(key)}, {attributes}",
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        "analytics_person",
        sa.Column("returnee_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("field_office_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("age_band", sa.String(length=5), nullable=False),
        sa.Column("vulnerabilities", sa.Integer(), nullable=False),
        sa.Column("return_day", sa.Integer(), nullable=False),
        sa.Column("return_project_id", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("returnee_id", name=op.f("pk_analytics_person")),
    )
    op.create_index(
        "ix_analytics_person_return",
        "analytics_person",
        ["return_day", "merged", "field_office_id", "sex", "age_band", "return_project_id"],
    )
    op.create_table(
        "analytics_assistance",
        sa.Column("returnee_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("project_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("cents", sa.BigInteger(), nullable=False),
        sa.Column("field_office_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("age_band", sa.String(length=5), nullable=False),
        sa.Column("vulnerabilities", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*ASSISTANCE_KEY, name=op.f("pk_analytics_assistance")),
    )
    op.execute(fill(dialect)[0])
    op.execute(fill(dialect)[1])
    for name, columns in (
        ("person", ["status", "field_office_id", "sex", "age_band", "returnee_id", "day", "events"]),
        ("type_person", ["status", "type_id", "field_office_id", "sex", "age_band", "returnee_id", "day", "events"]),
        ("month", ["status", "month", "returnee_id", "day", "events"]),
        ("type_month", ["status", "type_id", "month", "returnee_id", "day", "events"]),
        ("project", ["status", "project_id", "returnee_id", "day", "events"]),
        ("type_project", ["status", "type_id", "project_id", "returnee_id", "day", "events"]),
        ("amount", ["status", "type_id", "currency", "day", "cents", "returnee_id", "events"]),
    ):
        op.create_index(f"ix_analytics_assistance_{name}", "analytics_assistance", columns)
    op.create_index("ix_assistance_record_funnel", "assistance_record", ["returnee_id", "type_id", "status",
                                                                         "provided_on"])  # fmt: skip
    if dialect == "postgresql":
        for statement in postgresql_functions():
            op.execute(statement)
        for name, table, events, function in POSTGRESQL_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
    else:
        for statement in sqlite_triggers():
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, table, _events, _function in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_assistance_record_funnel", table_name="assistance_record")
    op.drop_table("analytics_assistance")
    op.drop_table("analytics_person")
