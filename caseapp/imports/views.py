"""Upload -> preview (a dry run) -> confirm; batches and their undo; the template and the admin export."""
from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_export, record_read
from caseapp.auth.policies import office_scope, require
from caseapp.extensions import db
from caseapp.imports import exports
from caseapp.imports.forms import UploadForm
from caseapp.imports.models import ImportBatch
from caseapp.imports.policies import (
    can_export_all_data,
    can_import_data,
    can_undo_imports,
)
from caseapp.imports.queries import get_batch_or_404, scoped_batches
from caseapp.imports.readers import sources_for
from caseapp.imports.services import import_files, undo_batch, undo_blockers
from caseapp.inputs import db_int
from caseapp.keyset import keyset_page, requested_cursor
from caseapp.offices.models import FieldOffice
from caseapp.pagination import count_rows
from caseapp.private_files import make_private_dir, open_private, write_private_text
from caseapp.spreadsheets import RowTally, csv_text, download
from caseapp.submissions import answer_repeat, late_claim, submitted_once
from caseapp.unit_of_work import after_commit, attempt, writes_in_own_transactions

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: problems listed on the preview page (all of them are in the downloadable CSV)
PROBLEMS_SHOWN = 50
#: earlier imports per page of the import page
BATCHES_PER_PAGE = 50
TOKEN_LENGTH = 32


# --- pending uploads: the files between the preview and the confirmation --------------------------------
# Personal data: each upload is a folder readable by the app's user only, and lives at most
# IMPORT_PENDING_MAX_AGE seconds (refused after that, and deleted at the next visit of the import pages).

def _pending_root() -> Path:
    return make_private_dir(Path(current_app.instance_path) / "imports")


def _expired(folder: Path) -> bool:
    try:
        created = (folder / "meta.json").stat().st_mtime
    except OSError:  # an upload still being saved, or a stray folder: its own folder's time
        created = folder.stat().st_mtime
    return time.time() - created > current_app.config["IMPORT_PENDING_MAX_AGE"]


def purge_expired_uploads() -> None:
    for folder in _pending_root().iterdir():
        if folder.is_dir() and _expired(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _pending_dir(token: str) -> Path:
    """The upload of the current user named by token, or 404 (another user's token, or an expired
    upload, is unknown too)."""
    if len(token) != TOKEN_LENGTH or not all(c in "0123456789abcdef" for c in token):
        abort(404)
    purge_expired_uploads()
    folder = _pending_root() / token
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        abort(404)
    if meta.get("user_id") != current_user.id:
        abort(404)
    return folder


def _pending_sources(folder: Path):
    """The upload's files; 404 when they are gone (another request confirmed the same upload meanwhile)."""
    try:
        names = json.loads((folder / "meta.json").read_text())["names"]
        if "workbook" in names:
            return sources_for(workbook=folder / "workbook.xlsx", names=names)
        return sources_for(returnees=folder / "returnees.csv" if "returnees" in names else None,
                           assistance=folder / "assistance.csv" if "assistance" in names else None, names=names)
    except OSError:
        abort(404)


def _save_upload(form: UploadForm) -> str:
    purge_expired_uploads()
    token = secrets.token_hex(TOKEN_LENGTH // 2)
    folder = _pending_root() / token
    folder.mkdir(mode=0o700)
    names = {}
    for key, stored in (("workbook", "workbook.xlsx"), ("returnees", "returnees.csv"),
                        ("assistance", "assistance.csv")):
        upload = getattr(form, key).data
        if upload:
            with open_private(folder / stored) as handle:
                upload.save(handle)
            names[key] = Path(upload.filename or stored).name
    write_private_text(folder / "meta.json", json.dumps({"user_id": current_user.id, "names": names}))
    return token


def _problems_csv(outcome) -> str:
    return csv_text(["table", "row", "column", "value", "problem"],
                    ([p.table, p.row, p.column, p.value, p.message] for p in outcome.problems))


# --- pages ------------------------------------------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
@require(can_import_data)
def index():
    form = UploadForm()
    if form.validate_on_submit():
        token = _save_upload(form)
        folder = _pending_dir(token)
        outcome = import_files(current_user, _pending_sources(folder), dry_run=True)
        write_private_text(folder / "problems.csv", _problems_csv(outcome))
        files = sorted(json.loads((folder / "meta.json").read_text())["names"].values())
        record_read(current_user, AuditAction.IMPORT_PREVIEW, entity_type="file", label=", ".join(files),
                    details={"files": files, "problems": outcome.problem_count, **outcome.counts})
        return render_template("imports/preview.html", outcome=outcome, token=token,
                               problems=outcome.problems[:PROBLEMS_SHOWN])
    purge_expired_uploads()
    listed = scoped_batches(current_user)
    rows, page = keyset_page(listed, (ImportBatch.id,), list_name="imports", order_name="newest",
                             cursor=requested_cursor(request.args), per_page=BATCHES_PER_PAGE,
                             total=count_rows(listed), descending=True)
    return render_template("imports/index.html", form=form, batches=[batch for batch, in rows], page=page)


@bp.get("/pending/<token>/problems.csv")
@require(can_import_data)
def problems(token):
    folder = _pending_dir(token)
    content = (folder / "problems.csv").read_text(encoding="utf-8")
    record_export(current_user, "import-problems.csv", rows=max(content.count("\r\n") - 1, 0),
                  offices=_scope_offices())
    return download(content, "import-problems.csv")


@bp.post("/pending/<token>")
@require(can_import_data)
@writes_in_own_transactions
def confirm(token):
    """On SQLite the import writes chunk by chunk in short transactions of its own, and commits them itself
    (services.py); the request holds no write lock meanwhile. Its form key is claimed with the batch."""
    folder = _pending_dir(token)
    claim = late_claim(lambda batch: url_for("imports.show", batch_id=batch.id))
    if claim is not None and claim.taken():
        return answer_repeat(claim.earlier_url())
    outcome = import_files(current_user, _pending_sources(folder), submission=claim)
    if outcome.repeat_url is not None:
        return answer_repeat(outcome.repeat_url)
    if not outcome.ok:
        write_private_text(folder / "problems.csv", _problems_csv(outcome))
        flash(_("The import was refused: the database changed since the preview."), "danger")
        return render_template("imports/preview.html", outcome=outcome, token=token,
                               problems=outcome.problems[:PROBLEMS_SHOWN])
    after_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
    batch_id = outcome.batch.id
    flash(_("Imported as batch %(id)d.", id=batch_id), "success")
    return redirect(url_for("imports.show", batch_id=batch_id))


@bp.get("/<int:batch_id>")
@require(can_import_data)
def show(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    blockers = undo_blockers(batch) if can_undo_imports(current_user) else []
    return render_template("imports/show.html", batch=batch, blockers=blockers)


@bp.post("/<int:batch_id>/undo")
@require(can_undo_imports)
@submitted_once
def undo(batch_id):
    batch = get_batch_or_404(batch_id, current_user)
    attempt(lambda: undo_batch(current_user, batch), success=_("Batch %(id)d is undone.", id=batch_id),
            refusal=lambda failure: _("The batch cannot be undone: %(why)s",
                                      why=" ".join(map(str, failure.errors.values()))))
    return redirect(url_for("imports.show", batch_id=batch_id))


@bp.get("/template.xlsx")
@require(can_import_data)
def template_workbook():
    record_export(current_user, "caseapp-import-template.xlsx", rows=0, offices=[], details={"template": True})
    return download(exports.template_workbook(), "caseapp-import-template.xlsx")


@bp.get("/template-<any(returnees, assistance):table>.csv")
@require(can_import_data)
def template_csv(table):
    record_export(current_user, f"caseapp-import-{table}.csv", rows=0, offices=[], details={"template": True})
    return download(exports.template_csv(table), f"caseapp-import-{table}.csv")


# --- the administrator's export in the import format -----------------------------------------------------

def _export_office() -> FieldOffice | None:
    office_id = request.args.get("office", type=db_int)
    if not office_id:
        return None
    return db.session.get(FieldOffice, office_id) or abort(404)


@bp.get("/export")
@require(can_export_all_data)
def export():
    offices = db.session.scalars(select(FieldOffice).order_by(FieldOffice.name))
    return render_template("imports/export.html", offices=list(offices))


@bp.get("/export.xlsx")
@require(can_export_all_data)
def export_workbook():
    office = _export_office()
    name = f"caseapp-export{f'-{office.name}' if office else ''}.xlsx"
    tally = RowTally()
    content = exports.export_workbook(office.id if office else None, tally=tally)
    record_export(current_user, name, rows=tally.rows, offices=[office.label] if office else None)
    return download(content, name)


@bp.get("/export-<any(returnees, assistance, cases):table>.csv")
@require(can_export_all_data)
def export_csv(table):
    office = _export_office()
    name = f"caseapp-{table}{f'-{office.name}' if office else ''}.csv"
    tally = RowTally()
    content = exports.export_csv(table, office.id if office else None, tally=tally)
    record_export(current_user, name, rows=tally.rows, offices=[office.label] if office else None)
    return download(content, name)


def _scope_offices() -> list[str] | None:
    """The offices the current user's files come from (None: all offices)."""
    scope = office_scope(current_user)
    office = db.session.get(FieldOffice, scope) if scope is not None else None
    return [office.label] if office else None

