"""`flask --app caseapp analytics rebuild` (compute the analytics tables again from the base tables, with a
progress bar) and `flask --app caseapp analytics check` (compare them with the base tables; exit status 1 on a
difference)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from tqdm import tqdm

from caseapp.analytics.services import analytics_differences, rebuild_analytics
from caseapp.unit_of_work import transaction


def register_analytics_commands(app: Flask) -> None:
    @app.cli.group("analytics")
    def analytics_group():
        """The tables the report counts from."""

    @analytics_group.command("rebuild")
    def rebuild_command():
        """Compute the analytics tables again from the returnees and their assistance (one transaction)."""
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
