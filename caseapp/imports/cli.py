"""flask import-data / import-undo / export-data."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from caseapp import database
from caseapp.auth.models import User
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.imports.models import ImportBatch
from caseapp.imports.policies import can_import_data
from caseapp.imports.readers import sources_for
from caseapp.unit_of_work import transaction


def _progress_bar(description: str, total: int | None):
    from tqdm import tqdm

    # Only on a terminal: scripts and logs get the summary lines alone.
    return tqdm(
        desc=description,
        total=total,
        unit=" rows",
        unit_scale=True,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    )


def _user(username: str | None) -> User | None:
    if username is None:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise click.UsageError(f"No active user named {username!r}.")
    return user


def register_import_commands(app: Flask) -> None:
    @app.cli.command("import-data")
    @click.option(
        "--returnees",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CSV file of the returnees table.",
    )
    @click.option(
        "--assistance",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CSV file of the assistance table.",
    )
    @click.option(
        "--workbook",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="One XLSX workbook with the sheets 'returnees' and 'assistance' (instead of the CSV files).",
    )
    @click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
    @click.option("--user", "username", help="Import as this user (a supervisor is held to their office).")
    def import_data(returnees, assistance, workbook, dry_run, username):
        """Import legacy spreadsheets as one batch: everything, or nothing and every problem listed.

        Exit status 0 only when everything was imported (or, with --dry-run, would be)."""
        from caseapp.imports.services import import_files

        if workbook and (returnees or assistance):
            raise click.UsageError("Give either --workbook or the CSV files, not both.")
        if not (workbook or returnees or assistance):
            raise click.UsageError("Give --returnees and/or --assistance, or --workbook.")
        with database.read_only():  # no write lock while the files are checked (the apply takes it)
            actor = _user(username)
        if actor is not None and not can_import_data(actor):
            raise click.UsageError(f"{username} may not import: supervisors and administrators do.")
        sources = sources_for(returnees=returnees, assistance=assistance, workbook=workbook)
        with transaction():
            outcome = import_files(actor, sources, dry_run=dry_run, progress=_progress_bar)
        counts = outcome.counts
        summary = (
            f"{counts['returnees_created']} returnees created, {counts['returnees_updated']} updated, "
            f"{counts['returnees_unchanged']} unchanged; {counts['cases_created']} cases opened "
            f"({counts['cases_closed']} closed as imported history); "
            f"{counts['records_created']} assistance records"
        )
        if not outcome.ok:  # import_files wrote nothing: it rolled its savepoint back
            for problem in outcome.problems:
                click.echo(str(problem), err=True)
            hidden = outcome.problem_count - len(outcome.problems)
            if hidden:
                click.echo(f"... and {hidden} more problems.", err=True)
            click.echo(f"Refused: {outcome.problem_count} problems. Nothing was written.", err=True)
            sys.exit(1)
        if dry_run:
            click.echo(f"Dry run, nothing written. Would import: {summary}.")
            return
        click.echo(f"Imported as batch {outcome.batch.id}: {summary}.")

    @app.cli.command("import-undo")
    @click.argument("batch_id", type=int)
    @click.option("--user", "username", help="Record this administrator as the one who undid it.")
    def import_undo(batch_id, username):
        """Undo an import batch: delete what it created, restore the returnees it updated."""
        from caseapp.imports.services import undo_batch

        batch = db.session.get(ImportBatch, batch_id)
        if batch is None:
            raise click.UsageError(f"There is no import batch {batch_id}.")
        try:
            with transaction():
                undo_batch(_user(username), batch)
        except ValidationFailed as failure:
            click.echo("Refused: " + " ".join(str(m) for m in failure.errors.values()), err=True)
            sys.exit(1)
        click.echo(f"Batch {batch_id} is undone.")

    @app.cli.command("export-data")
    @click.argument("destination", type=click.Path(dir_okay=True, path_type=Path))
    @click.option("--office", "office_name", help="Only this field office's returnees.")
    def export_data(destination, office_name):
        """Export returnees, cases and assistance in the import format: DESTINATION.xlsx, or a folder of CSVs."""
        from caseapp.audit.reads import record_export
        from caseapp.imports.exports import write_export
        from caseapp.spreadsheets import RowTally
        from caseapp.unit_of_work import transaction

        tally = RowTally()
        try:
            with transaction():
                written = write_export(destination, office_name=office_name, tally=tally)
                # the export is in the audit like a download from the web (by "command line")
                record_export(None, str(destination), rows=tally.rows, offices=[office_name] if office_name else None)
        except LookupError as error:
            raise click.UsageError(str(error)) from None
        for path in written:
            click.echo(f"Wrote {path}")
