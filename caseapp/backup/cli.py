"""Commands: `backup [PATH] [--verify]`, `restore PATH`, and the guards around `db upgrade` and
`db downgrade` (a backup first; a downgrade asks before it drops what later revisions added)."""
from __future__ import annotations

from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext

from caseapp.backup import services
from caseapp.backup.services import BackupError
from caseapp.database import allow_create
from caseapp.extensions import db


def register_backup_commands(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(guarded_migration_commands(), "db")


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--verify", is_flag=True,
              help="Restore the new backup into a scratch database and compare every table with the database.")
@with_appcontext
def backup_command(path, verify):
    """Copy the database while the app runs (to PATH, or to BACKUP_DIR keeping the last BACKUP_KEEP)."""
    try:
        made = services.take_backup(db.engine, services.backup_directory(current_app.config), path=path,
                                    keep=current_app.config["BACKUP_KEEP"], verify=verify)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    backup = made.backup if verify else made
    click.echo(f"Backup written: {backup.path} ({backup.size:,} bytes, schema revision {backup.revision})")
    if verify:
        for table, fingerprint in sorted(made.restored.items()):
            mark = "ok" if made.expected.get(table) == fingerprint else "DIFFERENT"
            click.echo(f"  {table:28} {fingerprint.rows:>10,} rows  {mark}")
        if not made.ok:
            raise click.ClickException("The restored backup differs from the database in: "
                                       + ", ".join(made.differences))
        click.echo(f"Verified: restored into a scratch database, {len(made.restored)} tables have the same "
                   "rows and checksums as the database at the moment of the backup.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path):
    """Restore a backup file into the configured database, which must be empty."""
    try:
        with allow_create():  # a restore may well go into a database file that does not exist yet
            revision = services.restore_backup(path, db.engine)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {path.name} into {db.engine.url.render_as_string(hide_password=True)} "
               f"(schema revision {revision}). Run `flask --app caseapp db upgrade` if this version of caseapp "
               "is newer than the backup.")


def guarded_migration_commands() -> click.Group:
    """Flask-Migrate's `db` group, with `upgrade` and `downgrade` taking a backup first."""
    from flask_migrate.cli import db as migrate_group

    group = click.Group("db", commands=dict(migrate_group.commands), callback=migrate_group.callback,
                        params=list(migrate_group.params), help=migrate_group.help)
    upgrade, downgrade = migrate_group.commands["upgrade"], migrate_group.commands["downgrade"]

    @with_appcontext
    def guarded_upgrade(**options):
        # holds_data() first: it answers False for a missing file without connecting (which would be refused)
        if not options["sql"] and db.engine.dialect.name == "sqlite" and services.holds_data(db.engine) \
                and not _at_head():
            _backup_before("before-upgrade")
        click.get_current_context().invoke(upgrade.callback, **options)

    @with_appcontext
    def guarded_downgrade(yes, **options):
        if not options["sql"] and services.holds_data(db.engine):
            if not yes:
                click.confirm(
                    f"Going down to revision {options['revision']} removes the tables and columns that later "
                    "revisions added, with what they hold. A backup is taken first. Continue?", abort=True)
            _backup_before("before-downgrade")
        click.get_current_context().invoke(downgrade.callback, **options)

    group.add_command(click.Command("upgrade", callback=guarded_upgrade, params=upgrade.params,
                                    help=f"{upgrade.help} (on SQLite with data: a backup first)"))
    group.add_command(click.Command(
        "downgrade", callback=guarded_downgrade,
        params=[*downgrade.params, click.Option(["--yes"], is_flag=True, help="Do not ask for confirmation.")],
        help=f"{downgrade.help} (asks first when the database holds data; a backup first)"))
    return group


def _at_head() -> bool:
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    with db.engine.connect() as connection:
        return services.current_revision(connection) in script.get_heads()


def _backup_before(reason: str) -> None:
    try:
        backup = services.take_backup(db.engine, services.backup_directory(current_app.config), reason=reason,
                                      keep=current_app.config["BACKUP_KEEP_SAFETY_COPIES"])
    except BackupError as error:
        raise click.ClickException(f"{error} Nothing was migrated.") from error
    click.echo(f"Backup written first: {backup.path}")
