"""Who may import, undo and export."""
from __future__ import annotations

from caseapp.auth.models import Role, User


def can_import_data(user: User) -> bool:
    """Supervisors (rows of their own office only) and administrators upload spreadsheets."""
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_undo_imports(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def can_export_all_data(user: User) -> bool:
    """The full export (names included, every office) is for administrators."""
    return user.is_authenticated and user.role == Role.ADMIN


TEMPLATE_POLICIES = {
    "import_data": can_import_data,
    "undo_imports": can_undo_imports,
    "export_all_data": can_export_all_data,
}
