"""A questionnaire's definition is data with a version: a filled assessment or survey keeps the version it
used, so a later version never changes what an earlier answer meant or scored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.timeutil import utcnow


class Dimension(ChoiceEnum):
    """The three dimensions of reintegration (IOM): a goal, a need and a survey indicator each belong to one."""

    ECONOMIC = "economic"
    SOCIAL = "social"
    PSYCHOSOCIAL = "psychosocial"

    @property
    def label(self):
        return {
            "economic": _l("Economic"),
            "social": _l("Social"),
            "psychosocial": _l("Psychosocial"),
        }[self.value]


class SurveyRound(ChoiceEnum):
    """When a sustainability survey is taken: soon after return, or later (e.g. 12 months after return)."""

    BASELINE = "baseline"
    FOLLOW_UP = "follow_up"

    @property
    def label(self):
        return {"baseline": _l("Baseline"), "follow_up": _l("Follow-up")}[self.value]


class QuestionnaireKind(ChoiceEnum):
    ASSESSMENT = "assessment"
    RSS = "rss"

    @property
    def label(self):
        return {"assessment": _l("Intake assessment"), "rss": _l("Reintegration Sustainability Survey")}[self.value]


class QuestionnaireVersion(db.Model):
    """One version of a questionnaire. Never changed once used: a new version is a new row (the newest
    active one is offered for new answers). `definition` holds the questions, their answer options and,
    for the survey, the scores and weights (see caseapp/rss/scoring.py for its shape)."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (sa.UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[QuestionnaireKind] = mapped_column(enum_column_type(QuestionnaireKind, "questionnaire_kind"))
    version: Mapped[int]
    #: e.g. "IOM RSS, default structure, equal weights"
    title: Mapped[str] = mapped_column(sa.String(200), info={"personal": False})
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: only active versions are offered for new answers
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.kind} v{self.version}>"
