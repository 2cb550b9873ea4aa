"""Read-side queries for assistance records, scoped through the returnee they belong to."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import get_returnee_or_404


def get_record_or_404(record_id: int, user: User) -> AssistanceRecord:
    """Load a record of a returnee the user may see; anything else is 'not found'."""
    record = db.session.get(AssistanceRecord, record_id)
    if record is None:
        abort(404)
    get_returnee_or_404(record.returnee_id, user)  # office scoping
    return record


def timeline(returnee: Returnee) -> list[AssistanceRecord]:
    """All assistance of a returnee, newest first, in one query."""
    return list(
        db.session.scalars(
            select(AssistanceRecord)
            .where(AssistanceRecord.returnee_id == returnee.id)
            .order_by(AssistanceRecord.provided_on.desc(), AssistanceRecord.id.desc())
        )
    )
