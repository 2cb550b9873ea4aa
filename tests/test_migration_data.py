"""No migration loses a row: from a database with rows in every table, going down to any revision and
back up to head keeps every row and every value that the lower revision can hold.

A downgrade drops what the lower revision does not know (its tables and columns); those are compared
only as far as the lower revision holds them. Everything else must come back identical: same row
counts, same checksums. Revisions and tables are read from the script directory and the metadata, so a
new migration or a new table is covered without editing this file.

Runs on a database of its own: a SQLite file, or on PostgreSQL a schema of the test database.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from caseapp import create_app
from caseapp.backup.fingerprint import column_fingerprints, fingerprints
from caseapp.extensions import db

SCHEMA = "caseapp_migration_data"


@pytest.fixture
def scratch_url(app, tmp_path):
    """A database URL apart from the suite's own database."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration-data.sqlite'}"
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    yield url.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(hide_password=False)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture
def other_app(scratch_url):
    other = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "x", "TESTING": True,
                        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    yield other
    with other.app_context():
        db.engine.dispose()


def revisions_newest_first(app) -> list[str]:
    config = app.extensions["migrate"].migrate.get_config()
    return [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]


def seed_every_table() -> None:
    """Rows in every table: the demo data, the records it leaves out, then an invented row for any
    table still empty (a table added later is covered without editing this test)."""
    from caseapp.assistance.models import ApprovalDecision, ApprovalThreshold, AssistanceRecord, Currency, Decision
    from caseapp.audit.models import AuditAction
    from caseapp.audit.services import record_event
    from caseapp.cases.models import Case
    from caseapp.demo.data import seed_demo
    from caseapp.imports.models import ImportBatch
    from caseapp.returnees.models import Returnee
    from caseapp.review.models import CaseReview, ReviewOutcome

    seed_demo(12, on=date(2026, 1, 15))
    db.session.flush()
    returnee = db.session.scalars(sa.select(Returnee).order_by(Returnee.id)).first()
    case = db.session.scalars(sa.select(Case).order_by(Case.id)).first()
    record = db.session.scalars(sa.select(AssistanceRecord).order_by(AssistanceRecord.id)).first()
    batch = ImportBatch(created_by_name="admin", field_office_id=returnee.field_office_id, returnees_file="r.csv",
                        returnees_sha256="a" * 64, returnees_created=1, replaced=[{"id": 1, "phone": "+995"}])
    db.session.add(batch)
    db.session.flush()
    returnee.import_batch_id = case.import_batch_id = record.import_batch_id = batch.id
    db.session.add_all([
        ApprovalThreshold(field_office_id=returnee.field_office_id, currency=Currency.GEL, amount=Decimal("2500.00")),
        CaseReview(case=case, outcome=ReviewOutcome("needs_action"), comment="call him",
                   answered_at=datetime(2026, 1, 3, 9, 0), answer="called"),
        ApprovalDecision(record_id=record.id, decision=Decision("approved"), decided_by_name="Supervisor",
                         amount=Decimal("1200.50"), currency=Currency.GEL, comment="ok"),
    ])
    record_event(None, AuditAction.RETURNEE_UPDATE, entity_type="returnee", entity_id=returnee.id,
                 details={"phone": ["+995 1", "+995 2"]})
    db.session.commit()
    for table in db.metadata.sorted_tables:
        if not db.session.scalar(sa.select(sa.func.count()).select_from(table)):
            invent_row(table)
    db.session.commit()


def invent_row(table: sa.Table) -> None:
    """Insert one row made of plain values of each column's type (referenced rows: the first one)."""
    row = {}
    for column in table.columns:
        if column.primary_key and len(table.primary_key.columns) == 1 and not column.foreign_keys \
                and isinstance(column.type, sa.Integer):
            continue  # the database numbers it
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            row[column.name] = db.session.scalar(sa.select(target).order_by(target).limit(1))
        else:
            row[column.name] = _plain_value(column.type)
    db.session.execute(table.insert().values(row))


def _plain_value(column_type):
    if isinstance(column_type, sa.Enum):
        return column_type.enums[0]
    samples = [(sa.Boolean, True), (sa.Integer, 1), (sa.Numeric, Decimal("1.00")), (sa.Float, 1.5),
               (sa.DateTime, datetime(2026, 1, 2, 3, 4)), (sa.Date, date(2026, 1, 2)), (sa.JSON, {"seed": 1}),
               (sa.LargeBinary, b"seed"), (sa.Uuid, uuid.UUID(int=1)), (sa.String, "seed")]
    return next(value for kind, value in samples if isinstance(column_type, kind))


def test_every_revision_goes_down_and_back_up_without_losing_a_row(other_app):
    with other_app.app_context():
        upgrade()
        seed_every_table()
        with db.engine.connect() as connection:
            empty = [name for name, fp in fingerprints(connection).items() if fp.rows == 0]
        assert empty == [], f"seed_every_table() leaves these tables empty: {empty}"

        revisions = revisions_newest_first(other_app)
        assert len(revisions) >= 4
        for revision in revisions:  # the head first: "down" to it must change nothing at all
            with db.engine.connect() as connection:
                at_head = column_fingerprints(connection)
            downgrade(revision=revision)
            with db.engine.connect() as connection:
                down = column_fingerprints(connection)
            upgrade()
            with db.engine.connect() as connection:
                up = column_fingerprints(connection)

            # a column the head no longer has (replaced by a table, e.g. consent per purpose) comes back
            # only at the lower revision: its migration's own test checks what it holds there
            kept = {column: at_head[column] for column in down if column[0] != "alembic_version" and column in at_head}
            assert kept, f"nothing of the head's schema is left at {revision}"
            changed_down = sorted(column for column in kept if down[column] != kept[column])
            changed_up = sorted(column for column in kept if up[column] != kept[column])
            assert changed_down == [], f"down to {revision}: these columns lost or changed rows"
            assert changed_up == [], f"from {revision} back to head: these columns lost or changed rows"
            assert set(up) == set(at_head), f"back from {revision}, the head's schema is not the same"


def test_a_migration_that_leaves_rows_pointing_nowhere_is_rolled_back(other_app, tmp_path):
    """On SQLite foreign keys are off while tables are rebuilt; the check after the run catches what
    they would have refused, and the whole run is undone."""
    import shutil

    from caseapp.returnees.models import Returnee

    directory = tmp_path / "migrations"
    shutil.copytree(other_app.extensions["migrate"].directory, directory)
    with other_app.app_context():
        head = revisions_newest_first(other_app)[0]
    (directory / "versions" / "zz_orphans.py").write_text(
        f"from alembic import op\nrevision = 'zz_orphans'\ndown_revision = '{head}'\n"
        "def upgrade():\n    op.execute('DELETE FROM field_office')\n"
        "def downgrade():\n    pass\n")
    with other_app.app_context():
        upgrade()
        seed_every_table()
        people = db.session.scalar(sa.select(sa.func.count(Returnee.id)))
        db.session.commit()
        with pytest.raises((SystemExit, sa.exc.IntegrityError)):  # Flask-Migrate exits on its errors
            upgrade(directory=str(directory))
        db.session.rollback()
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
        assert db.session.scalar(sa.select(sa.func.count(Returnee.id))) == people
        assert db.session.scalar(sa.text("SELECT count(*) FROM field_office")) == 6
