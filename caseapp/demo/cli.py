import click
from flask import Flask

from caseapp.demo.data import DEMO_USERS, has_returnees, seed_demo
from caseapp.unit_of_work import transaction


def register_demo_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--count", default=600, show_default=True, help="How many returnees to invent.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database holds returnees already.")
    def seed_demo_command(count, if_empty):
        """Load a synthetic demo dataset (invented people) and print the demo logins."""
        if if_empty and has_returnees():
            click.echo("The database already holds returnees: no demo data added.")
        else:
            with transaction():
                made = seed_demo(count)
            click.echo(f"Added {made} invented returnees with cases and assistance.")
        click.echo("Demo logins (username / password):")
        for username, _name, role, office, password in DEMO_USERS:
            where = f", {office}" if office else ""
            click.echo(f"  {username:20} {password:22} {role.value}{where}")
