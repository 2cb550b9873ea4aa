"""The retention policy: which returnees are due for anonymisation.

A returnee is due when every case of theirs is closed and the latest closure is more than
RETENTION_YEARS_AFTER_CLOSURE years ago (configuration; 5 by default, `CASEAPP_RETENTION_YEARS_AFTER_CLOSURE`
in the environment). People without any case, or with a case still open, are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from caseapp.cases.models import Case, CaseStatus
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def retention_years() -> int:
    years = int(current_app.config["RETENTION_YEARS_AFTER_CLOSURE"])
    if years < 1:
        raise ValueError("RETENTION_YEARS_AFTER_CLOSURE must be at least 1")
    return years


@dataclass(frozen=True)
class DueReturnee:
    returnee_id: int
    office_id: int
    last_closed_on: date


def due_for_anonymisation(on: date | None = None) -> list[DueReturnee]:
    """The returnees the policy says to anonymise on `on` (today by default), oldest closure first."""
    cutoff = years_before(on or today(), retention_years())
    not_closed = sa.select(Case.returnee_id).where(Case.status != CaseStatus.CLOSED)
    last_closed = sa.func.max(Case.closed_on)
    rows = db.session.execute(
        sa.select(Returnee.id, Returnee.field_office_id, last_closed)
        .join(Case, Case.returnee_id == Returnee.id)
        .where(Returnee.anonymised_at.is_(None), Returnee.id.not_in(not_closed))
        .group_by(Returnee.id, Returnee.field_office_id)
        .having(last_closed < cutoff)
        .order_by(last_closed, Returnee.id)
    ).all()
    return [DueReturnee(*row) for row in rows]
