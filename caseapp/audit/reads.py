"""Who saw what: one audit entry for each read of personal data (a returnee's page, a search, a drill-down,
an export or download, an import preview) and each sign-in, with who, when, the office, the request id,
the client's address and browser (audit.services.entry_values).

    record_read(current_user, AuditAction.RETURNEE_VIEW, returnee)
    record_search(current_user, "returnees", asked={"q": "Beridze"}, found=12)
    record_export(current_user, "caseapp-export-Gori.xlsx", rows=1234, offices=["Gori"])

A read must never cost the reader their page:
- a request that may write (POST, a GET marked `writes_on_read`, any request on PostgreSQL) adds the entry
  to its own transaction, which commits with the request;
- a reading request on SQLite runs in a deferred (read) transaction, which SQLite cannot turn into a write
  once another worker has written (see caseapp/database.py). Its entries wait in `g` and are written when
  the page is ready (`write_pending_reads`, an after-request hook) in a short transaction of their own that
  takes the write lock (waiting up to SQLITE_BUSY_TIMEOUT). Should even that fail, the entry goes to the
  application log in full (logger "caseapp.audit") and the page is still served.
A page that ends in an error (status 400 or more) showed nothing: its reads are not recorded.

`allow_audit_scrub()` is the one way to change entries (anonymisation removes personal values from them);
see its docstring."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import g, has_request_context
from sqlalchemy import insert, text

from caseapp import database
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.services import entry_values, plain_value
from caseapp.extensions import db

logger = logging.getLogger("caseapp.audit")

#: a search's free text is cut to this length in the log
ASKED_TEXT_MAX = 100


def record_read(
    actor,
    action: AuditAction | str,
    record=None,
    *,
    entity_type: str | None = None,
    entity_id: int | None = None,
    label: str | None = None,
    returnee_id: int | None = None,
    office_id: int | None = None,
    details: dict[str, Any] | None = None,
    user_name: str | None = None,
) -> None:
    """Record that `actor` (None: nobody is logged in) saw something. `record`: an Audited model (a
    returnee, a case...) whose type, id, label, returnee and office the entry takes; or name them with the
    keywords. `details`: what was asked and how much came back (counts, never the names shown)."""
    values = entry_values(
        actor,
        action,
        entity_type=entity_type or getattr(record, "audit_entity", None) or "page",
        entity_id=entity_id if entity_id is not None else getattr(record, "id", None),
        label=label or (getattr(record, "audit_label", None) if record is not None else None),
        returnee_id=returnee_id if returnee_id is not None else getattr(record, "audit_returnee_id", None),
        field_office_id=office_id if office_id is not None else getattr(record, "audit_office_id", None),
        entity_version=None,
        changes={key: plain_value(value) for key, value in (details or {}).items()},
        comment=None,
        user_name=user_name,
    )
    if _in_own_transaction():
        db.session.add(AuditEntry(**values))
    else:
        g.setdefault("audit_pending_reads", []).append(values)


def record_search(actor, list_name: str, *, asked: dict[str, Any], found: int, office_id: int | None = None) -> None:
    """A search or filtered list: which list, what was asked (the filters given, empty ones left out) and how
    many came back. Never the names on the page."""
    asked = {
        key: (value[:ASKED_TEXT_MAX] if isinstance(value, str) else value)
        for key, value in asked.items()
        if value not in (None, "", [], ())
    }
    record_read(
        actor,
        AuditAction.SEARCH,
        entity_type="list",
        label=list_name,
        office_id=office_id,
        details={"list": list_name, "asked": asked, "found": found},
    )


def record_export(
    actor, file_name: str, *, rows: int, offices: list[str] | None, details: dict[str, Any] | None = None
) -> None:
    """An export or download: which file, how many data rows, which offices (None: all offices)."""
    record_read(
        actor,
        AuditAction.EXPORT,
        entity_type="file",
        label=file_name,
        details={
            "file": file_name,
            "rows": rows,
            "offices": offices if offices is not None else "all",
            **(details or {}),
        },
    )


def _in_own_transaction() -> bool:
    """Whether the entry can go with the current transaction: outside a request (a command), in a request
    that may write, or on a database other than SQLite (where a read transaction can always write)."""
    if not has_request_context() or database.may_write():
        return True
    return not database.is_sqlite(db.engine)


def write_pending_reads(response):
    """After-request hook: write the reads a SQLite reading request recorded, in a transaction of their own
    (see the module's docstring). Never changes the answer."""
    pending = g.pop("audit_pending_reads", None)
    if not pending or response.status_code >= 400:
        return response
    token = database.set_request_may_write(True)  # BEGIN IMMEDIATE: wait for the lock, no stale snapshot
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(AuditEntry), pending)
    except Exception:
        for values in pending:
            logger.error("Audit entry not written to the database: %s", json.dumps(values, default=str))
        logger.exception("Writing the audit entries of a read failed; the page was served")
    finally:
        database.reset_request_may_write(token)
    return response


# --- the one way to change entries -----------------------------------------------------------------------

#: the transaction-local setting that the PostgreSQL trigger on audit_entry asks (migration h16a_01)
AUDIT_SCRUB_SETTING = "caseapp.audit_scrub"


def allow_audit_scrub() -> None:
    """Let the current transaction UPDATE audit entries (anonymisation removes personal values from the
    entries of anonymised people). On PostgreSQL this sets `SET LOCAL caseapp.audit_scrub = 'on'`, which the
    trigger on audit_entry asks; it lasts until the transaction ends, so call it in the transaction that
    scrubs, right before, and record the scrub itself in the log. DELETE stays refused. On SQLite (no
    trigger) it does nothing. Nothing else in the app may call it."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config(:name, 'on', true)"), {"name": AUDIT_SCRUB_SETTING})
