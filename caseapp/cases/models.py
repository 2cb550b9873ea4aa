"""A returnee's reintegration case: its states, its closure and the rule that a closed case is read-only."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.language.vocabulary import named_choice
from caseapp.returnees.models import Returnee

#: the one message of the case-open rule (Case.change_refusal)
CASE_CLOSED = _l("The case is closed: it cannot be changed. A supervisor may reopen it.")


class CaseStatus(ChoiceEnum):
    OPEN = "open"
    ACTIVE = "active"
    MONITORING = "monitoring"
    CLOSED = "closed"

    @property
    def label(self):
        return {
            "open": _l("Open"),
            "active": _l("Active"),
            "monitoring": _l("Monitoring"),
            "closed": _l("Closed"),
        }[self.value]


class ClosureReason(ChoiceEnum):
    REINTEGRATION_COMPLETED = "reintegration_completed"
    LOST_CONTACT = "lost_contact"
    RE_MIGRATED = "re_migrated"
    DECEASED = "deceased"
    IMPORTED_HISTORY = "imported_history"
    OTHER = "other"

    @property
    def label(self):
        """The administrator's name for this reason if there is one (admin page), else the catalogue's."""
        return named_choice("closure_reason", self.value, self.default_label)

    @property
    def default_label(self):
        return {
            "reintegration_completed": _l("Reintegration completed"),
            "lost_contact": _l("Lost contact"),
            "re_migrated": _l("Re-migrated"),
            "deceased": _l("Deceased"),
            "imported_history": _l("Imported history"),
            "other": _l("Other"),
        }[self.value]


class Case(Versioned, Audited, db.Model):
    """A returnee's reintegration case. At most one case per returnee is not closed."""

    __tablename__ = "reintegration_case"
    __table_args__ = (
        sa.Index(
            "uq_reintegration_case_one_open_per_returnee",
            "returnee_id",
            unique=True,
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        ),
        sa.CheckConstraint(
            "status != 'closed' OR (closure_reason IS NOT NULL AND closed_on IS NOT NULL)",
            name="closed_has_reason",
        ),
        sa.Index("ix_reintegration_case_caseworker_status", "caseworker_id", "status"),
        sa.Index("ix_reintegration_case_status_returnee", "status", "returnee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"), index=True)
    status: Mapped[CaseStatus] = mapped_column(
        enum_column_type(CaseStatus, "case_status"), default=CaseStatus.OPEN
    )
    caseworker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    closure_reason: Mapped[ClosureReason | None] = mapped_column(
        enum_column_type(ClosureReason, "closure_reason")
    )
    #: free text: required when the reason is "other"
    closure_note: Mapped[str | None] = mapped_column(sa.Text, info={"personal": True})
    #: when the caseworker plans to follow up; on or before today the case shows in the review queue
    follow_up_on: Mapped[date | None]
    #: the spreadsheet import that created this case
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)

    returnee: Mapped[Returnee] = relationship(back_populates="cases")
    caseworker: Mapped[User | None] = relationship()

    audit_entity = "case"

    def __repr__(self) -> str:
        return f"<Case {self.id} returnee={self.returnee_id} {self.status}>"

    @property
    def audit_label(self) -> str:
        return f"{self.returnee.full_name}, case {self.id}"

    @property
    def audit_returnee_id(self) -> int:
        return self.returnee_id

    @property
    def audit_office_id(self) -> int:
        return self.returnee.field_office_id

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED

    def change_refusal(self):
        """The case-open rule, written once: a closed case is read-only (plan, follow-up, status, reviews,
        assignment and its assistance) until a supervisor reopens it. Why this case may not be changed, or
        None. Services ask it through ensure_open(); the template policy `can.change_case` asks it too;
        assistance asks it through the record's case (assistance sits below cases and does not import them)."""
        return CASE_CLOSED if self.is_closed else None

    def ensure_open(self) -> None:
        """Refuse any change of a closed case (ValidationFailed with the rule's message)."""
        refusal = self.change_refusal()
        if refusal is not None:
            raise ValidationFailed({"": refusal})
