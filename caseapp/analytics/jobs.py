"""The analytics rebuild as a background job: asked for by an administrator (the jobs page, or
`flask --app caseapp analytics rebuild --background --user NAME`), run by the worker with its progress bar."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp.analytics.services import rebuild_analytics
from caseapp.auth.policies import can_administer
from caseapp.extensions import db
from caseapp.jobs.registry import JobKind, register

REBUILD = "analytics-rebuild"


def _rebuild(job_run) -> dict[str, Any]:
    """One transaction, as the command's: the tables are replaced whole or not at all (a worker that dies
    half-way leaves them as they were, and the job runs again from the start)."""
    persons, rows = rebuild_analytics(job_run.progress)
    db.session.commit()
    return {"persons": persons, "rows": rows}


def register_kinds() -> None:
    register(JobKind(REBUILD, _rebuild, _l("Analytics rebuild"), may_ask=can_administer))
