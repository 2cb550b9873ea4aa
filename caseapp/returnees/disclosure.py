"""What registering (or editing) a returnee may tell a user about returnees of other field offices.

The duplicate checks look at every office, since one person must not be registered twice; what they
show must not tell a caseworker who is a returnee elsewhere (some are victims of trafficking):
- a personal number taken in another office is refused without naming the office or the person;
- a possible duplicate by name and date of birth in another office is shown to supervisors and
  administrators only, and each time it is shown the change log records who saw whom.
Another check (e.g. matching names across scripts) decides *which* returnees match; these functions
decide what of them a user sees, and record it."""

from __future__ import annotations

from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_event
from caseapp.auth.models import Role, User
from caseapp.auth.policies import can_access_office, office_scope


def sees_record(actor: User | None, office_id: int) -> bool:
    """Whether the actor may open a record of this office (None: the command line, which sees all)."""
    return actor is None or can_access_office(actor, office_id)


def sees_other_offices_duplicates(actor: User | None) -> bool:
    return actor is None or actor.role in (Role.SUPERVISOR, Role.ADMIN)


def duplicates_shown_to(actor: User | None, matches: list) -> list:
    """The possible duplicates (returnees) that the actor is shown: their own office's, and other
    offices' only to supervisors and administrators."""
    if sees_other_offices_duplicates(actor):
        return list(matches)
    return [match for match in matches if sees_record(actor, match.field_office_id)]


def record_duplicate_lookup(actor: User | None, shown: list) -> None:
    """Write to the change log that the actor was shown these returnees of other offices (own office's
    are part of their normal work). Call it in the transaction that is committed, also when the
    registration itself is not saved."""
    scope = office_scope(actor) if actor is not None else None
    for match in shown:
        if scope is not None and match.field_office_id == scope:
            continue
        record_event(
            actor,
            AuditAction.RETURNEE_DUPLICATE_LOOKUP,
            entity_type=match.audit_entity,
            entity_id=match.id,
            returnee_id=match.id,
            label=match.audit_label,
            details={"shown_to_office_id": scope, "matched_on": "name and date of birth"},
        )
