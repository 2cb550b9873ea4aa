from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.assistance.models import AssistanceType
from caseapp.audit.models import Audited, Versioned
from caseapp.enums import ChoiceEnum, Currency, enum_column_type
from caseapp.extensions import db
from caseapp.language import BilingualName
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project


class IndicatorMeasure(ChoiceEnum):
    """What an indicator counts, by the report's rules (caseapp/reports/counting.py)."""

    PERSONS = "persons"  #: distinct returnees with a delivered record of its types
    EVENTS = "events"  #: delivered records of its types
    AMOUNT = "amount"  #: the sum of their amounts in one currency
    RETURNED = "returned"  #: returnees whose return is credited to the project

    @property
    def label(self):
        return {
            IndicatorMeasure.PERSONS: _l("persons assisted (each once)"),
            IndicatorMeasure.EVENTS: _l("assistance events delivered"),
            IndicatorMeasure.AMOUNT: _l("amount delivered"),
            IndicatorMeasure.RETURNED: _l("persons assisted to return"),
        }[self]


indicator_assistance_type = sa.Table(
    "indicator_assistance_type",
    db.metadata,
    sa.Column("indicator_id", sa.ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("type_id", sa.ForeignKey("assistance_type.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Indicator(BilingualName, Versioned, Audited, db.Model):
    """One indicator of a project's logframe, e.g. "Returnees who received a micro-business grant"."""

    __tablename__ = "indicator"
    __table_args__ = (sa.CheckConstraint("measure <> 'amount' OR currency IS NOT NULL", name="amount_has_currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"), index=True)
    #: the English name
    name: Mapped[str] = mapped_column(sa.String(300), info={"personal": False})
    #: the Georgian name (the English one is shown when empty)
    name_ka: Mapped[str] = mapped_column(sa.String(300), default="", server_default="", info={"personal": False})
    measure: Mapped[IndicatorMeasure] = mapped_column(enum_column_type(IndicatorMeasure, "indicator_measure"))
    #: the currency of an amount indicator (amounts in different currencies are never added)
    currency: Mapped[Currency | None] = mapped_column(enum_column_type(Currency, "indicator_currency"))
    #: optional filters on the person, as the report's: "" = everyone
    sex: Mapped[str] = mapped_column(sa.String(8), default="", server_default="", info={"personal": False})
    age_band: Mapped[str] = mapped_column(sa.String(8), default="", server_default="", info={"personal": False})
    vulnerability: Mapped[str] = mapped_column(sa.String(40), default="", server_default="", info={"personal": False})
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("field_office.id"))
    #: the order on the project's indicator page
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    project: Mapped[Project] = relationship()
    office: Mapped[FieldOffice | None] = relationship()
    #: the types it counts; none: every type (not for returned persons, which no record makes)
    assistance_types: Mapped[list[AssistanceType]] = relationship(
        secondary=indicator_assistance_type, order_by="AssistanceType.sort_order"
    )
    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="IndicatorTarget.period_start"
    )

    audit_entity = "indicator"
    audited_fields = ("name", "name_ka", "measure", "currency", "sex", "age_band", "vulnerability", "office_id",
                      "type_codes", "target_list")  # fmt: skip

    def __repr__(self) -> str:
        return f"<Indicator {self.id} {self.name!r}>"

    @property
    def audit_label(self) -> str:
        return f"{self.project.code if self.project else ''}: {self.name}"

    @property
    def type_codes(self) -> list[str]:
        return [assistance_type.code for assistance_type in self.assistance_types]

    @property
    def target_list(self) -> list[str]:
        """["2025-01-01..2025-12-31: 120", ...]: the targets, as the change log keeps them."""
        return [f"{t.period_start}..{t.period_end}: {t.target}" for t in self.targets]


class IndicatorTarget(db.Model):
    """The target of an indicator for one reporting period (both days included)."""

    __tablename__ = "indicator_target"
    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "period_start"),
        sa.CheckConstraint("period_end >= period_start", name="period_in_order"),
        sa.CheckConstraint("target >= 0", name="target_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("indicator.id", ondelete="CASCADE"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    #: a count, or an amount in the indicator's currency
    target: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2, asdecimal=True))

    indicator: Mapped[Indicator] = relationship(back_populates="targets")

    def __repr__(self) -> str:
        return f"<IndicatorTarget {self.indicator_id} {self.period_start}..{self.period_end} {self.target}>"
