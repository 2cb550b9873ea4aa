"""Read-side queries of plans, scoped through the case's returnee."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.plans.models import PlanGoal, PlanStatus, ReintegrationPlan
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import get_returnee_or_404


def plan_of_case(case: Case | None) -> ReintegrationPlan | None:
    if case is None:
        return None
    return db.session.scalar(select(ReintegrationPlan).where(ReintegrationPlan.case_id == case.id))


def get_goal_or_404(goal_id: int, user: User) -> PlanGoal:
    goal = db.session.get(PlanGoal, goal_id)
    if goal is None:
        abort(404)
    get_returnee_or_404(goal.plan.case.returnee_id, user)
    return goal


def goal_choices(case_id: int | None) -> list[tuple[int, str]]:
    """The goals of a case's plan, for the assistance form ("which goal does this serve?")."""
    if case_id is None:
        return []
    goals = db.session.scalars(
        select(PlanGoal)
        .join(ReintegrationPlan, PlanGoal.plan_id == ReintegrationPlan.id)
        .where(ReintegrationPlan.case_id == case_id)
        .order_by(PlanGoal.id)
    )
    return [(goal.id, f"{goal.dimension.label}: {goal.description[:80]}") for goal in goals]


def plans_awaiting_approval(user: User) -> list[ReintegrationPlan]:
    """Draft plans with goals of the user's office (all offices for country-wide roles), oldest first."""
    query = (
        select(ReintegrationPlan)
        .join(Case, ReintegrationPlan.case_id == Case.id)
        .join(Returnee, Case.returnee_id == Returnee.id)
        .where(ReintegrationPlan.status == PlanStatus.DRAFT, ReintegrationPlan.goals.any())
        .order_by(ReintegrationPlan.updated_at, ReintegrationPlan.id)
    )
    scope = office_scope(user)
    if scope is not None:
        query = query.where(Returnee.field_office_id == scope)
    return list(db.session.scalars(query))
