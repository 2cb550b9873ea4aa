"""The change log in words: who (display name), did what (action label), to which record (name and link),
what changed (field labels, old -> new values as people read them: labels of codes, names for ids,
formatted dates and amounts). One rendering for the returnee page, the home page and the admin change log
(templates/_macros/history.html shows the lines this module describes). The words of each action are
audit/labels.py's; this module sits above the features whose vocabularies (statuses, names) it reads.

`describe(entries)` looks the names up in a fixed number of queries, whatever the number of entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.assistance.models import AssistanceCategory, AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.audit.labels import CREATIONS, action_label
from caseapp.audit.models import READ_ACTIONS, SIGN_IN_ACTIONS, AuditAction, AuditEntry
from caseapp.auth.models import Role, User
from caseapp.cases.models import CaseStatus, ClosureReason
from caseapp.extensions import db
from caseapp.language import LANGUAGE_NAMES
from caseapp.monitoring.models import MonitoringTrigger, VisitMethod, VisitStatus
from caseapp.offices.models import FieldOffice
from caseapp.plans.models import GoalStatus, PlanStatus
from caseapp.questionnaires.models import Dimension, SurveyRound
from caseapp.referrals.models import Partner, ReferralStatus
from caseapp.returnees.models import Returnee, Sex, Vulnerability
from caseapp.review.models import ReviewOutcome
from caseapp.review.queries import attention_titles
from caseapp.ui import localdate, money

FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "sex": _l("Sex"),
    "date_of_birth": _l("Date of birth"),
    "personal_number": _l("Personal number"),
    "phone": _l("Phone"),
    "field_office_id": _l("Field office"),
    "return_date": _l("Return date"),
    "returned_from": _l("Returned from"),
    "consent_given": _l("Consent given"),
    "consent_date": _l("Consent date"),
    "external_id": _l("External id"),
    "vulnerabilities": _l("Vulnerabilities"),
    "status": _l("Status"),
    "caseworker_id": _l("Caseworker"),
    "closure_reason": _l("Reason for closing"),
    "follow_up_on": _l("Follow-up"),
    "plan": _l("Reintegration plan"),
    "outcome": _l("Outcome"),
    "type_id": _l("Type of assistance"),
    "provided_on": _l("Date"),
    "amount": _l("Amount"),
    "currency": _l("Currency"),
    "provider": _l("Provider"),
    "notes": _l("Notes"),
    "username": _l("Username"),
    "display_name": _l("Name"),
    "role": _l("Role"),
    "active": _l("Active"),
    "password": _l("Password"),
    "locale": _l("Language"),
    "name": _l("Name"),
    "code": _l("Code"),
    "category": _l("Category"),
    "carries_amount": _l("Carries an amount"),
    "needs_approval": _l("Needs approval"),
    "sort_order": _l("Order"),
    "files": _l("Files"),
    "returnees_created": _l("Returnees created"),
    "returnees_updated": _l("Returnees updated"),
    "cases_created": _l("Cases created"),
    "cases_closed": _l("Cases closed"),
    "records_created": _l("Assistance records created"),
    "returnees_deleted": _l("Returnees deleted"),
    "returnees_restored": _l("Returnees restored"),
    "cases_deleted": _l("Cases deleted"),
    "records_deleted": _l("Assistance records deleted"),
    "file": _l("File"),
    "bytes": _l("Size in bytes"),
    # reads (audit.reads): what was asked and how much came back
    "list": _l("List"),
    "asked": _l("Asked"),
    "found": _l("Found"),
    "rows": _l("Rows"),
    "offices": _l("Offices"),
    "figure": _l("Figure"),
    "report_filters": _l("Report filters"),
    "people": _l("People listed"),
    "problems": _l("Problems"),
    "survivor_id": _l("Record that stays"),
    "merged_id": _l("Merged record"),
    "moved_rows": _l("Rows moved"),
    # referrals and monitoring visits
    "partner_id": _l("Partner"),
    "service_id": _l("Service"),
    "sent_on": _l("Sent on"),
    "answered_on": _l("Answered on"),
    "closed_on": _l("Closed on"),
    "reason": _l("Reason"),
    "outcome_note": _l("Outcome note"),
    "due_on": _l("Due on"),
    "done_on": _l("Made on"),
    "method": _l("How"),
    "visited_by_id": _l("Made by"),
    "findings": _l("Findings"),
    "business_operating": _l("Business operating"),
    "next_steps": _l("Next steps"),
    "cancel_reason": _l("Why cancelled"),
    "trigger": _l("Scheduled by"),
    "months_after": _l("Months after"),
    "service_codes": _l("Services offered"),
    "office_ids": _l("Field offices covered"),
    "contact_person": _l("Contact person"),
    # assessment, reintegration plan, sustainability survey
    "summary": _l("Summary of the plan"),
    "dimension": _l("Dimension"),
    "description": _l("Goal"),
    "referral_needed": _l("A referral to a partner is needed"),
    "target_date": _l("Target date"),
    "drop_reason": _l("Reason for dropping it"),
    "goal_id": _l("Serves the plan goal"),
    "assessed_on": _l("Date of the assessment"),
    "survey_round": _l("Round"),
    "surveyed_on": _l("Date of the survey"),
    "economic_score": _l("Economic"),
    "social_score": _l("Social"),
    "psychosocial_score": _l("Psychosocial"),
    "composite_score": _l("Composite"),
}
#: the words of what a search asked (audit.reads.record_search's `asked`)
ASKED_LABELS = {
    "q": _l("Name or number"),
    "office": _l("Field office"),
    "status": _l("Case status"),
    "type": _l("Type of assistance"),
    "vulnerability": _l("Vulnerability"),
    "caseworker": _l("Caseworker"),
    "staff": _l("Staff member"),
    "returnee": _l("Returnee"),
    "action": _l("Action"),
    "from": _l("From"),
    "to": _l("To"),
    "sex": _l("Sex"),
    "age": _l("Age"),
    "measure": _l("Figure"),
    "funnel": _l("Funnel"),
    "currency": _l("Currency"),
    "page": _l("Page"),
    "attention": _l("Needs attention"),
    "before": _l("Older than entry"),
    "after": _l("Newer than entry"),
    "sort": _l("Sorted by"),
    "dir": _l("Order"),
}
#: the lists a search was made in
LIST_LABELS = {
    "returnees": _l("the list of returnees"),
    "cases": _l("the list of open cases"),
    "audit": _l("the audit log"),
    "referrals": _l("the list of referrals"),
    "visits": _l("the list of monitoring visits"),
    "duplicates": _l("the list of possible duplicates"),
    "consent_gaps": _l("the list of consent gaps"),
    "plans_awaiting_approval": _l("the list of plans awaiting approval"),
}
#: what a RECORD_VIEW entry opened, by its entity_type (referrals and visits are named below with their links)
OPENED_LABELS = {
    "referral_form": _l("the referral form"),
    "assessment": _l("an intake assessment"),
    "assessment_form": _l("the assessment form"),
    "plan": _l("the reintegration plan"),
    "plan_goal_form": _l("the form of a goal of the plan"),
    "rss_survey": _l("a sustainability survey"),
    "rss_survey_form": _l("the sustainability survey form"),
    "consent": _l("the consent record"),
    "own_data": _l("the page of the person's own data"),
    "duplicate_pair": _l("two records as possible duplicates"),
    "merge": _l("a merge of duplicate records"),
}
#: kept in the log for machines (checksums, ids already in the link), not shown
HIDDEN_FIELDS = {
    "review_id",
    "returnees_sha256",
    "assistance_sha256",
    "revision",
    "list",  # in the sentence
    # a merge's before-states (caseapp/duplicates): its own page shows them side by side
    "survivor_before",
    "merged_before",
    "survivor_was",
    "merge_id",
    "pair",
    "answers",
    "planned",
    "questionnaire_version_id",
}
DATE_FIELDS = {
    "date_of_birth",
    "return_date",
    "consent_date",
    "provided_on",
    "follow_up_on",
    "sent_on",
    "answered_on",
    "closed_on",
    "due_on",
    "done_on",
    "target_date",
    "assessed_on",
    "surveyed_on",
}
BOOLEAN_FIELDS = {
    "consent_given",
    "active",
    "carries_amount",
    "needs_approval",
    "business_operating",
    "referral_needed",
}
#: the status vocabulary of each kind of record (cases otherwise)
STATUS_ENUMS = {
    "assistance": AssistanceStatus,
    "referral": ReferralStatus,
    "visit": VisitStatus,
    "plan": PlanStatus,
    "plan_goal": GoalStatus,
}
LONG_TEXT_FIELDS = {"plan", "notes", "summary", "description"}
CURRENCIES = {"GEL", "EUR", "USD"}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


@dataclass
class Change:
    label: str
    old: str | None  # None: a value set at creation (nothing before)
    new: str


@dataclass
class HistoryLine:
    entry: AuditEntry
    at: datetime
    who: str  # the display name (the login name when the account is gone)
    login: str
    action: str
    #: the record in words, without the person: "Micro-business grant", "the case", "Nino Beridze"
    record: str
    #: the person the record belongs to, if any ("" when the record is the person)
    person: str = ""
    url: str | None = None
    changes: list[Change] = field(default_factory=list)
    comment: str | None = None
    #: a read or sign-in: the action and the record read as one sentence ("opened the file of Nino Beridze")
    sentence: bool = False


@dataclass
class _Names:
    users: dict[int, str]
    offices: dict[int, str]
    types: dict[int, str]
    returnees: dict[int, str]
    records: dict[int, tuple[int, Any]]  # assistance record id -> (type id, currency)
    partners: dict[int, str] = field(default_factory=dict)


def _ids(entries: list[AuditEntry], *fields: str, within: str | None = None) -> set[int]:
    found: set[int] = set()
    for entry in entries:
        values = (entry.changes or {}).get(within) if within else entry.changes
        if not isinstance(values, dict):
            continue
        for name in fields:
            value = values.get(name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int) and not isinstance(item, bool):
                    found.add(item)
    return found


def _lookup(entries: list[AuditEntry]) -> _Names:
    def by_id(columns, ids):
        return dict(db.session.execute(select(*columns).where(columns[0].in_(ids))).all()) if ids else {}

    record_ids = {e.entity_id for e in entries if e.entity_type == "assistance" and e.entity_id}
    records = (
        {
            row.id: (row.type_id, row.currency)
            for row in db.session.execute(
                select(AssistanceRecord.id, AssistanceRecord.type_id, AssistanceRecord.currency).where(
                    AssistanceRecord.id.in_(record_ids)
                )
            )
        }
        if record_ids
        else {}
    )
    user_ids = (
        {e.user_id for e in entries if e.user_id}
        | _ids(entries, "caseworker_id", "visited_by_id")
        | _ids(entries, "caseworker", "staff", within="asked")
        | {e.entity_id for e in entries if e.entity_type == "user" and e.entity_id}
    )
    office_ids = (
        _ids(entries, "field_office_id")
        | _ids(entries, "office", within="asked")
        | {e.entity_id for e in entries if e.entity_type == "office" and e.entity_id}
    )
    type_ids = (
        _ids(entries, "type_id", "service_id")
        | {type_id for type_id, _currency in records.values()}
        | {e.entity_id for e in entries if e.entity_type == "assistance_type" and e.entity_id}
    )
    returnee_ids = {e.returnee_id for e in entries if e.returnee_id}
    returnees = (
        {
            row.id: f"{row.first_name} {row.last_name}"
            for row in db.session.execute(
                select(Returnee.id, Returnee.first_name, Returnee.last_name).where(Returnee.id.in_(returnee_ids))
            )
        }
        if returnee_ids
        else {}
    )
    return _Names(
        users=by_id((User.id, User.display_name), user_ids),
        offices=by_id((FieldOffice.id, FieldOffice.label), office_ids),
        types=by_id((AssistanceType.id, AssistanceType.label), type_ids),
        returnees=returnees,
        records=records,
        partners=by_id((Partner.id, Partner.label), _ids(entries, "partner_id")),
    )


def _enum_label(enum_class, value) -> str:
    try:
        return str(enum_class(value).label)
    except ValueError:
        return str(value)


def _format(name: str, value: Any, entry: AuditEntry, names: _Names, currency: str | None) -> str:
    """One value of the log as people read it."""
    if name == "password":
        return _("changed")
    if value is None or value == "" or value == []:
        return "—"
    if name == "status":
        return _enum_label(STATUS_ENUMS.get(entry.entity_type, CaseStatus), value)
    enums = {
        "closure_reason": ClosureReason,
        "outcome": ReviewOutcome,
        "sex": Sex,
        "role": Role,
        "category": AssistanceCategory,
        "method": VisitMethod,
        "trigger": MonitoringTrigger,
        "dimension": Dimension,
        "survey_round": SurveyRound,
    }
    if name in enums:
        return _enum_label(enums[name], value)
    if name == "vulnerabilities":
        return ", ".join(_enum_label(Vulnerability, v) for v in value)
    if name in BOOLEAN_FIELDS:
        return _("yes") if value else _("no")
    if name in DATE_FIELDS:
        try:
            return localdate(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if name == "amount" or (entry.entity_type == "office" and name in CURRENCIES):
        try:
            return money(Decimal(str(value)), name if name in CURRENCIES else currency or "")
        except InvalidOperation:
            return str(value)
    if name == "caseworker_id":
        return names.users.get(value, _("an account that no longer exists"))
    if name == "field_office_id":
        return names.offices.get(value, str(value))
    if name in ("type_id", "service_id"):
        return names.types.get(value, str(value))
    if name == "locale":
        return LANGUAGE_NAMES.get(str(value), _("The browser's language"))
    if name == "partner_id":
        return names.partners.get(value, str(value))
    if name == "visited_by_id":
        return names.users.get(value, str(value))
    if name == "files":
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if name == "list":
        return str(LIST_LABELS.get(value, value))
    if name == "offices":
        return ", ".join(map(str, value)) if isinstance(value, list) else _("all offices")
    if name in ("asked", "figure", "report_filters") and isinstance(value, dict):
        return _asked(value, names) or "—"
    if name in ("found", "rows", "people", "problems") and isinstance(value, int):
        return format_number(value)
    text = str(value)
    if name in LONG_TEXT_FIELDS and len(text) > 80:
        return text[:79] + "…"
    return text


def _asked(asked: dict, names: _Names) -> str:
    """What a search or a figure asked for, in words: "Name or number: “Beri” · Case status: Open"."""
    parts = []
    for key, value in asked.items():
        if value in (None, "", [], ()):
            continue
        if key == "q":
            shown = f"“{value}”"
        elif key == "office" and isinstance(value, int | str) and str(value).isdigit():
            shown = names.offices.get(int(value), str(value))
        elif key == "caseworker" and value == "none":
            shown = _("Unassigned")
        elif key == "attention":
            shown = str(attention_titles().get(value, value))
        elif key in ("caseworker", "staff") and str(value).isdigit():
            shown = names.users.get(int(value), str(value))
        elif key == "status":
            shown = _enum_label(CaseStatus, value) if value != "none" else _("no case")
        elif key == "vulnerability":
            shown = _enum_label(Vulnerability, value)
        elif key == "sex":
            shown = _enum_label(Sex, value)
        elif key == "action":
            shown = action_label(value)
        elif key in ("from", "to"):
            try:
                shown = localdate(date.fromisoformat(str(value)))
            except ValueError:
                shown = str(value)
        elif key == "returnee":
            shown = f"#{value}"
        else:
            shown = str(value)
        parts.append(f"{ASKED_LABELS.get(key, key)}: {shown}")
    return " · ".join(parts)


def _changes(entry: AuditEntry, names: _Names) -> list[Change]:
    changes = entry.changes or {}
    currency = _currency(changes, entry, names)
    creation = entry.action in CREATIONS
    lines = []
    for name, value in changes.items():
        if name in HIDDEN_FIELDS or (name == "currency" and "amount" in changes):
            continue  # the currency is shown with the amount
        if _is_old_and_new(name, value, creation):
            old, new = (_format(name, v, entry, names, currency) for v in value)
            lines.append(Change(field_label(name), old, new))
        elif not (creation and value in (None, "", [], False, {})):  # a creation lists what was given
            lines.append(Change(field_label(name), None, _format(name, value, entry, names, currency)))
    return lines


def _is_old_and_new(name: str, value: Any, creation: bool) -> bool:
    """Whether a logged value is an [old, new] pair (updates) rather than a value (creations, details)."""
    if creation or not isinstance(value, list) or len(value) != 2:
        return False
    if name in ("vulnerabilities", "files"):  # values that are lists themselves
        return all(v is None or isinstance(v, list) for v in value)
    return True


def _currency(changes: dict, entry: AuditEntry, names: _Names) -> str | None:
    value = changes.get("currency")
    if isinstance(value, list):
        value = value[-1] or value[0]
    if value:
        return str(value)
    record = names.records.get(entry.entity_id) if entry.entity_type == "assistance" else None
    return getattr(record[1], "value", record[1]) if record and record[1] else None


def _where(entry: AuditEntry, names: _Names) -> tuple[str, str, str | None]:
    """The record in words, the person it belongs to, and its page."""
    person = names.returnees.get(entry.returnee_id, "") if entry.returnee_id else ""
    page = url_for("returnees.show", returnee_id=entry.returnee_id) if person else None
    kind = entry.entity_type
    if entry.action in (AuditAction.RETURNEE_VIEW, AuditAction.RETURNEE_EDIT_FORM):
        name = person or entry.label or _("a returnee no longer registered")
        return _("%(name)s (#%(id)s)", name=name, id=entry.returnee_id), "", page
    if entry.action == AuditAction.LOGIN_FAILED:
        return _("as “%(username)s”", username=entry.user_name), "", None
    if entry.action in SIGN_IN_ACTIONS and kind == "user" and entry.entity_id == (entry.user_id or entry.entity_id):
        return "", "", None  # logged in, logged out, was locked: the person is the record
    if kind == "list":
        return str(LIST_LABELS.get(entry.label, entry.label or "")), "", None
    if kind in ("file", "page"):
        return entry.label or "", person, page
    if kind == "returnee":
        return person or entry.label or _("a returnee no longer registered"), "", page
    if kind == "case":
        return _("the case"), person, page + "#case" if page else None
    if kind == "assistance":
        record = names.records.get(entry.entity_id)
        type_id = record[0] if record else (entry.changes or {}).get("type_id")
        type_id = type_id[-1] if isinstance(type_id, list) else type_id
        label = names.types.get(type_id, _("assistance"))
        return label, person, f"{page}#record-{entry.entity_id}" if page and record else page
    if kind == "user":
        return (
            names.users.get(entry.entity_id, entry.label or _("an account")),
            "",
            url_for("admin.user_form", user_id=entry.entity_id) if entry.entity_id in names.users else None,
        )
    if kind == "office":
        return (
            names.offices.get(entry.entity_id, entry.label or _("a field office")),
            "",
            url_for("admin.office_form", office_id=entry.entity_id) if entry.entity_id in names.offices else None,
        )
    if kind == "assistance_type":
        return (
            names.types.get(entry.entity_id, entry.label or _("a type of assistance")),
            "",
            url_for("admin.type_form", type_id=entry.entity_id) if entry.entity_id in names.types else None,
        )
    if entry.action == AuditAction.RECORD_VIEW and kind in OPENED_LABELS:
        return str(OPENED_LABELS[kind]), person, page
    if kind == "referral":
        return _("a referral"), person, url_for("referrals.show", referral_id=entry.entity_id)
    if kind == "visit":
        return _("a monitoring visit"), person, url_for("monitoring.show", visit_id=entry.entity_id)
    if kind == "partner":
        return entry.label or _("a partner"), "", url_for("referrals.partners")
    if kind == "import_batch":
        return _("import %(id)s", id=entry.entity_id), "", url_for("imports.show", batch_id=entry.entity_id)
    if kind == "backup":
        return entry.label or _("a backup"), "", url_for("backup.index")
    return entry.label or f"{kind} {entry.entity_id}", person, page


def describe(entries: list[AuditEntry]) -> list[HistoryLine]:
    """The change log entries as lines of history in the user's language."""
    entries = list(entries)
    names = _lookup(entries)
    lines = []
    for entry in entries:
        record, person, url = _where(entry, names)
        if entry.action == AuditAction.LOGIN_FAILED:
            who = _("Someone")
        elif entry.action == AuditAction.USER_LOCKED and not entry.user_id:  # the account itself was locked
            who = names.users.get(entry.entity_id, entry.label or entry.user_name)
        elif entry.user_id:
            who = names.users.get(entry.user_id, entry.user_name)
        else:
            who = _("command line") if entry.user_name == "system" else entry.user_name
        lines.append(
            HistoryLine(
                entry=entry,
                at=entry.created_at,
                who=who,
                login=entry.user_name,
                action=action_label(entry.action),
                record=record,
                person=person,
                url=url,
                changes=_changes(entry, names),
                comment=entry.comment,
                sentence=entry.action in READ_ACTIONS or entry.action in SIGN_IN_ACTIONS,
            )
        )
    return lines
