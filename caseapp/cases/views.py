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
    ReopenForm,
)
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.cases.queries import assignable_caseworkers, get_case_or_404, open_assistance
from caseapp.cases.workflow import CASE_TRANSITIONS
from caseapp.errors import apply_errors
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


def case_status_choices(case: Case) -> list[tuple[str, str]]:
    return [(s.value, s.label) for s in CaseStatus if s in CASE_TRANSITIONS[case.status]]


@bp.route("/cases/<int:case_id>/status", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def change_status(case_id):
    """Change a case's status. A broken rule comes back on this page next to its field, with the choices
    kept; closing shows what will happen first and is done when the confirmation is sent back."""
    case = get_case_or_404(case_id, current_user)
    back = url_for("returnees.show", returnee_id=case.returnee_id) + "#case"
    posted = request.method == "POST"
    form = CaseStatusForm(prefix="case") if posted else CaseStatusForm(
        prefix="case", formdata=request.args or None, meta={"csrf": False}, version=case.version)
    form.status.choices = case_status_choices(case)
    if form.version.data is None:
        form.version.data = case.version
    confirming, stale = False, None
    if posted and form.validate_on_submit():
        new_status = CaseStatus(form.status.data)
        reason = ClosureReason(form.reason.data) if form.reason.data else None
        errors = services.case_status_errors(case, new_status, reason, form.note.data)
        if errors:
            apply_errors(form, errors)
        elif new_status == CaseStatus.CLOSED and form.confirmed.data != "yes":
            confirming = True
        else:
            done = attempt(lambda: services.change_case_status(
                current_user, case, new_status, expected_version=form.version.data, reason=reason,
                note=form.note.data), form=form,
                success=lambda changed: _("The case of %(name)s is now %(status)s.", name=case.returnee.full_name,
                                          status=changed.status.label))
            if done.saved:
                return redirect(back)
            stale = done.stale
    elif posted and not form.status.errors and not form.errors:
        flash(_("Choose a valid status."), "danger")
        return redirect(back)
    reason_label = ClosureReason(form.reason.data).label if confirming else None
    return render_template("cases/status.html", case=case, form=form, confirming=confirming, back=back,
                           reason_label=reason_label, stale=stale,
                           open_records=open_assistance(case) if form.status.data == "closed" else [])


@bp.post("/cases/<int:case_id>/assign")
@require(can_reassign_cases)
@submitted_once
def assign(case_id):
    """Give the case to another caseworker: the first post shows who loses and who gets it; the
    confirmation page's form sends `confirmed` and the case moves."""
    case = get_case_or_404(case_id, current_user)
    back = url_for("returnees.show", returnee_id=case.returnee_id) + "#case"
    form = AssignForm(prefix="assign")
    form.caseworker_id.choices = [(u.id, u.display_name) for u in assignable_caseworkers(case.returnee.field_office_id)]
    if not form.validate_on_submit():
        flash(_("Choose a caseworker of this office."), "danger")
        return redirect(back)
    caseworker = db.session.get(User, form.caseworker_id.data)
    if caseworker.id == case.caseworker_id:
        flash(_("The case of %(name)s is already assigned to %(caseworker)s.", name=case.returnee.full_name,
                caseworker=caseworker.display_name), "info")
        return redirect(back)
    if form.confirmed.data != "yes":
        return render_template("cases/confirm_assign.html", case=case, form=form, caseworker=caseworker, back=back)
    attempt(lambda: services.assign_case(current_user, case, caseworker),
            success=_("The case of %(name)s is assigned to %(caseworker)s.", name=case.returnee.full_name,
                      caseworker=caseworker.display_name))
    return redirect(back)


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
