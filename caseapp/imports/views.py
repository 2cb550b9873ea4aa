"""Upload -> preview (a dry run) -> confirm; batches and their undo; the template and the admin export."""
from __future__ import annotations

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
from caseapp.imports.jobs import CHECK, EXPORT, IMPORT, outcome_of, problems_csv
from caseapp.imports.models import ImportBatch, PendingUpload
from caseapp.imports.policies import (
    can_export_all_data,
    can_import_data,
    can_undo_imports,
)
from caseapp.imports.queries import get_batch_or_404, scoped_batches
from caseapp.imports.services import import_files, undo_batch, undo_blockers
from caseapp.imports.uploads import (
    FILES,
    discard_upload,
    pending_upload_or_404,
    purge_expired_uploads,
    save_upload,
    upload_sources,
)
from caseapp.inputs import db_int
from caseapp.jobs.policies import can_take_result
from caseapp.jobs.queries import get_job_or_404
from caseapp.jobs.services import ask_for_job, unfinished_jobs
from caseapp.keyset import keyset_page, requested_cursor
from caseapp.offices.models import FieldOffice
from caseapp.pagination import count_rows
from caseapp.spreadsheets import RowTally, download
from caseapp.submissions import answer_repeat, late_claim, mark_saved, submitted_once
from caseapp.timeutil import utcnow
from caseapp.unit_of_work import attempt, write_now, writes_in_own_transactions

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: problems listed on the preview page (all of them are in the downloadable CSV)
PROBLEMS_SHOWN = 50
#: earlier imports per page of the import page
BATCHES_PER_PAGE = 50


def _upload_files(form: UploadForm) -> dict[str, tuple[str, bytes]]:
    files = {}
    for key, stored in FILES:
        upload = getattr(form, key).data
        if upload:
            files[key] = (upload.filename or stored, upload.read())
    return files


def _in_background(upload: PendingUpload) -> bool:
    return upload.rows > int(current_app.config["IMPORT_BACKGROUND_ROWS"])


# --- pages ------------------------------------------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
@require(can_import_data)
@writes_in_own_transactions
def index():
    """The upload is read (a large file takes a while to arrive) and checked holding no write lock: only
    saving it, and the preview's problems and audit entry, take SQLite's lock, each for a moment."""
    form = UploadForm()
    if form.validate_on_submit():
        files = _upload_files(form)
        with write_now():
            upload = save_upload(current_user, files)
            if _in_background(upload):  # a large file is checked by the worker, with a progress bar
                job = ask_for_job(current_user, CHECK, {"upload_id": upload.id}, total=upload.rows)
                return redirect(url_for("jobs.show", job_id=job.id))
        db.session.commit()
        with upload_sources(upload) as sources:
            outcome = import_files(current_user, sources, dry_run=True)
        with write_now():
            upload = db.session.merge(upload)
            upload.problems_csv = problems_csv(outcome)
            files = sorted(upload.names.values())
            record_read(current_user, AuditAction.IMPORT_PREVIEW, entity_type="file", label=", ".join(files),
                        details={"files": files, "problems": outcome.problem_count, **outcome.counts})
        return render_template("imports/preview.html", outcome=outcome, token=upload.token,
                               problems=outcome.problems[:PROBLEMS_SHOWN])
    purge_expired_uploads()
    listed = scoped_batches(current_user)
    rows, page = keyset_page(listed, (ImportBatch.id,), list_name="imports", order_name="newest",
                             cursor=requested_cursor(request.args), per_page=BATCHES_PER_PAGE,
                             total=count_rows(listed), descending=True)
    return render_template("imports/index.html", form=form, batches=[batch for batch, in rows], page=page)


@bp.get("/checked/<int:job_id>")
@require(can_import_data)
def checked(job_id):
    """The preview of a file the worker checked (or of an import it refused), from what the job kept."""
    job = get_job_or_404(job_id, current_user)
    result = job.result or {}
    if job.kind not in (CHECK, IMPORT) or not can_take_result(current_user, job) or "preview" not in result:
        abort(404)
    outcome, _kept = outcome_of(result["preview"])
    token = result["token"]
    if outcome.ok and not db.session.scalar(select(PendingUpload.id).where(PendingUpload.token == token)):
        abort(404)  # imported, or expired
    return render_template("imports/preview.html", outcome=outcome, token=token,
                           problems=outcome.problems[:PROBLEMS_SHOWN])


@bp.get("/pending/<token>/problems.csv")
@require(can_import_data)
def problems(token):
    content = pending_upload_or_404(token, current_user).problems_csv or ""
    record_export(current_user, "import-problems.csv", rows=max(content.count("\r\n") - 1, 0),
                  offices=_scope_offices())
    return download(content, "import-problems.csv")


@bp.post("/pending/<token>")
@require(can_import_data)
@writes_in_own_transactions
def confirm(token):
    """On SQLite the import writes chunk by chunk in short transactions of its own, and commits them itself
    (services.py); the request holds no write lock meanwhile. Its form key is claimed with the batch. A large
    upload is imported by the worker (a job; one import at a time there too)."""
    upload = pending_upload_or_404(token, current_user)
    if _in_background(upload):
        return _confirm_in_background(upload)
    claim = late_claim(lambda batch: url_for("imports.show", batch_id=batch.id))
    if claim is not None and claim.taken():
        return answer_repeat(claim.earlier_url())
    upload_id = upload.id
    with upload_sources(upload) as sources:
        outcome = import_files(current_user, sources, submission=claim)
    if outcome.repeat_url is not None:
        return answer_repeat(outcome.repeat_url)
    if not outcome.ok:
        with write_now():
            upload = db.session.get(PendingUpload, upload_id)
            if upload is not None:
                upload.problems_csv = problems_csv(outcome)
        flash(_("The import was refused: the database changed since the preview."), "danger")
        return render_template("imports/preview.html", outcome=outcome, token=token,
                               problems=outcome.problems[:PROBLEMS_SHOWN])
    with write_now():
        discard_upload(upload_id)
    batch_id = outcome.batch.id
    flash(_("Imported as batch %(id)d.", id=batch_id), "success")
    return redirect(url_for("imports.show", batch_id=batch_id))


def _confirm_in_background(upload: PendingUpload):
    claim = late_claim(lambda job: url_for("jobs.show", job_id=job.id))
    if claim is not None and claim.taken():
        return answer_repeat(claim.earlier_url())
    with write_now():
        if db.session.scalar(unfinished_jobs(IMPORT).limit(1)) is not None:
            flash(_("Another import or undo is running right now. Nothing was written: try again when it has "
                    "finished."), "danger")
            return redirect(url_for("imports.index"))
        # the upload lives on until the worker has imported it (an hour more: it waits its turn in the queue)
        db.session.merge(upload).created_at = utcnow()
        # checked twice and imported: the bar counts the rows once for the check, once for the writing
        job = ask_for_job(current_user, IMPORT, {"upload_id": upload.id}, total=2 * upload.rows)
        if claim is not None and not claim.claim(job):
            db.session.rollback()
            return answer_repeat(claim.earlier_url())
    flash(_("The import runs in the background: you can keep working meanwhile."), "info")
    return redirect(url_for("jobs.show", job_id=job.id))


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


@bp.post("/export.xlsx")
@require(can_export_all_data)
@submitted_once
def export_job():
    """The full export, made by the worker: its file waits in the database for its owner (jobs page)."""
    office = _export_office()
    job = ask_for_job(current_user, EXPORT, {"office_id": office.id if office else None})
    mark_saved()
    return redirect(url_for("jobs.show", job_id=job.id))


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

