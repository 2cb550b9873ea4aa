"""Record a survey: its answers are checked against its questionnaire version and scored by scoring.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_change
from caseapp.auth.models import User
from caseapp.auth.policies import can_access_office, can_edit_case_data
from caseapp.cases.models import Case
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.questionnaires.definitions import clean_answers
from caseapp.questionnaires.models import QuestionnaireKind, QuestionnaireVersion
from caseapp.rss.models import RssSurvey, SurveyRound
from caseapp.rss.scoring import score_survey
from caseapp.timeutil import today


def record_survey(
    actor: User,
    case: Case,
    questionnaire: QuestionnaireVersion,
    *,
    survey_round: SurveyRound,
    surveyed_on: date | None,
    answers: dict[str, Any],
) -> RssSurvey:
    if not (can_edit_case_data(actor) and can_access_office(actor, case.returnee.field_office_id)):
        raise ValidationFailed({"": _l("Only staff of the returnee's office record this survey.")})
    if questionnaire.kind != QuestionnaireKind.RSS:
        raise ValidationFailed({"": _l("This questionnaire is not the sustainability survey.")})
    if surveyed_on is None:
        raise ValidationFailed({"taken_on": _l("Required.")})
    if surveyed_on > today():
        raise ValidationFailed({"taken_on": _l("This date cannot be in the future.")})
    if surveyed_on < case.returnee.return_date:
        raise ValidationFailed({"taken_on": _l("The survey cannot be dated before the return.")})
    cleaned, problems = clean_answers(questionnaire.definition, answers)
    if problems:
        raise ValidationFailed({"": _l("Some answers are missing or not among those offered.")})
    scores = score_survey(questionnaire.definition, cleaned)
    survey = RssSurvey(
        returnee_id=case.returnee_id,
        case=case,
        questionnaire=questionnaire,
        survey_round=survey_round,
        surveyed_on=surveyed_on,
        surveyed_by_id=actor.id,
        surveyed_by_name=actor.display_name,
        answers=cleaned,
        economic_score=scores.economic,
        social_score=scores.social,
        psychosocial_score=scores.psychosocial,
        composite_score=scores.composite,
    )
    db.session.add(survey)
    record_change(actor, survey, AuditAction.RSS_SURVEY_CREATE)
    return survey
