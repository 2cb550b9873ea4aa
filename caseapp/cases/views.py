"""The case routes: open a case, change its status, plan, follow-up, assignment, reopening.
They sit under /returnees/ (a case is always seen from its returnee) and answer with the returnee's page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseapp.auth.models import User
from caseapp.auth.policies import (
    can_edit_case_data,
    can_manage_cases,
    can_reassign_cases,
    require,
)
from caseapp.cases import services
from caseapp.cases.forms import (
    AssignForm,
    CaseStatusForm,
    FollowUpForm,
    OpenCaseForm,
    PlanForm,
    ReopenForm,
)
from caseapp.cases.models import CaseStatus, ClosureReason
from caseapp.cases.queries import assignable_caseworkers, get_case_or_404
from caseapp.extensions import db
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt

bp = Blueprint("cases", __name__, url_prefix="/returnees")

STALE_CASE = _l("Someone changed this case meanwhile; nothing was saved. Check the page and try again.")


@bp.post("/<int:returnee_id>/cases")
@require(can_edit_case_data)
@submitted_once
def open_case(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = OpenCaseForm(prefix="open")
    if form.validate_on_submit():
        attempt(lambda: services.open_new_case(current_user, returnee), success=_("A new case is open."))
    return redirect(url_for("returnees.show", returnee_id=returnee.id))


@bp.post("/cases/<int:case_id>/status")
@require(can_edit_case_data)
@submitted_once
def change_status(case_id):
    case = get_case_or_404(case_id, current_user)
    form = CaseStatusForm(prefix="case")
    if form.validate_on_submit():
        attempt(lambda: services.change_case_status(
            current_user, case, CaseStatus(form.status.data), expected_version=form.version.data,
            reason=ClosureReason(form.reason.data) if form.reason.data else None, note=form.note.data),
            success=lambda changed: _("The case is now %(status)s.", status=case.status.label),
            stale_message=STALE_CASE)
    else:
        flash(_("Choose a valid status."), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.route("/cases/<int:case_id>/plan", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def plan(case_id):
    case = get_case_or_404(case_id, current_user)
    form = PlanForm(obj=case if request.method == "GET" else None)
    stale = None
    if form.validate_on_submit():
        done = attempt(lambda: services.update_plan(current_user, case, form.plan.data,
                                                    expected_version=form.version.data),
                       form=form, success=_("The plan is saved."))
        if done.saved:
            return redirect(url_for("returnees.show", returnee_id=case.returnee_id))
        stale = done.stale
    return render_template("cases/plan.html", form=form, case=case, stale=stale)


@bp.post("/cases/<int:case_id>/assign")
@require(can_reassign_cases)
@submitted_once
def assign(case_id):
    case = get_case_or_404(case_id, current_user)
    form = AssignForm(prefix="assign")
    form.caseworker_id.choices = [(u.id, u.display_name) for u in assignable_caseworkers(case.returnee.field_office_id)]
    if form.validate_on_submit():
        attempt(lambda: services.assign_case(current_user, case, db.session.get(User, form.caseworker_id.data)),
                success=_("The case is assigned."))
    else:
        flash(_("Choose a caseworker of this office."), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.post("/cases/<int:case_id>/reopen")
@require(can_manage_cases)
@submitted_once
def reopen(case_id):
    case = get_case_or_404(case_id, current_user)
    form = ReopenForm(prefix="reopen")
    if form.validate_on_submit():
        attempt(lambda: services.reopen_case(current_user, case, form.reason.data,
                                             expected_version=form.version.data),
                success=_("The case is reopened."), stale_message=STALE_CASE)
    else:
        flash(_("Give the reason for reopening the case."), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.post("/cases/<int:case_id>/follow-up")
@require(can_edit_case_data)
@submitted_once
def follow_up(case_id):
    case = get_case_or_404(case_id, current_user)
    form = FollowUpForm(prefix="follow")
    if form.validate_on_submit():
        attempt(lambda: services.set_follow_up(current_user, case, form.follow_up_on.data,
                                               expected_version=form.version.data),
                success=_("The follow-up date is saved."), stale_message=STALE_CASE)
    else:
        for message in form.follow_up_on.errors:
            flash(str(message), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))
