"""Schedule rules (data) and the monitoring visits of a case."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.assistance.models import AssistanceRecord, AssistanceType
from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.returnees.models import Returnee


class MonitoringTrigger(ChoiceEnum):
    """What schedules visits. A new trigger is a member here, a receiver in monitoring/triggers.py and rules
    (rows of monitoring_rule) that name it."""

    GRANT_DELIVERED = "grant_delivered"
    PLAN_APPROVED = "plan_approved"

    @property
    def label(self):
        return {"grant_delivered": _l("Grant delivered"), "plan_approved": _l("Plan approved")}[self.value]


class MonitoringRule(db.Model):
    """One visit to schedule when a trigger happens: `months_after` the trigger's day. For a delivered grant
    the rule names the assistance type whose delivery triggers it."""

    __tablename__ = "monitoring_rule"
    __table_args__ = (
        sa.CheckConstraint("months_after > 0 AND months_after <= 120", name="months_after_in_range"),
        sa.UniqueConstraint("trigger", "assistance_type_id", "months_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[MonitoringTrigger] = mapped_column(enum_column_type(MonitoringTrigger, "monitoring_trigger"))
    #: for grant_delivered: the type whose delivery schedules the visit (empty: the rule is not about a type)
    assistance_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assistance_type.id", ondelete="CASCADE"))
    months_after: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    assistance_type: Mapped[AssistanceType | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<MonitoringRule {self.trigger} type={self.assistance_type_id} +{self.months_after}m>"


class VisitStatus(ChoiceEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {"scheduled": _l("Scheduled"), "done": _l("Done"), "cancelled": _l("Cancelled")}[self.value]


class VisitMethod(ChoiceEnum):
    HOME_VISIT = "home_visit"
    PHONE = "phone"

    @property
    def label(self):
        return {"home_visit": _l("Home visit"), "phone": _l("Phone call")}[self.value]


class MonitoringVisit(Versioned, Audited, db.Model):
    """A monitoring visit of a case: scheduled (by a rule, or by hand), then done or cancelled. Moving its
    date or cancelling it is recorded in the change log with the reason."""

    __tablename__ = "monitoring_visit"
    __table_args__ = (
        sa.CheckConstraint(
            "status != 'done' OR (done_on IS NOT NULL AND method IS NOT NULL)", name="done_has_date_and_method"
        ),
        sa.Index("ix_monitoring_visit_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reintegration_case.id", ondelete="SET NULL"), index=True)
    #: what scheduled it (empty: scheduled by hand)
    trigger: Mapped[MonitoringTrigger | None] = mapped_column(enum_column_type(MonitoringTrigger, "monitoring_trigger"))
    #: the delivered assistance that triggered it, if any
    source_record_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assistance_record.id", ondelete="SET NULL"), index=True
    )
    #: the rule's number of months after the trigger (for "3-month visit")
    months_after: Mapped[int | None]
    due_on: Mapped[date]
    status: Mapped[VisitStatus] = mapped_column(
        enum_column_type(VisitStatus, "visit_status"), default=VisitStatus.SCHEDULED
    )
    done_on: Mapped[date | None]
    method: Mapped[VisitMethod | None] = mapped_column(enum_column_type(VisitMethod, "visit_method"))
    #: the staff member who made the visit or the call
    visited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: what was found (about the returnee: personal)
    findings: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    #: for a business grant: whether the business still operates (empty: not asked)
    business_operating: Mapped[bool | None]
    next_steps: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    #: why the visit was cancelled (personal: may say what happened to the person)
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    returnee: Mapped[Returnee] = relationship()
    case: Mapped[Case | None] = relationship()
    source_record: Mapped[AssistanceRecord | None] = relationship()
    visited_by: Mapped[User | None] = relationship(foreign_keys=[visited_by_id])

    audit_entity = "visit"
    audited_fields = (
        "due_on",
        "status",
        "done_on",
        "method",
        "visited_by_id",
        "findings",
        "business_operating",
        "next_steps",
        "cancel_reason",
    )

    def __repr__(self) -> str:
        return f"<MonitoringVisit {self.id} {self.status} due={self.due_on} returnee={self.returnee_id}>"

    @property
    def audit_label(self) -> str:
        return f"monitoring visit due {self.due_on.isoformat()} of {self.returnee.full_name}"

    @property
    def audit_returnee_id(self) -> int:
        return self.returnee_id

    @property
    def asks_business(self) -> bool:
        """Whether the visit asks if the business still operates: it follows a business grant."""
        record = self.source_record
        return record is not None and record.assistance_type.category.value == "business"
