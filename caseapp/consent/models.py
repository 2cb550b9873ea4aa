"""Consent records: one per decision of one person about one purpose; never changed afterwards."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import utcnow


class ConsentPurpose(ChoiceEnum):
    """What a person's data may be used for; each is agreed (or withdrawn) on its own."""

    ASSISTANCE = "assistance"
    REFERRAL = "referral"
    DONOR_SHARING = "donor_sharing"
    FOLLOW_UP = "follow_up"
    PHOTOS = "photos"

    @property
    def label(self):
        return {
            "assistance": _l("Assistance and case management"),
            "referral": _l("Referral to partner organisations"),
            "donor_sharing": _l("Sharing named data with a donor"),
            "follow_up": _l("Follow-up contact and surveys"),
            "photos": _l("Photos"),
        }[self.value]


class ConsentMethod(ChoiceEnum):
    """How the decision was taken down."""

    SIGNED_FORM = "signed_form"
    VERBAL = "verbal"
    #: the single yes/no consent recorded before consent was asked per purpose (migration h16b_01)
    EARLIER_RECORD = "earlier_record"

    @property
    def label(self):
        return {
            "signed_form": _l("Signed form"),
            "verbal": _l("Verbal"),
            "earlier_record": _l("Earlier yes/no record"),
        }[self.value]


class ConsentRecord(db.Model):
    """One decision: the person gave (`given`) or withdrew (not `given`) their consent to one purpose on
    `decided_on`. The latest decision per purpose counts; earlier ones stay as the history."""

    __tablename__ = "consent_record"
    __table_args__ = (sa.Index("ix_consent_record_returnee_purpose", "returnee_id", "purpose", "decided_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_column_type(ConsentPurpose, "consent_purpose"))
    #: True: consent given; False: withdrawn (or refused)
    given: Mapped[bool]
    #: the day the person gave or withdrew it
    decided_on: Mapped[date]
    method: Mapped[ConsentMethod] = mapped_column(enum_column_type(ConsentMethod, "consent_method"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: a copy of the staff member's name, kept when the account is gone (staff, not the returnee)
    recorded_by_name: Mapped[str] = mapped_column(
        sa.String(120), default="", server_default="", info={"personal": False}
    )
    #: the spreadsheet import that recorded this decision (undoing it deletes the decision)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)
    #: what the caseworker noted (e.g. who else was present): may hold personal data
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})

    returnee: Mapped[Returnee] = relationship(back_populates="consent_records")
    recorded_by: Mapped[User | None] = relationship()

    audit_entity = "consent"
    audited_fields = ("purpose", "given", "decided_on", "method", "note")

    def __repr__(self) -> str:
        state = "given" if self.given else "withdrawn"
        return f"<ConsentRecord {self.id} returnee={self.returnee_id} {self.purpose} {state}>"

    @property
    def audit_label(self) -> str:
        return f"{self.returnee.full_name}: {self.purpose.value}"

    @property
    def audit_returnee_id(self) -> int:
        return self.returnee_id
