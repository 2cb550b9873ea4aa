"""The state of a person's consent per purpose, and the one question features ask before using data."""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from caseapp.consent.models import ConsentPurpose, ConsentRecord
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today


def consent_history(returnee: Returnee) -> list[ConsentRecord]:
    """Every decision of this person, newest first."""
    return list(
        db.session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.returnee_id == returnee.id)
            .order_by(ConsentRecord.decided_on.desc(), ConsentRecord.id.desc())
        )
    )


def current_consents(returnee: Returnee, on: date | None = None) -> dict[ConsentPurpose, ConsentRecord | None]:
    """Per purpose, the decision that counts on `on` (today by default): the latest one decided on or
    before that day (the later recorded one when two fall on the same day); None when never asked."""
    on = on or today()
    state: dict[ConsentPurpose, ConsentRecord | None] = dict.fromkeys(ConsentPurpose)
    for record in reversed(consent_history(returnee)):  # oldest first: later decisions win
        if record.decided_on <= on:
            state[record.purpose] = record
    return state


def missing_purposes(returnee: Returnee, on: date | None = None) -> list[ConsentPurpose]:
    return [purpose for purpose, record in current_consents(returnee, on).items() if record is None or not record.given]


def consent_missing(returnee: Returnee, purpose: ConsentPurpose | str, on: date | None = None) -> str | None:
    """None when the person has consented to `purpose` (on `on`, today by default); otherwise the refusal
    in the page's language, naming the missing consent."""
    purpose = ConsentPurpose(purpose)
    record = current_consents(returnee, on)[purpose]
    if record is not None and record.given:
        return None
    if record is None:
        return _(
            "%(name)s has not consented to: %(purpose)s. Record the consent on the returnee's page first.",
            name=returnee.full_name,
            purpose=purpose.label,
        )
    return _(
        "%(name)s withdrew the consent to: %(purpose)s (on %(date)s).",
        name=returnee.full_name,
        purpose=purpose.label,
        date=format_date(record.decided_on),
    )
