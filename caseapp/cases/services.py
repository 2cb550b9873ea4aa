"""Use cases that write cases. Each changes objects, flushes and logs; the view commits."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord
from caseapp.assistance.workflow import OPEN
from caseapp.audit.models import AuditAction
from caseapp.audit.services import ensure_current, record_change, snapshot
from caseapp.auth.models import User
from caseapp.auth.policies import can_access_office, can_manage_cases
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.cases.workflow import CASE_TRANSITIONS, REOPENED_STATUS
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today


def open_new_case(actor: User, returnee: Returnee, *, caseworker_id: int | None = None,
                  opened_on: date | None = None) -> Case:
    if any(case.status != CaseStatus.CLOSED for case in returnee.cases):
        raise ValidationFailed({"": _l("This returnee already has a case that is not closed.")})
    if caseworker_id is None and actor is not None and actor.role.belongs_to_office \
            and actor.field_office_id == returnee.field_office_id:
        caseworker_id = actor.id
    case = Case(returnee=returnee, status=CaseStatus.OPEN, caseworker_id=caseworker_id,
                opened_on=opened_on or today())
    db.session.add(case)
    record_change(actor, case, AuditAction.CASE_OPEN, fields=("status", "caseworker_id"))
    return case


def case_status_errors(case: Case, new_status: CaseStatus, reason: ClosureReason | None = None,
                       note: str | None = None) -> dict[str, object]:
    """Why a case cannot move to this status (with this closure reason and note), by field; empty if it can.
    Used before the confirmation page is shown and again when the change is made."""
    if new_status not in CASE_TRANSITIONS[case.status]:
        return {"status": _l("A case cannot go from %(old)s to %(new)s.", old=case.status.label, new=new_status.label)}
    errors: dict[str, object] = {}
    if new_status == CaseStatus.CLOSED:
        if _open_assistance_count(case):
            errors["status"] = _l(
                "This case still has planned, requested or approved assistance: deliver or cancel it first.")
        if reason is None:
            errors["reason"] = _l("Give the reason for closing the case.")
        elif reason == ClosureReason.OTHER and not (note or "").strip():
            errors["note"] = _l("Describe the reason when it is 'other'.")
    return errors


def change_case_status(actor: User, case: Case, new_status: CaseStatus, *, expected_version: int | None = None,
                       reason: ClosureReason | None = None, note: str | None = None) -> Case:
    ensure_current(case, expected_version)
    errors = case_status_errors(case, new_status, reason, note)
    if errors:
        raise ValidationFailed(errors)
    note = (note or "").strip() or None
    before = snapshot(case, ("status",))
    if new_status == CaseStatus.CLOSED:
        case.closure_reason = reason
        case.closure_note = note
        case.closed_on = today()
    case.status = new_status
    record_change(actor, case, AuditAction.CASE_STATUS, before,
                  details={"closure_reason": reason} if reason else None, comment=note)
    return case


def _open_assistance_count(case: Case) -> int:
    return db.session.scalar(
        select(func.count(AssistanceRecord.id))
        .where(AssistanceRecord.case_id == case.id, AssistanceRecord.status.in_(OPEN))
    )


def reopen_case(actor: User, case: Case, reason: str | None, *, expected_version: int | None = None) -> Case:
    """Reopen a closed case (supervisors): the same case continues, with its history; the closure is
    cleared from the case and kept in the change log."""
    ensure_current(case, expected_version)
    if actor is None or not can_manage_cases(actor):
        raise ValidationFailed({"status": _l("Only a supervisor reopens a case.")})
    if not case.is_closed:
        raise ValidationFailed({"status": _l("This case is not closed.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"note": _l("Give the reason for reopening the case.")})
    if any(other.status != CaseStatus.CLOSED for other in case.returnee.cases if other is not case):
        raise ValidationFailed({"status": _l("This returnee has another case that is not closed.")})
    before = snapshot(case, ("status", "closure_reason"))
    case.status = REOPENED_STATUS
    case.closure_reason = None
    case.closure_note = None
    case.closed_on = None
    record_change(actor, case, AuditAction.CASE_REOPEN, before, comment=reason)
    return case


def set_follow_up(actor: User, case: Case, on: date | None, *, expected_version: int | None = None) -> Case:
    """The date the caseworker means to follow the case up (None: no follow-up planned)."""
    ensure_current(case, expected_version)
    case.ensure_open()
    before = snapshot(case, ("follow_up_on",))
    case.follow_up_on = on
    record_change(actor, case, AuditAction.CASE_FOLLOW_UP, before)
    return case


def assign_case(actor: User, case: Case, caseworker: User) -> Case:
    case.ensure_open()
    if caseworker is None or caseworker.field_office_id != case.returnee.field_office_id or not caseworker.active \
            or not caseworker.role.belongs_to_office:
        raise ValidationFailed({"caseworker_id": _l("Choose an active caseworker of the returnee's office.")})
    before = snapshot(case, ("caseworker_id",))
    case.caseworker_id = caseworker.id
    record_change(actor, case, AuditAction.CASE_ASSIGN, before)
    return case


def reassign_cases(actor: User, cases: list[Case], caseworker: User) -> int:
    """Give these cases to another caseworker of their office: all of them or none. Returns how many moved."""
    if actor is None or not can_manage_cases(actor):
        raise ValidationFailed({"": _l("Only a supervisor reassigns cases.")})
    moved = 0
    for case in cases:
        if not can_access_office(actor, case.returnee.field_office_id):
            raise ValidationFailed({"": _l("You can reassign cases of your own office only.")})
        before = case.caseworker_id
        assign_case(actor, case, caseworker)
        moved += before != case.caseworker_id
    return moved
