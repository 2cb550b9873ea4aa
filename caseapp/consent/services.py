"""Use cases that record consent. Records are only ever added (a withdrawal is a new record)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l

from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_change
from caseapp.consent.models import ConsentMethod, ConsentPurpose, ConsentRecord
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today


def record_consent(
    actor,
    returnee: Returnee,
    purpose: ConsentPurpose | str,
    *,
    given: bool,
    decided_on: date | None,
    method: ConsentMethod | str,
    note: str = "",
) -> ConsentRecord:
    """Add one decision of `returnee` about `purpose` and log it, in the request's transaction."""
    errors = {}
    if decided_on is None:
        errors["decided_on"] = _l("Give the date of the decision.")
    elif decided_on > today():
        errors["decided_on"] = _l("This date cannot be in the future.")
    if errors:
        raise ValidationFailed(errors)
    record = ConsentRecord(
        returnee=returnee,
        purpose=ConsentPurpose(purpose),
        given=given,
        decided_on=decided_on,
        method=ConsentMethod(method),
        note=(note or "").strip(),
        recorded_by_id=getattr(actor, "id", None),
        recorded_by_name=getattr(actor, "display_name", None) or getattr(actor, "username", None) or "system",
    )
    db.session.add(record)
    record_change(actor, record, AuditAction.CONSENT_GIVE if given else AuditAction.CONSENT_WITHDRAW)
    return record


def record_initial_consents(
    actor, returnee: Returnee, purposes: Iterable[str], decided_on: date | None, method: ConsentMethod | str
) -> list[ConsentRecord]:
    """The purposes ticked at registration: one "given" record each."""
    return [
        record_consent(actor, returnee, purpose, given=True, decided_on=decided_on, method=method)
        for purpose in ConsentPurpose
        if purpose.value in set(purposes)
    ]
