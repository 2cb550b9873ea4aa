from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.timeutil import utcnow


class ReviewOutcome(ChoiceEnum):
    FINE = "fine"
    NEEDS_ACTION = "needs_action"

    @property
    def label(self):
        return {"fine": _l("Fine"), "needs_action": _l("Needs action")}[self.value]


class CaseReview(db.Model):
    """A supervisor's review of a case. A "needs action" review waits on the caseworker until answered."""

    __tablename__ = "case_review"
    __table_args__ = (
        sa.CheckConstraint("(answered_at IS NULL) = (answer IS NULL)", name="answer_has_date"),
        # The caseworker's badge on every page ("reviews waiting for your answer"): from the caseworker's own
        # cases (ix_reintegration_case_caseworker_status), one probe of this index each, never the office.
        sa.Index("ix_case_review_awaiting", "case_id", "outcome", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("reintegration_case.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_column_type(ReviewOutcome, "review_outcome"))
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info={"personal": True})
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: the caseworker's answer to a "needs action" review
    answer: Mapped[str | None] = mapped_column(sa.Text, info={"personal": True})

    case: Mapped[Case] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    def __repr__(self) -> str:
        return f"<CaseReview {self.id} case={self.case_id} {self.outcome}>"

    @property
    def awaits_answer(self) -> bool:
        return self.outcome == ReviewOutcome.NEEDS_ACTION and self.answered_at is None
