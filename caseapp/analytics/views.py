"""The administrator's button that asks the worker to rebuild the analytics tables (shown on the jobs page)."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from caseapp.analytics.jobs import REBUILD
from caseapp.auth.policies import can_administer, require
from caseapp.extensions import db
from caseapp.jobs.services import ask_for_job, unfinished_jobs
from caseapp.submissions import submitted_once

bp = Blueprint("analytics", __name__, url_prefix="/analytics")


@bp.post("/rebuild")
@require(can_administer)
@submitted_once
def rebuild():
    """Queue a rebuild, or show the one already waiting or running (a second one would only repeat it)."""
    job = db.session.scalars(unfinished_jobs(REBUILD).limit(1)).first()
    if job is None:
        job = ask_for_job(current_user, REBUILD, {})
    return redirect(url_for("jobs.show", job_id=job.id))
