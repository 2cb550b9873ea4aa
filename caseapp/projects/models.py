from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.audit.models import Audited, Versioned
from caseapp.enums import Currency, enum_column_type
from caseapp.extensions import db
from caseapp.language import BilingualName
from caseapp.offices.models import FieldOffice

if TYPE_CHECKING:  # assistance sits above projects: the relationship names the class by string
    from caseapp.assistance.models import AssistanceType

#: the code of the project that holds what no project pays for (records made before projects existed,
#: imported rows without a project, returns not attributed); created by the migration
UNASSIGNED_CODE = "UNASSIGNED"

project_office = sa.Table(
    "project_office",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("field_office_id", sa.ForeignKey("field_office.id", ondelete="CASCADE"), primary_key=True, index=True),
)

project_assistance_type = sa.Table(
    "project_assistance_type",
    db.metadata,
    sa.Column("project_id", sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("type_id", sa.ForeignKey("assistance_type.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Project(BilingualName, Versioned, Audited, db.Model):
    """A funded project: it pays for assistance of the types it lists, in the offices it lists, between
    its start and end dates, out of a budget per currency."""

    __tablename__ = "project"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the short code reports, imports and the command line use, e.g. AVR-2014
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, info={"personal": False})
    #: the English name
    name: Mapped[str] = mapped_column(sa.String(200), info={"personal": False})
    #: the Georgian name shown on Georgian pages (the English one when empty)
    name_ka: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", info={"personal": False})
    #: who funds it (e.g. European Union, USAID)
    donor: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", info={"personal": False})
    #: the period in which it pays for assistance (both empty only for the Unassigned project)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    #: inactive projects keep their records but are not offered for new ones
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    offices: Mapped[list[FieldOffice]] = relationship(secondary=project_office, order_by="FieldOffice.name")
    assistance_types: Mapped[list[AssistanceType]] = relationship(
        "AssistanceType", secondary=project_assistance_type, order_by="AssistanceType.sort_order"
    )
    budgets: Mapped[list[ProjectBudget]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectBudget.currency"
    )

    audit_entity = "project"
    audited_fields = (
        "code",
        "name",
        "name_ka",
        "donor",
        "start_date",
        "end_date",
        "active",
        "office_names",
        "type_codes",
        "budget_amounts",
    )

    def __repr__(self) -> str:
        return f"<Project {self.code}>"

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def audit_label(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_unassigned(self) -> bool:
        return self.code == UNASSIGNED_CODE

    @property
    def office_names(self) -> list[str]:
        return sorted(office.name for office in self.offices)

    @property
    def type_codes(self) -> list[str]:
        return sorted(assistance_type.code for assistance_type in self.assistance_types)

    @property
    def budget_amounts(self) -> dict[str, str]:
        """{"EUR": "250000.00", ...}: the budget per currency."""
        return {budget.currency.value: str(budget.amount) for budget in self.budgets}

    def budget_in(self, currency: Currency | str) -> Decimal | None:
        """The budget in this currency; None when the project has no budget in it."""
        for budget in self.budgets:
            if budget.currency == Currency(currency):
                return budget.amount
        return None


class ProjectBudget(db.Model):
    """A project's budget in one currency (a project funded in two currencies has two rows)."""

    __tablename__ = "project_budget"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "currency"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"))
    currency: Mapped[Currency] = mapped_column(enum_column_type(Currency, "currency"))
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2, asdecimal=True))

    project: Mapped[Project] = relationship(back_populates="budgets")

    def __repr__(self) -> str:
        return f"<ProjectBudget {self.project_id} {self.amount} {self.currency}>"


def unassigned_project_id():
    """The Unassigned project's id as a SQL expression: the column default of every "who paid" column, so
    a record or a returnee saved without a project (by code written before projects, or by a test) is
    Unassigned rather than refused."""
    return sa.select(Project.__table__.c.id).where(Project.__table__.c.code == UNASSIGNED_CODE).scalar_subquery()


def assistance_type_model():
    """The AssistanceType class (assistance sits above projects: reached through the relationship, never
    imported here)."""
    return Project.assistance_types.property.mapper.class_
