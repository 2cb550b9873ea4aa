from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from caseapp.audit.models import Audited
from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.timeutil import utcnow


class BatchStatus(ChoiceEnum):
    """applying -> applied -> undone, or applying -> failed. On SQLite a large import is written in chunks,
    each its own short transaction (so that other users can save meanwhile): until the batch is applied its
    rows are hidden from every page, report and export (caseapp/imports/visibility.py)."""

    APPLIED = "applied"
    UNDONE = "undone"
    #: being written; its rows are hidden
    APPLYING = "applying"
    #: stopped half-way (refused, or the process died): its rows are removed, nothing was imported
    FAILED = "failed"

    @property
    def label(self):
        return {
            "applied": _l("Applied"),
            "undone": _l("Undone"),
            "applying": _l("Being imported"),
            "failed": _l("Failed, nothing imported"),
        }[self.value]


class ImportBatch(Audited, db.Model):
    """One import of spreadsheet files. Returnees, cases and records it created carry its id."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: a copy of the importer's username ("command line" when run without --user), kept when the account is gone
    created_by_name: Mapped[str] = mapped_column(sa.String(64))
    #: the office a supervisor imported for; None for an administrator's or the command line's import
    field_office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("field_office.id"))
    #: file names as uploaded (the workbook's name in both when one XLSX held both tables)
    returnees_file: Mapped[str | None] = mapped_column(sa.String(255))
    returnees_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    assistance_file: Mapped[str | None] = mapped_column(sa.String(255))
    assistance_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    returnees_created: Mapped[int] = mapped_column(default=0, server_default="0")
    returnees_updated: Mapped[int] = mapped_column(default=0, server_default="0")
    cases_created: Mapped[int] = mapped_column(default=0, server_default="0")
    cases_closed: Mapped[int] = mapped_column(default=0, server_default="0")
    records_created: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[BatchStatus] = mapped_column(
        enum_column_type(BatchStatus, "import_batch_status"), default=BatchStatus.APPLIED
    )
    #: returnees this batch updated: [{"id", "version_after", "before": {column: value, ...}}, ...];
    #: undo writes "before" back
    replaced: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    undone_at: Mapped[datetime | None]
    undone_by_name: Mapped[str | None] = mapped_column(sa.String(64))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    field_office: Mapped[FieldOffice | None] = relationship()

    audit_entity = "import_batch"

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.status} by {self.created_by_name}>"

    @property
    def audit_label(self) -> str:
        return f"batch {self.id}: {self.file_names}"

    @property
    def file_names(self) -> str:
        names = [n for n in (self.returnees_file, self.assistance_file) if n]
        return ", ".join(dict.fromkeys(names))


class PendingUpload(db.Model):
    """The files of an upload between its preview and its confirmation, in the database (not one app
    server's disk), so that the preview on one server and the confirmation on another, and the worker that
    imports a large file, all read them. Personal data: only their owner may use them, and they are deleted
    when imported or IMPORT_PENDING_MAX_AGE seconds after the upload (services.purge_expired_uploads)."""

    __tablename__ = "pending_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the secret that names the upload in its URLs (32 hex digits)
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: the names the files were uploaded under: {"workbook" | "returnees" | "assistance": name}
    names: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    #: rows counted at the upload (a quick count, before any check): decides whether it runs in the background
    rows: Mapped[int] = mapped_column(default=0, server_default="0")
    workbook: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    returnees: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    assistance: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    #: the problems of its latest check, as the CSV offered for download
    problems_csv: Mapped[str | None] = deferred(mapped_column(sa.Text, info={"personal": True}))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PendingUpload {self.id} of user {self.user_id} {sorted(self.names)}>"
