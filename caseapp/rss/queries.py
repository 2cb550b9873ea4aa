"""Loading surveys, scoped through their returnee."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.rss.models import RssSurvey


def get_survey_or_404(survey_id: int, user: User) -> RssSurvey:
    survey = db.session.get(RssSurvey, survey_id)
    if survey is None:
        abort(404)
    get_returnee_or_404(survey.returnee_id, user)
    return survey


def returnee_surveys(returnee: Returnee) -> list[RssSurvey]:
    """The returnee's surveys, oldest first: the scores over time."""
    return list(
        db.session.scalars(
            select(RssSurvey).where(RssSurvey.returnee_id == returnee.id).order_by(RssSurvey.surveyed_on, RssSurvey.id)
        )
    )
