"""Who sees a job and gets its file."""

from __future__ import annotations

from caseapp.auth.models import Role, User
from caseapp.jobs.models import Job
from caseapp.jobs.registry import job_kind


def can_see_job(user: User, job: Job) -> bool:
    """Its owner; administrators; a supervisor, the jobs of their office (whose import is running?)."""
    if not user.is_authenticated:
        return False
    if job.owner_id == user.id or user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.SUPERVISOR
        and job.field_office_id is not None
        and (job.field_office_id == user.field_office_id)
    )


def can_take_result(user: User, job: Job) -> bool:
    """The file, or the next step (an import's preview): its owner, while they still may ask for such a job."""
    kind = job_kind(job.kind)
    return user.is_authenticated and job.owner_id == user.id and kind is not None and kind.may_ask(user)


def has_jobs_page(user: User) -> bool:
    return user.is_authenticated
