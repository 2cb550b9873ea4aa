"""An import checks its files without the write lock and applies them in one short transaction: other
writers go on meanwhile, and whatever they write between the check and the apply is checked again."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func, select

from caseapp.extensions import db
from caseapp.imports.readers import sources_for
from caseapp.imports.services import import_files
from caseapp.returnees.models import Returnee
from tests import factories
from tests.test_imports import files, record_row, returnee_row, table_counts  # noqa: F401 (files: fixture)


class DuringTheCheck:
    """A progress factory: the import shows a progress bar while it checks a table and closes it when the
    table is checked. When the first table is checked, `action` runs as another user's request would, in an
    app context (a database session) of its own."""

    def __init__(self, app, action):
        self.app, self.action, self.outcomes = app, action, []

    def __call__(self, description, total):
        return self

    def update(self, n=1):
        pass

    def close(self):
        if not self.outcomes:
            with self.app.app_context():
                self.outcomes.append(self.action())


def test_another_user_writes_while_a_file_is_checked(app, app_ctx, files):
    """On SQLite the check holds no write lock: a caseworker's save goes through at once, not after the import."""

    def register_someone():
        with db.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:  # fail at once rather than wait for a lock
                patience = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
            connection.execute(sa.update(Returnee.__table__).values(phone="+995599000000"))
            connection.commit()
            if sqlite:  # the pooled connection goes back as it came (later tests wait for locks again)
                connection.exec_driver_sql(f"PRAGMA busy_timeout={int(patience)}")
        factories.returnee("Gori", external_id="REGISTERED-MEANWHILE")
        return "saved"

    hook = DuringTheCheck(app, register_someone)
    outcome = import_files(None, sources_for(**files([returnee_row("GE-1")], [record_row("GE-1")])), progress=hook)
    db.session.commit()
    assert hook.outcomes == ["saved"]
    assert outcome.ok
    assert db.session.scalar(select(func.count()).select_from(Returnee)) == 2  # GE-1 and the one registered


def test_a_personal_number_registered_between_the_check_and_the_apply_refuses_the_import(app, app_ctx, files):
    hook = DuringTheCheck(app, lambda: factories.returnee("Tbilisi", personal_number="01001012345").id)
    outcome = import_files(
        None,
        sources_for(
            **files([returnee_row("GE-1"), returnee_row("GE-2", personal_number="01001012345")], [record_row("GE-1")])
        ),
        progress=hook,
    )
    db.session.rollback()
    assert not outcome.ok
    [problem] = outcome.problems
    assert (problem.table, problem.row, problem.column) == ("returnees", 3, "personal_number")
    assert "already registered" in problem.message
    assert "01001012345" in problem.value
    # nothing of the import: the returnee registered meanwhile and their case alone
    assert table_counts() == {"returnee": 1, "reintegration_case": 1, "assistance_record": 0, "import_batch": 0}


def test_an_edit_between_the_check_and_the_apply_is_what_undo_puts_back(app, app_ctx, files, make):
    """The apply reads the returnee again: the edit made meanwhile is the "before" that undo restores."""
    from caseapp.imports.services import undo_batch

    existing = make.returnee("Gori", external_id="GE-1", phone="+995555000001")
    existing_id = existing.id
    db.session.commit()  # as the command does: no write transaction of the caller during the check

    def edit_the_phone():
        person = db.session.get(Returnee, existing_id)
        person.phone = "+995555000002"
        db.session.commit()

    hook = DuringTheCheck(app, edit_the_phone)
    outcome = import_files(None, sources_for(**files([returnee_row("GE-1", phone="+995555000003")])), progress=hook)
    db.session.commit()
    assert outcome.ok and outcome.counts["returnees_updated"] == 1
    db.session.expire_all()
    undo_batch(None, outcome.batch)
    db.session.commit()
    assert db.session.get(Returnee, existing_id).phone == "+995555000002"
