from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.extensions import db
from caseapp.timeutil import utcnow


class AuditEntry(db.Model):
    """One change to one record. Entries outlive the users and records they name (no foreign keys)."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None]
    #: a copy of the actor's username, kept when the account is gone
    user_name: Mapped[str] = mapped_column(sa.String(64))
    #: what happened, e.g. "returnee.create", "assistance.update", "case.status"
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    #: the returnee the change concerns, for the case history on the returnee page
    returnee_id: Mapped[int | None] = mapped_column(index=True)
    #: version of the record after the change (optimistic locking: tells what a stale form missed)
    entity_version: Mapped[int | None]
    #: {"field": [old, new], ...} for updates; the values for creations
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.entity_type}:{self.entity_id}>"
