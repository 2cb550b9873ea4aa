"""The task queue that hands jobs to the worker: huey, with its SQLite storage (a file in instance/, nothing to
install) unless JOBS_REDIS_URL names a Redis server (needed when app servers run on several hosts: each host's
worker then takes jobs from the one queue).

The queue carries a job's id only. What the job is, and how far it got, is in the database (the job table):
a message lost by the queue is sent again by the worker's sweep (a job waiting in the table is sent again
when the worker starts and every minute), and a message delivered twice runs the job once (run_job claims
the job in the database first)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

logger = logging.getLogger(__name__)

EXTENSION = "caseapp_jobs_queue"
QUEUE_NAME = "caseapp-jobs"


def make_huey(app: Flask) -> Huey:
    config = app.config
    if config.get("JOBS_IMMEDIATE"):  # tests: a job runs in the process that sends it, at once
        return MemoryHuey(QUEUE_NAME, immediate=True)
    redis_url = config.get("JOBS_REDIS_URL")
    if redis_url:
        return RedisHuey(QUEUE_NAME, url=redis_url)
    path = config.get("JOBS_QUEUE_FILE") or str(Path(app.instance_path) / "jobs-queue.sqlite")
    return SqliteHuey(QUEUE_NAME, filename=path)


def init_queue(app: Flask, run_job: Callable[[int], object], sweep: Callable[[], None]) -> None:
    """The app's huey and its two tasks: run a job (services.run_job), and the sweep (services.sweep: the jobs
    of dead workers, lost messages), each in an app context of its own."""
    huey = make_huey(app)

    @huey.task(name="caseapp.run_job")
    def run_job_task(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    @huey.periodic_task(crontab(minute="*"), name="caseapp.sweep_jobs")
    def sweep_task() -> None:
        with app.app_context():
            sweep()

    app.extensions[EXTENSION] = {"huey": huey, "run_job": run_job_task}


def huey_of(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions[EXTENSION]["huey"]


def send(job_id: int) -> None:
    """Hand the job to the worker. A failure is logged, not raised: the job waits in the table, and the
    worker's sweep sends it again."""
    try:
        current_app.extensions[EXTENSION]["run_job"](job_id)
    except Exception:
        logger.exception("Could not hand job %d to the queue now; the worker's sweep sends it again", job_id)
