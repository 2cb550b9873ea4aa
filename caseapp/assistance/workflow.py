"""The life of an assistance record: which status may follow which. One table, enforced on the server.

    planned -> requested -> approved -> delivered
    requested -> rejected
    planned / requested / approved -> cancelled

A record that needs no approval may also go planned -> delivered or requested -> delivered; one that
needs an approval cannot be approved or rejected otherwise than by a supervisor's decision
(services.decide_request: a supervisor of the office who did not make the request, four eyes).
Whether a record needs an approval is services.needs_approval (its type, or its amount above the
office's threshold)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from caseapp.assistance.models import AssistanceStatus as S

TRANSITIONS: dict[S, set[S]] = {
    S.PLANNED: {S.REQUESTED, S.DELIVERED, S.CANCELLED},
    S.REQUESTED: {S.APPROVED, S.REJECTED, S.DELIVERED, S.CANCELLED},
    S.APPROVED: {S.DELIVERED, S.CANCELLED},
    S.DELIVERED: set(),
    S.REJECTED: set(),
    S.CANCELLED: set(),
}

#: transitions that only exist for records which need an approval
APPROVAL_STEPS = {(S.REQUESTED, S.APPROVED), (S.REQUESTED, S.REJECTED)}
#: transitions that skip the approval, allowed only when none is needed
UNAPPROVED_DELIVERY = {(S.PLANNED, S.DELIVERED), (S.REQUESTED, S.DELIVERED)}
#: statuses reached only by a supervisor's decision
DECISIONS = {S.APPROVED, S.REJECTED}

#: statuses a new record may start in
INITIAL = {S.PLANNED, S.REQUESTED, S.DELIVERED}
#: statuses whose record can no longer be edited
FINAL = {S.DELIVERED, S.REJECTED, S.CANCELLED}
#: statuses of assistance still to come: a case holding such records is not finished
OPEN = {S.PLANNED, S.REQUESTED, S.APPROVED}


def transition_error(current: S, new: S, approval_needed: bool):
    """Why a record cannot go from `current` to `new`, or None when it can."""
    if new not in TRANSITIONS[current]:
        return _l("A %(old)s record cannot become %(new)s.", old=current.label, new=new.label)
    if (current, new) in APPROVAL_STEPS and not approval_needed:
        return _l("This record needs no approval: it can be delivered directly.")
    if (current, new) in UNAPPROVED_DELIVERY and approval_needed:
        return _l("This record needs a supervisor's approval before it is delivered.")
    return None


def allowed_next(current: S, approval_needed: bool) -> set[S]:
    return {new for new in TRANSITIONS[current] if transition_error(current, new, approval_needed) is None}


def initial_statuses(approval_needed: bool) -> list[S]:
    if approval_needed:
        return [S.REQUESTED, S.PLANNED]
    return [S.DELIVERED, S.PLANNED, S.REQUESTED]
