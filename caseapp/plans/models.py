from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.assistance.models import AssistanceType, Currency
from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.questionnaires.models import Dimension


class PlanStatus(ChoiceEnum):
    DRAFT = "draft"
    APPROVED = "approved"

    @property
    def label(self):
        return {"draft": _l("Draft, awaiting approval"), "approved": _l("Approved")}[self.value]


class GoalStatus(ChoiceEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    DROPPED = "dropped"

    @property
    def label(self):
        return {
            "planned": _l("Planned"),
            "in_progress": _l("In progress"),
            "achieved": _l("Achieved"),
            "dropped": _l("Dropped"),
        }[self.value]


class ReintegrationPlan(Versioned, Audited, db.Model):
    """The plan of one case. Changing what it plans (its summary, its goals' content) makes it a draft
    again, drafted by whoever changed it; a supervisor who did not draft it approves it."""

    __tablename__ = "reintegration_plan"
    __table_args__ = (
        sa.CheckConstraint(
            "status != 'approved' OR (approved_at IS NOT NULL AND approved_by_name IS NOT NULL)",
            name="approved_has_approver",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("reintegration_case.id", ondelete="CASCADE"), unique=True)
    #: what was agreed with the returnee, in words (the free-text plan of cases before goals came)
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    status: Mapped[PlanStatus] = mapped_column(
        enum_column_type(PlanStatus, "plan_status"), default=PlanStatus.DRAFT, server_default="draft"
    )
    #: who last changed what the plan says: they may not approve it (four eyes)
    drafted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: a copy of the approver's name, kept when the account is gone
    approved_by_name: Mapped[str | None] = mapped_column(sa.String(120), info={"personal": True})
    approved_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id])
    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanGoal.id", lazy="selectin"
    )

    audit_entity = "plan"
    audited_fields = ("summary", "status")

    def __repr__(self) -> str:
        return f"<ReintegrationPlan {self.id} case={self.case_id} {self.status}>"

    @property
    def audit_label(self) -> str:
        return f"plan of {self.case.returnee.full_name}"

    @property
    def audit_returnee_id(self) -> int:
        return self.case.returnee_id

    @property
    def is_approved(self) -> bool:
        return self.status == PlanStatus.APPROVED


class PlanGoal(Versioned, Audited, db.Model):
    __tablename__ = "plan_goal"
    __table_args__ = (sa.CheckConstraint("status != 'dropped' OR drop_reason IS NOT NULL", name="dropped_has_reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("reintegration_plan.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[Dimension] = mapped_column(enum_column_type(Dimension, "dimension"))
    #: what the returnee means to reach ("open a bakery in Gori")
    description: Mapped[str] = mapped_column(sa.Text, info={"personal": True})
    referral_needed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    target_date: Mapped[date | None]
    status: Mapped[GoalStatus] = mapped_column(
        enum_column_type(GoalStatus, "goal_status"), default=GoalStatus.PLANNED, server_default="planned"
    )
    #: why the goal was dropped (required then)
    drop_reason: Mapped[str | None] = mapped_column(sa.Text, info={"personal": True})

    plan: Mapped[ReintegrationPlan] = relationship(back_populates="goals")
    planned_assistance: Mapped[list[PlannedAssistance]] = relationship(
        back_populates="goal", cascade="all, delete-orphan", order_by="PlannedAssistance.id", lazy="selectin"
    )

    audit_entity = "plan_goal"
    audited_fields = ("dimension", "description", "referral_needed", "target_date", "status", "drop_reason")

    def __repr__(self) -> str:
        return f"<PlanGoal {self.id} plan={self.plan_id} {self.dimension} {self.status}>"

    @property
    def audit_label(self) -> str:
        return f"goal of {self.plan.case.returnee.full_name}: {self.description[:80]}"

    @property
    def audit_returnee_id(self) -> int:
        return self.plan.case.returnee_id

    def estimated_costs(self) -> dict[Currency, Decimal]:
        """The goal's estimated cost per currency (never added across currencies)."""
        totals: dict[Currency, Decimal] = {}
        for planned in self.planned_assistance:
            if planned.estimated_amount is not None:
                totals[planned.currency] = totals.get(planned.currency, Decimal("0")) + planned.estimated_amount
        return totals


class PlannedAssistance(db.Model):
    """A type of assistance a goal plans, with its estimated cost (in one currency) when it carries money."""

    __tablename__ = "planned_assistance"
    __table_args__ = (
        sa.CheckConstraint("(estimated_amount IS NULL) = (currency IS NULL)", name="amount_has_currency"),
        sa.CheckConstraint("estimated_amount IS NULL OR estimated_amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_goal.id", ondelete="CASCADE"), index=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_type.id"))
    estimated_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2, asdecimal=True))
    currency: Mapped[Currency | None] = mapped_column(enum_column_type(Currency, "currency"))

    goal: Mapped[PlanGoal] = relationship(back_populates="planned_assistance")
    assistance_type: Mapped[AssistanceType] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<PlannedAssistance goal={self.goal_id} type={self.type_id} {self.estimated_amount} {self.currency}>"
