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
    RETURNEE_MERGE = "returnee.merge"
    RETURNEE_UNMERGE = "returnee.unmerge"
    DUPLICATE_DECISION = "returnee.duplicate_decision"
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
    VOCABULARY_RENAME = "vocabulary.rename"
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
    CONSENT_GIVE = "consent.give"
    CONSENT_WITHDRAW = "consent.withdraw"
    RETURNEE_ANONYMISE = "returnee.anonymise"
    RETURNEE_DATA_REQUEST = "returnee.data_request"
    RETURNEE_DATA_DELIVERY = "returnee.data_delivery"
    DONOR_EXPORT = "export.donor_list"
    PROJECT_CREATE = "project.create"
    PROJECT_UPDATE = "project.update"
    PROJECT_REASSIGN = "project.reassign"
    INDICATOR_CREATE = "indicator.create"
    INDICATOR_UPDATE = "indicator.update"
    INDICATOR_DELETE = "indicator.delete"
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
    # reads: who saw personal data (recorded by audit.reads.record_read)
    RETURNEE_VIEW = "returnee.view"
    RETURNEE_EDIT_FORM = "returnee.edit_form"
    #: a page showing one record about a person other than the returnee's own page (a referral, a visit, an
    #: assessment, a plan, a survey, a pair of possible duplicates...): the entry's entity_type says which
    RECORD_VIEW = "record.view"
    SEARCH = "list.search"
    DRILLDOWN = "report.drilldown"
    EXPORT = "file.export"
    IMPORT_PREVIEW = "import.preview"
    # sign-ins
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"


#: entries that record what someone saw, not a change: the case history and "last activity" leave them out
READ_ACTIONS = frozenset(
    {
        AuditAction.RETURNEE_VIEW,
        AuditAction.RETURNEE_EDIT_FORM,
        AuditAction.RECORD_VIEW,
        AuditAction.RETURNEE_DUPLICATE_LOOKUP,
        AuditAction.SEARCH,
        AuditAction.DRILLDOWN,
        AuditAction.EXPORT,
        AuditAction.IMPORT_PREVIEW,
        AuditAction.BACKUP_DOWNLOAD,
        AuditAction.DONOR_EXPORT,
    }
)
#: the reads recorded for every page view, left out of the case history and of "last activity" (a look is not
#: work on the case); the duplicate lookup stays in the history, as it always was
PAGE_READS = READ_ACTIONS - {AuditAction.RETURNEE_DUPLICATE_LOOKUP, AuditAction.BACKUP_DOWNLOAD}


#: logging in and out, and what guards it
SIGN_IN_ACTIONS = frozenset(
    {
        AuditAction.LOGIN,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOGOUT,
        AuditAction.USER_LOCKED,
        AuditAction.USER_UNLOCK,
        AuditAction.USER_PASSWORD,
    }
)


class AuditEntry(db.Model):
    """One change to one record, one read of personal data, or one sign-in. Entries outlive the users and
    records they name (no foreign keys). Nobody changes or deletes an entry: no route does, and on
    PostgreSQL a trigger refuses UPDATE and DELETE (migration h16a_01; the one exception is
    audit.reads.allow_audit_scrub, for anonymisation)."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
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
    #: the field office the entry concerns: the record's office, else the actor's (None: country-wide);
    #: a supervisor's audit page shows their office's entries
    field_office_id: Mapped[int | None] = mapped_column(index=True)
    #: the client's address (behind TRUSTED_PROXIES reverse proxies: the forwarded one); the staff
    #: member's, never a returnee's
    client_address: Mapped[str | None] = mapped_column(sa.String(45), info={"personal": False})
    #: the browser's User-Agent, shortened
    user_agent: Mapped[str | None] = mapped_column(sa.String(255), info={"personal": False})

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

    @property
    def audit_office_id(self) -> int | None:
        """The field office the record belongs to (a supervisor of that office sees its entries)."""
        return getattr(self, "field_office_id", None)


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


def is_work_entry():
    """WHERE clause: the entry records work (a change, an event), not a page view, search or export."""
    return AuditEntry.action.not_in(sorted(action.value for action in PAGE_READS))
