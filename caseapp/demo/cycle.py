"""Demo data of the reintegration cycle: for most cases of offices with staff, an intake assessment, a plan
with goals (approved by the office's supervisor, who did not draft it), assistance linked to its goals,
and a baseline and (a year after return) a follow-up sustainability survey scored by caseapp/rss/scoring.py.
Seeded with its own random generator, so the rest of the demo data stays as it was."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from caseapp.assessments.models import Assessment
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.plans.models import GoalStatus, PlanGoal, PlannedAssistance, PlanStatus, ReintegrationPlan
from caseapp.questionnaires.definitions import questions
from caseapp.questionnaires.models import Dimension, QuestionnaireKind
from caseapp.questionnaires.queries import current_version
from caseapp.rss.models import RssSurvey, SurveyRound
from caseapp.rss.scoring import score_survey

#: share of the cases of offices with staff that go through the cycle
CYCLE_SHARE = 0.75
#: which dimension a goal serving a type of assistance belongs to
GOAL_OF_TYPE = {
    "business_grant": (Dimension.ECONOMIC, "Open a small business"),
    "business_counselling": (Dimension.ECONOMIC, "Prepare a viable business plan"),
    "voc_ed_grant": (Dimension.ECONOMIC, "Finish a vocational course"),
    "voc_ed_counselling": (Dimension.ECONOMIC, "Choose a trade to learn"),
    "employment": (Dimension.ECONOMIC, "Find a job"),
    "tools": (Dimension.ECONOMIC, "Equip the workshop"),
    "temporary_housing": (Dimension.SOCIAL, "Find stable housing"),
    "accommodation": (Dimension.SOCIAL, "Find stable housing"),
    "living_conditions": (Dimension.SOCIAL, "Improve living conditions"),
    "medical_assistance": (Dimension.SOCIAL, "Get the treatment needed"),
    "medical_counselling": (Dimension.PSYCHOSOCIAL, "Cope with stress after return"),
}


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(9, 0))


def _answers(rng: random.Random, definition: dict, lift: float) -> dict[str, str]:
    """Random answers; `lift` (0..1) pushes choices towards the better-scored end of each scale."""
    answers = {}
    for _section, question in questions(definition):
        if question.get("type") == "text":
            if rng.random() < 0.3:
                answers[question["code"]] = "Noted during the interview."
            continue
        options = question["options"]
        scored = sorted((o for o in options if o.get("score") is not None), key=lambda o: Decimal(str(o["score"])))
        if not scored or (len(scored) < len(options) and rng.random() < 0.15):
            answers[question["code"]] = str(options[-1]["value"])
            continue
        position = min(len(scored) - 1, int((rng.random() * 0.8 + lift * 0.6) * len(scored)))
        answers[question["code"]] = str(scored[position]["value"])
    return answers


def _survey(rng, case, questionnaire, survey_round, on, worker, lift) -> RssSurvey:
    answers = _answers(rng, questionnaire.definition, lift)
    scores = score_survey(questionnaire.definition, answers)
    return RssSurvey(
        returnee_id=case.returnee_id,
        case=case,
        questionnaire=questionnaire,
        survey_round=survey_round,
        surveyed_on=on,
        surveyed_by_id=worker.id,
        surveyed_by_name=worker.display_name,
        answers=answers,
        economic_score=scores.economic,
        social_score=scores.social,
        psychosocial_score=scores.psychosocial,
        composite_score=scores.composite,
        created_at=_moment(on),
        updated_at=_moment(on),
    )


def seed_reintegration_cycle(on: date, seed: int = 13) -> int:
    """Add the cycle to the demo cases; returns how many cases got it."""
    rng = random.Random(seed)
    assessment_form = current_version(QuestionnaireKind.ASSESSMENT)
    survey_form = current_version(QuestionnaireKind.RSS)
    if assessment_form is None or survey_form is None:
        return 0
    staff = {user.id: user for user in db.session.scalars(select(User))}
    supervisors = {user.field_office_id: user for user in staff.values() if user.role == Role.SUPERVISOR}
    plans = {plan.case_id: plan for plan in db.session.scalars(select(ReintegrationPlan))}
    cases = db.session.scalars(select(Case).where(Case.caseworker_id.is_not(None)).order_by(Case.id)).all()
    done = 0
    for case in cases:
        returnee = case.returnee
        if rng.random() > CYCLE_SHARE or (on - returnee.return_date).days < 14:
            continue
        worker = staff[case.caseworker_id]
        assessed_on = returnee.return_date + timedelta(days=rng.randint(3, 12))
        db.session.add(
            Assessment(
                case=case,
                questionnaire=assessment_form,
                assessed_on=assessed_on,
                assessed_by_id=worker.id,
                assessed_by_name=worker.display_name,
                answers=_answers(rng, assessment_form.definition, 0.3),
                created_at=_moment(assessed_on),
                updated_at=_moment(assessed_on),
            )
        )
        records = db.session.scalars(
            select(AssistanceRecord).where(AssistanceRecord.case_id == case.id).order_by(AssistanceRecord.id)
        ).all()
        plan = plans.get(case.id) or ReintegrationPlan(case=case, summary="")
        db.session.add(plan)
        plan.drafted_by_id = worker.id
        planned_on = assessed_on + timedelta(days=rng.randint(5, 25))
        goals: dict[str, PlanGoal] = {}
        for record in records:
            code = record.assistance_type.code
            if code not in GOAL_OF_TYPE or code in goals or record.status == AssistanceStatus.CANCELLED:
                continue
            dimension, words = GOAL_OF_TYPE[code]
            delivered = record.status == AssistanceStatus.DELIVERED
            goal = PlanGoal(
                plan=plan,
                dimension=dimension,
                description=words,
                referral_needed=rng.random() < 0.3,
                target_date=planned_on + timedelta(days=rng.choice([90, 180, 365])),
                status=GoalStatus.ACHIEVED
                if delivered and rng.random() < 0.7
                else GoalStatus.IN_PROGRESS
                if delivered
                else GoalStatus.PLANNED,
                created_at=_moment(planned_on),
                updated_at=_moment(planned_on),
            )
            goal.planned_assistance = [
                PlannedAssistance(type_id=record.type_id, estimated_amount=record.amount, currency=record.currency)
            ]
            goals[code] = goal
            db.session.add(goal)
            db.session.flush()
            record.goal_id = goal.id
        if not goals:
            goal = PlanGoal(
                plan=plan,
                dimension=Dimension.PSYCHOSOCIAL,
                description="Rebuild ties with the community",
                target_date=planned_on + timedelta(days=180),
                status=GoalStatus.IN_PROGRESS,
                created_at=_moment(planned_on),
                updated_at=_moment(planned_on),
            )
            db.session.add(goal)
        supervisor = supervisors.get(returnee.field_office_id)
        if supervisor is not None and (on - planned_on).days > 20 and rng.random() < 0.85:
            plan.status = PlanStatus.APPROVED
            plan.approved_by_id = supervisor.id
            plan.approved_by_name = supervisor.display_name
            plan.approved_at = _moment(planned_on + timedelta(days=rng.randint(1, 10)))
        baseline_on = returnee.return_date + timedelta(days=rng.randint(7, 30))
        if baseline_on <= on:
            db.session.add(_survey(rng, case, survey_form, SurveyRound.BASELINE, baseline_on, worker, 0.0))
        follow_up_on = returnee.return_date + timedelta(days=365 + rng.randint(-20, 40))
        if follow_up_on <= on and rng.random() < 0.8:
            helped = any(r.status == AssistanceStatus.DELIVERED and r.amount is not None for r in records)
            lift = 0.45 if helped else 0.25
            db.session.add(_survey(rng, case, survey_form, SurveyRound.FOLLOW_UP, follow_up_on, worker, lift))
        done += 1
    db.session.flush()
    return done
