"""The life of a case: which status may follow which. One table, enforced on the server."""

from __future__ import annotations

from caseapp.cases.models import CaseStatus

#: the case workflow in one place: status -> statuses it may move to. A closed case is read-only:
#: only a supervisor (or administrator) reopens it, with a reason (reopen_case), to REOPENED_STATUS.
CASE_TRANSITIONS: dict[CaseStatus, set[CaseStatus]] = {
    CaseStatus.OPEN: {CaseStatus.ACTIVE, CaseStatus.CLOSED},
    CaseStatus.ACTIVE: {CaseStatus.MONITORING, CaseStatus.CLOSED},
    CaseStatus.MONITORING: {CaseStatus.ACTIVE, CaseStatus.CLOSED},
    CaseStatus.CLOSED: set(),
}
REOPENED_STATUS = CaseStatus.ACTIVE
