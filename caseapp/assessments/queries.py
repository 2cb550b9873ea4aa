"""Loading assessments, scoped through their case's returnee."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from caseapp.assessments.models import Assessment
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.returnees.queries import get_returnee_or_404


def get_assessment_or_404(assessment_id: int, user: User) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        abort(404)
    get_returnee_or_404(assessment.case.returnee_id, user)
    return assessment


def case_assessments(case: Case) -> list[Assessment]:
    """The case's assessments, latest first."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        )
    )
