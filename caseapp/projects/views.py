"""The projects list (supervisors, managers, admins) and the admin's project form."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.auth.policies import require
from caseapp.enums import Currency
from caseapp.errors import apply_errors
from caseapp.extensions import db
from caseapp.forms import amount_for_input, parse_typed_amount
from caseapp.offices.models import FieldOffice
from caseapp.projects import services
from caseapp.projects.forms import ProjectForm
from caseapp.projects.models import assistance_type_model
from caseapp.projects.policies import can_manage_projects, can_view_projects
from caseapp.projects.queries import all_projects, get_project_or_404
from caseapp.projects.rules import ProjectInput
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.get("/")
@require(can_view_projects)
def index():
    return render_template("projects/index.html", projects=all_projects())


def _choices(form: ProjectForm) -> None:
    offices = db.session.scalars(select(FieldOffice).order_by(FieldOffice.name))
    form.office_ids.choices = [(office.id, office.label) for office in offices]
    type_class = assistance_type_model()
    types = db.session.scalars(select(type_class).order_by(type_class.sort_order, type_class.name))
    form.type_ids.choices = [(t.id, t.label) for t in types]


def _form_input(form: ProjectForm) -> ProjectInput | None:
    budgets, errors = {}, {}
    for currency in Currency:
        field = getattr(form, f"budget_{currency.value.lower()}")
        try:
            amount = parse_typed_amount(field.data)
        except ValueError as problem:
            errors[field.name] = str(problem)
            continue
        if amount is not None:
            budgets[currency] = amount
    if errors:
        apply_errors(form, errors)
        return None
    return ProjectInput(
        code=form.code.data or "", name=form.name.data or "", name_ka=form.name_ka.data or "",
        donor=form.donor.data or "", start_date=form.start_date.data, end_date=form.end_date.data,
        office_ids=list(form.office_ids.data or []), type_ids=list(form.type_ids.data or []), budgets=budgets,
        active=form.active.data,
    )  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@require(can_manage_projects)
@submitted_once
def edit(project_id=None):
    project = get_project_or_404(project_id) if project_id else None
    if project is not None and project.is_unassigned:
        flash(_("The Unassigned project cannot be changed: it holds what no project pays for."), "warning")
        return redirect(url_for("projects.index"))
    form = ProjectForm(obj=project if request.method == "GET" else None)
    _choices(form)
    if request.method == "GET" and project is not None:
        form.office_ids.data = [office.id for office in project.offices]
        form.type_ids.data = [t.id for t in project.assistance_types]
        for currency in Currency:
            getattr(form, f"budget_{currency.value.lower()}").data = amount_for_input(project.budget_in(currency))
    stale = None
    if form.validate_on_submit():
        values = _form_input(form)
        if values is not None:
            if project is None:
                done = attempt(lambda: services.create_project(current_user, values), form=form)
            else:
                done = attempt(lambda: services.update_project(current_user, project, values,
                                                               expected_version=form.version.data), form=form)  # fmt: skip
            if done.saved:
                flash(_("Project %(code)s is saved.", code=done.result.code), "success")
                return redirect(url_for("projects.index"))
            stale = done.stale
    return render_template("projects/form.html", form=form, project=project, stale=stale)
