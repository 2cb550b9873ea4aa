from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.timeutil import utcnow


class AuditAction(ChoiceEnum):
    """What a change-log entry records. A new action is a new member here (the column has no CHECK
    constraint, so adding one needs no migration); its words for the case history are in audit/labels.py."""

    RETURNEE_CREATE = "returnee.create"
    RETURNEE_UPDATE = "returnee.update"
    RETURNEE_DUPLICATE_LOOKUP = "returnee.duplicate_lookup"
    CASE_OPEN = "case.open"
    CASE_STATUS = "case.status"
    CASE_PLAN = "case.plan"
    CASE_ASSIGN = "case.assign"
    CASE_REOPEN = "case.reopen"
    CASE_FOLLOW_UP = "case.follow_up"
    CASE_REVIEW = "case.review"
    CASE_REVIEW_ANSWER = "case.review_answer"
    ASSISTANCE_CREATE = "assistance.create"
    ASSISTANCE_UPDATE = "assistance.update"
    ASSISTANCE_STATUS = "assistance.status"
    ASSISTANCE_APPROVE = "assistance.approve"
    ASSISTANCE_REJECT = "assistance.reject"
    OFFICE_CREATE = "office.create"
    OFFICE_UPDATE = "office.update"
    OFFICE_THRESHOLDS = "office.thresholds"
    CATALOG_CREATE = "catalog.create"
    CATALOG_UPDATE = "catalog.update"
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_PASSWORD = "user.password"
    USER_LOCKED = "user.locked"
    USER_UNLOCK = "user.unlock"
    IMPORT_APPLY = "import.apply"
    IMPORT_UNDO = "import.undo"
    BACKUP_CREATE = "backup.create"
    BACKUP_DOWNLOAD = "backup.download"
    PARTNER_CREATE = "partner.create"
    PARTNER_UPDATE = "partner.update"
    REFERRAL_CREATE = "referral.create"
    REFERRAL_STATUS = "referral.status"
    VISIT_CREATE = "visit.create"
    VISIT_RECORD = "visit.record"
    VISIT_MOVE = "visit.move"
    VISIT_CANCEL = "visit.cancel"
    ASSESSMENT_CREATE = "assessment.create"
    PLAN_CREATE = "plan.create"
    PLAN_APPROVE = "plan.approve"
    PLAN_GOAL_CREATE = "plan_goal.create"
    PLAN_GOAL_UPDATE = "plan_goal.update"
    RSS_SURVEY_CREATE = "rss_survey.create"


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
    action: Mapped[AuditAction] = mapped_column(
        enum_column_type(AuditAction, "audit_action", constraint=False, length=64)
    )
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    #: the record's readable label when the change was made (a name, a type, a batch), kept when it is gone
    label: Mapped[str | None] = mapped_column(sa.String(200))
    #: the returnee the change concerns, for the case history on the returnee page
    returnee_id: Mapped[int | None] = mapped_column(index=True)
    #: version of the record after the change (optimistic locking: tells what a stale form missed)
    entity_version: Mapped[int | None]
    #: {"field": [old, new], ...} for updates; the values for creations
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    #: the web request (or command) that made the change: entries of one request share it
    request_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.entity_type}:{self.entity_id}>"


class Audited:
    """A model whose changes go to the change log through audit.services.record_change."""

    #: the entity_type of its entries ("returnee", "case", ...)
    audit_entity = ""
    #: the fields a creation records and an update compares, unless the use case names others
    audited_fields: tuple[str, ...] = ()

    @property
    def audit_label(self) -> str:
        """How the change log names the record (kept in the entry, so it survives the record)."""
        return str(self)

    @property
    def audit_returnee_id(self) -> int | None:
        """The returnee whose history shows the change, if any."""
        return None


class Versioned:
    """When a record was created and last updated, and its version: an optimistic lock bumped on every
    update, so that a form carrying an older version is refused (audit.services.ensure_current)."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: optimistic lock: bumped on every update; a form carrying an older value is refused
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}
