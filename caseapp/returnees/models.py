from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.timeutil import utcnow


class Sex(ChoiceEnum):
    FEMALE = "F"
    MALE = "M"

    @property
    def label(self):
        return {"F": _l("Female"), "M": _l("Male")}[self.value]


class Vulnerability(ChoiceEnum):
    DISABILITY = "disability"
    CHRONIC_ILLNESS = "chronic_illness"
    SINGLE_PARENT = "single_parent"
    ELDERLY = "elderly"
    TRAFFICKING_VICTIM = "trafficking_victim"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"

    @property
    def label(self):
        return {
            "disability": _l("Disability"),
            "chronic_illness": _l("Chronic illness"),
            "single_parent": _l("Single parent"),
            "elderly": _l("Elderly"),
            "trafficking_victim": _l("Victim of trafficking"),
            "unaccompanied_minor": _l("Unaccompanied minor"),
        }[self.value]


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
        return {
            "reintegration_completed": _l("Reintegration completed"),
            "lost_contact": _l("Lost contact"),
            "re_migrated": _l("Re-migrated"),
            "deceased": _l("Deceased"),
            "imported_history": _l("Imported history"),
            "other": _l("Other"),
        }[self.value]


#: a name key column: compared byte by byte on PostgreSQL too, so a prefix is an exact index range
SEARCH_KEY = sa.String(202).with_variant(sa.String(202, collation="C"), "postgresql")


class Returnee(db.Model):
    """A person who came home and whom the mission assists."""

    __tablename__ = "returnee"
    __table_args__ = (
        sa.Index("ix_returnee_office_return_date", "field_office_id", "return_date"),
        sa.Index("ix_returnee_office_name", "field_office_id", "last_name", "first_name", "id"),
        sa.Index("ix_returnee_name", "last_name", "first_name", "id"),
        sa.Index("ix_returnee_name_birth", "search_name", "date_of_birth"),
        sa.Index("ix_returnee_name_reversed_birth", "search_name_reversed", "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    #: the name's key "first last" in Latin letters whatever the script or spelling (caseapp/names.py),
    #: for search (prefix) and the duplicate warning (equality); binary collation for prefix ranges
    search_name: Mapped[str] = mapped_column(SEARCH_KEY)
    #: the same key "last first", so that a search for the last name is a prefix search too
    search_name_reversed: Mapped[str] = mapped_column(SEARCH_KEY)
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"))
    date_of_birth: Mapped[date]
    #: Georgian personal number, 11 digits; unique when present
    personal_number: Mapped[str | None] = mapped_column(sa.String(11), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    field_office_id: Mapped[int] = mapped_column(sa.ForeignKey("field_office.id"))
    return_date: Mapped[date] = mapped_column(index=True)
    #: country the person returned from, as a name
    returned_from: Mapped[str] = mapped_column(sa.String(100))
    consent_given: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    consent_date: Mapped[date | None]
    #: identifier in an older spreadsheet or system the record came from
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: optimistic lock: bumped on every update; a form carrying an older value is refused
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: the spreadsheet import that created this returnee (undoing it deletes the returnee)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)

    field_office: Mapped[FieldOffice] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    vulnerability_rows: Mapped[list[ReturneeVulnerability]] = relationship(
        back_populates="returnee", cascade="all, delete-orphan", lazy="selectin"
    )
    cases: Mapped[list[Case]] = relationship(
        back_populates="returnee", cascade="all, delete-orphan", order_by="Case.opened_on"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Returnee {self.id} {self.full_name}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def vulnerabilities(self) -> set[Vulnerability]:
        return {row.code for row in self.vulnerability_rows}

    @property
    def current_case(self) -> Case | None:
        """The case that is not closed, else the latest one."""
        for case in self.cases:
            if case.status != CaseStatus.CLOSED:
                return case
        return self.cases[-1] if self.cases else None


class ReturneeVulnerability(db.Model):
    __tablename__ = "returnee_vulnerability"

    returnee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("returnee.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[Vulnerability] = mapped_column(
        enum_column_type(Vulnerability, "vulnerability"), primary_key=True, index=True
    )

    returnee: Mapped[Returnee] = relationship(back_populates="vulnerability_rows")

    def __repr__(self) -> str:
        return f"<ReturneeVulnerability {self.returnee_id} {self.code}>"


class Case(db.Model):
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
    #: the reintegration plan agreed with the returnee
    plan: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    closure_reason: Mapped[ClosureReason | None] = mapped_column(
        enum_column_type(ClosureReason, "closure_reason")
    )
    #: free text: required when the reason is "other"
    closure_note: Mapped[str | None] = mapped_column(sa.Text)
    #: when the caseworker plans to follow up; on or before today the case shows in the review queue
    follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: the spreadsheet import that created this case
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)

    returnee: Mapped[Returnee] = relationship(back_populates="cases")
    caseworker: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.id} returnee={self.returnee_id} {self.status}>"

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED
