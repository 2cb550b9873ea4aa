"""`flask --app caseapp projects add CODE --name ... --donor ... --start YYYY-MM-DD --end YYYY-MM-DD
[--name-ka ...] [--office NAME ...] [--budget AMOUNT CURRENCY ...] [--type CODE ...] [--inactive]` and
`flask --app caseapp projects list [--format table|json]`. Anything wrong is one `Error:` line, nothing
written."""

from __future__ import annotations

import json
from datetime import date

import click
from flask import Flask
from sqlalchemy import select

from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import assistance_type_model
from caseapp.projects.queries import all_projects, project_by_code
from caseapp.projects.rules import ProjectInput, parse_budget_amount, parse_currency
from caseapp.projects.services import create_project
from caseapp.unit_of_work import transaction

#: the option each field of the rules is typed in, for the messages
OPTION_OF_FIELD = {
    "code": "CODE", "name": "--name", "name_ka": "--name-ka", "donor": "--donor", "start_date": "--start",
    "end_date": "--end", "office_ids": "--office", "type_ids": "--type",
    "budget_gel": "--budget", "budget_eur": "--budget", "budget_usd": "--budget",
}  # fmt: skip


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.ClickException(f"{option}: {text!r} is not a date (YYYY-MM-DD).") from None


def project_json(project) -> dict:
    return {
        "code": project.code,
        "name": project.name,
        "name_ka": project.name_ka,
        "donor": project.donor,
        "start": project.start_date.isoformat() if project.start_date else None,
        "end": project.end_date.isoformat() if project.end_date else None,
        "active": project.active,
        "offices": project.office_names,
        "types": project.type_codes,
        "budget": project.budget_amounts,
    }


def register_project_commands(app: Flask) -> None:
    @app.cli.group("projects")
    def projects_group():
        """Projects: who pays for assistance."""

    @projects_group.command("add")
    @click.argument("code")
    @click.option("--name", default="", help="The English name.")
    @click.option("--name-ka", default="", help="The Georgian name.")
    @click.option("--donor", default="")
    @click.option("--start", default=None, help="First day, YYYY-MM-DD.")
    @click.option("--end", default=None, help="Last day, YYYY-MM-DD.")
    @click.option("--office", "offices", multiple=True, help="A field office it operates in (repeat); none: all.")
    @click.option("--budget", "budgets", multiple=True, nargs=2, help="AMOUNT CURRENCY, e.g. 250000 EUR (repeat).")
    @click.option("--type", "types", multiple=True, help="An assistance type code it may fund (repeat); none: all.")
    @click.option("--inactive", is_flag=True, help="Create it closed (not offered for new records).")
    def add_command(code, name, name_ka, donor, start, end, offices, budgets, types, inactive):
        """Create a project."""
        office_ids = []
        for office_name in offices:
            office_id = db.session.scalar(select(FieldOffice.id).where(FieldOffice.name == office_name))
            if office_id is None:
                raise click.ClickException(f"--office: no field office is named {office_name!r}.")
            office_ids.append(office_id)
        type_class = assistance_type_model()
        type_ids = []
        for type_code in types:
            type_id = db.session.scalar(select(type_class.id).where(type_class.code == type_code))
            if type_id is None:
                raise click.ClickException(f"--type: no assistance type has the code {type_code!r}.")
            type_ids.append(type_id)
        amounts = {}
        for amount_text, currency_text in budgets:
            try:
                currency = parse_currency(currency_text)
                amount = parse_budget_amount(amount_text)
            except ValueError as problem:
                raise click.ClickException(f"--budget {amount_text} {currency_text}: {problem}") from None
            if currency in amounts:
                raise click.ClickException(f"--budget: {currency.value} is given twice.")
            amounts[currency] = amount
        values = ProjectInput(
            code=code, name=name, name_ka=name_ka, donor=donor, start_date=_date(start, "--start"),
            end_date=_date(end, "--end"), office_ids=office_ids, type_ids=type_ids, budgets=amounts,
            active=not inactive,
        )  # fmt: skip
        try:
            with transaction():
                project = create_project(None, values)
        except ValidationFailed as failure:
            field, message = next(iter(failure.errors.items()))
            raise click.ClickException(f"{OPTION_OF_FIELD.get(field, field)}: {message}") from None
        click.echo(f"Created project {project.code}.")

    @projects_group.command("list")
    @click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
                  show_default=True)  # fmt: skip
    def list_command(output_format):
        """Print every project."""
        projects = all_projects()
        if output_format == "json":
            click.echo(json.dumps([project_json(p) for p in projects], ensure_ascii=False, indent=2))
            return
        rows = [("CODE", "DONOR", "START", "END", "ACTIVE", "OFFICES", "BUDGET", "NAME")]
        for p in projects:
            rows.append((
                p.code, p.donor or "-", p.start_date.isoformat() if p.start_date else "-",
                p.end_date.isoformat() if p.end_date else "-", "yes" if p.active else "no",
                "-" if p.is_unassigned else (", ".join(p.office_names) or "all"),
                ", ".join(f"{amount} {currency}" for currency, amount in p.budget_amounts.items()) or "-", p.name,
            ))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])


def project_id_option(code: str | None) -> int | None:
    """The id of the project `--project` names by its code (None when left out); an unknown code is the
    option's error."""
    if code is None:
        return None
    project = project_by_code(code)
    if project is None:
        raise click.BadParameter(f"no project has the code {code!r}", param_hint="--project")
    return project.id
