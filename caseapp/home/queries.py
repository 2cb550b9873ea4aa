"""What each role needs first when they log in."""
from __future__ import annotations

from sqlalchemy import distinct, func, select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.audit.models import AuditEntry, is_work_entry
from caseapp.auth.models import User
from caseapp.cases.models import Case, CaseStatus
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import not_merged


def my_open_cases(user: User, limit: int = 50):
    """The user's cases that are not closed, most recently changed first: up to `limit` of them, and how
    many there are in all (the page says "50 of 61" and links to the whole list)."""
    query = (
        select(Case, Returnee)
        .join(Returnee, Returnee.id == Case.returnee_id)
        .where(Case.caseworker_id == user.id, Case.status != CaseStatus.CLOSED,
               Returnee.field_office_id == user.field_office_id)
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    return db.session.execute(query.order_by(Case.updated_at.desc()).limit(limit)).all(), total


def recent_activity(user: User, limit: int = 15):
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.user_id == user.id, AuditEntry.returnee_id.is_not(None), is_work_entry())
        .order_by(AuditEntry.id.desc()).limit(limit)
    ))


def office_case_counts(office_id: int | None) -> dict[CaseStatus, int]:
    query = select(Case.status, func.count()).join(Returnee, Returnee.id == Case.returnee_id).group_by(Case.status)
    if office_id is not None:
        query = query.where(Returnee.field_office_id == office_id)
    counts = dict(db.session.execute(query).all())
    return {status: counts.get(status, 0) for status in CaseStatus}


def office_caseload(office_id: int):
    """Open cases per caseworker of the office, including unassigned ones (None)."""
    return db.session.execute(
        select(User.display_name, func.count(Case.id))
        .select_from(Case)
        .join(Returnee, Returnee.id == Case.returnee_id)
        .outerjoin(User, User.id == Case.caseworker_id)
        .where(Returnee.field_office_id == office_id, Case.status != CaseStatus.CLOSED)
        .group_by(User.display_name)
        .order_by(func.count(Case.id).desc())
    ).all()


def headline_totals() -> dict[str, int]:
    """Country-wide counts for the manager's home page: persons, not events, where persons are meant."""
    returnees = db.session.scalar(select(func.count(Returnee.id)).where(not_merged()))
    assisted = db.session.scalar(
        select(func.count(distinct(AssistanceRecord.returnee_id)))
        .where(AssistanceRecord.status == AssistanceStatus.DELIVERED)
    )
    delivered = db.session.scalar(
        select(func.count(AssistanceRecord.id)).where(AssistanceRecord.status == AssistanceStatus.DELIVERED)
    )
    open_cases = db.session.scalar(select(func.count(Case.id)).where(Case.status != CaseStatus.CLOSED))
    return {"returnees": returnees, "assisted_persons": assisted, "delivered_events": delivered,
            "open_cases": open_cases}
