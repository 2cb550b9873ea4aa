"""Use cases that write returnees. Each changes objects, flushes and logs; the view commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.audit.models import AuditAction
from caseapp.audit.services import actor_id, ensure_current, record_change, snapshot
from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.projects.models import Project
from caseapp.projects.rules import return_project_refusal
from caseapp.returnees.disclosure import duplicates_shown_to, sees_record
from caseapp.returnees.models import Returnee, ReturneeVulnerability, Vulnerability
from caseapp.returnees.queries import find_by_personal_number, find_same_name_and_birth
from caseapp.returnees.rules import (
    name_columns,
    normalise_name,
    normalise_personal_number,
    normalise_phone,
    returnee_errors,
)


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
    #: the project credited with the return; None: unchanged (Unassigned for a new returnee)
    return_project_id: int | None = None


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
    if values.return_project_id is not None:
        project = db.session.get(Project, values.return_project_id)
        refusal = (
            _l("Unknown project.") if project is None
            else return_project_refusal(project, office_id=values.field_office_id, on=values.return_date)
        )  # fmt: skip
        if refusal is not None and not (existing is not None and existing.return_project_id == values.return_project_id):
            errors["return_project_id"] = refusal
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
    if values.return_project_id is not None:
        returnee.return_project_id = values.return_project_id
    for column, key in name_columns(values.first_name, values.last_name).items():
        setattr(returnee, column, key)
    wanted = {Vulnerability(v) for v in values.vulnerabilities}
    returnee.vulnerability_rows = [row for row in returnee.vulnerability_rows if row.code in wanted] + [
        ReturneeVulnerability(code=code) for code in sorted(wanted - returnee.vulnerabilities)
    ]


def register_returnee(actor: User, values: ReturneeInput, *, confirm_duplicate: bool = False) -> Returnee:
    """Register a person; opening their first case is the cases feature's (casefile composes both)."""
    values = _clean(values)
    _check(actor, values, None, confirm_duplicate)
    returnee = Returnee(created_by_id=actor_id(actor), updated_by_id=actor_id(actor))
    _apply(returnee, values)
    db.session.add(returnee)
    record_change(actor, returnee, AuditAction.RETURNEE_CREATE)
    return returnee


def update_returnee(actor: User, returnee: Returnee, values: ReturneeInput, *, expected_version: int,
                    confirm_duplicate: bool = False) -> Returnee:
    ensure_current(returnee, expected_version)
    values = _clean(values)
    _check(actor, values, returnee, confirm_duplicate)
    before = snapshot(returnee)
    _apply(returnee, values)
    returnee.updated_by_id = actor_id(actor)
    record_change(actor, returnee, AuditAction.RETURNEE_UPDATE, before)
    return returnee
