"""The one way to record a change: `record_change` snapshots, compares, flushes and writes the change-log
entry, in the same transaction as the change it describes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import select

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.errors import StaleEdit
from caseapp.extensions import db
from caseapp.timeutil import utcnow

#: a request id taken from a trusted proxy's header must look like one (it is stored in the change log)
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def plain_value(value: Any) -> Any:
    """Make a value JSON-safe, keeping its exact text (Decimal as string, dates as ISO)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(plain_value(v) for v in value)
    if isinstance(value, list | tuple):  # e.g. an [old, new] pair: order matters
        return [plain_value(v) for v in value]
    return value


def snapshot(instance: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of these fields (by default the model's `audited_fields`), as the change log stores them."""
    names = instance.audited_fields if fields is None else fields
    return {field: plain_value(getattr(instance, field)) for field in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {field: [before.get(field), after.get(field)] for field in after if before.get(field) != after.get(field)}


def actor_id(actor) -> int | None:
    """The acting user's id; None for the command line and the system."""
    return getattr(actor, "id", None)


def record_change(
    actor,
    instance,
    action: AuditAction | str,
    before: dict[str, Any] | None = None,
    *,
    fields: Iterable[str] | None = None,
    details: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AuditEntry | None:
    """Record what `actor` did to `instance` (an `Audited` model, or one naming its `audit_entity`, already
    added to the session).

    - A creation (`before` is None) records the values of `fields` (default: the model's `audited_fields`).
    - An update passes `before = snapshot(instance, fields)` taken before the change; the entry holds
      {field: [old, new]} for the fields that changed, and nothing is recorded when none did and there are
      no `details`.
    - `details` are facts that are not fields of the record (a review's outcome, an approved amount).

    Flushes first, so that the entry carries the record's id and its new version (the version only when a
    field of the record changed: a review leaves the case's version alone)."""
    action = AuditAction(action)  # an unknown action is refused before anything is flushed
    if before is None:
        changes = snapshot(instance, fields if fields is not None else None)
    else:
        changes = diff(before, snapshot(instance, before.keys()))
    own_changes = bool(changes)
    changes.update({key: plain_value(value) for key, value in (details or {}).items()})
    if before is not None and not changes:
        return None
    db.session.flush()
    return _write_entry(
        actor,
        action,
        entity_type=instance.audit_entity,
        entity_id=instance.id,
        label=getattr(instance, "audit_label", None) or str(instance),
        returnee_id=getattr(instance, "audit_returnee_id", None),
        field_office_id=getattr(instance, "audit_office_id", None),
        entity_version=getattr(instance, "version", None) if own_changes else None,
        changes=changes,
        comment=comment,
    )


def record_event(
    actor,
    action: AuditAction | str,
    *,
    entity_type: str,
    entity_id: int | None = None,
    label: str | None = None,
    returnee_id: int | None = None,
    office_id: int | None = None,
    details: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AuditEntry:
    """Record something that happened without changing a record of the database (a backup, a lock): who,
    what, and its details (`returnee_id`: the returnee whose history shows it; `office_id`: the office it
    concerns, by default the actor's). A change of a record goes through record_change; a read of
    personal data (a page, a search, an export) through audit.reads.record_read."""
    return _write_entry(
        actor,
        action,
        entity_type=entity_type,
        entity_id=entity_id,
        label=label,
        returnee_id=returnee_id,
        field_office_id=office_id,
        entity_version=None,
        changes={key: plain_value(value) for key, value in (details or {}).items()},
        comment=comment,
    )


def entry_values(actor, action, *, label, field_office_id=None, user_name=None, **columns) -> dict[str, Any]:
    """The columns of a new entry: the given ones, and who, when, from where (request id, client address,
    browser) and the office (the record's when given, else the actor's)."""
    if field_office_id is None:
        field_office_id = getattr(actor, "field_office_id", None)
    return {
        "created_at": utcnow(),
        "user_id": actor_id(actor),
        "user_name": (user_name or getattr(actor, "username", None) or "system")[:64],
        "action": AuditAction(action),
        "label": label[:200] if label else None,
        "request_id": current_request_id(),
        "field_office_id": field_office_id,
        **client_of_request(),
        **columns,
    }


def _write_entry(actor, action, *, label, **columns) -> AuditEntry:
    entry = AuditEntry(**entry_values(actor, action, label=label, **columns))
    db.session.add(entry)
    return entry


def client_of_request() -> dict[str, str | None]:
    """The client's address and browser. Behind a reverse proxy counted in TRUSTED_PROXIES, ProxyFix has
    already put the forwarded address in remote_addr (caseapp/security.py); otherwise a client cannot set it."""
    if not has_request_context():
        return {"client_address": None, "user_agent": None}
    return {
        "client_address": (request.remote_addr or "")[:45] or None,
        "user_agent": (request.user_agent.string or "")[:255] or None,
    }


def ensure_current(instance, expected_version: int | None) -> None:
    """Refuse an edit made on a stale form, telling what was changed since the form was loaded."""
    if expected_version is None or instance.version == expected_version:
        return
    entries = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity_type == instance.audit_entity,
            AuditEntry.entity_id == instance.id,
            AuditEntry.entity_version > expected_version,
        )
        .order_by(AuditEntry.id)
    )
    raise StaleEdit([{"user": entry.user_name, "at": entry.created_at, "changes": entry.changes} for entry in entries])


# --- request ids ---------------------------------------------------------------------------------------


def assign_request_id() -> None:
    """before_request: one id per request, shared by every entry the request writes. Taken from the header
    named by REQUEST_ID_HEADER (a reverse proxy's, e.g. nginx's $request_id) when configured and well
    formed; generated otherwise."""
    header = current_app.config.get("REQUEST_ID_HEADER")
    given = request.headers.get(header, "") if header else ""
    g.request_id = given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex


def current_request_id() -> str | None:
    """The current request's id; None outside a request (command line)."""
    return g.get("request_id") if has_request_context() else None


def echo_request_id(response):
    """after_request: the id goes back in the response, so that a user's report can be found in the log."""
    request_id = current_request_id()
    if request_id:
        response.headers.setdefault("X-Request-ID", request_id)
    return response
