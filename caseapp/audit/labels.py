"""The words of the change log's actions ("registered the returnee", "made a backup"): one per AuditAction.
The whole history in words (fields, values, names, links) is described by caseapp/history.py, which sits above
the features whose vocabularies it reads."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp.audit.models import READ_ACTIONS, SIGN_IN_ACTIONS, AuditAction

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
    AuditAction.VOCABULARY_RENAME: _l("renamed a choice"),
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
    AuditAction.CONSENT_GIVE: _l("recorded a consent"),
    AuditAction.CONSENT_WITHDRAW: _l("recorded a withdrawal of consent"),
    AuditAction.RETURNEE_ANONYMISE: _l("anonymised the returnee"),
    AuditAction.RETURNEE_DATA_REQUEST: _l("produced the file of the person's own data"),
    AuditAction.RETURNEE_DATA_DELIVERY: _l("delivered the file of the person's own data"),
    AuditAction.DONOR_EXPORT: _l("exported a named list for a donor"),
    AuditAction.RETURNEE_VIEW: _l("opened the file of"),
    AuditAction.RETURNEE_EDIT_FORM: _l("opened the edit form of"),
    AuditAction.RECORD_VIEW: _l("opened"),
    AuditAction.SEARCH: _l("searched"),
    AuditAction.DRILLDOWN: _l("listed the people behind a report figure"),
    AuditAction.EXPORT: _l("downloaded"),
    AuditAction.IMPORT_PREVIEW: _l("previewed an import of"),
    AuditAction.LOGIN: _l("logged in"),
    AuditAction.LOGIN_FAILED: _l("failed to log in"),
    AuditAction.LOGOUT: _l("logged out"),
    AuditAction.PROJECT_CREATE: _l("created the project"),
    AuditAction.PROJECT_UPDATE: _l("changed the project"),
    AuditAction.PROJECT_REASSIGN: _l("moved assistance records to another project"),
    AuditAction.INDICATOR_CREATE: _l("added an indicator to a project"),
    AuditAction.INDICATOR_UPDATE: _l("changed an indicator or its targets"),
    AuditAction.INDICATOR_DELETE: _l("removed an indicator"),
    AuditAction.RETURNEE_MERGE: _l("merged a duplicate record of the person"),
    AuditAction.RETURNEE_UNMERGE: _l("undid a merge of duplicate records"),
    AuditAction.DUPLICATE_DECISION: _l("decided whether two records are the same person"),
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
#: the groups of actions the audit page filters by
ACTION_GROUP_LABELS: dict[str, Any] = {
    "reads": _l("Reads: opened, searched, listed, downloaded"),
    "changes": _l("Changes"),
    "sign_ins": _l("Sign-ins: logins, failed logins, logouts, locks, passwords"),
}
#: entries that record a record's values (not [old, new] pairs)
CREATIONS = (
    {action for action in AuditAction if action.value.endswith(".create")}
    | {
        AuditAction.CASE_OPEN,
        AuditAction.IMPORT_APPLY,
        AuditAction.IMPORT_UNDO,
        AuditAction.BACKUP_DOWNLOAD,
        AuditAction.RETURNEE_DUPLICATE_LOOKUP,
        AuditAction.USER_LOCKED,
        AuditAction.USER_UNLOCK,
        AuditAction.USER_PASSWORD,
        AuditAction.RETURNEE_ANONYMISE,
        AuditAction.RETURNEE_DATA_REQUEST,
        AuditAction.RETURNEE_DATA_DELIVERY,
        AuditAction.DONOR_EXPORT,
        AuditAction.RETURNEE_MERGE,
        AuditAction.RETURNEE_UNMERGE,
        AuditAction.DUPLICATE_DECISION,
    }
    | READ_ACTIONS
    | SIGN_IN_ACTIONS
)


def action_label(action: AuditAction | str) -> str:
    """The words of an action; an action unknown to this version of the code shows as it is stored."""
    if action in ACTION_GROUP_LABELS:
        return str(ACTION_GROUP_LABELS[action])
    try:
        return str(ACTION_LABELS[AuditAction(action)])
    except (ValueError, KeyError):
        return str(action)
