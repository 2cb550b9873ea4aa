"""`flask --app caseapp report --from YYYY-MM-DD --to YYYY-MM-DD [--office NAME] [--format json|csv|text]
[--language en|ka]`."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask_babel import force_locale

from caseapp.offices.queries import find_office
from caseapp.reports.counting import ReportFilters, build_report
from caseapp.reports.output import report_csv, report_json, report_text
from caseapp.reports.presentation import PresentedReport


def register_report_commands(app: Flask) -> None:
    @app.cli.command("report")
    @click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]),
                  help="First day of the period (inclusive).")
    @click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]),
                  help="Last day of the period (inclusive).")
    @click.option("--office", default=None, help="Field office name; country-wide when left out.")
    @click.option("--format", "output_format", type=click.Choice(["json", "csv", "text"]), default="text",
                  show_default=True)
    @click.option("--shared", is_flag=True,
                  help="The version for sharing outside the organisation (small counts suppressed).")
    @click.option("--language", type=click.Choice(["en", "ka"]), default="en", show_default=True,
                  help="Language of the names, headings and donor paragraph (codes and dates stay the same).")
    def report_command(date_from, date_to, office, output_format, shared, language):
        """Print the aggregate report of a period."""
        office_id = None
        if office is not None:
            found = find_office(office)
            office_id = found.id if found else None
            if office_id is None:
                raise click.BadParameter(f"no field office is named {office!r}", param_hint="--office")
        try:
            filters = ReportFilters(date_from.date(), date_to.date(), office_id=office_id)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--from/--to") from error
        with force_locale(language):
            click.echo(_render(PresentedReport(build_report(filters), shared=shared), output_format), nl=False)


def _render(shown: PresentedReport, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(report_json(shown), ensure_ascii=False, indent=2) + "\n"
    if output_format == "csv":
        return report_csv(shown).lstrip("\ufeff")
    return report_text(shown)
