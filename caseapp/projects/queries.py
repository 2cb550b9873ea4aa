"""Loaders and lists of projects (projects are not an office's records: everyone allowed to see the list
sees every project)."""

from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from caseapp.extensions import db
from caseapp.projects.models import UNASSIGNED_CODE, Project, project_office
from caseapp.projects.rules import fitting_projects


def get_project_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    return project


def project_by_code(code: str) -> Project | None:
    """The project with this code, case-insensitively (what imports and the command line type)."""
    code = (code or "").strip()
    if not code:
        return None
    return db.session.scalar(select(Project).where(func.upper(Project.code) == code.upper()))


def unassigned_project() -> Project:
    """The Unassigned project (created by the migration; recreated here if a database lost it)."""
    project = db.session.scalar(select(Project).where(Project.code == UNASSIGNED_CODE))
    if project is None:
        project = Project(code=UNASSIGNED_CODE, name="Unassigned (no project)", name_ka="პროექტის გარეშე")
        db.session.add(project)
        db.session.flush()
    return project


def all_projects() -> list[Project]:
    """Every project, the Unassigned one last, the others by start date (newest first) and code."""
    query = select(Project).options(
        selectinload(Project.offices), selectinload(Project.assistance_types), selectinload(Project.budgets)
    )
    projects = list(db.session.scalars(query))
    return sorted(projects, key=lambda p: (p.is_unassigned, -(p.start_date or date.min).toordinal(), p.code))


def active_projects_in_office(office_id: int) -> list[Project]:
    """The active projects that operate in this office (listed there, or in every office): the candidates
    the assistance form filters by type and date."""
    in_office = select(project_office.c.project_id).where(project_office.c.field_office_id == office_id)
    any_office = ~select(project_office.c.project_id).where(project_office.c.project_id == Project.id).exists()
    query = (
        select(Project)
        .where(Project.active.is_(True), Project.code != UNASSIGNED_CODE, or_(Project.id.in_(in_office), any_office))
        .options(selectinload(Project.offices), selectinload(Project.assistance_types))
        .order_by(Project.code)
    )
    return list(db.session.scalars(query))


def fitting_projects_for(office_id: int, type_id: int, on: date | None) -> list[Project]:
    """The projects that may pay for a record of this type, in this office, on this date."""
    return fitting_projects(active_projects_in_office(office_id), office_id=office_id, type_id=type_id, on=on)
