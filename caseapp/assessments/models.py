from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.audit.models import Audited, Versioned
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.questionnaires.models import QuestionnaireVersion


class Assessment(Versioned, Audited, db.Model):
    """One intake assessment of a case, on the questionnaire version it used."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("reintegration_case.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire_version.id"))
    #: the day of the interview
    assessed_on: Mapped[date]
    #: who did it (signed); the name is kept when the account is gone
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    assessed_by_name: Mapped[str] = mapped_column(sa.String(120), info={"personal": True})
    #: {question code: option value or free text}: free text about the person
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, info={"personal": True})

    case: Mapped[Case] = relationship()
    questionnaire: Mapped[QuestionnaireVersion] = relationship(lazy="joined")
    assessed_by: Mapped[User | None] = relationship()

    audit_entity = "assessment"
    audited_fields = ("assessed_on", "questionnaire_version_id", "answers")

    def __repr__(self) -> str:
        return f"<Assessment {self.id} case={self.case_id} {self.assessed_on}>"

    @property
    def audit_label(self) -> str:
        return f"assessment of {self.case.returnee.full_name}"

    @property
    def audit_returnee_id(self) -> int:
        return self.case.returnee_id
