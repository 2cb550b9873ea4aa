"""`flask --app caseapp analytics rebuild` (compute the analytics tables again from the base tables, with a
progress bar) and `flask --app caseapp analytics check` (compare them with the base tables; exit status 1 on a
difference)."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask
from tqdm import tqdm

from caseapp.analytics.jobs import REBUILD
from caseapp.analytics.services import analytics_differences, rebuild_analytics
from caseapp.auth.models import User
from caseapp.auth.policies import can_administer
from caseapp.extensions import db
from caseapp.jobs.cli import watch
from caseapp.jobs.services import ask_for_job, unfinished_jobs
from caseapp.unit_of_work import transaction


def _ask_for_rebuild(username: str | None) -> int:
    """The id of the rebuild job asked for by the administrator `username` (or of the one already waiting)."""
    if not username:
        raise click.UsageError("--background needs --user: the administrator asking for the rebuild.")
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None or not user.is_active or not can_administer(user):
        raise click.UsageError(f"{username} is not an active administrator.")
    with transaction():
        job = db.session.scalars(unfinished_jobs(REBUILD).limit(1)).first() or ask_for_job(user, REBUILD, {})
        job_id = job.id
    return job_id


def register_analytics_commands(app: Flask) -> None:
    @app.cli.group("analytics")
    def analytics_group():
        """The tables the report counts from."""

    @analytics_group.command("rebuild")
    @click.option("--background", is_flag=True, help="Ask the jobs worker to do it, and follow its progress bar.")
    @click.option("--user", "username", help="With --background: the administrator asking for it.")
    @click.pass_context
    def rebuild_command(context, background, username):
        """Compute the analytics tables again from the returnees and their assistance (one transaction)."""
        if background:
            context.invoke(watch, job_id=_ask_for_rebuild(username))
            return
        with tqdm(total=0, unit="returnees", file=sys.stderr, disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            with transaction():
                persons, rows = rebuild_analytics(progress)
        click.echo(f"analytics rebuilt: {persons} persons, {rows} assistance rows")

    @analytics_group.command("check")
    def check_command():
        """Compare the analytics tables with the base tables; exit status 1 when they differ."""
        differences = analytics_differences()
        if differences:
            click.echo(
                "analytics differ from the base tables: "
                f"persons {differences.missing_persons} missing or wrong, {differences.extra_persons} extra; "
                f"assistance rows {differences.missing_assistance} missing or wrong, "
                f"{differences.extra_assistance} extra. Run `flask --app caseapp analytics rebuild`."
            )
            sys.exit(1)
        click.echo("analytics agree with the base tables")
