"""Read-side of the jobs: the list a user sees, and one job loaded with its access check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from sqlalchemy import or_, select

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.jobs.models import Job
from caseapp.jobs.policies import can_see_job


def visible_jobs(user: User) -> sa.Select:
    """The jobs `user` may see, newest first (the same rule as can_see_job)."""
    query = select(Job).order_by(Job.id.desc())
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.SUPERVISOR and user.field_office_id is not None:
        return query.where(or_(Job.owner_id == user.id, Job.field_office_id == user.field_office_id))
    return query.where(Job.owner_id == user.id)


def get_job_or_404(job_id: int, user: User) -> Job:
    """The job, or 404 when it does not exist or is not the user's to see (never 403: its existence is not told)."""
    job = db.session.get(Job, job_id)
    if job is None or not can_see_job(user, job):
        abort(404)
    return job
