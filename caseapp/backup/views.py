"""The administrator's backup page: the list of backups, a new backup, a download (each audited)."""

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_event
from caseapp.auth.policies import can_administer, require
from caseapp.backup import services
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt, writes_on_read

bp = Blueprint("backup", __name__, url_prefix="/admin/backups")


@bp.before_request
@require(can_administer)
def only_admins():
    """A backup holds every record of every office: administrators only."""


@bp.get("/")
def index():
    directory = services.backup_directory(current_app.config)
    return render_template(
        "backup/index.html",
        backups=services.list_backups(directory),
        directory=directory,
        keep=current_app.config["BACKUP_KEEP"],
    )


@bp.post("/")
@submitted_once
def create():
    def make_backup():
        try:
            backup = services.take_backup(
                db.engine, services.backup_directory(current_app.config), keep=current_app.config["BACKUP_KEEP"]
            )
        except services.BackupError as error:
            raise ValidationFailed({"": _("No backup was made: %(reason)s", reason=str(error))}) from error
        record_event(
            current_user,
            AuditAction.BACKUP_CREATE,
            entity_type="backup",
            label=backup.name,
            details={"file": backup.name, "revision": backup.revision, "bytes": backup.size},
        )
        return backup

    # Through attempt(): a saved backup keeps its one-time key, so a double click makes one backup.
    attempt(make_backup, success=lambda backup: _("Backup %(name)s made.", name=backup.name))
    return redirect(url_for("backup.index"))


@bp.get("/<name>")
@writes_on_read
def download(name):
    backup = services.find_backup(services.backup_directory(current_app.config), name)
    if backup is None:
        abort(404)
    record_event(
        current_user,
        AuditAction.BACKUP_DOWNLOAD,
        entity_type="backup",
        label=backup.name,
        details={"file": backup.name},
    )
    return send_file(backup.path, as_attachment=True, download_name=backup.name, mimetype="application/octet-stream")
