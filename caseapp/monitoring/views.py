"""Monitoring visits: the lists of visits due this week and overdue (/visits/), a visit's page where it is
recorded, moved or cancelled, and scheduling one by hand from the returnee's page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.reads import record_read, record_search
from caseapp.auth.models import Role, User
from caseapp.auth.policies import can_edit_case_data, office_scope, require
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.monitoring import (
    queries,
    rules,
    services,
    triggers,  # noqa: F401  (connects the triggers to their signals)
)
from caseapp.monitoring.forms import VisitAddForm, VisitCancelForm, VisitMoveForm, VisitRecordForm
from caseapp.monitoring.models import MonitoringVisit, VisitMethod
from caseapp.pagination import paginate, requested_page
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.unit_of_work import attempt

bp = Blueprint("monitoring", __name__)

STALE_VISIT = _l("Someone changed this visit meanwhile; nothing was saved. Check it and try again.")
WHEN_TITLES = {
    "overdue": _l("Overdue visits"),
    "week": _l("Visits due this week"),
    "scheduled": _l("All scheduled visits"),
    "all": _l("All visits"),
}


def _staff_choices(visit: MonitoringVisit) -> list[tuple[int, str]]:
    """Who may have made the visit: the office's caseworkers and supervisors."""
    staff = db.session.scalars(
        select(User)
        .where(
            User.field_office_id == visit.returnee.field_office_id,
            User.role.in_((Role.CASEWORKER, Role.SUPERVISOR)),
            User.active.is_(True),
        )
        .order_by(User.display_name)
    )
    choices = [(user.id, user.display_name) for user in staff]
    if current_user.id not in {user_id for user_id, _name in choices}:
        choices.append((current_user.id, current_user.display_name))
    return [(0, "—")] + choices


@bp.get("/visits/")
@require(can_edit_case_data)
def index():
    when = request.args.get("when", "overdue")
    when = when if when in queries.WHEN else "overdue"
    caseworker_id = request.args.get("caseworker", type=db_int)
    on = today()
    page_number, per_page = requested_page(request.args, per_page=50)
    rows, page = paginate(
        queries.visit_list(current_user, when, on, caseworker_id=caseworker_id), page_number, per_page, rows=True
    )
    record_search(
        current_user,
        "visits",
        found=page.total,
        office_id=office_scope(current_user),
        asked={"when": when, "caseworker": caseworker_id, "page": page.number if page.number > 1 else None},
    )
    caseworker = db.session.get(User, caseworker_id) if caseworker_id else None
    return render_template(
        "monitoring/index.html",
        rows=rows,
        page=page,
        when=when,
        when_titles=WHEN_TITLES,
        caseworker=caseworker,
        on=on,
        args=request.args.to_dict(),
        per_caseworker=queries.counts_per_caseworker(current_user, on),
        rules=queries.schedule_rules(),
        office_scope=office_scope(current_user),
    )


def _visit_page(visit: MonitoringVisit, *, record_form=None, move_form=None, cancel_form=None, stale=None):
    """The visit's page (also shown again with a form's errors: the person's data are on it, so it is a read)."""
    record_read(current_user, AuditAction.RECORD_VIEW, visit, office_id=visit.returnee.field_office_id)
    record_form = record_form or VisitRecordForm(prefix="record", formdata=None)
    record_form.visited_by_id.choices = _staff_choices(visit)
    if record_form.done_on.data is None and not record_form.errors:
        record_form.done_on.data = today()
        record_form.visited_by_id.data = current_user.id
        record_form.method.data = VisitMethod.HOME_VISIT.value
    move_form = move_form or VisitMoveForm(prefix="move", formdata=None, due_on=visit.due_on)
    cancel_form = cancel_form or VisitCancelForm(prefix="cancel", formdata=None)
    for form in (record_form, move_form, cancel_form):
        if form.version.data is None:
            form.version.data = visit.version
    history = list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "visit", AuditEntry.entity_id == visit.id)
            .order_by(AuditEntry.id)
        )
    )
    return render_template(
        "monitoring/show.html",
        visit=visit,
        record_form=record_form,
        move_form=move_form,
        cancel_form=cancel_form,
        history=history,
        stale=stale,
        overdue=rules.is_overdue(visit, today()),
    )


@bp.get("/visits/<int:visit_id>")
@require(can_edit_case_data)
def show(visit_id):
    return _visit_page(queries.get_visit_or_404(visit_id, current_user))


@bp.post("/visits/<int:visit_id>/record")
@require(can_edit_case_data)
@submitted_once
def record(visit_id):
    visit = queries.get_visit_or_404(visit_id, current_user)
    form = VisitRecordForm(prefix="record")
    form.visited_by_id.choices = _staff_choices(visit)
    stale = None
    if form.validate_on_submit():
        operating = {"yes": True, "no": False}.get(form.business_operating.data or "")
        values = services.VisitReport(
            done_on=form.done_on.data,
            method=VisitMethod(form.method.data) if form.method.data else None,
            visited_by=db.session.get(User, form.visited_by_id.data) if form.visited_by_id.data else None,
            findings=form.findings.data or "",
            business_operating=operating,
            next_steps=form.next_steps.data or "",
        )
        done = attempt(
            lambda: services.record_visit(current_user, visit, values, expected_version=form.version.data),
            form=form,
            success=_("The visit is recorded."),
        )
        if done.saved:
            return redirect(url_for("returnees.show", returnee_id=visit.returnee_id) + "#visits")
        stale = done.stale
    return _visit_page(visit, record_form=form, stale=stale)


def _change_step(visit: MonitoringVisit, form, form_name: str, use_case, success):
    """Move or cancel: run the use case with the form's version; back to the visit when saved, else the visit's
    page with this form's errors (or the stale banner)."""
    stale = None
    if form.validate_on_submit():
        done = attempt(lambda: use_case(form), form=form, success=success)
        if done.saved:
            return redirect(url_for("monitoring.show", visit_id=visit.id))
        stale = done.stale
    return _visit_page(visit, stale=stale, **{form_name: form})


@bp.post("/visits/<int:visit_id>/move")
@require(can_edit_case_data)
@submitted_once
def move(visit_id):
    visit = queries.get_visit_or_404(visit_id, current_user)
    return _change_step(
        visit,
        VisitMoveForm(prefix="move"),
        "move_form",
        lambda form: services.move_visit(
            current_user, visit, form.due_on.data, form.reason.data or "", expected_version=form.version.data
        ),
        _("The visit is moved."),
    )


@bp.post("/visits/<int:visit_id>/cancel")
@require(can_edit_case_data)
@submitted_once
def cancel(visit_id):
    visit = queries.get_visit_or_404(visit_id, current_user)
    return _change_step(
        visit,
        VisitCancelForm(prefix="cancel"),
        "cancel_form",
        lambda form: services.cancel_visit(
            current_user, visit, form.reason.data or "", expected_version=form.version.data
        ),
        _("The visit is cancelled."),
    )


@bp.post("/returnees/<int:returnee_id>/visits")
@require(can_edit_case_data)
@submitted_once
def add(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = VisitAddForm(prefix="visit")
    if form.validate_on_submit():
        attempt(
            lambda: services.add_visit(current_user, returnee, form.due_on.data),
            success=_("A monitoring visit is scheduled."),
        )
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return redirect(url_for("returnees.show", returnee_id=returnee.id) + "#visits")


@bp.app_template_global()
def returnee_visits(returnee) -> list[MonitoringVisit]:
    return queries.visits_of(returnee)


@bp.app_template_global()
def visit_state(visit) -> str:
    """'overdue', 'week' or '' for a visit's badge."""
    on = today()
    if rules.is_overdue(visit, on):
        return "overdue"
    if rules.is_due_this_week(visit, on):
        return "week"
    return ""


@bp.app_template_global()
def visit_add_form():
    return VisitAddForm(prefix="visit", formdata=None)
