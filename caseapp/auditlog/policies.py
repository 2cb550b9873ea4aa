"""Who reads the audit. Administrators read all of it. Supervisors read their own office's entries (the
files of their office's returnees, what their office's staff did and signed in): they answer for who
opened their people's files. Caseworkers and managers do not read it (a manager sees no names at all)."""

from __future__ import annotations

from caseapp.auth.models import Role, User


def can_read_audit(user: User) -> bool:
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.ADMIN)


def audit_office_scope(user: User) -> int | None:
    """The one office whose entries the user reads, or None for all (administrators)."""
    return None if user.role == Role.ADMIN else (user.field_office_id or 0)  # 0: no office, no entries


def can_see_file_access(user: User) -> bool:
    """The "who opened or changed this file" panel of a returnee's page (who may open the page is checked
    by the page itself)."""
    return can_read_audit(user)


TEMPLATE_POLICIES = {
    "read_audit": can_read_audit,
    "see_file_access": can_see_file_access,
}
