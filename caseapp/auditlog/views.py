"""The audit page (/audit/) and its CSV export: administrators read every entry, supervisors their office's
(auditlog/policies.py). Reading it is itself recorded (a search of the audit log; the export as an export)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from caseapp.audit.labels import ACTION_GROUP_LABELS, ACTION_LABELS
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_export, record_search
from caseapp.auditlog.exports import audit_csv
from caseapp.auditlog.policies import audit_office_scope, can_read_audit
from caseapp.auditlog.queries import AuditFilters, audit_page
from caseapp.auth.models import User
from caseapp.auth.policies import require
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.keyset import requested_cursor
from caseapp.offices.models import FieldOffice
from caseapp.spreadsheets import RowTally, download

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _choices(user):
    scope = audit_office_scope(user)
    offices = select(FieldOffice).order_by(FieldOffice.label)
    staff = select(User).order_by(User.display_name)
    if scope is not None:
        offices = offices.where(FieldOffice.id == scope)
        staff = staff.where(User.field_office_id == scope)
    actions = [(group, str(label)) for group, label in ACTION_GROUP_LABELS.items()] + sorted(
        ((action.value, str(ACTION_LABELS[action])) for action in AuditAction), key=lambda choice: choice[1]
    )
    return {
        "offices": [(office.id, office.label) for office in db.session.scalars(offices)],
        "staff": [(person.id, person.display_name, person.username) for person in db.session.scalars(staff)],
        "actions": actions,
    }


@bp.get("/")
@require(can_read_audit)
def index():
    filters, errors = AuditFilters.from_args(request.args)
    entries, page = audit_page(current_user, filters, requested_cursor(request.args))
    record_search(
        current_user,
        "audit",
        found=len(entries),
        asked={**filters.query_args(), "page": page.number if page.number != 1 else None},
    )
    office_names = dict(db.session.execute(select(FieldOffice.id, FieldOffice.label)).all())
    return render_template(
        "auditlog/index.html",
        lines=describe(entries),
        page=page,
        filters=filters,
        errors=errors,
        args=filters.query_args(),
        office_names=office_names,
        **_choices(current_user),
    )


@bp.get("/export.csv")
@require(can_read_audit)
def export():
    filters, errors = AuditFilters.from_args(request.args)
    if errors:
        abort(400)
    tally = RowTally()
    content = audit_csv(current_user, filters, tally=tally)
    scope = audit_office_scope(current_user)
    office = db.session.get(FieldOffice, scope) if scope else None
    record_export(
        current_user,
        "audit-log.csv",
        rows=tally.rows,
        offices=[office.label] if office else None,
        details={"asked": filters.query_args()},
    )
    return download(content, "audit-log.csv")
