"""Partner organisations (a directory kept by administrators) and referrals of a case to one of them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.assistance.models import AssistanceType
from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.language import BilingualName
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee

#: the services a partner offers: entries of the assistance catalog
partner_service = sa.Table(
    "partner_service",
    db.metadata,
    sa.Column("partner_id", sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "assistance_type_id", sa.ForeignKey("assistance_type.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

#: the field offices whose returnees a partner takes
partner_office = sa.Table(
    "partner_office",
    db.metadata,
    sa.Column("partner_id", sa.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("field_office_id", sa.ForeignKey("field_office.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Partner(BilingualName, Versioned, Audited, db.Model):
    """An organisation returnees are referred to: an employment agency, a college, a clinic, an NGO."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the English name
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, info={"personal": False})
    #: the Georgian name shown on Georgian pages (the English one when empty)
    name_ka: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", info={"personal": False})
    #: the person to contact at the partner (a name: personal data of that person)
    contact_person: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", info={"personal": True})
    phone: Mapped[str] = mapped_column(sa.String(64), default="", server_default="", info={"personal": True})
    email: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", info={"personal": True})
    address: Mapped[str] = mapped_column(sa.String(300), default="", server_default="", info={"personal": False})
    #: what the organisation does, how to refer (not about a returnee)
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": False})
    #: retired partners keep their referrals but cannot receive new ones
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    services: Mapped[list[AssistanceType]] = relationship(
        secondary=partner_service, lazy="selectin", order_by="AssistanceType.sort_order"
    )
    offices: Mapped[list[FieldOffice]] = relationship(
        secondary=partner_office, lazy="selectin", order_by="FieldOffice.name"
    )

    audit_entity = "partner"
    audited_fields = (
        "name",
        "name_ka",
        "contact_person",
        "phone",
        "email",
        "address",
        "notes",
        "active",
        "service_codes",
        "office_ids",
    )

    def __repr__(self) -> str:
        return f"<Partner {self.id} {self.name}>"

    def __str__(self) -> str:
        return self.label

    @property
    def service_codes(self) -> list[str]:
        return sorted(service.code for service in self.services)

    @property
    def office_ids(self) -> list[int]:
        return sorted(office.id for office in self.offices)

    def covers(self, office_id: int) -> bool:
        return any(office.id == office_id for office in self.offices)

    def offers(self, type_id: int) -> bool:
        return any(service.id == type_id for service in self.services)


class ReferralStatus(ChoiceEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"

    @property
    def label(self):
        return {
            "sent": _l("Sent"),
            "accepted": _l("Accepted"),
            "declined": _l("Declined"),
            "completed": _l("Completed"),
            "not_completed": _l("Not completed"),
        }[self.value]


class Referral(Versioned, Audited, db.Model):
    """A case referred to a partner for one service, and what became of it (referrals/workflow.py)."""

    __tablename__ = "referral"
    __table_args__ = (
        sa.CheckConstraint("status = 'sent' OR answered_on IS NOT NULL", name="answered_has_date"),
        sa.CheckConstraint(
            "status NOT IN ('completed', 'not_completed') OR closed_on IS NOT NULL", name="closed_has_date"
        ),
        sa.Index("ix_referral_status_sent_on", "status", "sent_on"),
        sa.Index("ix_referral_partner_sent_on", "partner_id", "sent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reintegration_case.id", ondelete="SET NULL"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    #: the service asked for: an entry of the assistance catalog
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("assistance_type.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column_type(ReferralStatus, "referral_status"), default=ReferralStatus.SENT
    )
    #: the day the referral was sent to the partner
    sent_on: Mapped[date]
    #: the day the partner accepted or declined
    answered_on: Mapped[date | None]
    #: the day the service was completed, or found not to be
    closed_on: Mapped[date | None]
    #: why the person is referred, what the partner should know (about the returnee: personal)
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    #: what came of it: the partner's answer, the outcome (personal)
    outcome_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    returnee: Mapped[Returnee] = relationship()
    case: Mapped[Case | None] = relationship()
    partner: Mapped[Partner] = relationship(lazy="joined")
    service: Mapped[AssistanceType] = relationship(lazy="joined")
    referred_by: Mapped[User | None] = relationship(foreign_keys=[referred_by_id])

    audit_entity = "referral"
    audited_fields = (
        "partner_id",
        "service_id",
        "status",
        "sent_on",
        "answered_on",
        "closed_on",
        "reason",
        "outcome_note",
    )

    def __repr__(self) -> str:
        return f"<Referral {self.id} {self.status} returnee={self.returnee_id} partner={self.partner_id}>"

    @property
    def audit_label(self) -> str:
        return f"{self.service.code} at {self.partner.name} for {self.returnee.full_name}"

    @property
    def audit_returnee_id(self) -> int:
        return self.returnee_id
