"""Use cases that write assistance records."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

from caseapp.assistance.budget import approval_budget_refusal
from caseapp.assistance.models import (
    ApprovalDecision,
    ApprovalThreshold,
    AssistanceRecord,
    AssistanceStatus,
    AssistanceType,
    Currency,
    Decision,
)
from caseapp.assistance.signals import assistance_delivered
from caseapp.assistance.workflow import DECISIONS, FINAL, INITIAL, transition_error
from caseapp.audit.models import AuditAction
from caseapp.audit.services import actor_id, ensure_current, record_change, snapshot
from caseapp.auth.models import User
from caseapp.auth.policies import approval_refusal
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.projects.models import Project
from caseapp.projects.queries import active_projects_in_office, unassigned_project
from caseapp.projects.rules import choose_project
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today, utcnow

AMOUNT_MAX = Decimal("9999999999.99")


@dataclass
class AssistanceInput:
    assistance_type: AssistanceType
    provided_on: date | None
    status: AssistanceStatus | None = None
    amount: Decimal | None = None
    currency: Currency | None = None
    provider: str = ""
    notes: str = ""
    #: the project chosen to pay for it; None: the one project that fits, else Unassigned (projects.rules)
    project: Project | None = None
    #: the plan goal the assistance serves (a goal of the record's case)
    goal_id: int | None = None


def paying_project(values: AssistanceInput, office_id: int, *, keep: Project | None = None) -> Project:
    """The project that pays for a record (projects.rules.choose_project); ValidationFailed on the project
    field when the one chosen does not fit. An edit that names no project keeps the record's (`keep`)."""
    if values.project is None and keep is not None:
        return keep
    try:
        return choose_project(
            values.project, active_projects_in_office(office_id), unassigned_project(), office_id=office_id,
            type_id=values.assistance_type.id, on=values.provided_on, keep=keep,
        )  # fmt: skip
    except ValueError as problem:
        raise ValidationFailed({"project_id": str(problem)}) from None


def goal_belongs_to_case(goal_id: int, case_id: int | None) -> bool:
    """Whether the goal is one of the case's plan. Plans sit above assistance: their tables are read by
    name from the metadata, not imported."""
    if case_id is None:
        return False
    goals, plans = db.metadata.tables["plan_goal"], db.metadata.tables["reintegration_plan"]
    found = db.session.scalar(
        select(goals.c.id).join(plans, goals.c.plan_id == plans.c.id)
        .where(goals.c.id == goal_id, plans.c.case_id == case_id)
    )
    return found is not None


def _goal_error(values: AssistanceInput, case_id: int | None) -> dict[str, object]:
    if values.goal_id is not None and not goal_belongs_to_case(values.goal_id, case_id):
        return {"goal_id": _l("Choose a goal of this case's plan.")}
    return {}


def approval_threshold(office_id: int, currency) -> Decimal | None:
    """The office's threshold in this currency: amounts above it need an approval (None: no threshold)."""
    return db.session.scalar(
        select(ApprovalThreshold.amount)
        .where(ApprovalThreshold.field_office_id == office_id, ApprovalThreshold.currency == Currency(currency))
    )


def needs_approval(assistance_type: AssistanceType, amount: Decimal | None, currency, office_id: int) -> bool:
    """Whether a record must be approved by a supervisor before delivery: its type needs an approval, or
    its amount is above the office's threshold for that currency."""
    if assistance_type.needs_approval:
        return True
    if amount is None or currency is None:
        return False
    limit = approval_threshold(office_id, currency)
    return limit is not None and amount > limit


def record_needs_approval(record: AssistanceRecord) -> bool:
    return needs_approval(record.assistance_type, record.amount, record.currency, record.returnee.field_office_id)


def needs_approval_clause(office_id_column):
    """needs_approval() as SQL, for queries over AssistanceRecord joined with its AssistanceType;
    `office_id_column` is the returnee's office column of the query."""
    return or_(
        AssistanceType.needs_approval.is_(True),
        exists().where(
            ApprovalThreshold.field_office_id == office_id_column,
            ApprovalThreshold.currency == AssistanceRecord.currency,
            AssistanceRecord.amount > ApprovalThreshold.amount,
        ),
    )


def assistance_errors(values: AssistanceInput, *, on: date | None = None) -> dict[str, object]:
    """The rules an assistance record must satisfy (forms and import alike)."""
    on = on or today()
    errors: dict[str, object] = {}
    assistance_type = values.assistance_type
    if values.provided_on is None:
        errors["provided_on"] = _l("Required.")
    elif values.status == AssistanceStatus.DELIVERED and values.provided_on > on:
        errors["provided_on"] = _l("Delivered assistance cannot be dated in the future.")
    if values.amount is not None:
        if not assistance_type.carries_amount:
            errors["amount"] = _l("%(type)s does not carry an amount.", type=assistance_type.label)
        elif not isinstance(values.amount, Decimal) or not values.amount.is_finite():
            errors["amount"] = _l("Not a number.")
        elif values.amount < 0:
            errors["amount"] = _l("The amount cannot be negative.")
        elif values.amount > AMOUNT_MAX or values.amount != values.amount.quantize(Decimal("0.01")):
            errors["amount"] = _l("At most two decimals and ten digits before the point.")
        if values.currency is None and "amount" not in errors:
            errors["currency"] = _l("Choose the currency of the amount.")
    elif values.currency is not None and assistance_type.carries_amount:
        errors["amount"] = _l("Give the amount, or no currency.")
    if len(values.provider or "") > 200:
        errors["provider"] = _l("At most %(n)d characters.", n=200)
    return errors


def parse_amount(text: str | None) -> Decimal | None:
    """A decimal amount typed with a dot; raises ValueError for anything else."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def record_assistance(actor: User, returnee: Returnee, values: AssistanceInput) -> AssistanceRecord:
    assistance_type = values.assistance_type
    approval = needs_approval(assistance_type, values.amount, values.currency, returnee.field_office_id)
    status = values.status or (AssistanceStatus.REQUESTED if approval else AssistanceStatus.DELIVERED)
    errors = assistance_errors(AssistanceInput(**{**values.__dict__, "status": status}))
    if not assistance_type.active:
        errors["type_id"] = _l("This type of assistance is no longer offered.")
    if status not in INITIAL:
        errors["status"] = _l("A new record starts as planned, requested or delivered.")
    elif status == AssistanceStatus.DELIVERED and approval and assistance_type.needs_approval:
        errors["status"] = _l("%(type)s needs a supervisor's approval: record it as requested.",
                              type=assistance_type.label)
    elif status == AssistanceStatus.DELIVERED and approval:
        errors["status"] = _l("The amount is above the office's approval threshold: record it as requested.")
    case = returnee.current_case
    refusal = case.change_refusal() if case is not None else None  # a closed case takes no new assistance
    if refusal is not None:
        errors[""] = refusal
    errors.update(_goal_error(values, case.id if case is not None else None))
    if errors:
        raise ValidationFailed(errors)
    project = paying_project(values, returnee.field_office_id)
    record = AssistanceRecord(
        returnee=returnee,
        project=project,
        case=case,
        assistance_type=assistance_type,
        provided_on=values.provided_on,
        status=status,
        amount=values.amount if assistance_type.carries_amount else None,
        currency=values.currency if (assistance_type.carries_amount and values.amount is not None) else None,
        provider=(values.provider or "").strip(),
        notes=(values.notes or "").strip(),
        recorded_by_id=actor_id(actor),
        requested_by_id=actor_id(actor) if status == AssistanceStatus.REQUESTED else None,
        updated_by_id=actor_id(actor),
        goal_id=values.goal_id,
    )
    db.session.add(record)
    record_change(actor, record, AuditAction.ASSISTANCE_CREATE)
    if status == AssistanceStatus.DELIVERED:
        assistance_delivered.send(record, actor=actor)
    return record


def update_assistance(actor: User, record: AssistanceRecord, values: AssistanceInput, *,
                      expected_version: int) -> AssistanceRecord:
    """Correct the details of a record that is still open (type, date, amount, provider, notes)."""
    ensure_current(record, expected_version)
    ensure_case_open(record)
    if record.status in FINAL and record.status != AssistanceStatus.DELIVERED:
        raise ValidationFailed({"": _l("A %(status)s record cannot be edited.", status=record.status.label)})
    values.status = record.status
    errors = assistance_errors(values)
    if values.assistance_type.id != record.type_id and record.status != AssistanceStatus.PLANNED:
        errors["type_id"] = _l("The type can be changed only while the record is planned.")
    money_changed = values.amount != record.amount or values.currency != record.currency
    if record.status == AssistanceStatus.DELIVERED and money_changed:
        errors["amount"] = _l("A delivered amount cannot be changed; cancel and record it anew.")
    errors.update(_goal_error(values, record.case_id))
    if errors:
        raise ValidationFailed(errors)
    project = paying_project(values, record.returnee.field_office_id, keep=record.project)
    before = snapshot(record)
    if money_changed and record.status == AssistanceStatus.REQUESTED:
        record.requested_by_id = actor_id(actor)  # who asks for this amount cannot approve it
    elif money_changed and record.status == AssistanceStatus.APPROVED \
            and not within_approval(record.last_decision, values.amount, values.currency):
        # More than was approved: it goes back to the supervisor, asked for by whoever raised it.
        record.status = AssistanceStatus.REQUESTED
        record.requested_by_id = actor_id(actor)
    record.assistance_type = values.assistance_type
    record.type_id = values.assistance_type.id
    record.provided_on = values.provided_on
    record.amount = values.amount
    record.currency = values.currency if values.amount is not None else None
    record.provider = (values.provider or "").strip()
    record.notes = (values.notes or "").strip()
    record.project = project
    record.goal_id = values.goal_id
    record.updated_by_id = actor_id(actor)
    record_change(actor, record, AuditAction.ASSISTANCE_UPDATE, before)
    return record


def within_approval(decision: ApprovalDecision | None, amount: Decimal | None, currency) -> bool:
    """Whether an amount is covered by an approval: same currency, not more than what was approved."""
    if decision is None or decision.decision != Decision.APPROVED:
        return False
    if amount is None or decision.amount is None:
        return amount is None
    return currency == decision.currency and amount <= decision.amount


def ensure_case_open(record: AssistanceRecord) -> None:
    """The assistance of a closed case is read-only: the case-open rule of the record's case."""
    if record.case is not None:
        record.case.ensure_open()


def ensure_transition(record: AssistanceRecord, new_status: AssistanceStatus) -> None:
    """Refuse a status change the workflow does not allow, saying why; nothing is changed."""
    error = transition_error(record.status, new_status, record_needs_approval(record))
    if error is None and new_status == AssistanceStatus.DELIVERED and record.status == AssistanceStatus.APPROVED \
            and record.decisions and not within_approval(record.last_decision, record.amount, record.currency):
        error = _l("The amount is more than was approved: it needs a new approval.")
    if error is not None:
        raise ValidationFailed({"status": error})


def change_assistance_status(actor: User, record: AssistanceRecord, new_status: AssistanceStatus, *,
                             expected_version: int | None = None, comment: str | None = None) -> AssistanceRecord:
    """Move a record along the workflow; approving and rejecting are a supervisor's decision."""
    if new_status in DECISIONS:
        return decide_request(actor, record, Decision(new_status.value), comment=comment,
                              expected_version=expected_version)
    if new_status == AssistanceStatus.DELIVERED:
        return deliver_assistance(actor, record, delivered_on=today(), comment=comment,
                                  expected_version=expected_version)
    ensure_current(record, expected_version)
    ensure_transition(record, new_status)
    ensure_case_open(record)
    if new_status == AssistanceStatus.REQUESTED:
        record.requested_by_id = actor_id(actor)
    _set_status(actor, record, new_status, AuditAction.ASSISTANCE_STATUS, comment=comment)
    return record


def requested_on(record: AssistanceRecord) -> date:
    """The day the record was asked for: when it was made, or its planned date if that is earlier (a plan
    logged afterwards, imported history). Nothing is delivered before it."""
    return min((record.created_at or utcnow()).date(), record.provided_on)


def delivery_errors(record: AssistanceRecord, delivered_on: date | None, paid: Decimal | None, *,
                    on: date | None = None) -> dict[str, object]:
    """What is wrong with a delivery: the date (required, not in the future, not before the request) and the
    amount paid. Paying less than recorded (or approved) is allowed; paying more is allowed only where the
    higher amount needs no approval: otherwise the amount must be raised first (Edit), which sends the
    record back to a supervisor."""
    on = on or today()
    errors: dict[str, object] = {}
    if delivered_on is None:
        errors["delivered_on"] = _l("Required.")
    elif delivered_on > on:
        errors["delivered_on"] = _l("The delivery date cannot be in the future.")
    elif delivered_on < requested_on(record):
        errors["delivered_on"] = _l("The delivery date cannot be before the record was made (%(date)s).",
                                    date=requested_on(record).isoformat())
    if paid is not None and paid != record.amount:
        assistance_type = record.assistance_type
        if not assistance_type.carries_amount or record.currency is None:
            errors["amount"] = _l("%(type)s does not carry an amount.", type=assistance_type.label)
        elif not paid.is_finite() or paid < 0:
            errors["amount"] = _l("The amount cannot be negative.")
        elif paid > AMOUNT_MAX or paid != paid.quantize(Decimal("0.01")):
            errors["amount"] = _l("At most two decimals and ten digits before the point.")
        elif paid > record.amount and needs_approval(
            assistance_type, paid, record.currency, record.returnee.field_office_id
        ):
            errors["amount"] = _l(
                "More than the %(amount)s recorded needs a supervisor's approval: change the amount with "
                "Edit first (it goes back for approval), or deliver at most that amount.",
                amount=f"{record.amount} {record.currency.value}")
    return errors


def deliver_assistance(actor: User, record: AssistanceRecord, *, delivered_on: date | None,
                       paid: Decimal | None = None, comment: str | None = None,
                       expected_version: int | None = None) -> AssistanceRecord:
    """Mark a record delivered on the day it was delivered, with the amount actually paid (None: the
    amount recorded). The record's date becomes the delivery date, which is the date the reports count
    it on; the planned date and the amount asked for stay in the change log."""
    ensure_current(record, expected_version)
    ensure_transition(record, AssistanceStatus.DELIVERED)
    ensure_case_open(record)
    errors = delivery_errors(record, delivered_on, paid)
    if errors:
        raise ValidationFailed(errors)
    # the change log keeps the planned date and the amount asked for: [old, new] when they change
    before = snapshot(record, ("status", "provided_on", "amount"))
    record.provided_on = delivered_on
    if paid is not None:
        record.amount = paid
    record.status = AssistanceStatus.DELIVERED
    record.updated_by_id = actor_id(actor)
    record_change(actor, record, AuditAction.ASSISTANCE_STATUS, before, comment=(comment or "").strip() or None)
    assistance_delivered.send(record, actor=actor)
    return record


def decide_request(actor: User, record: AssistanceRecord, decision: Decision, *, comment: str | None = None,
                   expected_version: int | None = None) -> ApprovalDecision:
    """A supervisor approves or rejects a requested record (a reason is required to reject)."""
    ensure_current(record, expected_version)
    new_status = AssistanceStatus(decision.value)
    ensure_transition(record, new_status)
    refusal = approval_refusal(actor, record)
    if refusal is None and decision == Decision.APPROVED:
        refusal = approval_budget_refusal(record)
    if refusal is not None:
        raise ValidationFailed({"": refusal})
    ensure_case_open(record)
    comment = (comment or "").strip()
    if decision == Decision.REJECTED and not comment:
        raise ValidationFailed({"comment": _l("Give the reason for rejecting the request.")})
    outcome = ApprovalDecision(
        decision=decision, decided_by_id=actor.id, decided_by_name=actor.display_name, comment=comment,
        amount=record.amount, currency=record.currency,
    )
    record.decisions.append(outcome)
    action = AuditAction.ASSISTANCE_APPROVE if decision == Decision.APPROVED else AuditAction.ASSISTANCE_REJECT
    _set_status(actor, record, new_status, action, comment=comment or None, details={"amount": record.amount})
    return outcome


def approve_request(actor: User, record: AssistanceRecord, comment: str = "", **kwargs) -> ApprovalDecision:
    return decide_request(actor, record, Decision.APPROVED, comment=comment, **kwargs)


def reject_request(actor: User, record: AssistanceRecord, reason: str, **kwargs) -> ApprovalDecision:
    return decide_request(actor, record, Decision.REJECTED, comment=reason, **kwargs)


def _set_status(actor: User, record: AssistanceRecord, new_status: AssistanceStatus, action: AuditAction, *,
                comment: str | None = None, details: dict | None = None) -> None:
    before = snapshot(record, ("status",))
    record.status = new_status
    record.updated_by_id = actor_id(actor)
    record_change(actor, record, action, before, details=details, comment=comment)
