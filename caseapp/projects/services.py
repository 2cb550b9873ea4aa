"""The administrators' use cases on projects: create and change one (audited, flushed, never committed)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.audit.models import AuditAction
from caseapp.audit.services import ensure_current, record_change, snapshot
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project, ProjectBudget, assistance_type_model
from caseapp.projects.rules import ProjectInput, parse_budget_amount, project_errors


def create_project(actor, values: ProjectInput) -> Project:
    _check(values, existing=None)
    project = Project(code=values.code.strip())
    db.session.add(project)
    _apply(project, values)
    record_change(actor, project, AuditAction.PROJECT_CREATE)
    return project


def update_project(actor, project: Project, values: ProjectInput, *, expected_version: int | None = None) -> Project:
    ensure_current(project, expected_version)
    if project.is_unassigned:
        raise ValidationFailed({"": _l("The Unassigned project cannot be changed: it holds what no project pays for.")})
    _check(values, existing=project)
    before = snapshot(project)
    project.code = values.code.strip()
    _apply(project, values)
    record_change(actor, project, AuditAction.PROJECT_UPDATE, before)
    return project


def _check(values: ProjectInput, *, existing: Project | None) -> None:
    errors = project_errors(values)
    if "code" not in errors:
        taken = db.session.scalar(select(Project.id).where(func.upper(Project.code) == values.code.strip().upper()))
        if taken is not None and (existing is None or taken != existing.id):
            errors["code"] = _l("Another project has the code %(code)s.", code=values.code.strip())
    if set(values.office_ids) - set(db.session.scalars(select(FieldOffice.id))):
        errors["office_ids"] = _l("Unknown office.")
    if set(values.type_ids) - set(db.session.scalars(select(assistance_type_model().id))):
        errors["type_ids"] = _l("Unknown type of assistance.")
    if errors:
        raise ValidationFailed(errors)


def _apply(project: Project, values: ProjectInput) -> None:
    project.name = values.name.strip()
    project.name_ka = (values.name_ka or "").strip()
    project.donor = values.donor.strip()
    project.start_date = values.start_date
    project.end_date = values.end_date
    project.active = values.active
    project.offices = list(db.session.scalars(select(FieldOffice).where(FieldOffice.id.in_(values.office_ids))))
    type_class = assistance_type_model()
    project.assistance_types = list(db.session.scalars(select(type_class).where(type_class.id.in_(values.type_ids))))
    wanted = {currency: parse_budget_amount(amount) for currency, amount in values.budgets.items()}
    for budget in list(project.budgets):
        if budget.currency not in wanted:
            project.budgets.remove(budget)
    for currency, amount in wanted.items():
        budget = next((b for b in project.budgets if b.currency == currency), None)
        if budget is None:
            project.budgets.append(ProjectBudget(currency=currency, amount=amount))
        else:
            budget.amount = amount
