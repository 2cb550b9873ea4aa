"""Who may do what. Views, queries and templates all ask these functions, so that a button is hidden by
the same rule that refuses the request."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from caseapp.auth.models import Role, User


def sees_personal_data(user: User) -> bool:
    """Managers see aggregate figures only: no names, no personal pages."""
    return user.is_authenticated and user.role in (Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN)


def office_scope(user: User) -> int | None:
    """The one office whose records the user may see, or None for country-wide roles."""
    return user.field_office_id if user.role.belongs_to_office else None


def can_access_office(user: User, office_id: int) -> bool:
    if not sees_personal_data(user):
        return False
    scope = office_scope(user)
    return scope is None or scope == office_id


def can_edit_case_data(user: User) -> bool:
    """Register returnees, log assistance, change case status (own office for office staff)."""
    return user.is_authenticated and user.role in (Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN)


def can_reassign_cases(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_administer(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def can_view_reports(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


def require(policy):
    """View decorator: 403 unless `policy(current_user)` holds."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not policy(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


#: exposed to templates as `can.<name>(current_user)`
TEMPLATE_POLICIES = {
    "sees_personal_data": sees_personal_data,
    "edit_case_data": can_edit_case_data,
    "reassign_cases": can_reassign_cases,
    "administer": can_administer,
    "view_reports": can_view_reports,
}
