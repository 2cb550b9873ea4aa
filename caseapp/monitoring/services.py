"""Use cases that write monitoring visits: schedule them on a trigger, record, move, cancel. They flush and
audit; the request (or the delivery that triggered them) commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.audit.models import AuditAction
from caseapp.audit.services import actor_id, ensure_current, record_change, snapshot
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.monitoring.models import (
    MonitoringRule,
    MonitoringTrigger,
    MonitoringVisit,
    VisitMethod,
    VisitStatus,
)
from caseapp.monitoring.rules import SAME_VISIT_DAYS, add_months
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today


def rules_for(trigger: MonitoringTrigger, assistance_type_id: int | None = None) -> list[MonitoringRule]:
    query = select(MonitoringRule).where(MonitoringRule.trigger == trigger, MonitoringRule.active.is_(True))
    if assistance_type_id is not None:
        query = query.where(MonitoringRule.assistance_type_id == assistance_type_id)
    return list(db.session.scalars(query.order_by(MonitoringRule.months_after)))


def schedule_visits(
    actor,
    case: Case,
    trigger: MonitoringTrigger,
    start_on: date,
    *,
    assistance_type_id: int | None = None,
    source_record_id: int | None = None,
) -> list[MonitoringVisit]:
    """Schedule the visits the rules of this trigger ask for, counted from `start_on`. A visit falling within
    SAME_VISIT_DAYS of one the case already has (not cancelled) is not added again. Runs inside the
    transaction of the trigger (the delivery, the approval): flushed, never committed."""
    rules = rules_for(trigger, assistance_type_id)
    if not rules or case is None:
        return []
    existing = [
        visit.due_on
        for visit in db.session.scalars(
            select(MonitoringVisit).where(
                MonitoringVisit.case_id == case.id, MonitoringVisit.status != VisitStatus.CANCELLED
            )
        )
    ]
    made = []
    for rule in rules:
        due_on = add_months(start_on, rule.months_after)
        if any(abs((due_on - other).days) <= SAME_VISIT_DAYS for other in existing):
            continue
        visit = MonitoringVisit(
            returnee_id=case.returnee_id,
            case_id=case.id,
            trigger=trigger,
            source_record_id=source_record_id,
            months_after=rule.months_after,
            due_on=due_on,
            status=VisitStatus.SCHEDULED,
            updated_by_id=actor_id(actor),
        )
        visit.returnee = case.returnee
        db.session.add(visit)
        record_change(
            actor,
            visit,
            AuditAction.VISIT_CREATE,
            fields=("due_on", "status"),
            details={"trigger": trigger.value, "months_after": rule.months_after},
        )
        existing.append(due_on)
        made.append(visit)
    return made


def add_visit(actor: User, returnee: Returnee, due_on: date | None) -> MonitoringVisit:
    """Schedule a visit by hand (outside the rules)."""
    case = returnee.current_case
    errors: dict[str, object] = {}
    if due_on is None:
        errors["due_on"] = _l("Required.")
    elif due_on < returnee.return_date:
        errors["due_on"] = _l("The date cannot be before the return (%(date)s).", date=returnee.return_date.isoformat())
    if case is None:
        errors[""] = _l("Open a case first.")
    elif case.change_refusal() is not None:
        errors[""] = case.change_refusal()
    if errors:
        raise ValidationFailed(errors)
    visit = MonitoringVisit(
        returnee=returnee, case=case, due_on=due_on, status=VisitStatus.SCHEDULED, updated_by_id=actor_id(actor)
    )
    db.session.add(visit)
    record_change(actor, visit, AuditAction.VISIT_CREATE, fields=("due_on", "status"))
    return visit


def _ensure_changeable(visit: MonitoringVisit, expected_version: int | None) -> None:
    ensure_current(visit, expected_version)
    if visit.case is not None:
        visit.case.ensure_open()
    if visit.status != VisitStatus.SCHEDULED:
        raise ValidationFailed(
            {"": _l("This visit is %(status)s: it can no longer be changed.", status=visit.status.label)}
        )


@dataclass
class VisitReport:
    done_on: date | None
    method: VisitMethod | None
    visited_by: User | None
    findings: str = ""
    business_operating: bool | None = None
    next_steps: str = ""


def visit_errors(visit: MonitoringVisit, values: VisitReport, *, on: date | None = None) -> dict[str, object]:
    on = on or today()
    errors: dict[str, object] = {}
    if values.done_on is None:
        errors["done_on"] = _l("Required.")
    elif values.done_on > on:
        errors["done_on"] = _l("The date cannot be in the future.")
    elif values.done_on < visit.returnee.return_date:
        errors["done_on"] = _l(
            "The date cannot be before the return (%(date)s).", date=visit.returnee.return_date.isoformat()
        )
    if values.method is None:
        errors["method"] = _l("Say whether it was a home visit or a phone call.")
    if values.visited_by is None:
        errors["visited_by_id"] = _l("Say who made the visit.")
    if not (values.findings or "").strip():
        errors["findings"] = _l("Write what was found.")
    if visit.asks_business and values.business_operating is None:
        errors["business_operating"] = _l("Say whether the business still operates.")
    return errors


def record_visit(
    actor: User, visit: MonitoringVisit, values: VisitReport, *, expected_version: int | None = None
) -> MonitoringVisit:
    """The visit was made: when, how, by whom, what was found, and what comes next."""
    _ensure_changeable(visit, expected_version)
    errors = visit_errors(visit, values)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(visit)
    visit.status = VisitStatus.DONE
    visit.done_on = values.done_on
    visit.method = values.method
    visit.visited_by_id = values.visited_by.id
    visit.findings = values.findings.strip()
    visit.business_operating = values.business_operating
    visit.next_steps = (values.next_steps or "").strip()
    visit.updated_by_id = actor_id(actor)
    record_change(actor, visit, AuditAction.VISIT_RECORD, before)
    return visit


def move_visit(
    actor: User, visit: MonitoringVisit, due_on: date | None, reason: str, *, expected_version: int | None = None
) -> MonitoringVisit:
    """Give the visit another date; the change log keeps the old one and the reason."""
    _ensure_changeable(visit, expected_version)
    errors: dict[str, object] = {}
    if due_on is None:
        errors["due_on"] = _l("Required.")
    elif due_on == visit.due_on:
        errors["due_on"] = _l("This is the date it has already.")
    elif due_on < visit.returnee.return_date:
        errors["due_on"] = _l(
            "The date cannot be before the return (%(date)s).", date=visit.returnee.return_date.isoformat()
        )
    elif due_on > today() + timedelta(days=3 * 366):
        errors["due_on"] = _l("At most three years ahead.")
    if not (reason or "").strip():
        errors["reason"] = _l("Say why the visit moves.")
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(visit, ("due_on",))
    visit.due_on = due_on
    visit.updated_by_id = actor_id(actor)
    record_change(actor, visit, AuditAction.VISIT_MOVE, before, comment=reason.strip())
    return visit


def cancel_visit(
    actor: User, visit: MonitoringVisit, reason: str, *, expected_version: int | None = None
) -> MonitoringVisit:
    """The visit will not be made; it stays in the history with the reason."""
    _ensure_changeable(visit, expected_version)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": _l("Say why the visit is cancelled.")})
    before = snapshot(visit, ("status", "cancel_reason"))
    visit.status = VisitStatus.CANCELLED
    visit.cancel_reason = reason.strip()
    visit.updated_by_id = actor_id(actor)
    record_change(actor, visit, AuditAction.VISIT_CANCEL, before, comment=reason.strip())
    return visit
