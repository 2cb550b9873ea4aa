"""Write audit entries in the same transaction as the change they describe."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select

from caseapp.audit.models import AuditEntry
from caseapp.errors import StaleEdit
from caseapp.extensions import db


def _plain(value: Any) -> Any:
    """Make a value JSON-safe, keeping its exact text (Decimal as string, dates as ISO)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):  # e.g. an [old, new] pair: order matters
        return [_plain(v) for v in value]
    return value


def snapshot(instance: Any, fields: list[str]) -> dict[str, Any]:
    return {field: _plain(getattr(instance, field)) for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        field: [before.get(field), after.get(field)]
        for field in after
        if before.get(field) != after.get(field)
    }


def log_change(
    actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    returnee_id: int | None = None,
    entity_version: int | None = None,
    changes: dict[str, Any] | None = None,
    comment: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        user_id=getattr(actor, "id", None),
        user_name=getattr(actor, "username", None) or "system",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        returnee_id=returnee_id,
        entity_version=entity_version,
        changes={k: _plain(v) for k, v in (changes or {}).items()},
        comment=comment,
    )
    db.session.add(entry)
    return entry


def ensure_current(instance, entity_type: str, expected_version: int | None) -> None:
    """Refuse an edit made on a stale form, telling what was changed since the form was loaded."""
    if expected_version is None or instance.version == expected_version:
        return
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == instance.id,
               AuditEntry.entity_version > expected_version)
        .order_by(AuditEntry.id)
    )
    raise StaleEdit([
        {"user": entry.user_name, "at": entry.created_at, "changes": entry.changes} for entry in entries
    ])
