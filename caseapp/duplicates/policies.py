"""Who sees likely pairs and who merges them. Views, queries and templates (`can.find_duplicates`) ask these."""

from __future__ import annotations

from caseapp.auth.models import Role, User
from caseapp.returnees.models import Returnee


def can_find_duplicates(user: User) -> bool:
    """Supervisors (pairs that touch their office) and administrators (all offices) see the likely pairs."""
    return user.is_authenticated and user.role in (Role.SUPERVISOR, Role.ADMIN)


def can_merge_pair(user: User, first: Returnee, second: Returnee) -> bool:
    """A supervisor merges two records of their own office; a pair of two offices waits for an administrator."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.SUPERVISOR and first.field_office_id == second.field_office_id == user.field_office_id


TEMPLATE_POLICIES = {"find_duplicates": can_find_duplicates}
