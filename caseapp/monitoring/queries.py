"""Read-side queries for monitoring visits, every one scoped through the returnee the visit belongs to."""

from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import Select, func, select

from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.monitoring.models import MonitoringRule, MonitoringVisit
from caseapp.monitoring.rules import due_this_week_conditions, overdue_conditions, pending_conditions
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import get_returnee_or_404, scoped_returnees

#: the lists a user can ask for: what each shows
WHEN = ("overdue", "week", "scheduled", "all")


def get_visit_or_404(visit_id: int, user: User) -> MonitoringVisit:
    visit = db.session.get(MonitoringVisit, visit_id)
    if visit is None:
        abort(404)
    get_returnee_or_404(visit.returnee_id, user)
    return visit


def visits_of(returnee: Returnee) -> list[MonitoringVisit]:
    return list(
        db.session.scalars(
            select(MonitoringVisit)
            .where(MonitoringVisit.returnee_id == returnee.id)
            .order_by(MonitoringVisit.due_on, MonitoringVisit.id)
        )
    )


def when_conditions(when: str, on: date) -> list:
    if when == "overdue":
        return overdue_conditions(on)
    if when == "week":
        return due_this_week_conditions(on)
    if when == "scheduled":
        return pending_conditions()
    return []


def visit_list(user: User, when: str, on: date, *, caseworker_id: int | None = None) -> Select:
    """SELECT (MonitoringVisit, Returnee, Case) of the visits the user may see, by due date."""
    returnees = scoped_returnees(user).subquery()
    query = (
        select(MonitoringVisit, Returnee, Case)
        .join(Returnee, Returnee.id == MonitoringVisit.returnee_id)
        .outerjoin(Case, Case.id == MonitoringVisit.case_id)
        .where(MonitoringVisit.returnee_id.in_(select(returnees.c.id)), *when_conditions(when, on))
    )
    if caseworker_id is not None:
        query = query.where(Case.caseworker_id == caseworker_id)
    order = MonitoringVisit.due_on.desc() if when == "all" else MonitoringVisit.due_on
    return query.order_by(order, MonitoringVisit.id)


def counts_per_caseworker(user: User, on: date) -> list[tuple[int | None, str | None, int, int]]:
    """(caseworker id, name, overdue, due this week) for the caseworkers of what the user may see."""
    returnees = scoped_returnees(user).subquery()
    rows = {}
    for when in ("overdue", "week"):
        query = (
            select(Case.caseworker_id, User.display_name, func.count(MonitoringVisit.id))
            .select_from(MonitoringVisit)
            .join(Case, Case.id == MonitoringVisit.case_id)
            .outerjoin(User, User.id == Case.caseworker_id)
            .where(MonitoringVisit.returnee_id.in_(select(returnees.c.id)), *when_conditions(when, on))
            .group_by(Case.caseworker_id, User.display_name)
        )
        for worker_id, name, count in db.session.execute(query):
            entry = rows.setdefault(worker_id, [worker_id, name, 0, 0])
            entry[2 if when == "overdue" else 3] = count
    return sorted((tuple(row) for row in rows.values()), key=lambda row: (-row[2], row[1] or ""))


def schedule_rules() -> list[tuple[tuple, list[int]]]:
    """The active rules, grouped: ((trigger, assistance type or None), [months after, ...])."""
    rules = db.session.scalars(
        select(MonitoringRule)
        .where(MonitoringRule.active.is_(True))
        .order_by(MonitoringRule.trigger, MonitoringRule.assistance_type_id, MonitoringRule.months_after)
    )
    grouped: dict[tuple, list[int]] = {}
    for rule in rules:
        grouped.setdefault((rule.trigger, rule.assistance_type), []).append(rule.months_after)
    return list(grouped.items())
