"""`flask --app caseapp report --from YYYY-MM-DD --to YYYY-MM-DD [--office NAME] [--project CODE]
[--format json|csv|text] [--language en|ka]`."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask_babel import force_locale

from caseapp.offices.cli import office_id_option
from caseapp.projects.cli import project_id_option
from caseapp.projects.queries import project_by_code
from caseapp.reports.counting import ReportFilters, build_report
from caseapp.reports.indicators import figures_json, indicator_figures, project_indicators
from caseapp.reports.output import report_csv, report_json, report_text
from caseapp.reports.presentation import PresentedReport


def register_report_commands(app: Flask) -> None:
    @app.cli.command("report")
    @click.option("--from", "date_from", required=True, type=click.DateTime(["%Y-%m-%d"]),
                  help="First day of the period (inclusive).")
    @click.option("--to", "date_to", required=True, type=click.DateTime(["%Y-%m-%d"]),
                  help="Last day of the period (inclusive).")
    @click.option("--office", default=None, help="Field office name; country-wide when left out.")
    @click.option("--project", default=None, help="Project code (e.g. AVR-2014); every project when left out.")
    @click.option("--format", "output_format", type=click.Choice(["json", "csv", "text"]), default="text",
                  show_default=True)
    @click.option("--shared", is_flag=True,
                  help="The version for sharing outside the organisation (small counts suppressed).")
    @click.option("--language", type=click.Choice(["en", "ka"]), default="en", show_default=True,
                  help="Language of the names, headings and donor paragraph (codes and dates stay the same).")
    def report_command(date_from, date_to, office, project, output_format, shared, language):
        """Print the aggregate report of a period."""
        office_id, project_id = office_id_option(office), project_id_option(project)
        try:
            filters = ReportFilters(date_from.date(), date_to.date(), office_id=office_id, project_id=project_id)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--from/--to") from error
        with force_locale(language):
            click.echo(_render(PresentedReport(build_report(filters), shared=shared), output_format), nl=False)


def register_indicator_commands(app: Flask) -> None:
    @app.cli.command("indicators")
    @click.option("--project", "code", required=True, help="Project code (e.g. AVR-2014).")
    @click.option("--from", "date_from", default=None, type=click.DateTime(["%Y-%m-%d"]),
                  help="Only the periods that end on or after this day.")
    @click.option("--to", "date_to", default=None, type=click.DateTime(["%Y-%m-%d"]),
                  help="Only the periods that start on or before this day.")
    @click.option("--format", "output_format", type=click.Choice(["json", "text"]), default="text", show_default=True)
    def indicators_command(code, date_from, date_to, output_format):
        """Print a project's indicators: target, actual and percent achieved per period and in total."""
        project = project_by_code(code)
        if project is None:
            raise click.BadParameter(f"no project has the code {code!r}", param_hint="--project")
        start, end = (date_from.date() if date_from else None), (date_to.date() if date_to else None)
        if start and end and start > end:
            raise click.BadParameter("the period ends before it starts", param_hint="--from/--to")
        figures = [indicator_figures(indicator, date_from=start, date_to=end)
                   for indicator in project_indicators(project)]
        if output_format == "json":
            data = {"project": {"code": project.code, "name": project.name, "donor": project.donor},
                    "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                    "indicators": [figures_json(f) for f in figures]}
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        click.echo(f"{project.code} {project.name} ({project.donor})")
        for f in figures:
            data = figures_json(f)
            click.echo(f"\n{f.indicator.name}" + (f" ({data['currency']})" if data["currency"] else ""))
            for name, period in [*((f"{p['from']} – {p['to']}", p) for p in data["periods"]),
                                 *([("total", data["total"])] if len(f.periods) > 1 else [])]:
                target = "-" if period["target"] is None else period["target"]
                percent = "" if period["percent"] is None else f"  {period['percent']} %"
                click.echo(f"  {name}: {period['actual']} / {target}{percent}")


def _render(shown: PresentedReport, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(report_json(shown), ensure_ascii=False, indent=2) + "\n"
    if output_format == "csv":
        return report_csv(shown).lstrip("\ufeff")
    return report_text(shown)
