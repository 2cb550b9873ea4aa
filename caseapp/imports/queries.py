"""Read-side queries of the import feature: the batches a user may see."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, select

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.extensions import db
from caseapp.imports.models import ImportBatch


def scoped_batches(user: User) -> Select:
    """The batches this user may see, newest first: a supervisor's office's, or all."""
    query = select(ImportBatch).order_by(ImportBatch.id.desc())
    scope = office_scope(user)
    return query if scope is None else query.where(ImportBatch.field_office_id == scope)


def get_batch_or_404(batch_id: int, user: User) -> ImportBatch:
    """Load a batch the user may see; anything else is 'not found'."""
    batch = db.session.scalar(scoped_batches(user).where(ImportBatch.id == batch_id))
    if batch is None:
        abort(404)
    return batch
