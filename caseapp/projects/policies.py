"""Who may see and manage projects."""

from __future__ import annotations

from caseapp.auth.models import Role, User


def can_view_projects(user: User) -> bool:
    """Supervisors and managers see the projects and their budgets (no personal data); admins too."""
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


def can_manage_projects(user: User) -> bool:
    """Administrators create and change projects and move records between them."""
    return user.is_authenticated and user.role == Role.ADMIN


TEMPLATE_POLICIES = {
    "view_projects": can_view_projects,
    "manage_projects": can_manage_projects,
}
