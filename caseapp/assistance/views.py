from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance import services
from caseapp.assistance.budget import approval_budget_refusal, record_overrun
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
from caseapp.auth.policies import approval_refusal, can_edit_case_data, has_review_queue, require
from caseapp.errors import ValidationFailed, apply_errors
from caseapp.extensions import db
from caseapp.forms import amount_for_input, parse_typed_amount
from caseapp.inputs import db_int
from caseapp.projects.models import Project
from caseapp.projects.queries import active_projects_in_office, fitting_projects_for, unassigned_project
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.ui import local_path, localdate, money
from caseapp.unit_of_work import Attempt, attempt

bp = Blueprint("assistance", __name__)


def _types(include_id: int | None = None) -> list[AssistanceType]:
    query = select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name)
    return [assistance_type for assistance_type in db.session.scalars(query)
            if assistance_type.active or assistance_type.id == include_id]


def _projects(office_id: int, include: Project | None = None) -> list[Project]:
    """The projects the form may offer: the active ones of the office (the page filters them by type and
    date), the record's own project, and Unassigned (for when none fits)."""
    projects = active_projects_in_office(office_id)
    if include is not None and include.id not in {p.id for p in projects} and not include.is_unassigned:
        projects.append(include)
    return [*projects, unassigned_project()]


def _project_options(form: AssistanceForm, projects: list[Project]) -> None:
    form.project_id.choices = [(0, "—")] + [(p.id, str(p)) for p in projects]


def _form_input(form: AssistanceForm, types_by_id: dict[int, AssistanceType], projects: list[Project]):
    """Turn the form into the service's input; a malformed amount becomes a message on the field."""
    assistance_type = types_by_id.get(form.type_id.data)
    if assistance_type is None:
        apply_errors(form, {"type_id": _("Choose a type of assistance.")})
        return None
    project = None
    if form.project_id.data:  # one not offered is looked up, so that the rule says why it does not fit
        project = next((p for p in projects if p.id == form.project_id.data), None) or db.session.get(
            Project, form.project_id.data)
        if project is None:
            apply_errors(form, {"project_id": _("Choose a project from the list.")})
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
        project=project,
        goal_id=form.goal_id.data,
    )


def _goal_choices(form: AssistanceForm, case_id: int | None) -> None:
    """The goals of the case's plan (the plans feature, above this one, hands its query over at start)."""
    choices = current_app.extensions.get("caseapp.goal_choices", lambda _case_id: [])(case_id)
    form.goal_id.choices = [("", "—")] + [(str(goal_id), label) for goal_id, label in choices]


@bp.route("/returnees/<int:returnee_id>/assistance/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def create(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    types = _types()
    types_by_id = {assistance_type.id: assistance_type for assistance_type in types}
    form = AssistanceForm()
    form.type_id.choices = [(assistance_type.id, assistance_type.label) for assistance_type in types]
    projects = _projects(returnee.field_office_id)
    _project_options(form, projects)
    if request.method == "GET":
        form.provided_on.data = today()
        wanted = request.args.get("type")
        chosen = next((assistance_type for assistance_type in types if assistance_type.code == wanted), None)
        if chosen is not None:
            form.type_id.data = chosen.id
            form.status.data = initial_statuses(chosen.needs_approval)[0].value
            fitting = fitting_projects_for(returnee.field_office_id, chosen.id, form.provided_on.data)
            form.project_id.data = fitting[0].id if len(fitting) == 1 else 0
    form.status.choices = [(s.value, s.label) for s in (AssistanceStatus.DELIVERED, AssistanceStatus.REQUESTED,
                                                         AssistanceStatus.PLANNED)]
    _goal_choices(form, returnee.current_case.id if returnee.current_case else None)
    if request.method == "GET" and request.args.get("goal", type=db_int):
        form.goal_id.data = request.args.get("goal", type=db_int)
    if form.validate_on_submit():
        values = _form_input(form, types_by_id, projects)
        if values is not None:
            done = attempt(lambda: services.record_assistance(current_user, returnee, values), form=form,
                           success=_("%(type)s is logged.", type=values.assistance_type.label))
            if done.saved:
                return redirect(url_for("returnees.show", returnee_id=returnee.id))
    return render_template("assistance/form.html", form=form, returnee=returnee, record=None, types=types,
                           projects=projects)


@bp.route("/assistance/<int:record_id>/edit", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def edit(record_id):
    record = get_record_or_404(record_id, current_user)
    types = _types(include_id=record.type_id)
    form = AssistanceForm(obj=record if request.method == "GET" else None)
    form.type_id.choices = [(assistance_type.id, assistance_type.label) for assistance_type in types]
    form.status.choices = [(record.status.value, record.status.label)]
    projects = _projects(record.returnee.field_office_id, include=record.project)
    _project_options(form, projects)
    if request.method == "GET":
        form.project_id.data = record.project_id
        form.amount.data = amount_for_input(record.amount)
        form.currency.data = record.currency.value if record.currency else ""
        form.status.data = record.status.value
    _goal_choices(form, record.case_id)
    stale = None
    if form.validate_on_submit():
        values = _form_input(form, {assistance_type.id: assistance_type for assistance_type in types}, projects)
        if values is not None:
            done = attempt(lambda: services.update_assistance(current_user, record, values,
                                                              expected_version=form.version.data),
                           form=form, success=_("The changes are saved."))
            if done.saved:
                return redirect(url_for("returnees.show", returnee_id=record.returnee_id))
            stale = done.stale
    return render_template("assistance/form.html", form=form, returnee=record.returnee, record=record,
                           types=types, stale=stale, projects=projects)


STALE_RECORD = _l("Someone changed this record meanwhile; nothing was saved. Check it and try again.")
#: steps that cannot be taken back: done only after a confirmation page (works without JavaScript)
CONFIRMED_STEPS = {AssistanceStatus.CANCELLED, AssistanceStatus.DELIVERED}


def record_label(record: AssistanceRecord) -> str:
    """Which record a message is about: "Business grant (3,000.00 GEL) for Nino Beridze"."""
    if record.amount is not None:
        return _("%(type)s (%(amount)s) for %(name)s", type=record.assistance_type.label,
                 amount=money(record.amount, record.currency), name=record.returnee.full_name)
    return _("%(type)s for %(name)s", type=record.assistance_type.label, name=record.returnee.full_name)


def step_form(form_class, posted: bool):
    """A form for a workflow step, read from the POST body, or from the query string of a confirmation
    page's GET (a link; nothing changes on a GET, so no CSRF token is needed to show the page)."""
    if posted:
        return form_class()
    return form_class(formdata=request.args, meta={"csrf": False})


@bp.route("/assistance/<int:record_id>/status", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def change_status(record_id):
    """Move a record along the workflow. Cancel and deliver show what will happen first (GET, or a POST
    without `confirmed`); the confirmation page's form sends `confirmed` and the step is taken."""
    record = get_record_or_404(record_id, current_user)
    back = url_for("returnees.show", returnee_id=record.returnee_id)
    posted = request.method == "POST"
    form = step_form(AssistanceStatusForm, posted)
    if not form.validate() and (form.status.errors or form.version.errors):
        flash(_("Choose a valid status."), "danger")
        return redirect(back)
    new_status = AssistanceStatus(form.status.data)
    if new_status in CONFIRMED_STEPS:
        refusal = _step_refusal(record, new_status)
        if refusal:  # no confirmation page for a step that would be refused
            flash(refusal, "danger")
            return redirect(back)
    if form.version.data is None:
        form.version.data = record.version
    if new_status == AssistanceStatus.DELIVERED and not form.confirmed.data:
        form.delivered_on.data = form.delivered_on.data or today()
        if not form.amount.data and record.amount is not None:
            form.amount.data = amount_for_input(record.amount)
    if new_status not in CONFIRMED_STEPS:
        if posted:
            attempt(lambda: services.change_assistance_status(
                current_user, record, new_status, expected_version=form.version.data, comment=form.comment.data),
                success=lambda changed: _("%(record)s is now %(status)s.", record=record_label(record),
                                          status=record.status.label), stale_message=STALE_RECORD)
        return redirect(back)
    stale = None
    if posted and form.confirmed.data == "yes" and not form.errors:
        done = _take_confirmed_step(record, new_status, form)
        if done.saved:
            return redirect(back)
        stale = done.stale
    if record.amount is not None:
        form.amount.label.text = _("Amount paid (%(currency)s)", currency=record.currency.value)
        form.amount.description = _("Recorded: %(amount)s. Less is fine; more needs a new approval.",
                                    amount=money(record.amount, record.currency))
    return render_template("assistance/confirm.html", record=record, form=form, new_status=new_status, back=back,
                           requested_on=services.requested_on(record), today=today(), stale=stale)


def _step_refusal(record: AssistanceRecord, new_status: AssistanceStatus) -> str | None:
    """Why this user cannot take this step on this record at all (before any detail is asked), or None."""
    try:
        services.ensure_transition(record, new_status)
        services.ensure_case_open(record)
    except ValidationFailed as failure:
        return " ".join(str(message) for message in failure.errors.values())
    if new_status in DECISIONS:
        refusal = approval_refusal(current_user, record)
        if refusal is None and new_status == AssistanceStatus.APPROVED:
            refusal = approval_budget_refusal(record)
        return str(refusal) if refusal else None
    return None


def _take_confirmed_step(record: AssistanceRecord, new_status: AssistanceStatus, form) -> Attempt:
    """Cancel or deliver as confirmed; a broken rule puts its messages next to the fields."""
    label = record_label(record)
    if new_status == AssistanceStatus.CANCELLED:
        return attempt(lambda: services.change_assistance_status(
            current_user, record, new_status, comment=form.comment.data, expected_version=form.version.data),
            form=form, success=_("%(record)s is cancelled.", record=label))
    try:
        paid = parse_typed_amount(form.amount.data) if record.amount is not None else None
    except ValueError as problem:
        apply_errors(form, {"amount": str(problem)})
        return Attempt(saved=False)
    return attempt(lambda: services.deliver_assistance(
        current_user, record, delivered_on=form.delivered_on.data, paid=paid, comment=form.comment.data,
        expected_version=form.version.data), form=form,
        success=lambda delivered: _("%(record)s is delivered on %(date)s.", record=record_label(delivered),
                                    date=localdate(delivered.provided_on)))


@bp.route("/assistance/<int:record_id>/decision", methods=["GET", "POST"])
@require(has_review_queue)
@submitted_once
def decide(record_id):
    """A supervisor approves or rejects a request (from the review queue or the returnee's timeline): the
    first step shows what will happen (and a rejection without a reason is sent back to its field); the
    confirmation page's form sends `confirmed` and the decision is taken."""
    record = get_record_or_404(record_id, current_user)
    posted = request.method == "POST"
    form = step_form(DecisionForm, posted)
    target = local_path(form.next.data) or url_for("review.queue")
    if not form.validate():
        flash(_("Choose approve or reject."), "danger")
        return redirect(target)
    decision = Decision(form.decision.data)
    refusal = _step_refusal(record, AssistanceStatus(decision.value))
    if refusal:  # no confirmation page for a step that would be refused
        flash(refusal, "danger")
        return redirect(target)
    if form.version.data is None:
        form.version.data = record.version
    if decision == Decision.REJECTED and not (form.comment.data or "").strip() and posted:
        apply_errors(form, {"comment": _("Give the reason for rejecting the request.")})
    stale = None
    if posted and form.confirmed.data == "yes" and not form.comment.errors:
        label = record_label(record)
        done = attempt(lambda: services.decide_request(current_user, record, decision, comment=form.comment.data,
                                                       expected_version=form.version.data),
                       form=form, success=_("%(record)s is %(decision)s.", record=label,
                                            decision=decision.label.lower()))
        if done.saved:
            return redirect(target)
        stale = done.stale
    if decision == Decision.REJECTED:
        form.comment.label.text = _("Reason for rejecting (required)")
    return render_template("assistance/confirm_decision.html", record=record, form=form, decision=decision,
                           back=target, stale=stale)


@bp.app_template_global()
def record_next_statuses(record: AssistanceRecord) -> list[AssistanceStatus]:
    """Statuses a caseworker may move this record to from the timeline (decisions are the supervisor's)."""
    allowed = allowed_next(record.status, services.record_needs_approval(record)) - DECISIONS
    return [s for s in AssistanceStatus if s in allowed]


@bp.app_template_global()
def record_budget_overrun(record: AssistanceRecord):
    """The budget warning an approver sees on a request (None when it fits what remains)."""
    return record_overrun(record) if record.status in (AssistanceStatus.REQUESTED, AssistanceStatus.APPROVED) else None


@bp.app_template_global()
def record_awaits_decision(record: AssistanceRecord) -> bool:
    """A requested record that needs a supervisor's approval (what the review queue lists)."""
    return record.status == AssistanceStatus.REQUESTED and services.record_needs_approval(record)
