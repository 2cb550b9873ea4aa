"""The jobs page: what runs in the background, its progress (a page that reloads itself, and the small JSON
answer its script polls), and the file a job produced."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, url_for
from flask_login import current_user

from caseapp.audit.reads import record_export
from caseapp.auth.policies import require
from caseapp.extensions import db
from caseapp.jobs.models import Job, JobFile
from caseapp.jobs.policies import can_take_result, has_jobs_page
from caseapp.jobs.queries import get_job_or_404, visible_jobs
from caseapp.jobs.registry import job_kind
from caseapp.spreadsheets import download

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

#: jobs listed on the page
JOBS_SHOWN = 50


def next_url(job: Job) -> str | None:
    """Where the owner goes on from a finished job: its file, or its kind's next step (the import's preview)."""
    if not job.status.finished or not can_take_result(current_user, job):
        return None
    if job.file is not None:
        return url_for("jobs.file", job_id=job.id)
    kind = job_kind(job.kind)
    return kind.next_url(job) if kind.next_url is not None else None


def describe(job: Job) -> str:
    kind = job_kind(job.kind)
    if kind is None:
        return job.kind
    label = str(kind.label)
    if kind.describe is not None:
        detail = kind.describe(job.params or {})
        if detail:
            label = f"{label}: {detail}"
    return label


@bp.get("/")
@require(has_jobs_page)
def index():
    jobs = list(db.session.scalars(visible_jobs(current_user).limit(JOBS_SHOWN)))
    return render_template("jobs/index.html", jobs=jobs, describe=describe)


@bp.get("/<int:job_id>")
@require(has_jobs_page)
def show(job_id):
    job = get_job_or_404(job_id, current_user)
    return render_template("jobs/show.html", job=job, describe=describe, next_url=next_url(job))


@bp.get("/<int:job_id>.json")
@require(has_jobs_page)
def status(job_id):
    """What the page's script polls: small, no personal data."""
    job = get_job_or_404(job_id, current_user)
    return jsonify(
        status=job.status.value,
        label=str(job.status.label),
        done=job.progress_done,
        total=job.progress_total,
        percent=job.percent,
        message=job.message,
        finished=job.status.finished,
        next_url=next_url(job),
    )


@bp.get("/<int:job_id>/file")
@require(has_jobs_page)
def file(job_id):
    job = get_job_or_404(job_id, current_user)
    if not can_take_result(current_user, job):
        abort(404)
    stored = db.session.get(JobFile, job.file.id) if job.file is not None else None
    if stored is None:
        abort(404)
    record_export(
        current_user,
        stored.file_name,
        rows=int((job.result or {}).get("rows", 0)),
        offices=(job.result or {}).get("offices"),
        details={"job": job.id},
    )
    return download(stored.content, stored.file_name)
