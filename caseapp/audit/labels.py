"""Readable names of the change log's actions, for the case history on the returnee page."""
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "returnee.create": _l("registered the returnee"),
    "returnee.update": _l("edited the personal data"),
    "case.open": _l("opened the case"),
    "case.status": _l("changed the case status"),
    "case.plan": _l("edited the plan"),
    "case.assign": _l("reassigned the case"),
    "case.reopen": _l("reopened the case"),
    "case.follow_up": _l("set the follow-up date"),
    "case.review": _l("reviewed the case"),
    "case.review_answer": _l("answered the review"),
    "assistance.create": _l("logged assistance"),
    "assistance.update": _l("edited assistance"),
    "assistance.status": _l("changed the status of assistance"),
    "assistance.approve": _l("approved a request"),
    "assistance.reject": _l("rejected a request"),
    "returnee.duplicate_lookup": _l("was shown this returnee as a possible duplicate at a registration"),
    "user.password": _l("changed their own password"),
    "user.locked": _l("was locked after too many failed logins"),
    "user.unlock": _l("unlocked the account"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
