"""Use cases for reference data: offices and the assistance catalog."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from decimal import Decimal

from caseapp.assistance.models import (
    ApprovalThreshold,
    AssistanceCategory,
    AssistanceRecord,
    AssistanceType,
    Currency,
)
from caseapp.audit.services import diff, log_change, snapshot
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice

TYPE_FIELDS = ["code", "name", "name_ka", "category", "carries_amount", "needs_approval", "active", "sort_order"]


OFFICE_FIELDS = ["name", "name_ka", "active"]


def save_office(actor, office: FieldOffice | None, *, name: str, active: bool, name_ka: str = "") -> FieldOffice:
    name, name_ka = name.strip(), (name_ka or "").strip()
    clash = db.session.scalar(select(FieldOffice).where(func.lower(FieldOffice.name) == name.lower()))
    if clash is not None and clash is not office:
        raise ValidationFailed({"name": _l("An office with this name exists.")})
    created = office is None
    office = office or FieldOffice()
    before = snapshot(office, OFFICE_FIELDS) if not created else {}
    office.name = name
    office.name_ka = name_ka
    office.active = active
    db.session.add(office)
    db.session.flush()
    log_change(actor, "office.create" if created else "office.update", "office", office.id,
               changes=diff(before, snapshot(office, OFFICE_FIELDS)))
    return office


def save_assistance_type(actor, kind: AssistanceType | None, **values) -> AssistanceType:
    values["code"] = values["code"].strip()
    values["name"] = values["name"].strip()
    values["name_ka"] = (values.get("name_ka") or "").strip()
    values["category"] = AssistanceCategory(values["category"])
    clash = db.session.scalar(select(AssistanceType).where(AssistanceType.code == values["code"]))
    errors = {}
    if clash is not None and clash is not kind:
        errors["code"] = _l("This code is used by another type.")
    if kind is not None and values["code"] != kind.code and _in_use(kind):
        errors["code"] = _l("Records use this type: its code cannot change.")
    if kind is not None and kind.carries_amount and not values["carries_amount"] and db.session.scalar(
        select(func.count()).where(AssistanceRecord.type_id == kind.id, AssistanceRecord.amount.is_not(None))
    ):
        errors["carries_amount"] = _l("Records of this type have amounts: it must keep carrying one.")
    if errors:
        raise ValidationFailed(errors)
    created = kind is None
    kind = kind or AssistanceType()
    before = snapshot(kind, TYPE_FIELDS) if not created else {}
    for name, value in values.items():
        setattr(kind, name, value)
    db.session.add(kind)
    db.session.flush()
    log_change(actor, "catalog.create" if created else "catalog.update", "assistance_type", kind.id,
               changes=diff(before, snapshot(kind, TYPE_FIELDS)))
    return kind


def _in_use(kind: AssistanceType) -> bool:
    return bool(db.session.scalar(select(func.count()).where(AssistanceRecord.type_id == kind.id)))


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
    existing = {t.currency: t for t in db.session.scalars(
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
        db.session.flush()
        log_change(actor, "office.thresholds", "office", office.id, changes=changes)
