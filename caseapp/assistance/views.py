from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance import services
from caseapp.assistance.forms import AssistanceForm, AssistanceStatusForm, DecisionForm
from caseapp.assistance.models import (
    AssistanceRecord,
    AssistanceStatus,
    AssistanceType,
    Currency,
    Decision,
)
from caseapp.assistance.queries import get_record_or_404
from caseapp.assistance.workflow import DECISIONS, allowed_next, initial_statuses
from caseapp.auth.policies import can_edit_case_data, has_review_queue, require
from caseapp.errors import apply_errors
from caseapp.extensions import db
from caseapp.forms import amount_for_input, parse_typed_amount
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.ui import redirect_to_local
from caseapp.unit_of_work import attempt

bp = Blueprint("assistance", __name__)


def _types(include_id: int | None = None) -> list[AssistanceType]:
    query = select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name)
    return [assistance_type for assistance_type in db.session.scalars(query)
            if assistance_type.active or assistance_type.id == include_id]


def _form_input(form: AssistanceForm, types_by_id: dict[int, AssistanceType]):
    """Turn the form into the service's input; a malformed amount becomes a message on the field."""
    assistance_type = types_by_id.get(form.type_id.data)
    if assistance_type is None:
        apply_errors(form, {"type_id": _("Choose a type of assistance.")})
        return None
    try:
        amount = parse_typed_amount(form.amount.data) if assistance_type.carries_amount else None
    except ValueError as error:
        apply_errors(form, {"amount": str(error)})
        return None
    return services.AssistanceInput(
        assistance_type=assistance_type,
        provided_on=form.provided_on.data,
        status=AssistanceStatus(form.status.data) if form.status.data else None,
        amount=amount,
        currency=Currency(form.currency.data) if form.currency.data and assistance_type.carries_amount else None,
        provider=form.provider.data or "",
        notes=form.notes.data or "",
    )


@bp.route("/returnees/<int:returnee_id>/assistance/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def create(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    types = _types()
    types_by_id = {assistance_type.id: assistance_type for assistance_type in types}
    form = AssistanceForm()
    form.type_id.choices = [(assistance_type.id, assistance_type.label) for assistance_type in types]
    if request.method == "GET":
        form.provided_on.data = today()
        wanted = request.args.get("type")
        chosen = next((assistance_type for assistance_type in types if assistance_type.code == wanted), None)
        if chosen is not None:
            form.type_id.data = chosen.id
            form.status.data = initial_statuses(chosen.needs_approval)[0].value
    form.status.choices = [(s.value, s.label) for s in (AssistanceStatus.DELIVERED, AssistanceStatus.REQUESTED,
                                                         AssistanceStatus.PLANNED)]
    if form.validate_on_submit():
        values = _form_input(form, types_by_id)
        if values is not None:
            done = attempt(lambda: services.record_assistance(current_user, returnee, values), form=form,
                           success=_("%(type)s is logged.", type=values.assistance_type.label))
            if done.saved:
                return redirect(url_for("returnees.show", returnee_id=returnee.id))
    return render_template("assistance/form.html", form=form, returnee=returnee, record=None, types=types)


@bp.route("/assistance/<int:record_id>/edit", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def edit(record_id):
    record = get_record_or_404(record_id, current_user)
    types = _types(include_id=record.type_id)
    form = AssistanceForm(obj=record if request.method == "GET" else None)
    form.type_id.choices = [(assistance_type.id, assistance_type.label) for assistance_type in types]
    form.status.choices = [(record.status.value, record.status.label)]
    if request.method == "GET":
        form.amount.data = amount_for_input(record.amount)
        form.currency.data = record.currency.value if record.currency else ""
        form.status.data = record.status.value
    stale = None
    if form.validate_on_submit():
        values = _form_input(form, {assistance_type.id: assistance_type for assistance_type in types})
        if values is not None:
            done = attempt(lambda: services.update_assistance(current_user, record, values,
                                                              expected_version=form.version.data),
                           form=form, success=_("The changes are saved."))
            if done.saved:
                return redirect(url_for("returnees.show", returnee_id=record.returnee_id))
            stale = done.stale
    return render_template("assistance/form.html", form=form, returnee=record.returnee, record=record,
                           types=types, stale=stale)


@bp.post("/assistance/<int:record_id>/status")
@require(can_edit_case_data)
@submitted_once
def change_status(record_id):
    record = get_record_or_404(record_id, current_user)
    form = AssistanceStatusForm()
    if form.validate_on_submit():
        attempt(lambda: services.change_assistance_status(
            current_user, record, AssistanceStatus(form.status.data), expected_version=form.version.data,
            comment=form.comment.data),
            success=lambda changed: _("The record is now %(status)s.", status=record.status.label),
            stale_message=_("Someone changed this record meanwhile; nothing was saved. Check it and try again."))
    else:
        flash(_("Choose a valid status."), "danger")
    return redirect(url_for("returnees.show", returnee_id=record.returnee_id))


@bp.post("/assistance/<int:record_id>/decision")
@require(has_review_queue)
@submitted_once
def decide(record_id):
    """A supervisor approves or rejects a request (from the review queue or the returnee's timeline)."""
    record = get_record_or_404(record_id, current_user)
    form = DecisionForm()
    if form.validate_on_submit():
        decision = Decision(form.decision.data)
        attempt(lambda: services.decide_request(current_user, record, decision, comment=form.comment.data,
                                                expected_version=form.version.data),
                success=_("%(type)s for %(name)s is %(decision)s.", type=record.assistance_type.label,
                          name=record.returnee.full_name, decision=decision.label.lower()))
    else:
        flash(_("Choose approve or reject."), "danger")
    return redirect_to_local(form.next.data, url_for("review.queue"))


@bp.app_template_global()
def record_next_statuses(record: AssistanceRecord) -> list[AssistanceStatus]:
    """Statuses a caseworker may move this record to from the timeline (decisions are the supervisor's)."""
    allowed = allowed_next(record.status, services.record_needs_approval(record)) - DECISIONS
    return [s for s in AssistanceStatus if s in allowed]


@bp.app_template_global()
def record_awaits_decision(record: AssistanceRecord) -> bool:
    """A requested record that needs a supervisor's approval (what the review queue lists)."""
    return record.status == AssistanceStatus.REQUESTED and services.record_needs_approval(record)
