"""Rows of an import batch that is still being applied are seen by no one.

On SQLite a large import is written in chunks, each its own short transaction, so that other users can
save between them (services.py). Until its last transaction marks the batch applied, the returnees, cases,
assistance records and vulnerabilities it wrote are already in the tables, tagged with the batch. They are
hidden here (so are the report's analytics rows that count them, caseapp/analytics), in the one place every
ORM query goes through (Session's do_orm_execute): every page, loader,
list, search, count, report, drill-down and export leaves them out, with no code of their own.

What it costs: when a SQLite transaction begins, one look at the small import_batch table for a batch being
applied, in the transaction's own snapshot (so what is hidden and what is seen always agree). Only when there
is one is a filter added to the queries of that transaction. PostgreSQL needs none of it: an import there is
one transaction, invisible to others until it commits.

The import's own bookkeeping reads the tables through Core statements (Table.c), which are not filtered: it
must see its own rows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, with_loader_criteria

from caseapp.analytics.models import AnalyticsAssistance, AnalyticsPerson
from caseapp.assistance.models import AssistanceRecord
from caseapp.cases.models import Case
from caseapp.consent.models import ConsentRecord
from caseapp.database import SEES_ROWS_BEING_IMPORTED
from caseapp.imports.models import BatchStatus, ImportBatch
from caseapp.returnees.models import Returnee, ReturneeVulnerability

#: session.info key: ids of the batches being applied, as seen when the session's transaction began
HIDDEN = "caseapp_hidden_import_batches"
_installed = False
#: the execution option that lets a query see them (uniqueness checks, whose constraints see them too)
(SEES,) = SEES_ROWS_BEING_IMPORTED

_BEING_APPLIED = sa.text(
    f"SELECT id FROM {ImportBatch.__tablename__} WHERE status = '{BatchStatus.APPLYING.value}'"  # nosec B608
)


def hidden_batches(session: Session) -> tuple[int, ...]:
    """The batches whose rows this session's transaction does not show (begins the transaction)."""
    if not session.in_transaction():
        session.connection()
    return session.info.get(HIDDEN, ())


def _look_for_batches_being_applied(session, transaction, connection) -> None:
    if connection.dialect.name != "sqlite" or transaction.nested:
        session.info.pop(HIDDEN, None)
        return
    try:
        ids = tuple(connection.execute(_BEING_APPLIED).scalars())
    except sa.exc.OperationalError:  # no import_batch table yet (a database being created)
        ids = ()
    session.info[HIDDEN] = ids


def _forget(session, *args) -> None:
    if not session.in_transaction():
        session.info.pop(HIDDEN, None)


def _hide_batches_being_applied(state) -> None:
    if not state.is_select or state.is_column_load or state.execution_options.get(SEES):
        return
    hidden = hidden_batches(state.session)
    if not hidden:
        return
    ids = list(hidden)
    state.statement = state.statement.options(
        *(
            with_loader_criteria(
                model,
                lambda cls: or_(cls.import_batch_id.is_(None), cls.import_batch_id.not_in(ids)),
                include_aliases=True,
                track_closure_variables=True,
            )
            for model in (Returnee, Case, AssistanceRecord, ConsentRecord)
        ),
        # the report's tables (caseapp/analytics): a batch's persons, and records, carry its id (0: none)
        *(
            with_loader_criteria(
                model, lambda cls: cls.import_batch_id.not_in(ids), include_aliases=True, track_closure_variables=True
            )
            for model in (AnalyticsPerson, AnalyticsAssistance)
        ),
        with_loader_criteria(
            ReturneeVulnerability,
            lambda cls: cls.returnee_id.not_in(
                select(Returnee.__table__.c.id).where(Returnee.__table__.c.import_batch_id.in_(ids))
            ),
            include_aliases=True,
            track_closure_variables=True,
        ),
    )


def install() -> None:
    """Hook the filter into every session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_begin", _look_for_batches_being_applied)
    event.listen(Session, "after_commit", _forget)
    event.listen(Session, "after_soft_rollback", _forget)
    event.listen(Session, "do_orm_execute", _hide_batches_being_applied)
    _installed = True
