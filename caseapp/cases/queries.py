"""Read-side queries for cases, scoped through the returnee they belong to."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.returnees.queries import get_returnee_or_404


def get_case_or_404(case_id: int, user: User) -> Case:
    """Load a case of a returnee the user may see; anything else is 'not found'."""
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    get_returnee_or_404(case.returnee_id, user)  # scopes by office
    return case


def assignable_caseworkers(office_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.field_office_id == office_id,
                User.active.is_(True),
                User.role.in_([Role.CASEWORKER, Role.SUPERVISOR]),
            )
            .order_by(User.display_name)
        )
    )
