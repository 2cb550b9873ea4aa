"""Use cases that write partners and referrals. They flush and audit; the request commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceType
from caseapp.audit.models import AuditAction
from caseapp.audit.services import actor_id, ensure_current, record_change, snapshot
from caseapp.auth.models import User
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.referrals.consent_gate import consent_missing
from caseapp.referrals.models import Partner, Referral, ReferralStatus
from caseapp.referrals.workflow import ANSWERS, CLOSINGS, NEED_REASON, transition_error
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today, utcnow

#: default of REFERRAL_ANSWER_DAYS: a referral still "sent" after this many days is overdue
REFERRAL_ANSWER_DAYS = 14


def answer_days() -> int:
    """How many days a partner has to accept or decline (setting REFERRAL_ANSWER_DAYS)."""
    return int(current_app.config.get("REFERRAL_ANSWER_DAYS", REFERRAL_ANSWER_DAYS))


def overdue_before(on: date | None = None) -> date:
    """A referral sent before this day and still unanswered is overdue."""
    return (on or today()) - timedelta(days=answer_days())


def is_overdue(referral: Referral, on: date | None = None) -> bool:
    return referral.status == ReferralStatus.SENT and referral.sent_on < overdue_before(on)


# --- partners ---------------------------------------------------------------------------------------------


@dataclass
class PartnerInput:
    name: str
    name_ka: str = ""
    contact_person: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    notes: str = ""
    active: bool = True
    services: list[AssistanceType] = field(default_factory=list)
    offices: list[FieldOffice] = field(default_factory=list)


def partner_errors(values: PartnerInput, partner: Partner | None = None) -> dict[str, object]:
    errors: dict[str, object] = {}
    name = values.name.strip()
    if not name:
        errors["name"] = _l("Required.")
    else:
        same = db.session.scalar(select(Partner.id).where(func.lower(Partner.name) == name.lower()))
        if same is not None and (partner is None or same != partner.id):
            errors["name"] = _l("A partner of this name exists already.")
    if not values.services:
        errors["service_ids"] = _l("Choose at least one service the partner offers.")
    if not values.offices:
        errors["office_ids"] = _l("Choose at least one field office whose returnees the partner takes.")
    if values.email.strip() and "@" not in values.email:
        errors["email"] = _l("Not an e-mail address.")
    return errors


def _apply_partner(partner: Partner, values: PartnerInput) -> None:
    for name in ("name", "name_ka", "contact_person", "phone", "email", "address", "notes"):
        setattr(partner, name, (getattr(values, name) or "").strip())
    partner.active = values.active
    partner.services = list(values.services)
    partner.offices = list(values.offices)


def create_partner(actor: User, values: PartnerInput) -> Partner:
    errors = partner_errors(values)
    if errors:
        raise ValidationFailed(errors)
    partner = Partner()
    _apply_partner(partner, values)
    db.session.add(partner)
    record_change(actor, partner, AuditAction.PARTNER_CREATE)
    return partner


def update_partner(actor: User, partner: Partner, values: PartnerInput, *, expected_version: int | None) -> Partner:
    ensure_current(partner, expected_version)
    errors = partner_errors(values, partner)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(partner)
    _apply_partner(partner, values)
    if snapshot(partner) != before:
        # services and offices live in other tables: touch the row so that its version moves too
        partner.updated_at = utcnow()
    record_change(actor, partner, AuditAction.PARTNER_UPDATE, before)
    return partner


# --- referrals --------------------------------------------------------------------------------------------


def referral_errors(
    returnee: Returnee,
    partner: Partner | None,
    service: AssistanceType | None,
    sent_on: date | None,
    *,
    on: date | None = None,
) -> dict[str, object]:
    on = on or today()
    errors: dict[str, object] = {}
    if partner is None:
        errors["partner_id"] = _l("Choose a partner.")
    elif not partner.active:
        errors["partner_id"] = _l("%(partner)s no longer takes referrals.", partner=partner.label)
    elif not partner.covers(returnee.field_office_id):
        errors["partner_id"] = _l(
            "%(partner)s does not take returnees of %(office)s.",
            partner=partner.label,
            office=returnee.field_office.label,
        )
    if service is None:
        errors["service_id"] = _l("Choose the service.")
    elif partner is not None and "partner_id" not in errors and not partner.offers(service.id):
        errors["service_id"] = _l(
            "%(partner)s does not offer %(service)s.", partner=partner.label, service=service.label
        )
    if sent_on is None:
        errors["sent_on"] = _l("Required.")
    elif sent_on > on:
        errors["sent_on"] = _l("The date cannot be in the future.")
    elif sent_on < returnee.return_date:
        errors["sent_on"] = _l(
            "The date cannot be before the return (%(date)s).", date=returnee.return_date.isoformat()
        )
    refusal = consent_missing(returnee, "referral", on=sent_on)
    if refusal is not None:
        errors[""] = refusal
    case = returnee.current_case
    if case is None:
        errors[""] = _l("Open a case before referring the returnee.")
    elif case.change_refusal() is not None:
        errors[""] = case.change_refusal()
    return errors


def refer(
    actor: User,
    returnee: Returnee,
    partner: Partner | None,
    service: AssistanceType | None,
    *,
    sent_on: date | None,
    reason: str = "",
) -> Referral:
    """Refer the returnee's case to a partner for a service. Refused without the returnee's consent to
    referral (consent_gate), naming what is missing; nothing is written then."""
    errors = referral_errors(returnee, partner, service, sent_on)
    if errors:
        raise ValidationFailed(errors)
    referral = Referral(
        returnee=returnee,
        case=returnee.current_case,
        partner=partner,
        service=service,
        status=ReferralStatus.SENT,
        sent_on=sent_on,
        reason=(reason or "").strip(),
        referred_by_id=actor_id(actor),
        updated_by_id=actor_id(actor),
    )
    db.session.add(referral)
    record_change(actor, referral, AuditAction.REFERRAL_CREATE)
    return referral


def step_errors(
    referral: Referral, new_status: ReferralStatus, on: date | None, note: str, *, today_: date | None = None
) -> dict[str, object]:
    """What is wrong with taking this step on this day with this note."""
    errors: dict[str, object] = {}
    error = transition_error(referral.status, new_status)
    if error is not None:
        return {"status": error}
    earliest = referral.sent_on if new_status in ANSWERS else (referral.answered_on or referral.sent_on)
    if on is None:
        errors["on"] = _l("Required.")
    elif on > (today_ or today()):
        errors["on"] = _l("The date cannot be in the future.")
    elif on < earliest:
        errors["on"] = _l("The date cannot be before the previous step (%(date)s).", date=earliest.isoformat())
    if new_status in NEED_REASON and not (note or "").strip():
        errors["note"] = _l("Say why in the outcome note.")
    return errors


def change_referral_status(
    actor: User,
    referral: Referral,
    new_status: ReferralStatus,
    *,
    on: date | None,
    note: str = "",
    expected_version: int | None = None,
) -> Referral:
    """Take one step of the loop: the partner accepted or declined, the service was completed or not."""
    ensure_current(referral, expected_version)
    if referral.case is not None:
        referral.case.ensure_open()
    errors = step_errors(referral, new_status, on, note)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(referral, ("status", "answered_on", "closed_on", "outcome_note"))
    referral.status = new_status
    if new_status in ANSWERS:
        referral.answered_on = on
    if new_status in CLOSINGS:
        referral.closed_on = on
    note = (note or "").strip()
    if note:
        referral.outcome_note = f"{referral.outcome_note}\n{note}".strip() if referral.outcome_note else note
    referral.updated_by_id = actor_id(actor)
    record_change(actor, referral, AuditAction.REFERRAL_STATUS, before)
    return referral
