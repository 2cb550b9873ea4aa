from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.language.vocabulary import named_choice
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project, unassigned_project_id
from caseapp.timeutil import age_on

if TYPE_CHECKING:  # cases sit above returnees: the relationship names the class by string
    from caseapp.cases.models import Case
    from caseapp.consent.models import ConsentRecord


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
        """The administrator's name for this vulnerability if there is one (admin page), else the catalogue's."""
        return named_choice("vulnerability", self.value, self.default_label)

    @property
    def default_label(self):
        return {
            "disability": _l("Disability"),
            "chronic_illness": _l("Chronic illness"),
            "single_parent": _l("Single parent"),
            "elderly": _l("Elderly"),
            "trafficking_victim": _l("Victim of trafficking"),
            "unaccompanied_minor": _l("Unaccompanied minor"),
        }[self.value]


#: a name key column: compared byte by byte on PostgreSQL too, so a prefix is an exact index range
SEARCH_KEY = sa.String(202).with_variant(sa.String(202, collation="C"), "postgresql")


class Returnee(Versioned, Audited, db.Model):
    """A person who came home and whom the mission assists."""

    __tablename__ = "returnee"
    __table_args__ = (
        sa.Index("ix_returnee_office_return_date", "field_office_id", "return_date"),
        sa.Index("ix_returnee_office_name", "field_office_id", "last_name", "first_name", "id"),
        sa.Index("ix_returnee_name", "last_name", "first_name", "id"),
        sa.Index("ix_returnee_name_birth", "search_name", "date_of_birth"),
        sa.Index("ix_returnee_name_reversed_birth", "search_name_reversed", "date_of_birth"),
        sa.Index("ix_returnee_date_of_birth", "date_of_birth"),
        # The listed returnees (never a merged record) per office: the list's count reads this index alone.
        sa.Index("ix_returnee_office_listed", "field_office_id", sqlite_where=sa.text("merged_into_id IS NULL"),
                 postgresql_where=sa.text("merged_into_id IS NULL")),
        # Only the merged records: looking up what was merged into a record. A full index would hold the
        # NULL of every other record, and SQLite (without statistics) would then read the list through it,
        # sorting every returnee for each page instead of walking the name index in order.
        sa.Index("ix_returnee_merged_into_id", "merged_into_id", sqlite_where=sa.text("merged_into_id IS NOT NULL"),
                 postgresql_where=sa.text("merged_into_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), info={"personal": True})
    last_name: Mapped[str] = mapped_column(sa.String(100), info={"personal": True})
    #: the name's key "first last" in Latin letters whatever the script or spelling (caseapp/names.py),
    #: for search (prefix) and the duplicate warning (equality); binary collation for prefix ranges
    search_name: Mapped[str] = mapped_column(SEARCH_KEY, info={"personal": True})
    #: the same key "last first", so that a search for the last name is a prefix search too
    search_name_reversed: Mapped[str] = mapped_column(SEARCH_KEY, info={"personal": True})
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"))
    #: anonymisation keeps the age in whole years at the return date (the reports' age band), not the day
    date_of_birth: Mapped[date] = mapped_column(info={"personal": True, "anonymise": "age_at_return"})
    #: Georgian personal number, 11 digits; unique when present
    personal_number: Mapped[str | None] = mapped_column(sa.String(11), unique=True, info={"personal": True})
    phone: Mapped[str | None] = mapped_column(sa.String(32), info={"personal": True})
    field_office_id: Mapped[int] = mapped_column(sa.ForeignKey("field_office.id"))
    return_date: Mapped[date] = mapped_column(index=True)
    #: country the person returned from, as a name
    returned_from: Mapped[str] = mapped_column(sa.String(100), info={"personal": False})
    #: identifier in an older spreadsheet or system the record came from (leads back to the person there)
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True, info={"personal": True})
    #: when the personal data were removed under the retention policy (caseapp/privacy); None: not anonymised
    anonymised_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: the spreadsheet import that created this returnee (undoing it deletes the returnee)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)
    #: the project credited with this person's return ("assisted to return"); Unassigned when none
    return_project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id"), index=True, default=unassigned_project_id()
    )
    #: set when this record was merged into another one (a duplicate of the same person, caseapp/duplicates):
    #: the record is kept for the unmerge but is never listed, found or counted; its page leads to the survivor
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("returnee.id"))

    field_office: Mapped[FieldOffice] = relationship()
    return_project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    vulnerability_rows: Mapped[list[ReturneeVulnerability]] = relationship(
        back_populates="returnee", cascade="all, delete-orphan", lazy="selectin"
    )
    #: consent per purpose (caseapp/consent), oldest first; only ever added to
    consent_records: Mapped[list[ConsentRecord]] = relationship(
        back_populates="returnee", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(ConsentRecord.decided_on, ConsentRecord.id)",
    )
    cases: Mapped[list[Case]] = relationship(
        back_populates="returnee", cascade="all, delete-orphan", order_by="Case.opened_on"
    )

    audit_entity = "returnee"
    audited_fields = (
        "first_name", "last_name", "sex", "date_of_birth", "personal_number", "phone", "field_office_id",
        "return_date", "returned_from", "external_id", "vulnerabilities", "return_project_id",
    )

    def __repr__(self) -> str:
        return f"<Returnee {self.id} {self.full_name}>"

    @property
    def audit_label(self) -> str:
        return self.full_name

    @property
    def audit_returnee_id(self) -> int:
        return self.id

    @property
    def full_name(self) -> str:
        if self.anonymised_at is not None:
            return str(_l("Anonymised person #%(id)s", id=self.id))
        return f"{self.first_name} {self.last_name}"

    @property
    def listed_name(self) -> str:
        """The name as lists sort it, "Last, First" (an anonymised record says so instead)."""
        if self.anonymised_at is not None:
            return self.full_name
        return f"{self.last_name}, {self.first_name}"

    @property
    def age_at_return(self) -> int:
        """Age in whole years on the return date (what the reports' age band counts; anonymisation keeps it)."""
        return age_on(self.date_of_birth, self.return_date)

    @property
    def vulnerabilities(self) -> set[Vulnerability]:
        return {row.code for row in self.vulnerability_rows}

    @property
    def current_case(self) -> Case | None:
        """The case that is not closed, else the latest one."""
        for case in self.cases:
            if not case.is_closed:
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
