"""Use cases that write returnees and cases. Each changes objects, flushes and logs; the view commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.audit.models import AuditEntry
from caseapp.audit.services import diff, log_change, snapshot
from caseapp.auth.models import User
from caseapp.auth.policies import can_access_office, can_manage_cases, office_scope
from caseapp.errors import StaleEdit, ValidationFailed
from caseapp.extensions import db
from caseapp.returnees.disclosure import duplicates_shown_to, sees_record
from caseapp.returnees.models import Case, CaseStatus, ClosureReason, Returnee, ReturneeVulnerability, Vulnerability
from caseapp.returnees.queries import find_by_personal_number, find_same_name_and_birth
from caseapp.returnees.rules import (
    normalise_name,
    normalise_personal_number,
    normalise_phone,
    returnee_errors,
)
from caseapp.timeutil import today

AUDITED_RETURNEE_FIELDS = [
    "first_name", "last_name", "sex", "date_of_birth", "personal_number", "phone", "field_office_id",
    "return_date", "returned_from", "consent_given", "consent_date", "external_id", "vulnerabilities",
]


@dataclass
class ReturneeInput:
    first_name: str
    last_name: str
    sex: str
    date_of_birth: date | None
    return_date: date | None
    returned_from: str
    field_office_id: int
    personal_number: str | None = None
    phone: str | None = None
    vulnerabilities: frozenset[str] = frozenset()
    consent_given: bool = False
    consent_date: date | None = None
    external_id: str | None = None


class PossibleDuplicate(ValidationFailed):
    """A returnee with the same name and date of birth exists; the user must confirm (no field is wrong)."""

    def __init__(self, matches: list[Returnee]):
        super().__init__({})
        self.matches = matches


class DuplicatePersonalNumber(ValidationFailed):
    """The personal number is taken; `existing` is that returnee only when the actor may see them."""

    def __init__(self, existing: Returnee | None):
        super().__init__({"personal_number": _l("This personal number is already registered.") if existing
                          else _l("This personal number is already registered; ask your supervisor.")})
        self.existing = existing


def _clean(values: ReturneeInput) -> ReturneeInput:
    values.first_name = (values.first_name or "").strip()
    values.last_name = (values.last_name or "").strip()
    values.returned_from = (values.returned_from or "").strip()
    values.personal_number = normalise_personal_number(values.personal_number)
    values.phone = normalise_phone(values.phone)
    values.external_id = (values.external_id or "").strip() or None
    if not values.consent_given:
        values.consent_date = None
    return values


def _check(actor: User, values: ReturneeInput, existing: Returnee | None, confirm_duplicate: bool) -> None:
    errors = returnee_errors(
        first_name=values.first_name, last_name=values.last_name, sex=values.sex,
        date_of_birth=values.date_of_birth, return_date=values.return_date,
        personal_number=values.personal_number, phone=values.phone, returned_from=values.returned_from,
        consent_given=values.consent_given, consent_date=values.consent_date,
    )
    unknown = set(values.vulnerabilities) - {v.value for v in Vulnerability}
    if unknown:
        errors["vulnerabilities"] = _l("Unknown vulnerability: %(codes)s", codes=", ".join(sorted(unknown)))
    scope = office_scope(actor) if actor is not None else None
    if scope is not None and values.field_office_id != scope:
        errors["field_office_id"] = _l("You can register returnees of your own office only.")
    if errors:
        raise ValidationFailed(errors)
    if values.personal_number:
        clash = find_by_personal_number(values.personal_number)
        if clash is not None and clash is not existing:
            raise DuplicatePersonalNumber(clash if sees_record(actor, clash.field_office_id) else None)
    if values.external_id:
        clash = db.session.scalar(select(Returnee).where(Returnee.external_id == values.external_id))
        if clash is not None and clash is not existing:
            raise ValidationFailed({"external_id": _l("This external id is already used by another record.")})
    if not confirm_duplicate:
        name_changed = existing is None or (
            normalise_name(values.first_name, values.last_name) != existing.search_name
            or values.date_of_birth != existing.date_of_birth
        )
        if name_changed:
            matches = find_same_name_and_birth(
                values.first_name, values.last_name, values.date_of_birth,
                exclude_id=existing.id if existing else None,
            )
            shown = duplicates_shown_to(actor, matches)
            if shown:
                raise PossibleDuplicate(shown)


def _apply(returnee: Returnee, values: ReturneeInput) -> None:
    for name in ("first_name", "last_name", "date_of_birth", "return_date", "returned_from",
                 "field_office_id", "personal_number", "phone", "consent_given", "consent_date", "external_id"):
        setattr(returnee, name, getattr(values, name))
    returnee.sex = values.sex
    returnee.search_name = normalise_name(values.first_name, values.last_name)
    wanted = {Vulnerability(v) for v in values.vulnerabilities}
    returnee.vulnerability_rows = [row for row in returnee.vulnerability_rows if row.code in wanted] + [
        ReturneeVulnerability(code=code) for code in sorted(wanted - returnee.vulnerabilities)
    ]


def register_returnee(actor: User, values: ReturneeInput, *, confirm_duplicate: bool = False,
                      open_case: bool = True) -> Returnee:
    values = _clean(values)
    _check(actor, values, None, confirm_duplicate)
    returnee = Returnee(created_by_id=getattr(actor, "id", None), updated_by_id=getattr(actor, "id", None))
    _apply(returnee, values)
    db.session.add(returnee)
    db.session.flush()
    log_change(actor, "returnee.create", "returnee", returnee.id, returnee_id=returnee.id,
               entity_version=returnee.version, changes=snapshot(returnee, AUDITED_RETURNEE_FIELDS))
    if open_case:
        open_new_case(actor, returnee)
    return returnee


def update_returnee(actor: User, returnee: Returnee, values: ReturneeInput, *, expected_version: int,
                    confirm_duplicate: bool = False) -> Returnee:
    ensure_current(returnee, "returnee", expected_version)
    values = _clean(values)
    _check(actor, values, returnee, confirm_duplicate)
    before = snapshot(returnee, AUDITED_RETURNEE_FIELDS)
    _apply(returnee, values)
    returnee.updated_by_id = getattr(actor, "id", None)
    changes = diff(before, snapshot(returnee, AUDITED_RETURNEE_FIELDS))
    if changes:
        db.session.flush()
        log_change(actor, "returnee.update", "returnee", returnee.id, returnee_id=returnee.id,
                   entity_version=returnee.version, changes=changes)
    return returnee


def ensure_current(instance, entity_type: str, expected_version: int | None) -> None:
    """Refuse an edit made on a stale form, telling what was changed since the form was loaded."""
    if expected_version is None or instance.version == expected_version:
        return
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == instance.id,
               AuditEntry.entity_version > expected_version)
        .order_by(AuditEntry.id)
    )
    raise StaleEdit([
        {"user": entry.user_name, "at": entry.created_at, "changes": entry.changes} for entry in entries
    ])


# --- cases -------------------------------------------------------------------------------------------

#: the case workflow in one place: status -> statuses it may move to. A closed case is read-only:
#: only a supervisor (or administrator) reopens it, with a reason (reopen_case), to REOPENED_STATUS.
CASE_TRANSITIONS: dict[CaseStatus, set[CaseStatus]] = {
    CaseStatus.OPEN: {CaseStatus.ACTIVE, CaseStatus.CLOSED},
    CaseStatus.ACTIVE: {CaseStatus.MONITORING, CaseStatus.CLOSED},
    CaseStatus.MONITORING: {CaseStatus.ACTIVE, CaseStatus.CLOSED},
    CaseStatus.CLOSED: set(),
}
REOPENED_STATUS = CaseStatus.ACTIVE


def ensure_case_open(case: Case) -> None:
    if case.is_closed:
        raise ValidationFailed({"": _l("The case is closed: it cannot be changed. A supervisor may reopen it.")})


def open_new_case(actor: User, returnee: Returnee, *, caseworker_id: int | None = None,
                  opened_on: date | None = None) -> Case:
    if any(case.status != CaseStatus.CLOSED for case in returnee.cases):
        raise ValidationFailed({"": _l("This returnee already has a case that is not closed.")})
    if caseworker_id is None and actor is not None and actor.role.belongs_to_office \
            and actor.field_office_id == returnee.field_office_id:
        caseworker_id = actor.id
    case = Case(returnee=returnee, status=CaseStatus.OPEN, caseworker_id=caseworker_id,
                opened_on=opened_on or today(), plan="")
    db.session.add(case)
    db.session.flush()
    log_change(actor, "case.open", "case", case.id, returnee_id=returnee.id, entity_version=case.version,
               changes={"status": case.status, "caseworker_id": caseworker_id})
    return case


def change_case_status(actor: User, case: Case, new_status: CaseStatus, *, expected_version: int | None = None,
                       reason: ClosureReason | None = None, note: str | None = None) -> Case:
    ensure_current(case, "case", expected_version)
    if new_status not in CASE_TRANSITIONS[case.status]:
        raise ValidationFailed({"status": _l("A case cannot go from %(old)s to %(new)s.",
                                             old=case.status.label, new=new_status.label)})
    note = (note or "").strip() or None
    if new_status == CaseStatus.CLOSED:
        if _open_assistance_count(case):
            raise ValidationFailed({"status": _l(
                "This case still has planned, requested or approved assistance: deliver or cancel it first.")})
        if reason is None:
            raise ValidationFailed({"reason": _l("Give the reason for closing the case.")})
        if reason == ClosureReason.OTHER and not note:
            raise ValidationFailed({"note": _l("Describe the reason when it is 'other'.")})
        case.closure_reason = reason
        case.closure_note = note
        case.closed_on = today()
    old = case.status
    case.status = new_status
    db.session.flush()
    log_change(actor, "case.status", "case", case.id, returnee_id=case.returnee_id,
               entity_version=case.version,
               changes={"status": [old, new_status], **({"closure_reason": reason} if reason else {})},
               comment=note)
    return case


def _open_assistance_count(case: Case) -> int:
    from caseapp.assistance.models import AssistanceRecord
    from caseapp.assistance.workflow import OPEN

    return db.session.scalar(
        select(func.count(AssistanceRecord.id))
        .where(AssistanceRecord.case_id == case.id, AssistanceRecord.status.in_(OPEN))
    )


def reopen_case(actor: User, case: Case, reason: str | None, *, expected_version: int | None = None) -> Case:
    """Reopen a closed case (supervisors): the same case continues, with its history; the closure is
    cleared from the case and kept in the change log."""
    ensure_current(case, "case", expected_version)
    if actor is None or not can_manage_cases(actor):
        raise ValidationFailed({"status": _l("Only a supervisor reopens a case.")})
    if not case.is_closed:
        raise ValidationFailed({"status": _l("This case is not closed.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"note": _l("Give the reason for reopening the case.")})
    if any(other.status != CaseStatus.CLOSED for other in case.returnee.cases if other is not case):
        raise ValidationFailed({"status": _l("This returnee has another case that is not closed.")})
    old_reason = case.closure_reason
    case.status = REOPENED_STATUS
    case.closure_reason = None
    case.closure_note = None
    case.closed_on = None
    db.session.flush()
    log_change(actor, "case.reopen", "case", case.id, returnee_id=case.returnee_id, entity_version=case.version,
               changes={"status": [CaseStatus.CLOSED, REOPENED_STATUS], "closure_reason": [old_reason, None]},
               comment=reason)
    return case


def set_follow_up(actor: User, case: Case, on: date | None, *, expected_version: int | None = None) -> Case:
    """The date the caseworker means to follow the case up (None: no follow-up planned)."""
    ensure_current(case, "case", expected_version)
    ensure_case_open(case)
    if case.follow_up_on != on:
        old = case.follow_up_on
        case.follow_up_on = on
        db.session.flush()
        log_change(actor, "case.follow_up", "case", case.id, returnee_id=case.returnee_id,
                   entity_version=case.version, changes={"follow_up_on": [old, on]})
    return case


def update_plan(actor: User, case: Case, plan: str, *, expected_version: int | None) -> Case:
    ensure_current(case, "case", expected_version)
    if case.is_closed:
        raise ValidationFailed({"plan": _l("A closed case cannot be changed.")})
    plan = (plan or "").strip()
    if plan != case.plan:
        old = case.plan
        case.plan = plan
        db.session.flush()
        log_change(actor, "case.plan", "case", case.id, returnee_id=case.returnee_id,
                   entity_version=case.version, changes={"plan": [old, plan]})
    return case


def assign_case(actor: User, case: Case, caseworker: User) -> Case:
    ensure_case_open(case)
    if caseworker is None or caseworker.field_office_id != case.returnee.field_office_id or not caseworker.active \
            or not caseworker.role.belongs_to_office:
        raise ValidationFailed({"caseworker_id": _l("Choose an active caseworker of the returnee's office.")})
    if case.caseworker_id != caseworker.id:
        old = case.caseworker_id
        case.caseworker_id = caseworker.id
        db.session.flush()
        log_change(actor, "case.assign", "case", case.id, returnee_id=case.returnee_id,
                   entity_version=case.version, changes={"caseworker_id": [old, caseworker.id]})
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
