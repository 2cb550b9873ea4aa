"""What the duplicate finder remembers: decisions on pairs and the merges (with all that an unmerge needs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import utcnow

#: column info read by services.referencing_columns: a reference to a returnee that a merge leaves alone
KEEP_ON_MERGE = {"merge": "keep"}


class PairDecision(ChoiceEnum):
    SAME = "same"
    NOT_SAME = "not_same"

    @property
    def label(self):
        return {"same": _l("Same person"), "not_same": _l("Not the same person")}[self.value]


class DuplicateDecision(db.Model):
    """A person's decision on a proposed pair. "Not the same" keeps the pair off the list for good; "same"
    marks it for a merge (by an administrator when the records are of two offices)."""

    __tablename__ = "duplicate_decision"
    __table_args__ = (sa.UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the pair, smaller id first (services.decide_pair and the merge order them)
    first_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id", ondelete="CASCADE"), info=KEEP_ON_MERGE)
    second_id: Mapped[int] = mapped_column(
        sa.ForeignKey("returnee.id", ondelete="CASCADE"), index=True, info=KEEP_ON_MERGE
    )
    decision: Mapped[PairDecision] = mapped_column(enum_column_type(PairDecision, "pair_decision"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<DuplicateDecision {self.first_id}/{self.second_id} {self.decision}>"


class ReturneeMerge(db.Model):
    """One merge of a duplicate record (`merged`) into the record that stays (`survivor`), with what the
    unmerge restores: both records' values before, the rows that moved, the case that was closed."""

    __tablename__ = "returnee_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id"), index=True, info=KEEP_ON_MERGE)
    merged_id: Mapped[int] = mapped_column(sa.ForeignKey("returnee.id"), index=True, info=KEEP_ON_MERGE)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: the two records' values before the merge ({field: value}, as the change log stores them)
    survivor_before: Mapped[dict[str, Any]] = mapped_column(sa.JSON, info={"personal": True})
    merged_before: Mapped[dict[str, Any]] = mapped_column(sa.JSON, info={"personal": True})
    #: the rows that moved: [{"table": ..., "column": ..., "key": {primary key column: value}}]
    moved: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, info={"personal": False})
    #: the case closed because the person would have had two open ones: {"id", "status", "closed_on", ...}
    closed_case: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, info={"personal": True})
    unmerged_at: Mapped[datetime | None]
    unmerged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    survivor: Mapped[Returnee] = relationship(foreign_keys=[survivor_id])
    merged: Mapped[Returnee] = relationship(foreign_keys=[merged_id])

    def __repr__(self) -> str:
        return f"<ReturneeMerge {self.id} {self.merged_id}->{self.survivor_id}>"

    @property
    def active(self) -> bool:
        return self.unmerged_at is None
