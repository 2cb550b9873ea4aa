import click
from flask import Flask

from caseapp.admin.services import create_user
from caseapp.auth.models import Role
from caseapp.errors import ValidationFailed
from caseapp.offices.queries import find_office
from caseapp.unit_of_work import transaction


def register_admin_commands(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--username", prompt=True)
    @click.option("--display-name", prompt=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), prompt=True)
    @click.option("--office", default="", help="Field office name (caseworkers and supervisors).")
    @click.option("--password", envvar="CASEAPP_PASSWORD", prompt=True, hide_input=True,
                  confirmation_prompt=True, help="Or set CASEAPP_PASSWORD; asked without echo otherwise.")
    def create_user_command(username, display_name, role, office, password):
        """Create a staff account."""
        office_id = None
        if office:
            found = find_office(office)
            if found is None:
                raise click.BadParameter(f"no field office named {office!r}", param_hint="--office")
            office_id = found.id
        try:
            with transaction():
                user = create_user(None, username=username, display_name=display_name, role=Role(role),
                                   password=password, field_office_id=office_id)
        except ValidationFailed as failure:
            for field, message in failure.errors.items():
                click.echo(f"{field}: {message}", err=True)
            raise SystemExit(1)
        click.echo(f"Created {user.role.value} {user.username}.")
