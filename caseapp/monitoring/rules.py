"""The monitoring rules as plain functions: when visits fall due, which are due this week or overdue."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import exists
from sqlalchemy.orm import aliased

from caseapp.cases.models import Case, CaseStatus
from caseapp.monitoring.models import MonitoringVisit, VisitStatus

#: a visit the schedule would add this close to one the case has already (not cancelled) is not added twice
#: (a grant delivered and a plan approved the same month give one visit, not two)
SAME_VISIT_DAYS = 14
#: "due this week": due today or in the next six days
WEEK_DAYS = 7


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (31 January + 1 = 28/29
    February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(start: date, months: list[int]) -> list[date]:
    return [add_months(start, n) for n in sorted(set(months))]


def is_overdue(visit: MonitoringVisit, on: date) -> bool:
    return visit.status == VisitStatus.SCHEDULED and visit.due_on < on


def is_due_this_week(visit: MonitoringVisit, on: date) -> bool:
    return visit.status == VisitStatus.SCHEDULED and on <= visit.due_on < on + timedelta(days=WEEK_DAYS)


def pending_conditions() -> list:
    """A visit still to make: scheduled, of a case that is not closed (a closed case's visits leave the lists).
    The lists, the home pages and the report's overdue figure all use it."""
    closed = aliased(Case)  # an alias: a query that joins Case itself must not correlate this one away
    return [
        MonitoringVisit.status == VisitStatus.SCHEDULED,
        ~exists().where(closed.id == MonitoringVisit.case_id, closed.status == CaseStatus.CLOSED),
    ]


def overdue_conditions(on: date) -> list:
    return [*pending_conditions(), MonitoringVisit.due_on < on]


def due_this_week_conditions(on: date) -> list:
    return [
        *pending_conditions(),
        MonitoringVisit.due_on >= on,
        MonitoringVisit.due_on < on + timedelta(days=WEEK_DAYS),
    ]
