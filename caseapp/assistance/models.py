from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, Currency, enum_column_type
from caseapp.extensions import db
from caseapp.language import BilingualName
from caseapp.projects.models import Project, unassigned_project_id
from caseapp.returnees.models import Returnee
from caseapp.timeutil import utcnow

if TYPE_CHECKING:  # cases sit above assistance: the relationship names the class by string
    from caseapp.cases.models import Case


class AssistanceCategory(ChoiceEnum):
    ARRIVAL = "arrival"
    BUSINESS = "business"
    EDUCATION = "education"
    HOUSING = "housing"
    MEDICAL = "medical"
    LIVELIHOOD = "livelihood"
    EMPLOYMENT = "employment"

    @property
    def label(self):
        return {
            "arrival": _l("Arrival"),
            "business": _l("Business"),
            "education": _l("Education and training"),
            "housing": _l("Housing"),
            "medical": _l("Medical"),
            "livelihood": _l("Livelihood and living conditions"),
            "employment": _l("Employment"),
        }[self.value]


class AssistanceStatus(ChoiceEnum):
    PLANNED = "planned"
    REQUESTED = "requested"
    APPROVED = "approved"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {
            "planned": _l("Planned"),
            "requested": _l("Requested"),
            "approved": _l("Approved"),
            "delivered": _l("Delivered"),
            "rejected": _l("Rejected"),
            "cancelled": _l("Cancelled"),
        }[self.value]


class AssistanceType(BilingualName, Audited, db.Model):
    """An entry of the assistance catalog (admin-editable; the standard codes come with migrations)."""

    __tablename__ = "assistance_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable machine code used in reports, imports and exports (e.g. business_grant)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    #: the English name
    name: Mapped[str] = mapped_column(sa.String(120))
    #: the Georgian name shown on Georgian pages (the English one when empty)
    name_ka: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    category: Mapped[AssistanceCategory] = mapped_column(
        enum_column_type(AssistanceCategory, "assistance_category")
    )
    #: whether records of this type may carry an amount of money
    carries_amount: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: whether a supervisor must approve a record of this type before it is delivered
    needs_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: retired types keep their history but cannot be chosen for new records
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    sort_order: Mapped[int] = mapped_column(default=100, server_default="100")

    audit_entity = "assistance_type"
    audited_fields = ("code", "name", "name_ka", "category", "carries_amount", "needs_approval", "active", "sort_order")

    def __repr__(self) -> str:
        return f"<AssistanceType {self.code}>"

    def __str__(self) -> str:
        return self.label


class AssistanceRecord(Versioned, Audited, db.Model):
    """One provision event for one returnee: one session, one grant, one delivery."""

    __tablename__ = "assistance_record"
    __table_args__ = (
        sa.CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        # The report counts delivered records of a type in a period, per distinct returnee, and sums their
        # amounts per currency: every column it reads is in the index, so the table itself is not read.
        sa.Index("ix_assistance_record_report", "status", "type_id", "provided_on", "returnee_id", "currency",
                 "amount"),
        sa.Index("ix_assistance_record_returnee_date", "returnee_id", "provided_on"),
        # The funnels and their drill-down: a counselled person's delivered grants of a type, by date.
        sa.Index("ix_assistance_record_funnel", "returnee_id", "type_id", "status", "provided_on"),
        # The same columns led by the project: a report for one project (or per project) reads this index,
        # and the budget of a project sums its amounts per status from it.
        sa.Index("ix_assistance_record_project", "project_id", "status", "type_id", "provided_on",
                 "returnee_id", "currency", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reintegration_case.id", ondelete="SET NULL"), index=True
    )
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_type.id"), index=True)
    #: the date of the session, grant or delivery (planned date while not delivered)
    provided_on: Mapped[date]
    status: Mapped[AssistanceStatus] = mapped_column(
        enum_column_type(AssistanceStatus, "assistance_status")
    )
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2, asdecimal=True))
    currency: Mapped[Currency | None] = mapped_column(enum_column_type(Currency, "currency"))
    #: the organisation that delivered it (not the returnee)
    provider: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", info={"personal": False})
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: who asked for the current approval (recorded it as requested, requested it, or raised its amount);
    #: neither they nor the recorder may approve it (four eyes)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: the spreadsheet import that created this record (history: not re-approved)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)
    #: the project that pays for it (the Unassigned project when none is named)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), default=unassigned_project_id())
    #: the goal of the case's reintegration plan that this assistance serves (plans sit above assistance:
    #: the foreign key names their table)
    goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_goal.id", ondelete="SET NULL"), index=True)

    returnee: Mapped[Returnee] = relationship()
    case: Mapped[Case | None] = relationship()
    assistance_type: Mapped[AssistanceType] = relationship(lazy="joined")
    project: Mapped[Project] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    #: the supervisors' decisions on this record, oldest first
    decisions: Mapped[list[ApprovalDecision]] = relationship(
        back_populates="record", cascade="all, delete-orphan", lazy="selectin",
        order_by="(ApprovalDecision.decided_at, ApprovalDecision.id)",
    )

    audit_entity = "assistance"
    audited_fields = ("type_id", "provided_on", "status", "amount", "currency", "provider", "notes",
                      "project_id", "goal_id")

    def __repr__(self) -> str:
        return f"<AssistanceRecord {self.id} {self.status} returnee={self.returnee_id}>"

    @property
    def audit_label(self) -> str:
        return f"{self.assistance_type.code} of {self.returnee.full_name}"

    @property
    def audit_returnee_id(self) -> int:
        return self.returnee_id

    @property
    def audit_office_id(self) -> int:
        return self.returnee.field_office_id

    @property
    def last_decision(self) -> ApprovalDecision | None:
        return self.decisions[-1] if self.decisions else None


class Decision(ChoiceEnum):
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self):
        return {"approved": _l("Approved"), "rejected": _l("Rejected")}[self.value]


class ApprovalDecision(db.Model):
    """A supervisor's approval or rejection of a requested assistance record. Never changed afterwards."""

    __tablename__ = "approval_decision"
    __table_args__ = (
        sa.CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assistance_record.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[Decision] = mapped_column(enum_column_type(Decision, "decision"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: a copy of the decider's name, kept when the account is gone
    decided_by_name: Mapped[str] = mapped_column(sa.String(120), info={"personal": False})
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the supervisor's comment; the reason when rejected (required then)
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    #: the amount the decision was about: delivering more needs a new approval
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2, asdecimal=True))
    currency: Mapped[Currency | None] = mapped_column(enum_column_type(Currency, "currency"))

    record: Mapped[AssistanceRecord] = relationship(back_populates="decisions")

    def __repr__(self) -> str:
        return f"<ApprovalDecision {self.id} {self.decision} record={self.record_id}>"


class ApprovalThreshold(db.Model):
    """Above this amount (in this currency) any assistance of the office needs a supervisor's approval."""

    __tablename__ = "approval_threshold"
    __table_args__ = (
        sa.UniqueConstraint("field_office_id", "currency"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    field_office_id: Mapped[int] = mapped_column(sa.ForeignKey("field_office.id", ondelete="CASCADE"))
    currency: Mapped[Currency] = mapped_column(enum_column_type(Currency, "currency"))
    #: amounts strictly above this need an approval
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2, asdecimal=True))

    def __repr__(self) -> str:
        return f"<ApprovalThreshold office={self.field_office_id} {self.amount} {self.currency}>"
