"""The reintegration cycle on the home page: monitoring visits overdue and due this week, and referrals the
partner has not answered in time, for the caseworker (their cases) and the supervisor (the office)."""

from __future__ import annotations

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.monitoring.queries import counts_per_caseworker, visit_list
from caseapp.pagination import count_rows
from caseapp.referrals.queries import overdue_referrals
from caseapp.timeutil import today

#: rows of each list shown on the home page; the heading counts them all and links to the whole list
SHOWN = 10


def cycle_context(user: User) -> dict:
    if user.role not in (Role.CASEWORKER, Role.SUPERVISOR):
        return {}
    on = today()
    mine = user.id if user.role == Role.CASEWORKER else None
    lists = {}
    for when in ("overdue", "week"):
        query = visit_list(user, when, on, caseworker_id=mine)
        lists[when] = (db.session.execute(query.limit(SHOWN)).all(), count_rows(query))
    referrals = overdue_referrals(user, caseworker_id=mine)
    return {
        "cycle": {
            "mine": mine,
            "overdue_visits": lists["overdue"],
            "week_visits": lists["week"],
            "overdue_referrals": (referrals[:SHOWN], len(referrals)),
            "per_caseworker": counts_per_caseworker(user, on) if user.role == Role.SUPERVISOR else [],
        }
    }
