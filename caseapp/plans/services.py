"""Use cases of the reintegration plan. Each changes objects, flushes and logs; the request commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from caseapp.assistance.models import AssistanceType, Currency
from caseapp.audit.models import AuditAction
from caseapp.audit.services import ensure_current, record_change, snapshot
from caseapp.auth.models import Role, User
from caseapp.auth.policies import can_access_office, can_edit_case_data
from caseapp.cases.models import Case
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.plans.models import GoalStatus, PlanGoal, PlannedAssistance, PlanStatus, ReintegrationPlan
from caseapp.plans.signals import plan_approved
from caseapp.questionnaires.models import Dimension
from caseapp.timeutil import utcnow

AMOUNT_MAX = Decimal("9999999999.99")
DESCRIPTION_MAX = 2000


@dataclass
class PlannedInput:
    assistance_type: AssistanceType
    estimated_amount: Decimal | None = None
    currency: Currency | None = None


@dataclass
class GoalInput:
    dimension: Dimension | None
    description: str
    referral_needed: bool = False
    target_date: date | None = None
    status: GoalStatus = GoalStatus.PLANNED
    drop_reason: str = ""
    planned: list[PlannedInput] = field(default_factory=list)


def _ensure_may_write(actor: User, case: Case) -> None:
    if not (can_edit_case_data(actor) and can_access_office(actor, case.returnee.field_office_id)):
        raise ValidationFailed({"": _l("Only staff of the returnee's office change this plan.")})
    case.ensure_open()


def plan_of(case: Case) -> ReintegrationPlan | None:
    return db.session.query(ReintegrationPlan).filter_by(case_id=case.id).one_or_none()


def ensure_plan(actor: User, case: Case) -> ReintegrationPlan:
    """The case's plan, started (empty, a draft) when it has none."""
    plan = plan_of(case)
    if plan is None:
        _ensure_may_write(actor, case)
        plan = ReintegrationPlan(case=case, summary="", status=PlanStatus.DRAFT, drafted_by_id=actor.id)
        db.session.add(plan)
        record_change(actor, plan, AuditAction.PLAN_CREATE)
    return plan


def _redraft(actor: User, plan: ReintegrationPlan) -> None:
    """What the plan says changed: it needs a new approval, and its drafter is the one who changed it."""
    plan.status = PlanStatus.DRAFT
    plan.drafted_by_id = actor.id
    plan.approved_by_id = None
    plan.approved_by_name = None
    plan.approved_at = None


def update_summary(actor: User, case: Case, summary: str, *, expected_version: int | None) -> ReintegrationPlan:
    plan = ensure_plan(actor, case)
    ensure_current(plan, expected_version)
    _ensure_may_write(actor, case)
    summary = (summary or "").strip()
    if summary == plan.summary:
        return plan
    before = snapshot(plan)
    plan.summary = summary
    _redraft(actor, plan)
    record_change(actor, plan, AuditAction.CASE_PLAN, before)
    return plan


def goal_errors(values: GoalInput) -> dict[str, object]:
    errors: dict[str, object] = {}
    if values.dimension is None:
        errors["dimension"] = _l("Choose the dimension of the goal.")
    description = (values.description or "").strip()
    if not description:
        errors["description"] = _l("Say what the goal is.")
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _l("At most %(n)d characters.", n=DESCRIPTION_MAX)
    if values.status == GoalStatus.DROPPED and not (values.drop_reason or "").strip():
        errors["drop_reason"] = _l("Give the reason the goal is dropped.")
    for planned in values.planned:
        amount = planned.estimated_amount
        if amount is None:
            if planned.currency is not None:
                errors["planned"] = _l("Give the estimated cost, or no currency.")
            continue
        if not planned.assistance_type.carries_amount:
            errors["planned"] = _l("%(type)s does not carry an amount.", type=planned.assistance_type.label)
        elif planned.currency is None:
            errors["planned"] = _l("Choose the currency of the estimated cost.")
        elif amount < 0 or amount > AMOUNT_MAX or amount != amount.quantize(Decimal("0.01")):
            errors["planned"] = _l("An estimated cost has at most two decimals and ten digits before the point.")
    return errors


def _apply(goal: PlanGoal, values: GoalInput) -> None:
    goal.dimension = values.dimension
    goal.description = values.description.strip()
    goal.referral_needed = bool(values.referral_needed)
    goal.target_date = values.target_date
    goal.status = values.status
    goal.drop_reason = values.drop_reason.strip() if values.status == GoalStatus.DROPPED else None


def _planned_rows(values: GoalInput) -> list[PlannedAssistance]:
    return [
        PlannedAssistance(
            type_id=planned.assistance_type.id,
            estimated_amount=planned.estimated_amount,
            currency=planned.currency if planned.estimated_amount is not None else None,
        )
        for planned in values.planned
    ]


def _planned_key(goal: PlanGoal) -> list[tuple]:
    return [(p.type_id, p.estimated_amount, p.currency) for p in goal.planned_assistance]


def add_goal(actor: User, case: Case, values: GoalInput) -> PlanGoal:
    plan = ensure_plan(actor, case)
    _ensure_may_write(actor, case)
    errors = goal_errors(values)
    if errors:
        raise ValidationFailed(errors)
    goal = PlanGoal(plan=plan)
    _apply(goal, values)
    goal.planned_assistance = _planned_rows(values)
    db.session.add(goal)
    before = snapshot(plan)
    _redraft(actor, plan)
    record_change(
        actor,
        goal,
        AuditAction.PLAN_GOAL_CREATE,
        details={"planned": [[p.assistance_type.code, p.estimated_amount, p.currency] for p in values.planned]},
    )
    record_change(actor, plan, AuditAction.CASE_PLAN, before)
    return goal


#: fields of a goal whose change is a change of the plan (a new approval); the status is progress, not plan
PLANNED_FIELDS = ("dimension", "description", "referral_needed", "target_date")


def update_goal(actor: User, goal: PlanGoal, values: GoalInput, *, expected_version: int | None) -> PlanGoal:
    """Change a goal. Its status (progress, or dropped with a reason) is recorded as it goes; a change of
    what the goal plans (its dimension, words, referral, date or planned assistance) needs a new approval."""
    ensure_current(goal, expected_version)
    plan = goal.plan
    _ensure_may_write(actor, plan.case)
    errors = goal_errors(values)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(goal)
    planned_before = _planned_key(goal)
    _apply(goal, values)
    new_rows = _planned_rows(values)
    replanned = [(p.type_id, p.estimated_amount, p.currency) for p in new_rows] != planned_before
    if replanned:
        goal.planned_assistance = new_rows
    changed_plan = replanned or any(before[name] != snapshot(goal, (name,))[name] for name in PLANNED_FIELDS)
    record_change(
        actor,
        goal,
        AuditAction.PLAN_GOAL_UPDATE,
        before,
        details={"planned": [[p.type_id, p.estimated_amount, p.currency] for p in new_rows]} if replanned else None,
    )
    if changed_plan:
        plan_before = snapshot(plan)
        _redraft(actor, plan)
        record_change(actor, plan, AuditAction.CASE_PLAN, plan_before)
    return goal


def approval_refusal(user: User, plan: ReintegrationPlan | None):
    """Why this user may not approve this plan, or None when they may. A supervisor of the returnee's
    office approves a draft plan with goals, never one they drafted themselves (four eyes)."""
    if plan is None:
        return _l("This case has no plan yet.")
    if not (user.is_authenticated and user.role == Role.SUPERVISOR):
        return _l("Only a supervisor approves a plan.")
    if user.field_office_id != plan.case.returnee.field_office_id:
        return _l("Only a supervisor of the returnee's office approves this plan.")
    if plan.is_approved:
        return _l("This plan is already approved.")
    if not plan.goals:
        return _l("A plan needs at least one goal before it is approved.")
    if user.id == plan.drafted_by_id:
        return _l("Four eyes: you cannot approve a plan you drafted yourself.")
    return plan.case.change_refusal()


def can_approve_plan(user: User, plan: ReintegrationPlan | None) -> bool:
    return approval_refusal(user, plan) is None


def approve_plan(
    actor: User, plan: ReintegrationPlan, *, expected_version: int | None, comment: str | None = None
) -> ReintegrationPlan:
    ensure_current(plan, expected_version)
    refusal = approval_refusal(actor, plan)
    if refusal is not None:
        raise ValidationFailed({"": refusal})
    before = snapshot(plan)
    plan.status = PlanStatus.APPROVED
    plan.approved_by_id = actor.id
    plan.approved_by_name = actor.display_name
    plan.approved_at = utcnow()
    record_change(actor, plan, AuditAction.PLAN_APPROVE, before, comment=(comment or "").strip() or None)
    plan_approved.send(plan, actor=actor)
    return plan
