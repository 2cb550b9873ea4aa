"""The life of an assistance record: which status may follow which. One table, enforced on the server.

    planned -> requested -> approved -> delivered
    requested -> rejected
    planned / requested / approved -> cancelled

A type that needs no approval may also go planned -> delivered or requested -> delivered."""
from __future__ import annotations

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

#: statuses a new record may start in
INITIAL = {S.PLANNED, S.REQUESTED, S.DELIVERED}
#: statuses whose record can no longer be edited
FINAL = {S.DELIVERED, S.REJECTED, S.CANCELLED}


def allowed_next(current: S, approval_needed: bool) -> set[S]:
    allowed = set(TRANSITIONS[current])
    for step in APPROVAL_STEPS:
        if step[0] == current and not approval_needed:
            allowed.discard(step[1])
    for step in UNAPPROVED_DELIVERY:
        if step[0] == current and approval_needed:
            allowed.discard(step[1])
    return allowed


def initial_statuses(approval_needed: bool) -> list[S]:
    if approval_needed:
        return [S.REQUESTED, S.PLANNED]
    return [S.DELIVERED, S.PLANNED, S.REQUESTED]
