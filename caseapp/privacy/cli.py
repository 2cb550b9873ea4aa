"""`flask --app caseapp anonymise [--dry-run]`: apply the retention policy."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.privacy.anonymise import anonymise, plan, summary_lines
from caseapp.privacy.retention import due_for_anonymisation, retention_years
from caseapp.unit_of_work import transaction


def register_privacy_commands(app: Flask) -> None:
    @app.cli.command("anonymise")
    @click.option("--dry-run", is_flag=True, help="List what would change; change nothing.")
    def anonymise_command(dry_run):
        """Anonymise the returnees the retention policy says to (RETENTION_YEARS_AFTER_CLOSURE years after
        their last case was closed): names, personal number, phone, exact date of birth and free texts go;
        what the reports count stays. Each person's anonymisation is in the change log."""
        years = retention_years()
        with transaction():
            people = due_for_anonymisation()
            offices = dict(db.session.execute(select(FieldOffice.id, FieldOffice.name)).all())
            verb = "Would anonymise" if dry_run else "Anonymising"
            click.echo(f"{verb} {len(people)} returnee(s) whose last case closed more than {years} years ago.")
            for person in people:
                click.echo(
                    f"  returnee #{person.returnee_id} ({offices.get(person.office_id, '?')}), "
                    f"last case closed {person.last_closed_on.isoformat()}"
                )
            if not people:
                return
            if dry_run:
                done = plan(people)
                click.echo("Values that would be removed:")
            else:
                done = anonymise(None, people, reason=f"retention: {years} years after the last case closed")
                click.echo("Values removed:")
            for line in summary_lines(done):
                click.echo(line)
            if dry_run:
                db.session.rollback()
