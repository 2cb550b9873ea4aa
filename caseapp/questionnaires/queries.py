"""Which version of a questionnaire new answers use."""

from __future__ import annotations

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.questionnaires.models import QuestionnaireKind, QuestionnaireVersion


def current_version(kind: QuestionnaireKind) -> QuestionnaireVersion | None:
    """The newest active version of the questionnaire (None when none is loaded)."""
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.kind == kind, QuestionnaireVersion.active.is_(True))
        .order_by(QuestionnaireVersion.version.desc())
        .limit(1)
    )
