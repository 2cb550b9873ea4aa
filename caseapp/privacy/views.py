"""A person's own data: a supervisor (or administrator) produces the file for a data-subject request and
records its delivery; both are in the change log."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.services import record_event
from caseapp.auth.policies import can_manage_cases, require
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.privacy.forms import DataDeliveryForm, DataRequestForm
from caseapp.privacy.subject_data import subject_data_workbook
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.spreadsheets import download
from caseapp.timeutil import today

bp = Blueprint("privacy", __name__, url_prefix="/returnees")

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


@bp.get("/<int:returnee_id>/own-data")
@require(can_manage_cases)
def own_data(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    return _page(
        returnee,
        DataRequestForm(prefix="request", received_on=today()),
        DataDeliveryForm(prefix="delivery", delivered_on=today()),
    )


@bp.post("/<int:returnee_id>/own-data/file")
@require(can_manage_cases)
def own_data_file(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = DataRequestForm(prefix="request")
    if not form.validate_on_submit():
        return _page(returnee, form, DataDeliveryForm(prefix="delivery", delivered_on=today())), 400
    content, counts = subject_data_workbook(returnee)
    record_event(
        current_user,
        AuditAction.RETURNEE_DATA_REQUEST,
        entity_type="returnee",
        entity_id=returnee.id,
        returnee_id=returnee.id,
        label=returnee.audit_label,
        details={"received_on": form.received_on.data, "channel": form.channel.data or "", "rows": counts},
    )
    return download(content, f"own-data-returnee-{returnee.id}-{today().isoformat()}.xlsx")


@bp.post("/<int:returnee_id>/own-data/delivery")
@require(can_manage_cases)
def own_data_delivery(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = DataDeliveryForm(prefix="delivery")
    if not form.validate_on_submit():
        return _page(returnee, DataRequestForm(prefix="request", received_on=today()), form), 400
    record_event(
        current_user,
        AuditAction.RETURNEE_DATA_DELIVERY,
        entity_type="returnee",
        entity_id=returnee.id,
        returnee_id=returnee.id,
        label=returnee.audit_label,
        details={"delivered_on": form.delivered_on.data, "method": form.method.data},
    )
    flash(_("The delivery of the file is recorded."), "success")
    return redirect(url_for("privacy.own_data", returnee_id=returnee.id))
