"""Who may change or reopen a case. Templates ask these (`can.change_case(current_user, case)`), so a button
is hidden by the same rules that refuse the request (the case-open rule is Case.change_refusal)."""

from __future__ import annotations

from caseapp.auth.models import User
from caseapp.auth.policies import can_access_office, can_edit_case_data, can_manage_cases
from caseapp.cases.models import Case


def can_change_case(user: User, case: Case | None) -> bool:
    """Write to a case (plan, follow-up, status, its assistance): never once it is closed."""
    return (
        can_edit_case_data(user)
        and case is not None
        and case.change_refusal() is None
        and can_access_office(user, case.returnee.field_office_id)
    )


def can_reopen_case(user: User, case: Case | None) -> bool:
    return (
        can_manage_cases(user)
        and case is not None
        and case.is_closed
        and can_access_office(user, case.returnee.field_office_id)
    )


TEMPLATE_POLICIES = {
    "change_case": can_change_case,
    "reopen_case": can_reopen_case,
}
