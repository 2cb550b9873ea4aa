from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.enums import enum_column_type
from caseapp.extensions import db
from caseapp.questionnaires.models import QuestionnaireVersion, SurveyRound  # noqa: F401 (SurveyRound: re-exported)
from caseapp.returnees.models import Returnee

SCORE = sa.Numeric(5, 4, asdecimal=True)


class RssSurvey(Versioned, Audited, db.Model):
    """One Reintegration Sustainability Survey of a returnee, with the scores its questionnaire version
    gave (caseapp/rss/scoring.py); the scores are stored, never recomputed by a later version."""

    __tablename__ = "rss_survey"
    __table_args__ = (
        sa.Index("ix_rss_survey_round_date", "survey_round", "surveyed_on", "returnee_id"),
        sa.CheckConstraint(
            "composite_score IS NULL OR (composite_score >= 0 AND composite_score <= 1)",
            name="composite_between_0_and_1",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    returnee_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reintegration_case.id", ondelete="SET NULL"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_version.id"))
    survey_round: Mapped[SurveyRound] = mapped_column(enum_column_type(SurveyRound, "survey_round"))
    surveyed_on: Mapped[date]
    surveyed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: a copy of the interviewer's name, kept when the account is gone
    surveyed_by_name: Mapped[str] = mapped_column(sa.String(120), info={"personal": True})
    #: {indicator code: option value}
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"personal": True})
    economic_score: Mapped[Decimal | None] = mapped_column(SCORE)
    social_score: Mapped[Decimal | None] = mapped_column(SCORE)
    psychosocial_score: Mapped[Decimal | None] = mapped_column(SCORE)
    composite_score: Mapped[Decimal | None] = mapped_column(SCORE)

    returnee: Mapped[Returnee] = relationship()
    case: Mapped[Case | None] = relationship()
    questionnaire: Mapped[QuestionnaireVersion] = relationship(lazy="joined")
    surveyed_by: Mapped[User | None] = relationship()

    audit_entity = "rss_survey"
    audited_fields = (
        "survey_round",
        "surveyed_on",
        "questionnaire_version_id",
        "answers",
        "economic_score",
        "social_score",
        "psychosocial_score",
        "composite_score",
    )

    def __repr__(self) -> str:
        return f"<RssSurvey {self.id} returnee={self.returnee_id} {self.survey_round} {self.composite_score}>"

    @property
    def audit_label(self) -> str:
        return f"{self.survey_round.value} survey of {self.returnee.full_name}"

    @property
    def audit_returnee_id(self) -> int:
        return self.returnee_id
