"""`flask --app caseapp rss-report --from YYYY-MM-DD --to YYYY-MM-DD [--office NAME] [--project CODE] [--shared]
[--format json|csv]`."""

from __future__ import annotations

import json

import click
from flask import Flask

from caseapp.offices.cli import office_id_option
from caseapp.projects.cli import project_id_option
from caseapp.rss.output import report_csv, report_json
from caseapp.rss.report import RssFilters, build_rss_report


def register_rss_commands(app: Flask) -> None:
    @app.cli.command("rss-report")
    @click.option(
        "--from",
        "date_from",
        required=True,
        type=click.DateTime(["%Y-%m-%d"]),
        help="First day of the period (inclusive).",
    )
    @click.option(
        "--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day of the period (inclusive)."
    )
    @click.option("--office", default=None, help="Field office name; country-wide when left out.")
    @click.option(
        "--project",
        default=None,
        help="Project code: the people whose return it was credited with or whose assistance it paid.",
    )
    @click.option("--format", "output_format", type=click.Choice(["json", "csv"]), default="json", show_default=True)
    @click.option(
        "--shared",
        is_flag=True,
        help="The version for sharing outside the organisation (averages over fewer than 5 withheld).",
    )
    def rss_report_command(date_from, date_to, office, project, output_format, shared):
        """Print the Reintegration Sustainability Survey report of a period."""
        office_id, project_id = office_id_option(office), project_id_option(project)
        try:
            filters = RssFilters(date_from.date(), date_to.date(), office_id=office_id, project_id=project_id)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--from/--to") from error
        report = build_rss_report(filters)
        if output_format == "json":
            click.echo(
                json.dumps(
                    report_json(report, shared=shared, office=office, project=project), ensure_ascii=False, indent=2
                )
            )
        else:
            click.echo(report_csv(report, shared=shared).lstrip("\ufeff"), nl=False)
