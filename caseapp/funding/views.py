"""A project's page (its budget: committed, delivered, remaining per currency) and the administrator's bulk
reassignment of records between projects (filter, preview, confirm)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from caseapp.assistance.budget import budget_lines, overrun_mode
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.auth.policies import require
from caseapp.errors import ValidationFailed, apply_errors
from caseapp.extensions import db
from caseapp.funding.forms import ReassignForm
from caseapp.funding.reassignment import ReassignFilter, plan_reassignment, reassign_records
from caseapp.offices.models import FieldOffice
from caseapp.projects.policies import can_manage_projects, can_view_projects
from caseapp.projects.queries import all_projects, get_project_or_404
from caseapp.returnees.models import Returnee
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt

bp = Blueprint("funding", __name__, url_prefix="/projects")


@bp.get("/<int:project_id>")
@require(can_view_projects)
def project(project_id):
    """Budget against money: the figures are sums of amounts, no person is named."""
    shown = get_project_or_404(project_id)
    records_by_status = dict(db.session.execute(
        select(AssistanceRecord.status, func.count()).where(AssistanceRecord.project_id == shown.id)
        .group_by(AssistanceRecord.status)
    ).all())  # fmt: skip
    returns = db.session.scalar(select(func.count()).where(Returnee.return_project_id == shown.id))
    return render_template(
        "funding/project.html", project=shown, lines=budget_lines(shown), records_by_status=records_by_status,
        statuses=list(AssistanceStatus), returns=returns, overrun_mode=overrun_mode(),
    )  # fmt: skip


def _reassign_choices(form: ReassignForm, projects) -> None:
    offices = db.session.scalars(select(FieldOffice).order_by(FieldOffice.name))
    form.office_id.choices = [(0, _("Any office"))] + [(o.id, o.label) for o in offices]
    types = db.session.scalars(select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name))
    form.type_id.choices = [(0, _("Any type"))] + [(t.id, t.label) for t in types]
    form.project_id.choices = [(0, _("Any project"))] + [(p.id, str(p)) for p in projects]
    form.target_id.choices = [(p.id, str(p)) for p in projects]


@bp.route("/reassign", methods=["GET", "POST"])
@require(can_manage_projects)
@submitted_once
def reassign():
    """Step 1 (GET): the filter. Step 2 (POST): the preview, how many records move and from where.
    Step 3 (POST with `confirmed`): they move, if the preview still holds."""
    projects = all_projects()
    form = ReassignForm(formdata=request.form if request.method == "POST" else request.args or None)
    _reassign_choices(form, projects)
    plan = None
    if request.method == "POST" and form.validate():
        criteria = ReassignFilter(
            office_id=form.office_id.data or None, type_id=form.type_id.data or None, date_from=form.date_from.data,
            date_to=form.date_to.data, project_id=form.project_id.data or None,
        )  # fmt: skip
        target = next(p for p in projects if p.id == form.target_id.data)
        if form.confirmed.data == "yes":
            done = attempt(
                lambda: reassign_records(current_user, criteria, target, expected_count=form.expected.data),
                form=form,
                success=lambda moved: ngettext("%(num)d record moved to %(code)s.",
                                               "%(num)d records moved to %(code)s.", len(moved.moving),
                                               code=target.code),
            )  # fmt: skip
            if done.saved:
                return redirect(url_for("funding.project", project_id=target.id))
        try:  # the preview writes nothing (and so is not a "saved" submit)
            plan = plan_reassignment(current_user, criteria, target)
            form.expected.data = len(plan.moving)
        except ValidationFailed as failure:
            apply_errors(form, failure.errors)
    elif request.method == "POST":
        flash(_("Check the filter."), "danger")
    return render_template("funding/reassign.html", form=form, plan=plan)
