"""Background jobs: long work (large imports, full exports, rebuilds) run by a worker process rather than in
a request, with its progress on the page and on the command line. Features register their kinds
(registry.py); the state lives in the database (models.py); huey carries the jobs to the worker (queue.py)."""

from __future__ import annotations

from flask import Flask


def register_jobs(app: Flask) -> None:
    from caseapp.jobs import services
    from caseapp.jobs.cli import register_job_commands
    from caseapp.jobs.queue import init_queue
    from caseapp.jobs.views import bp

    services.install()
    init_queue(app, services.run_job, services.sweep)
    app.register_blueprint(bp)
    register_job_commands(app)
