"""The words of the change log's actions ("registered the returnee", "made a backup"): one per AuditAction.
The whole history in words (fields, values, names, links) is described by caseapp/history.py, which sits above
the features whose vocabularies it reads."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp.audit.models import AuditAction

#: what each kind of change-log entry says, after the person's name ("Nino Beridze registered the returnee");
#: every AuditAction has its words here (tests/test_history.py checks that none is missing)
ACTION_LABELS: dict[AuditAction, Any] = {
    AuditAction.RETURNEE_CREATE: _l("registered the returnee"),
    AuditAction.RETURNEE_UPDATE: _l("edited the personal data"),
    AuditAction.CASE_OPEN: _l("opened the case"),
    AuditAction.CASE_STATUS: _l("changed the case status"),
    AuditAction.CASE_PLAN: _l("edited the plan"),
    AuditAction.CASE_ASSIGN: _l("reassigned the case"),
    AuditAction.CASE_REOPEN: _l("reopened the case"),
    AuditAction.CASE_FOLLOW_UP: _l("set the follow-up date"),
    AuditAction.CASE_REVIEW: _l("reviewed the case"),
    AuditAction.CASE_REVIEW_ANSWER: _l("answered the review"),
    AuditAction.ASSISTANCE_CREATE: _l("logged assistance"),
    AuditAction.ASSISTANCE_UPDATE: _l("edited assistance"),
    AuditAction.ASSISTANCE_STATUS: _l("changed the status of assistance"),
    AuditAction.ASSISTANCE_APPROVE: _l("approved a request"),
    AuditAction.ASSISTANCE_REJECT: _l("rejected a request"),
    AuditAction.OFFICE_CREATE: _l("created the field office"),
    AuditAction.OFFICE_UPDATE: _l("changed the field office"),
    AuditAction.OFFICE_THRESHOLDS: _l("set the approval thresholds"),
    AuditAction.CATALOG_CREATE: _l("added a type of assistance"),
    AuditAction.CATALOG_UPDATE: _l("changed the assistance catalog"),
    AuditAction.USER_CREATE: _l("created the account"),
    AuditAction.USER_UPDATE: _l("changed the account"),
    AuditAction.IMPORT_APPLY: _l("imported a spreadsheet"),
    AuditAction.IMPORT_UNDO: _l("undid an import"),
    AuditAction.BACKUP_CREATE: _l("made a backup"),
    AuditAction.BACKUP_DOWNLOAD: _l("downloaded a backup"),
    AuditAction.RETURNEE_DUPLICATE_LOOKUP: _l("was shown this returnee as a possible duplicate at a registration"),
    AuditAction.USER_PASSWORD: _l("changed their own password"),
    AuditAction.USER_LOCKED: _l("was locked after too many failed logins"),
    AuditAction.USER_UNLOCK: _l("unlocked the account"),
    AuditAction.PARTNER_CREATE: _l("added a partner organisation"),
    AuditAction.PARTNER_UPDATE: _l("changed a partner organisation"),
    AuditAction.REFERRAL_CREATE: _l("referred the returnee to a partner"),
    AuditAction.REFERRAL_STATUS: _l("recorded the partner's answer or the referral's outcome"),
    AuditAction.VISIT_CREATE: _l("scheduled a monitoring visit"),
    AuditAction.VISIT_RECORD: _l("recorded a monitoring visit"),
    AuditAction.VISIT_MOVE: _l("moved a monitoring visit"),
    AuditAction.VISIT_CANCEL: _l("cancelled a monitoring visit"),
    AuditAction.ASSESSMENT_CREATE: _l("recorded an intake assessment"),
    AuditAction.PLAN_CREATE: _l("started the reintegration plan"),
    AuditAction.PLAN_APPROVE: _l("approved the reintegration plan"),
    AuditAction.PLAN_GOAL_CREATE: _l("added a goal to the plan"),
    AuditAction.PLAN_GOAL_UPDATE: _l("changed a goal of the plan"),
    AuditAction.RSS_SURVEY_CREATE: _l("recorded a sustainability survey"),
}
#: entries that record a record's values (not [old, new] pairs)
CREATIONS = {action for action in AuditAction if action.value.endswith(".create")} | {
    AuditAction.CASE_OPEN,
    AuditAction.IMPORT_APPLY,
    AuditAction.IMPORT_UNDO,
    AuditAction.BACKUP_DOWNLOAD,
    AuditAction.RETURNEE_DUPLICATE_LOOKUP,
    AuditAction.USER_LOCKED,
    AuditAction.USER_UNLOCK,
    AuditAction.USER_PASSWORD,
}


def action_label(action: AuditAction | str) -> str:
    """The words of an action; an action unknown to this version of the code shows as it is stored."""
    try:
        return str(ACTION_LABELS[AuditAction(action)])
    except (ValueError, KeyError):
        return str(action)
