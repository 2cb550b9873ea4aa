"""The audit page's reading side: its filters, one page of entries by keyset (newest first, so that a page
never shifts while new entries arrive), and who opened or changed one file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import to_utc
from sqlalchemy import Select, func, select

from caseapp.audit.models import READ_ACTIONS, SIGN_IN_ACTIONS, AuditAction, AuditEntry
from caseapp.auditlog.policies import audit_office_scope
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.keyset import KeysetPage, keyset_page

#: entries per page of the audit page
PER_PAGE = 50
#: action groups of the filter (besides single actions)
ACTION_GROUPS = {
    "reads": READ_ACTIONS,
    "sign_ins": SIGN_IN_ACTIONS,
    "changes": frozenset(AuditAction) - READ_ACTIONS - SIGN_IN_ACTIONS,
}


@dataclass(frozen=True)
class AuditFilters:
    staff_id: int | None = None
    returnee_id: int | None = None
    office_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> tuple[AuditFilters, dict[str, str]]:
        """The filters of a query string; what cannot be read is left out and named in `errors`."""
        errors = {}
        dates = {}
        for key in ("from", "to"):
            text = (args.get(key) or "").strip()
            if text:
                try:
                    dates[key] = date.fromisoformat(text)
                except ValueError:
                    errors[key] = text
        action = args.get("action", "")
        if action and action not in ACTION_GROUPS and action not in {a.value for a in AuditAction}:
            errors["action"] = action
            action = ""
        return cls(
            staff_id=args.get("staff", type=db_int) or None,
            returnee_id=args.get("returnee", type=db_int) or None,
            office_id=args.get("office", type=db_int) or None,
            action=action,
            date_from=dates.get("from"),
            date_to=dates.get("to"),
        ), errors

    def query_args(self) -> dict[str, str]:
        args = {
            "staff": self.staff_id,
            "returnee": self.returnee_id,
            "office": self.office_id,
            "action": self.action,
            "from": self.date_from,
            "to": self.date_to,
        }
        return {
            key: value.isoformat() if isinstance(value, date) else str(value) for key, value in args.items() if value
        }


def _utc_start_of(day: date) -> datetime:
    """The first moment of a day in the offices' time zone, as naive UTC (how created_at is stored)."""
    return to_utc(datetime.combine(day, time.min))


def audit_query(user: User, filters: AuditFilters) -> Select:
    """The entries this user may read that match the filters (unordered)."""
    query = select(AuditEntry)
    scope = audit_office_scope(user)
    if scope is not None:
        query = query.where(AuditEntry.field_office_id == scope)
    if filters.office_id:
        query = query.where(AuditEntry.field_office_id == filters.office_id)
    if filters.staff_id:
        query = query.where(AuditEntry.user_id == filters.staff_id)
    if filters.returnee_id:
        query = query.where(AuditEntry.returnee_id == filters.returnee_id)
    if filters.action in ACTION_GROUPS:
        query = query.where(AuditEntry.action.in_(sorted(a.value for a in ACTION_GROUPS[filters.action])))
    elif filters.action:
        query = query.where(AuditEntry.action == AuditAction(filters.action))
    if filters.date_from:
        query = query.where(AuditEntry.created_at >= _utc_start_of(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.created_at < _utc_start_of(filters.date_to + timedelta(days=1)))
    return query


def audit_page(
    user: User, filters: AuditFilters, cursor: str | None = None, *, per_page: int = PER_PAGE
) -> tuple[list[AuditEntry], KeysetPage]:
    """One page, newest first, by keyset on the entry id (caseapp/keyset.py): a page never shifts while new
    entries arrive. The log is not counted (it grows with every read; counting it would scan it): its
    pages are numbered from whichever end the reader came from."""
    rows, page = keyset_page(
        audit_query(user, filters),
        (AuditEntry.id,),
        list_name="audit",
        order_name="newest",
        cursor=cursor,
        per_page=per_page,
        total=None,
        descending=True,
    )
    return [entry for (entry,) in rows], page


def count_entries(user: User, filters: AuditFilters) -> int:
    return db.session.scalar(select(func.count()).select_from(audit_query(user, filters).subquery()))


@dataclass
class FileAccess:
    """One person's dealings with one returnee's file: how often they opened it (or were shown it) and
    changed it, and when last."""

    user_id: int | None
    name: str
    opened: int
    last_opened: datetime | None
    changed: int
    last_changed: datetime | None


def file_access(returnee_id: int) -> list[FileAccess]:
    """Who opened or changed this returnee's file, how often and when last, most recent first (one query)."""
    is_read = AuditEntry.action.in_(sorted(a.value for a in READ_ACTIONS))
    rows = db.session.execute(
        select(
            AuditEntry.user_id,
            func.max(AuditEntry.user_name),
            func.max(User.display_name),
            func.count().filter(is_read),
            func.max(AuditEntry.created_at).filter(is_read),
            func.count().filter(~is_read),
            func.max(AuditEntry.created_at).filter(~is_read),
        )
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.returnee_id == returnee_id)
        .group_by(AuditEntry.user_id)
        .order_by(func.max(AuditEntry.created_at).desc())
    ).all()
    return [
        FileAccess(user_id, display_name or user_name, opened, last_opened, changed, last_changed)
        for user_id, user_name, display_name, opened, last_opened, changed, last_changed in rows
    ]
