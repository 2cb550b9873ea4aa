"""flask jobs list | watch ID | run-worker."""

from __future__ import annotations

import sys
import time

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from caseapp import database
from caseapp.extensions import db
from caseapp.jobs.models import Job

jobs_cli = AppGroup("jobs", help="Background jobs: list them, watch one, run the worker.")


def _read(query):
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        return list(reader.scalars(query))


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True)
def list_jobs(limit):
    """The latest jobs: id, kind, owner, status, progress, message."""
    for job in _read(select(Job).order_by(Job.id.desc()).limit(limit)):
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total else str(job.progress_done)
        click.echo(
            f"{job.id:>6}  {job.kind:<14} {job.owner_name:<16} {job.status.value:<8} {progress:>15}  "
            f"{job.message or ''}"
        )


@jobs_cli.command("watch")
@click.argument("job_id", type=int)
def watch(job_id):
    """A progress bar of one job until it ends (exit status 1 if it failed)."""
    from tqdm import tqdm

    bar = None
    while True:
        found = _read(select(Job).where(Job.id == job_id))
        if not found:
            raise click.UsageError(f"There is no job {job_id}.")
        job = found[0]
        if bar is None:
            bar = tqdm(
                desc=f"job {job.id} {job.kind}",
                total=job.progress_total,
                unit=" rows",
                unit_scale=True,
                file=sys.stderr,
            )
        if job.progress_total and bar.total != job.progress_total:
            bar.total = job.progress_total
        bar.n = job.progress_done
        bar.set_postfix_str(job.status.value, refresh=False)
        bar.refresh()
        if job.status.finished:
            bar.close()
            click.echo(f"Job {job.id}: {job.status.value}. {job.message or ''}".strip())
            sys.exit(0 if job.status.value == "done" else 1)
        time.sleep(0.5)


@jobs_cli.command("run-worker")
@click.option("--threads", type=int, default=None, help="Jobs run at once (default: JOBS_WORKER_THREADS).")
def run_worker(threads):
    """The worker: takes jobs from the queue and runs them (one per host; Ctrl+C stops it after the running
    jobs' current step; a job it leaves half-done is run again or failed at the next start)."""
    from caseapp.jobs.queue import huey_of
    from caseapp.jobs.services import sweep

    sweep(starting=True)  # jobs of a worker that died here, and jobs the queue may have lost
    huey = huey_of(current_app)
    consumer = huey.create_consumer(
        workers=threads or int(current_app.config["JOBS_WORKER_THREADS"]),
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
    )
    click.echo(f"Worker started ({type(huey).__name__}); Ctrl+C stops it.", err=True)
    consumer.run()


def register_job_commands(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
