"""The administrators' use cases: staff accounts, offices, approval thresholds and the assistance catalog."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.assistance.models import (
    ApprovalThreshold,
    AssistanceCategory,
    AssistanceRecord,
    AssistanceType,
    Currency,
)
from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_change, snapshot
from caseapp.auth.models import Role, User
from caseapp.auth.passwords import password_problem
from caseapp.auth.sessions import end_sessions_of
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.language import supported
from caseapp.language.vocabulary import VocabularyName, forget_custom_names
from caseapp.offices.models import FieldOffice


def create_user(actor, *, username: str, display_name: str, role: Role, password: str,
                field_office_id: int | None = None, active: bool = True, locale: str | None = None) -> User:
    errors = _user_errors(username=username, role=role, field_office_id=field_office_id)
    problem = password_problem(password, username=username.strip(), display_name=display_name.strip())
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username.strip(), display_name=display_name.strip(), role=role,
                field_office_id=field_office_id if role.belongs_to_office else None, active=active,
                locale=supported(locale))
    user.set_password(password)
    # A password an administrator chose is known to two people: its owner replaces it at first login.
    user.must_change_password = actor is not None
    db.session.add(user)
    record_change(actor, user, AuditAction.USER_CREATE, fields=("username", "role", "field_office_id"))
    return user


def update_user(actor, user: User, *, display_name: str, role: Role, field_office_id: int | None,
                active: bool, password: str | None = None, locale: str | None = None) -> User:
    errors = _user_errors(username=user.username, role=role, field_office_id=field_office_id, existing=user)
    if password:
        problem = password_problem(password, username=user.username, display_name=display_name.strip())
        if problem:
            errors["password"] = problem
    if actor.id == user.id and (not active or role != Role.ADMIN):
        errors["role"] = _l("You cannot demote or deactivate your own account.")
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(user, ("display_name", "role", "field_office_id", "active", "locale"))
    user.display_name = display_name.strip()
    user.role = role
    user.field_office_id = field_office_id if role.belongs_to_office else None
    user.active = active
    user.locale = supported(locale)
    if password:
        user.set_password(password)
        user.must_change_password = actor.id != user.id
    changed = record_change(actor, user, AuditAction.USER_UPDATE, before,
                            details={"password": ["***", "***"]} if password else None)
    if changed is not None and changed.changes.keys() & {"role", "field_office_id", "active", "password"}:
        # A new password, role, office or deactivation ends the account's open sessions at once.
        end_sessions_of(user)
    return user


def _user_errors(*, username: str, role: Role, field_office_id: int | None, existing: User | None = None):
    errors = {}
    clash = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if clash is not None and clash is not existing:
        errors["username"] = _l("This username is taken.")
    if role.belongs_to_office and not field_office_id:
        errors["field_office_id"] = _l("Caseworkers and supervisors belong to a field office.")
    return errors


OFFICE_FIELDS = ["name", "name_ka", "active"]


def save_office(actor, office: FieldOffice | None, *, name: str, active: bool, name_ka: str = "") -> FieldOffice:
    name, name_ka = name.strip(), (name_ka or "").strip()
    clash = db.session.scalar(select(FieldOffice).where(func.lower(FieldOffice.name) == name.lower()))
    if clash is not None and clash is not office:
        raise ValidationFailed({"name": _l("An office with this name exists.")})
    created = office is None
    office = office or FieldOffice()
    before = None if created else snapshot(office, OFFICE_FIELDS)
    office.name = name
    office.name_ka = name_ka
    office.active = active
    db.session.add(office)
    record_change(actor, office, AuditAction.OFFICE_CREATE if created else AuditAction.OFFICE_UPDATE, before,
                  fields=OFFICE_FIELDS)
    return office


def rename_choice(actor, kind: str, code: str, *, name: str, name_ka: str) -> VocabularyName:
    """Give a fixed choice (closure reason, vulnerability) the administrator's names; empty names bring
    back the default ones. The code, which reports and rules use, never changes."""
    entry = db.session.scalar(
        select(VocabularyName).where(VocabularyName.kind == kind, VocabularyName.code == code)
    ) or VocabularyName(kind=kind, code=code, name="", name_ka="")
    before = snapshot(entry, ("name", "name_ka")) if entry.id else {"name": "", "name_ka": ""}
    entry.name, entry.name_ka = (name or "").strip(), (name_ka or "").strip()
    db.session.add(entry)
    db.session.flush()
    record_change(actor, entry, AuditAction.VOCABULARY_RENAME, before)
    forget_custom_names()
    return entry


def save_assistance_type(actor, assistance_type: AssistanceType | None, **values) -> AssistanceType:
    values["code"] = values["code"].strip()
    values["name"] = values["name"].strip()
    values["name_ka"] = (values.get("name_ka") or "").strip()
    values["category"] = AssistanceCategory(values["category"])
    clash = db.session.scalar(select(AssistanceType).where(AssistanceType.code == values["code"]))
    errors = {}
    if clash is not None and clash is not assistance_type:
        errors["code"] = _l("This code is used by another type.")
    if assistance_type is not None and values["code"] != assistance_type.code and _in_use(assistance_type):
        errors["code"] = _l("Records use this type: its code cannot change.")
    loses_amounts = assistance_type is not None and assistance_type.carries_amount and not values["carries_amount"]
    if loses_amounts and db.session.scalar(
        select(func.count()).where(AssistanceRecord.type_id == assistance_type.id, AssistanceRecord.amount.is_not(None))
    ):
        errors["carries_amount"] = _l("Records of this type have amounts: it must keep carrying one.")
    if errors:
        raise ValidationFailed(errors)
    created = assistance_type is None
    assistance_type = assistance_type or AssistanceType()
    before = None if created else snapshot(assistance_type)
    for name, value in values.items():
        setattr(assistance_type, name, value)
    db.session.add(assistance_type)
    record_change(actor, assistance_type, AuditAction.CATALOG_CREATE if created else AuditAction.CATALOG_UPDATE, before)
    return assistance_type


def _in_use(assistance_type: AssistanceType) -> bool:
    return bool(db.session.scalar(select(func.count()).where(AssistanceRecord.type_id == assistance_type.id)))


def set_approval_thresholds(actor, office: FieldOffice, limits: dict[Currency, Decimal | None]) -> None:
    """Set the office's approval thresholds: amounts above them need a supervisor's approval.
    None removes the threshold of that currency (then only the type decides)."""
    from caseapp.assistance.services import AMOUNT_MAX

    errors = {}
    for currency, amount in limits.items():
        if amount is not None and (amount < 0 or amount > AMOUNT_MAX or amount != amount.quantize(Decimal("0.01"))):
            errors[currency.value] = _l("A positive amount with at most two decimals.")
    if errors:
        raise ValidationFailed(errors)
    existing = {threshold.currency: threshold for threshold in db.session.scalars(
        select(ApprovalThreshold).where(ApprovalThreshold.field_office_id == office.id))}
    changes = {}
    for currency, amount in limits.items():
        current = existing.get(currency)
        old = current.amount if current else None
        if old == amount:
            continue
        changes[currency.value] = [old, amount]
        if amount is None:
            db.session.delete(current)
        elif current is None:
            db.session.add(ApprovalThreshold(field_office_id=office.id, currency=currency, amount=amount))
        else:
            current.amount = amount
    if changes:
        record_change(actor, office, AuditAction.OFFICE_THRESHOLDS, fields=(), details=changes)
