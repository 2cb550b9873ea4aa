"""The administrator's backup page: the list of backups, a new backup, a download (each audited)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.audit.services import log_change
from caseapp.auth.policies import can_administer, require
from caseapp.backup import services
from caseapp.extensions import db
from caseapp.submissions import submitted_once

bp = Blueprint("backup", __name__, url_prefix="/admin/backups")


@bp.before_request
@require(can_administer)
def only_admins():
    """A backup holds every record of every office: administrators only."""


@bp.get("/")
def index():
    directory = services.backup_directory(current_app.config)
    return render_template("backup/index.html", backups=services.list_backups(directory), directory=directory,
                           keep=current_app.config["BACKUP_KEEP"])


@bp.post("/")
@submitted_once
def create():
    try:
        backup = services.take_backup(db.engine, services.backup_directory(current_app.config),
                                      keep=current_app.config["BACKUP_KEEP"])
    except services.BackupError as error:
        flash(_("No backup was made: %(reason)s", reason=str(error)), "danger")
        return redirect(url_for("backup.index"))
    log_change(current_user, "backup.create", "backup", None,
               changes={"file": backup.name, "revision": backup.revision, "bytes": backup.size})
    flash(_("Backup %(name)s made.", name=backup.name), "success")
    return redirect(url_for("backup.index"))


@bp.get("/<name>")
def download(name):
    backup = services.find_backup(services.backup_directory(current_app.config), name)
    if backup is None:
        abort(404)
    log_change(current_user, "backup.download", "backup", None, changes={"file": backup.name})
    return send_file(backup.path, as_attachment=True, download_name=backup.name,
                     mimetype="application/octet-stream")
