"""Read-side queries for partners and referrals, scoped through the returnee a referral belongs to."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, select

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope, sees_personal_data
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.referrals.models import Partner, Referral, ReferralStatus, partner_office
from caseapp.referrals.services import overdue_before
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import get_returnee_or_404, scoped_returnees


def get_partner_or_404(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    return partner


def get_referral_or_404(referral_id: int, user: User) -> Referral:
    """A referral of a returnee the user may see; anything else is 'not found'."""
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    get_returnee_or_404(referral.returnee_id, user)
    return referral


def partners(*, active_only: bool = False, office_id: int | None = None) -> list[Partner]:
    query = select(Partner).order_by(Partner.label)
    if active_only:
        query = query.where(Partner.active.is_(True))
    if office_id is not None:
        query = query.where(
            Partner.id.in_(select(partner_office.c.partner_id).where(partner_office.c.field_office_id == office_id))
        )
    return list(db.session.scalars(query))


def referrals_of(returnee: Returnee) -> list[Referral]:
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.returnee_id == returnee.id)
            .order_by(Referral.sent_on.desc(), Referral.id.desc())
        )
    )


def scoped_referrals(user: User) -> Select:
    """SELECT (Referral, Returnee) of the referrals whose returnee the user may see."""
    returnees = scoped_returnees(user).subquery()
    return (
        select(Referral, Returnee)
        .join(Returnee, Returnee.id == Referral.returnee_id)
        .where(Referral.returnee_id.in_(select(returnees.c.id)))
    )


def overdue_referrals(user: User, *, caseworker_id: int | None = None, limit: int | None = None):
    """Referrals still waiting for the partner's answer after REFERRAL_ANSWER_DAYS, oldest first: of the
    caseworker's cases when given, else of what the user may see."""
    query = scoped_referrals(user).where(Referral.status == ReferralStatus.SENT, Referral.sent_on < overdue_before())
    if caseworker_id is not None:
        query = query.join(Case, Case.id == Referral.case_id).where(Case.caseworker_id == caseworker_id)
    query = query.order_by(Referral.sent_on, Referral.id)
    if limit is not None:
        query = query.limit(limit)
    return db.session.execute(query).all()


def referral_list(user: User, *, status: str = "", partner_id: int | None = None, overdue: bool = False):
    query = scoped_referrals(user)
    if status:
        query = query.where(Referral.status == ReferralStatus(status))
    if partner_id is not None:
        query = query.where(Referral.partner_id == partner_id)
    if overdue:
        query = query.where(Referral.status == ReferralStatus.SENT, Referral.sent_on < overdue_before())
    return query.order_by(Referral.sent_on.desc(), Referral.id.desc())


def office_of(user: User) -> int | None:
    return office_scope(user) if sees_personal_data(user) else None
