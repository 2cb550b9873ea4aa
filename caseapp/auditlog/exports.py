"""The audit log as CSV (through caseapp/spreadsheets.py: no cell runs as a formula), in the same words as
the page, read in chunks by keyset so that a long log is never one huge query."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from caseapp.audit.models import AuditEntry
from caseapp.auditlog.queries import AuditFilters, audit_query
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.offices.models import FieldOffice
from caseapp.spreadsheets import RowTally, csv_text

CHUNK = 1000
#: the most entries one export holds (newest first); narrow the filters for more
MAX_ROWS = 200_000

HEADER = [
    "entry",
    "time_utc",
    "staff_login",
    "staff_name",
    "action",
    "in_words",
    "record",
    "returnee_id",
    "office",
    "details",
    "client_address",
    "user_agent",
    "request_id",
]


def audit_rows(user: User, filters: AuditFilters) -> Iterator[list]:
    offices = dict(db.session.execute(select(FieldOffice.id, FieldOffice.label)).all())
    query = audit_query(user, filters)
    before = None
    written = 0
    while written < MAX_ROWS:
        chunk_query = query if before is None else query.where(AuditEntry.id < before)
        entries = list(db.session.scalars(chunk_query.order_by(AuditEntry.id.desc()).limit(CHUNK)))
        if not entries:
            return
        for line in describe(entries):
            entry = line.entry
            details = " · ".join(
                f"{change.label}: {change.old} → {change.new}"
                if change.old is not None
                else f"{change.label}: {change.new}"
                for change in line.changes
            )
            yield [
                entry.id,
                entry.created_at.isoformat(timespec="seconds"),
                entry.user_name,
                line.who,
                entry.action,
                line.action,
                " · ".join(part for part in (line.record, line.person) if part),
                entry.returnee_id,
                offices.get(entry.field_office_id, ""),
                details,
                entry.client_address,
                entry.user_agent,
                entry.request_id,
            ]
            written += 1
        before = entries[-1].id


def audit_csv(user: User, filters: AuditFilters, *, tally: RowTally | None = None) -> str:
    return csv_text(HEADER, audit_rows(user, filters), tally=tally)
