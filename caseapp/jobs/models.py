"""Background jobs: their state, and the files they produce, in the database that every app server shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.timeutil import utcnow


class JobStatus(ChoiceEnum):
    """queued -> running -> done or failed. A job whose worker died is queued again (when its kind may run
    twice) or failed with a message saying so: never left "running" (services.recover_abandoned_jobs)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self):
        return {
            "queued": _l("Waiting"),
            "running": _l("Running"),
            "done": _l("Done"),
            "failed": _l("Failed"),
        }[self.value]

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class Job(db.Model):
    """One piece of long work run by the worker (`flask jobs run-worker`) rather than in a request."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the registered kind (jobs/registry.py), e.g. "import" or "export-data"
    kind: Mapped[str] = mapped_column(sa.String(40))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    #: a copy of the owner's username, kept when the account is gone
    owner_name: Mapped[str] = mapped_column(sa.String(64))
    #: the owner's office when the job was asked for (None: a country-wide role); supervisors of it see the job
    field_office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("field_office.id"))
    status: Mapped[JobStatus] = mapped_column(enum_column_type(JobStatus, "job_status"), default=JobStatus.QUEUED)
    #: what the kind needs to run: ids and options, never personal data (a pending upload is named by its id)
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(default=0, server_default="0")
    #: None while the amount of work is not known yet
    progress_total: Mapped[int | None]
    #: what the job is doing, or why it failed (shown to the owner; may quote a file's problem)
    message: Mapped[str | None] = mapped_column(sa.Text, info={"personal": False})
    #: what it produced: e.g. {"batch_id": 12}, or {"preview": {...}} of an import's check
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: runs started (a job whose worker died may be run once more)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the worker running it: "host pid"
    worker: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: refreshed every few seconds while it runs; an old one means the worker died
    heartbeat_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    file: Mapped[JobFile | None] = relationship(back_populates="job", uselist=False, passive_deletes=True)

    __table_args__ = (sa.Index("ix_job_status_kind", "status", "kind"),)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, int(100 * self.progress_done / self.progress_total))


class JobFile(db.Model):
    """The file a job produced (a full export), kept in the database so that any app server can hand it
    over. Personal data: deleted JOBS_FILE_MAX_AGE seconds after it was made."""

    __tablename__ = "job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("job.id", ondelete="CASCADE"), unique=True)
    file_name: Mapped[str] = mapped_column(sa.String(255), info={"personal": False})
    size: Mapped[int]
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    job: Mapped[Job] = relationship(back_populates="file")

    def __repr__(self) -> str:
        return f"<JobFile {self.id} of job {self.job_id} {self.file_name} {self.size} bytes>"
