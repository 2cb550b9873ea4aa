"""The import's background jobs: a large upload is checked ("import-check", the preview) and imported
("import") by the worker, with the same rules as in a request: one import at a time, all or nothing, the
chunked apply on SQLite. Also the administrator's full export ("export-data"), whose file the worker keeps in
the database for its owner to download."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp import database
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read
from caseapp.extensions import db
from caseapp.imports import exports
from caseapp.imports.models import ImportBatch, PendingUpload
from caseapp.imports.policies import can_export_all_data, can_import_data
from caseapp.imports.services import (
    ImportMatch,
    ImportOutcome,
    ReturneeUpdate,
    import_files,
    remove_dead_batches,
)
from caseapp.imports.uploads import discard_upload, purge_expired_uploads, upload_sources
from caseapp.imports.validation import Problem
from caseapp.jobs.models import Job, JobStatus
from caseapp.jobs.registry import JobKind, register
from caseapp.jobs.services import SWEEPERS, JobFailed, JobRun
from caseapp.offices.models import FieldOffice
from caseapp.spreadsheets import RowTally, csv_text
from caseapp.timeutil import utcnow

CHECK = "import-check"
IMPORT = "import"
EXPORT = "export-data"
#: problems, updates and possible duplicates kept with a background check for its preview page
PREVIEW_PROBLEMS = 50


# --- the outcome of a check, kept with the job for the preview page ------------------------------------------


#: PostgreSQL keeps no NUL character in text or JSON; a cell holding one (a problem of the file, named in the
#: preview) is shown with the symbol for it
NUL, NUL_SHOWN = "\x00", "\u2400"


def preview_of(outcome: ImportOutcome) -> dict[str, Any]:
    return json.loads(json.dumps(_preview_of(outcome)).replace("\\u0000", "\\u2400"))


def _preview_of(outcome: ImportOutcome) -> dict[str, Any]:
    return {
        "counts": outcome.counts,
        "problem_count": outcome.problem_count,
        "problems": [dataclasses.asdict(p) for p in outcome.problems[:PREVIEW_PROBLEMS]],
        "problems_kept": len(outcome.problems),
        "updates": [dataclasses.asdict(u) for u in outcome.updates],
        "possible_duplicates": [dataclasses.asdict(m) for m in outcome.possible_duplicates],
        "possible_duplicate_count": outcome.possible_duplicate_count,
        "earlier_batch_id": outcome.earlier_batch.id if outcome.earlier_batch is not None else None,
    }


def outcome_of(preview: dict[str, Any]) -> tuple[ImportOutcome, int]:
    """The outcome the preview page shows, and how many problems the downloadable CSV holds."""
    outcome = ImportOutcome(
        counts=preview["counts"],
        problems=[Problem(**p) for p in preview["problems"]],
        problem_count=preview["problem_count"],
        updates=[ReturneeUpdate(**u) for u in preview["updates"]],
        possible_duplicates=[ImportMatch(**m) for m in preview["possible_duplicates"]],
        possible_duplicate_count=preview["possible_duplicate_count"],
        dry_run=True,
    )
    if preview.get("earlier_batch_id"):
        outcome.earlier_batch = db.session.get(ImportBatch, preview["earlier_batch_id"])
    return outcome, preview["problems_kept"]


def problems_csv(outcome: ImportOutcome) -> str:
    return csv_text(
        ["table", "row", "column", "value", "problem"],
        ([p.table, p.row, p.column, p.value, p.message] for p in outcome.problems),
    ).replace(NUL, NUL_SHOWN)


# --- the kinds ----------------------------------------------------------------------------------------------


def _upload_of(run: JobRun) -> PendingUpload:
    upload = db.session.get(PendingUpload, run.params["upload_id"])
    if upload is None or upload.user_id != run.owner_id:
        raise JobFailed(_("The uploaded files are gone (they are kept for an hour). Upload them again."))
    return upload


def _importer(run: JobRun):
    """The job's owner, who must still be allowed to import."""
    owner = run.owner
    if owner is None or not can_import_data(owner):
        raise JobFailed(_("You may not import any more."))
    return owner


def _check(run: JobRun) -> dict[str, Any]:
    owner = _importer(run)
    with force_locale(owner.locale or "en"):
        upload = _upload_of(run)
        with database.read_only(), upload_sources(upload) as sources:
            db.session.rollback()  # read: the check has its own read-only transaction
            outcome = import_files(owner, sources, dry_run=True, progress=run.progress_bar)
        database.end_read_transaction(db.session())
        upload = _upload_of(run)
        files = sorted(upload.names.values())
        upload.problems_csv = problems_csv(outcome)
        # the hour to confirm in starts when the preview is ready, not when the file arrived (a large file's
        # check can take many minutes)
        upload.created_at = utcnow()
        record_read(
            owner,
            AuditAction.IMPORT_PREVIEW,
            entity_type="file",
            label=", ".join(files),
            details={"files": files, "problems": outcome.problem_count, **outcome.counts},
        )
        db.session.commit()
        return {"preview": preview_of(outcome), "token": upload.token}


def _import(run: JobRun) -> dict[str, Any]:
    owner = _importer(run)
    with force_locale(owner.locale or "en"):
        upload = _upload_of(run)
        upload_id, token = upload.id, upload.token
        with upload_sources(upload) as sources:
            db.session.rollback()  # the upload was read: the import begins its own transactions
            outcome = import_files(owner, sources, progress=run.progress_bar)
        if not outcome.ok:
            db.session.rollback()
            upload = db.session.get(PendingUpload, upload_id)
            if upload is not None:
                upload.problems_csv = problems_csv(outcome)
                db.session.commit()
            raise JobFailed(
                _("The import was refused: the database changed since the preview. Nothing was written."),
                {"preview": preview_of(outcome), "token": token},
            )
        batch_id = outcome.batch.id
        discard_upload(upload_id)
        db.session.commit()
        return {"batch_id": batch_id}


def _files_of(params: dict[str, Any]) -> str:
    upload = db.session.get(PendingUpload, params.get("upload_id"))
    return ", ".join(sorted(upload.names.values())) if upload is not None else ""


def _next_of_check(job: Job) -> str | None:
    if job.status == JobStatus.DONE:
        return url_for("imports.checked", job_id=job.id)
    return None


def _next_of_import(job: Job) -> str | None:
    result = job.result or {}
    if result.get("batch_id"):
        return url_for("imports.show", batch_id=result["batch_id"])
    if result.get("preview"):
        return url_for("imports.checked", job_id=job.id)
    return None


def _export(run: JobRun) -> dict[str, Any]:
    office = db.session.get(FieldOffice, run.params["office_id"]) if run.params.get("office_id") else None
    name = f"caseapp-export{f'-{office.name}' if office else ''}.xlsx"
    tally = _ProgressTally(run)
    with database.read_only():
        run.progress(0, exports.count_rows(office.id if office else None))
        content = exports.export_workbook(office.id if office else None, tally=tally)
    run.attach_file(name, content)
    return {"rows": tally.rows, "offices": [office.label] if office else None}


class _ProgressTally(RowTally):
    """Counts the rows written, and moves the job's progress bar with them."""

    def __init__(self, run: JobRun):
        super().__init__()
        self.run = run

    def counted(self, rows):
        for row in super().counted(rows):
            if self.rows % 500 == 0:
                self.run.progress(self.rows)
            yield row


def _describe_export(params: dict[str, Any]) -> str:
    office = db.session.get(FieldOffice, params["office_id"]) if params.get("office_id") else None
    return office.label if office else _("all offices")


def register_kinds() -> None:
    """The import's kinds, in the jobs registry (create_app, through register_imports)."""
    register(
        JobKind(CHECK, _check, _l("Import check"), may_ask=can_import_data, describe=_files_of, next_url=_next_of_check)
    )
    # All or nothing: an import whose worker died wrote nothing that anyone sees, and its rows are removed
    # (remove_dead_batches) before it runs again; a repeat of an import that did finish is refused as one.
    register(
        JobKind(
            IMPORT,
            _import,
            _l("Import"),
            may_ask=can_import_data,
            describe=_files_of,
            recover=lambda params: remove_dead_batches(),
            next_url=_next_of_import,
        )
    )
    register(JobKind(EXPORT, _export, _l("Full export"), may_ask=can_export_all_data, describe=_describe_export))
    if purge_expired_uploads not in SWEEPERS:
        SWEEPERS.append(purge_expired_uploads)
