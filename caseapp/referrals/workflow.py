"""The closed loop of a referral: which status may follow which. One table, enforced on the server.

    sent -> accepted -> completed
                     -> not completed
    sent -> declined

Each step has its date: `sent_on` for sent, `answered_on` for accepted or declined, `closed_on` for completed
or not completed. A declined or not completed referral says why in its outcome note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from caseapp.referrals.models import ReferralStatus as S

TRANSITIONS: dict[S, set[S]] = {
    S.SENT: {S.ACCEPTED, S.DECLINED},
    S.ACCEPTED: {S.COMPLETED, S.NOT_COMPLETED},
    S.DECLINED: set(),
    S.COMPLETED: set(),
    S.NOT_COMPLETED: set(),
}

#: the partner's answer: dated in answered_on
ANSWERS = {S.ACCEPTED, S.DECLINED}
#: the end of the loop: dated in closed_on
CLOSINGS = {S.COMPLETED, S.NOT_COMPLETED}
#: ends that need the reason in the outcome note
NEED_REASON = {S.DECLINED, S.NOT_COMPLETED}
#: no step follows
FINAL = {status for status, following in TRANSITIONS.items() if not following}


def transition_error(current: S, new: S):
    """Why a referral cannot go from `current` to `new`, or None when it can."""
    if new not in TRANSITIONS[current]:
        return _l("A referral that is %(old)s cannot become %(new)s.", old=current.label, new=new.label)
    return None


def allowed_next(current: S) -> list[S]:
    return [status for status in S if status in TRANSITIONS[current]]
