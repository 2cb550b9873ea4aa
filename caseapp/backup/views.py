"""The administrator's backup page: the list of backups, a new backup, a download (each audited)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_event
from caseapp.auth.policies import can_administer, require
from caseapp.backup import services
from caseapp.extensions import db
from caseapp.submissions import answer_repeat, late_claim
from caseapp.unit_of_work import write_now, writes_in_own_transactions, writes_on_read

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
        keep_safety=current_app.config["BACKUP_KEEP_SAFETY_COPIES"],
    )


@bp.post("/")
@writes_in_own_transactions
def create():
    """The copy is made on a connection of its own, from a read transaction, while the request holds no
    write lock (other users keep saving); then one short write records it and the form's one-time key."""
    claim = late_claim(lambda backup: url_for("backup.index"))
    if claim is not None and claim.taken():
        return answer_repeat(claim.earlier_url())
    try:
        backup = services.take_backup(
            db.engine, services.backup_directory(current_app.config), keep=current_app.config["BACKUP_KEEP"]
        )
    except services.BackupError as error:
        flash(_("No backup was made: %(reason)s", reason=str(error)), "danger")
        return redirect(url_for("backup.index"))
    with write_now():
        if claim is not None and not claim.claim(backup):  # the same click, sent twice at once: one backup
            backup.path.unlink(missing_ok=True)
            return answer_repeat(claim.earlier_url())
        record_event(
            current_user,
            AuditAction.BACKUP_CREATE,
            entity_type="backup",
            label=backup.name,
            details={"file": backup.name, "revision": backup.revision, "bytes": backup.size},
        )
    flash(_("Backup %(name)s made.", name=backup.name), "success")
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
