"""Moving assistance records to another project in bulk (an administrator's correction: records made before
projects existed sit in Unassigned; a record logged under the wrong project). The filter picks the records
(office, type, period, current project); only those the target project may pay for move (projects.rules:
active in its period, in the office, funding the type); Unassigned takes any. One change-log entry names
every record moved, with its project before."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from caseapp.assistance.models import AssistanceRecord
from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_event
from caseapp.auth.policies import office_scope
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.projects.models import Project
from caseapp.projects.rules import project_refusal
from caseapp.returnees.models import Returnee

#: records moved in one UPDATE statement (bounded parameter lists on SQLite)
CHUNK = 500


@dataclass(frozen=True)
class ReassignFilter:
    """Which records: every one matching all the criteria given (None: any)."""

    office_id: int | None = None
    type_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    project_id: int | None = None

    def as_details(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass
class ReassignPlan:
    """What a reassignment would do: the records found, those that move, those the target cannot pay for."""

    target: Project
    matching: int = 0
    #: ids of the records that move, and how many come from each project (by code)
    moving: list[int] = field(default_factory=list)
    moving_from: Counter = field(default_factory=Counter)
    #: records left where they are: already in the target, or the target may not pay for them (with why)
    already: int = 0
    unfit: Counter = field(default_factory=Counter)

    @property
    def unfit_count(self) -> int:
        return sum(self.unfit.values())


def filter_errors(criteria: ReassignFilter) -> dict[str, object]:
    errors: dict[str, object] = {}
    if criteria.date_from and criteria.date_to and criteria.date_to < criteria.date_from:
        errors["date_to"] = _l("The end cannot be before the start.")
    return errors


def matching_records_query(actor, criteria: ReassignFilter):
    """(record id, project, office, type, date) of the records the filter picks, within the actor's scope."""
    query = (
        select(AssistanceRecord.id, AssistanceRecord.project_id, Returnee.field_office_id, AssistanceRecord.type_id,
               AssistanceRecord.provided_on, Project.code)
        .join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
        .join(Project, Project.id == AssistanceRecord.project_id)
        .order_by(AssistanceRecord.id)
    )  # fmt: skip
    scope = office_scope(actor) if actor is not None else None
    if scope is not None:
        query = query.where(Returnee.field_office_id == scope)
    if criteria.office_id is not None:
        query = query.where(Returnee.field_office_id == criteria.office_id)
    if criteria.type_id is not None:
        query = query.where(AssistanceRecord.type_id == criteria.type_id)
    if criteria.date_from is not None:
        query = query.where(AssistanceRecord.provided_on >= criteria.date_from)
    if criteria.date_to is not None:
        query = query.where(AssistanceRecord.provided_on <= criteria.date_to)
    if criteria.project_id is not None:
        query = query.where(AssistanceRecord.project_id == criteria.project_id)
    return query


def plan_reassignment(actor, criteria: ReassignFilter, target: Project) -> ReassignPlan:
    """What moving the filtered records to `target` would do (nothing is changed)."""
    errors = filter_errors(criteria)
    if errors:
        raise ValidationFailed(errors)
    plan = ReassignPlan(target=target)
    for record_id, project_id, office_id, type_id, provided_on, code in db.session.execute(
        matching_records_query(actor, criteria)
    ):
        plan.matching += 1
        if project_id == target.id:
            plan.already += 1
            continue
        refusal = None if target.is_unassigned else project_refusal(target, office_id=office_id, type_id=type_id,
                                                                     on=provided_on)  # fmt: skip
        if refusal is not None:
            plan.unfit[str(refusal)] += 1
            continue
        plan.moving.append(record_id)
        plan.moving_from[code] += 1
    return plan


def reassign_records(
    actor, criteria: ReassignFilter, target: Project, *, expected_count: int | None = None
) -> ReassignPlan:
    """Move the filtered records the target may pay for to it, as previewed: if the number that would move
    is not what the preview showed (`expected_count`), nothing moves and the admin looks again. Each moved
    record's version is bumped (a form open on it is then stale); one change-log entry lists them."""
    plan = plan_reassignment(actor, criteria, target)
    if expected_count is not None and len(plan.moving) != expected_count:
        raise ValidationFailed({"": _l(
            "The records changed since the preview (%(now)d would move now, not %(then)d): nothing was moved; "
            "check the preview again.", now=len(plan.moving), then=expected_count)})  # fmt: skip
    if not plan.moving:
        raise ValidationFailed({"": _l("No record to move.")})
    for start in range(0, len(plan.moving), CHUNK):
        chunk = plan.moving[start : start + CHUNK]
        db.session.execute(
            update(AssistanceRecord)
            .where(AssistanceRecord.id.in_(chunk))
            .values(project_id=target.id, version=AssistanceRecord.version + 1)
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    record_event(
        actor, AuditAction.PROJECT_REASSIGN, entity_type="project", entity_id=target.id, label=target.audit_label,
        details={"to": target.code, "moved": len(plan.moving), "from": dict(plan.moving_from),
                 "filter": criteria.as_details(), "record_ids": plan.moving},
    )  # fmt: skip
    return plan
