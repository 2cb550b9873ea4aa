"""Consent gaps: the people whose case is under way and whose consent is missing for a purpose."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from caseapp.auth.models import Role, User
from caseapp.consent.models import ConsentPurpose, ConsentRecord
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import scoped_returnees
from caseapp.timeutil import today


@dataclass
class ConsentGap:
    returnee: Returnee
    #: purposes never asked
    never_asked: list[ConsentPurpose]
    #: the consent to assistance itself was withdrawn (or refused): the case works without a basis
    assistance_withdrawn: bool

    @property
    def purposes(self) -> list[ConsentPurpose]:
        if self.assistance_withdrawn:
            return [ConsentPurpose.ASSISTANCE, *self.never_asked]
        return self.never_asked


def consent_gaps(user: User, *, only_mine: bool, limit: int | None = None) -> tuple[list[ConsentGap], int]:
    """The returnees with a case that is not closed (the user's own cases when `only_mine`, else all those
    the user may see) who were never asked about a purpose, or whose consent to assistance is not given;
    oldest registrations first. Up to `limit` of them, and how many there are.

    A consent refused or withdrawn for another purpose is the person's decision, not a gap."""
    # cases sit above consent: the open-case test is written on the table, not the model
    case = db.metadata.tables["reintegration_case"]
    open_cases = select(case.c.returnee_id).where(case.c.status != "closed")
    if only_mine:
        open_cases = open_cases.where(case.c.caseworker_id == user.id)
    people = db.session.scalars(
        scoped_returnees(user).where(Returnee.id.in_(open_cases)).order_by(Returnee.created_at, Returnee.id)
    ).all()
    latest: dict[tuple[int, ConsentPurpose], bool] = {}
    ids = [person.id for person in people]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.session.execute(
            select(ConsentRecord.returnee_id, ConsentRecord.purpose, ConsentRecord.given)
            .where(ConsentRecord.returnee_id.in_(chunk), ConsentRecord.decided_on <= today())
            .order_by(ConsentRecord.decided_on, ConsentRecord.id)
        )
        for returnee_id, purpose, given in rows:
            latest[(returnee_id, purpose)] = given
    gaps = []
    for person in people:
        never = [purpose for purpose in ConsentPurpose if (person.id, purpose) not in latest]
        withdrawn = latest.get((person.id, ConsentPurpose.ASSISTANCE)) is False
        if never or withdrawn:
            gaps.append(ConsentGap(person, never, withdrawn))
    total = len(gaps)
    return (gaps[:limit] if limit is not None else gaps), total


def sees_consent_gaps(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN)
