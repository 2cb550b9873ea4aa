"""A person's own data: a supervisor (or administrator) produces the file for a data-subject request and
records its delivery; both are in the change log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceStatus
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.reads import record_read
from caseapp.audit.services import record_event
from caseapp.auth.policies import can_manage_cases, can_view_reports, require, sees_personal_data
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.privacy.donor import DONOR_COLUMNS, donor_rows, refusal_summary, split_by_consent
from caseapp.privacy.forms import DataDeliveryForm, DataRequestForm
from caseapp.privacy.subject_data import subject_data_workbook
from caseapp.reports.counting import DELIVERED, EVENTS, PIPELINE, ReportFilters, UnknownFigure, returnees_listed
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.spreadsheets import download, xlsx_bytes
from caseapp.timeutil import today

bp = Blueprint("privacy", __name__)

STEPS = (AuditAction.RETURNEE_DATA_REQUEST, AuditAction.RETURNEE_DATA_DELIVERY)


def _page(returnee, request_form, delivery_form):
    steps = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.returnee_id == returnee.id, AuditEntry.action.in_(STEPS))
        .order_by(AuditEntry.id.desc())
    ).all()
    return render_template(
        "privacy/own_data.html",
        returnee=returnee,
        request_form=request_form,
        delivery_form=delivery_form,
        steps=describe(steps),
    )


def _record_step(returnee, action: AuditAction, details: dict) -> None:
    """A step of a data-subject request, in the returnee's history (what was done and when, not the data)."""
    record_event(
        current_user,
        action,
        entity_type="returnee",
        entity_id=returnee.id,
        returnee_id=returnee.id,
        label=returnee.audit_label,
        details=details,
    )


@bp.get("/returnees/<int:returnee_id>/own-data")
@require(can_manage_cases)
def own_data(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    # the file itself is audited as the request's step (RETURNEE_DATA_REQUEST), not again as a read
    record_read(current_user, AuditAction.RECORD_VIEW, returnee, entity_type="own_data")
    return _page(
        returnee,
        DataRequestForm(prefix="request", received_on=today()),
        DataDeliveryForm(prefix="delivery", delivered_on=today()),
    )


@bp.post("/returnees/<int:returnee_id>/own-data/file")
@require(can_manage_cases)
def own_data_file(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = DataRequestForm(prefix="request")
    if not form.validate_on_submit():
        return _page(returnee, form, DataDeliveryForm(prefix="delivery", delivered_on=today())), 400
    content, counts = subject_data_workbook(returnee)
    _record_step(
        returnee,
        AuditAction.RETURNEE_DATA_REQUEST,
        {"received_on": form.received_on.data, "channel": form.channel.data or "", "rows": counts},
    )
    return download(content, f"own-data-returnee-{returnee.id}-{today().isoformat()}.xlsx")


@bp.post("/returnees/<int:returnee_id>/own-data/delivery")
@require(can_manage_cases)
def own_data_delivery(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = DataDeliveryForm(prefix="delivery")
    if not form.validate_on_submit():
        return _page(returnee, DataRequestForm(prefix="request", received_on=today()), form), 400
    _record_step(
        returnee,
        AuditAction.RETURNEE_DATA_DELIVERY,
        {"delivered_on": form.delivered_on.data, "method": form.method.data},
    )
    flash(_("The delivery of the file is recorded."), "success")
    return redirect(url_for("privacy.own_data", returnee_id=returnee.id))


def _sees_named_lists(user) -> bool:
    return can_view_reports(user) and sees_personal_data(user)


@bp.get("/reports/donor-list")
@require(_sees_named_lists)
def donor_list():
    """The named list of the people behind a persons figure, for a donor: refused while anyone in it has not
    consented to sharing named data with a donor; `consented_only=1` exports the others and says so."""
    filters, errors = ReportFilters.from_args(request.args)
    filters = filters.scoped_to(current_user)
    args = request.args
    status = args.get("status", AssistanceStatus.DELIVERED.value)
    statuses = {s.value: (s,) for s in (*DELIVERED, *PIPELINE)}.get(status)
    funnel = args.get("funnel") or None
    measure = args.get("measure", "")
    if errors or statuses is None or not measure or measure == EVENTS:
        abort(400)  # a list of people only: a records figure has no donor list
    try:
        listed = returnees_listed(
            current_user, filters, measure, type_code=args.get("type") or None, statuses=statuses, funnel=funnel
        )
        people = split_by_consent(listed)
    except UnknownFigure:
        abort(400)
    consented_only = args.get("consented_only") == "1"
    if people.refused and not consented_only:
        return render_template(
            "privacy/donor_refused.html",
            people=people,
            summary=refusal_summary(people),
            args=args.to_dict(),
        ), 403
    record_event(
        current_user,
        AuditAction.DONOR_EXPORT,
        entity_type="report",
        details={
            "rows": len(people.consented),
            "left_out_without_consent": len(people.refused),
            "filters": filters.query_args(),
            "figure": {key: args.get(key, "") for key in ("measure", "type", "status", "funnel")},
            "offices": sorted({office for _returnee, office in people.consented}),
        },
    )
    name = f"donor_list_{filters.date_from.isoformat()}_{filters.date_to.isoformat()}.xlsx"
    return download(xlsx_bytes([("donor list", DONOR_COLUMNS, donor_rows(people.consented))]), name)
