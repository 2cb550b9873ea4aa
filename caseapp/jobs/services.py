"""Asking for a job, running it in the worker, and never losing one.

The job's row is the truth: `ask_for_job` inserts it in the caller's transaction and hands its id to the queue
once that commits. The worker claims it (queued -> running, one UPDATE: a message delivered twice runs it
once), runs its kind, and records done or failed. While it runs, a thread writes its progress and refreshes
`heartbeat_at` every JOBS_PROGRESS_SECONDS. Every state change is written in a short transaction of its own, on its own
connection, so that any app server sees the progress at once, whatever transaction the work itself holds
(an import on PostgreSQL is one long transaction).

A job left "running" by a worker that died (kill -9, a power cut, a host gone) is found by `sweep`: at the
worker's start and every minute, a running job whose heartbeat is older than JOBS_DEAD_AFTER_SECONDS, or
whose worker was this host's and is no longer alive, is recovered by its kind (the import removes the rows of
its half-applied batch), then queued again if its kind may run twice and it has runs left
(JOBS_MAX_ATTEMPTS), otherwise failed with a message saying that the worker stopped."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from caseapp import database
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.jobs import queue
from caseapp.jobs.models import Job, JobFile, JobStatus
from caseapp.jobs.registry import KINDS, job_kind
from caseapp.timeutil import utcnow

logger = logging.getLogger(__name__)

#: session.info key: ids of the jobs asked for in the session's transaction, sent to the queue at its commit
TO_SEND = "caseapp_jobs_to_send"
_installed = False


class JobFailed(Exception):
    """Raised by a kind's run: the job fails with this message (shown to its owner) and this result."""

    def __init__(self, message: str, result: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.result = result


# --- asking -----------------------------------------------------------------------------------------------


def ask_for_job(owner: User, kind: str, params: dict[str, Any], *, total: int | None = None) -> Job:
    """Queue a job of `kind` for `owner`, in the caller's transaction; the worker gets it once that commits."""
    if job_kind(kind) is None:
        raise LookupError(f"No job kind {kind!r} is registered")
    job = Job(
        kind=kind,
        owner_id=owner.id,
        owner_name=owner.username,
        field_office_id=owner.field_office_id,
        params=params,
        progress_total=total,
        status=JobStatus.QUEUED,
    )
    db.session.add(job)
    db.session.flush()
    db.session().info.setdefault(TO_SEND, []).append(job.id)
    return job


def unfinished_jobs(kind: str) -> sa.Select:
    return select(Job).where(Job.kind == kind, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))


def _send_committed(session, *args) -> None:
    for job_id in session.info.pop(TO_SEND, ()):
        queue.send(job_id)


def _forget_rolled_back(session, *args) -> None:
    if not session.in_transaction():
        session.info.pop(TO_SEND, None)


def install() -> None:
    """Send the jobs asked for when their transaction commits (once per process)."""
    global _installed
    if _installed:
        return
    sa.event.listen(sa.orm.Session, "after_commit", _send_committed)
    sa.event.listen(sa.orm.Session, "after_soft_rollback", _forget_rolled_back)
    _installed = True


# --- running ----------------------------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _write(job_id: int, *, where=(), **values) -> int:
    """Change the job's row in a transaction of its own; returns the number of rows changed."""
    with database.writing(), sa.orm.Session(bind=db.engine) as session:
        changed = session.execute(update(Job).where(Job.id == job_id, *where).values(**values)).rowcount
        session.commit()
        return changed


class JobRun:
    """What a kind's run gets: the job's params and owner, and how to report progress and attach a file.

    Progress is only noted here; the job's heartbeat thread writes it (with the heartbeat, every
    JOBS_PROGRESS_SECONDS), so that the work never waits on its own bookkeeping: on SQLite an import's chunk
    holds the write lock, and a progress write from the same thread would wait for it forever."""

    def __init__(self, job: Job, worker: str):
        self.job_id = job.id
        self.kind = job.kind
        self.params = dict(job.params or {})
        self.owner_id = job.owner_id
        self.worker = worker
        self.done = 0
        self.total = job.progress_total
        self.message: str | None = None
        self.file: tuple[str, bytes] | None = None
        self.lock = threading.Lock()

    @property
    def owner(self) -> User | None:
        return db.session.get(User, self.owner_id) if self.owner_id is not None else None

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        with self.lock:
            self.done = done
            if total is not None:
                self.total = total
            if message is not None:
                self.message = message

    def progress_bar(self, description: str, total: int | None = None) -> _Bar:
        """A tqdm-like bar (update(n), close()) adding to this job's progress: the import's progress factory."""
        self.progress(self.done, None, message=description)
        return _Bar(self)

    def attach_file(self, file_name: str, content: bytes) -> None:
        """The job's file, saved with its result when it is done."""
        self.file = (file_name, content)

    def save_progress(self) -> None:
        """Write the progress noted so far, with a heartbeat (the heartbeat thread calls it)."""
        with self.lock:
            values = {"progress_done": self.done, "progress_total": self.total, "heartbeat_at": utcnow()}
            if self.message is not None:
                values["message"] = self.message
        _write(self.job_id, where=(Job.worker == self.worker,), **values)


class _Bar:
    def __init__(self, run: JobRun):
        self.run = run

    def update(self, n: int = 1) -> None:
        self.run.progress(self.run.done + n)

    def close(self) -> None:
        pass


class _Heartbeat(threading.Thread):
    """Writes the job's progress and heartbeat every JOBS_PROGRESS_SECONDS while it runs."""

    def __init__(self, app, run: JobRun):
        super().__init__(name=f"job-{run.job_id}-heartbeat", daemon=True)
        self.app, self.run_ = app, run
        self.stopped = threading.Event()

    def run(self) -> None:
        every = float(self.app.config["JOBS_PROGRESS_SECONDS"])
        while not self.stopped.wait(every):
            try:
                with self.app.app_context():
                    self.run_.save_progress()
            except Exception:  # a busy database: the next beat tries again
                logger.warning("Progress of job %d not written", self.run_.job_id, exc_info=True)


def run_job(job_id: int, worker: str | None = None) -> JobStatus | None:
    """Run a queued job here and now (the worker's task). Returns its final status, or None when it was not
    waiting (already taken by another delivery of the message, or finished)."""
    worker = worker or worker_name()
    now = utcnow()
    claimed = _write(
        job_id,
        where=(Job.status == JobStatus.QUEUED,),
        status=JobStatus.RUNNING,
        worker=worker,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        attempts=Job.attempts + 1,
    )
    if not claimed:
        return None
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        run = JobRun(reader.get(Job, job_id), worker)
    kind = job_kind(run.kind)
    heartbeat = _Heartbeat(current_app._get_current_object(), run)
    heartbeat.start()
    try:
        if kind is None:
            raise JobFailed(_("This kind of job is unknown to this version of the application."))
        result = kind.run(run)
    except JobFailed as failure:
        db.session.rollback()
        return _finish(run, JobStatus.FAILED, failure.message, failure.result)
    except Exception as error:
        db.session.rollback()
        # The error's own text stays in the server's log: it may quote SQL and its values (an import's rows:
        # personal data), and the job page is read by the office's supervisors and the administrators too.
        logger.exception("Job %d (%s) failed: %s", job_id, run.kind, type(error).__name__)
        return _finish(
            run,
            JobStatus.FAILED,
            _(
                "The job failed because of an error in the application (job %(id)d; the details are in the server's log).",
                id=job_id,
            ),
            None,
        )
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
    db.session.rollback()  # anything the kind left uncommitted is not its result
    return _finish(run, JobStatus.DONE, None, result)


def _finish(run: JobRun, status: JobStatus, message: str | None, result: dict | None) -> JobStatus:
    values = {
        "status": status,
        "message": message,
        "result": result,
        "finished_at": utcnow(),
        "heartbeat_at": utcnow(),
        "progress_total": run.total,
        "progress_done": run.total if status == JobStatus.DONE and run.total is not None else run.done,
    }
    with database.writing(), sa.orm.Session(bind=db.engine) as session:
        session.execute(update(Job).where(Job.id == run.job_id, Job.worker == run.worker).values(**values))
        if run.file is not None and status == JobStatus.DONE:
            name, content = run.file
            session.add(JobFile(job_id=run.job_id, file_name=name, size=len(content), content=content))
        session.commit()
    return status


# --- never lost ---------------------------------------------------------------------------------------------


def _on_this_host(worker: str | None) -> bool:
    return bool(worker) and worker.rpartition(" ")[0] == socket.gethostname()


def _worker_alive(worker: str | None) -> bool:
    """Whether the worker named "host pid" still runs, as far as this host can tell (another host's: yes)."""
    if not worker:
        return False
    host, _space, pid = worker.rpartition(" ")
    if host != socket.gethostname():
        return True
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_abandoned_jobs() -> list[int]:
    """Queue again, or fail, the running jobs whose worker died. Returns their ids."""
    config = current_app.config
    stale = utcnow() - timedelta(seconds=float(config["JOBS_DEAD_AFTER_SECONDS"]))
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        running = list(reader.scalars(select(Job).where(Job.status == JobStatus.RUNNING)))
        reader.expunge_all()
    # On this host the worker's process decides: alive, its job runs on, however late its heartbeat (on SQLite
    # a heartbeat waits while a long job holds the write lock). Another host's worker is judged by its
    # heartbeat alone.
    abandoned = [
        job
        for job in running
        if not _worker_alive(job.worker)
        or (not _on_this_host(job.worker) and (job.heartbeat_at is None or job.heartbeat_at < stale))
    ]
    for job in abandoned:
        _recover(job)
    return [job.id for job in abandoned]


def _recover(job: Job) -> None:
    kind = job_kind(job.kind)
    logger.warning("Job %d (%s) was left running by worker %s, which stopped", job.id, job.kind, job.worker)
    if kind is not None and kind.recover is not None:
        try:
            kind.recover(dict(job.params or {}))
        except Exception:
            logger.exception("Could not recover job %d now; the next sweep tries again", job.id)
            return
    attempts = int(current_app.config["JOBS_MAX_ATTEMPTS"])
    if kind is not None and kind.rerun_after_crash and job.attempts < attempts:
        message = _("The worker stopped during this job; nothing of it was kept, and it runs again.")
        if _write(
            job.id,
            where=(Job.status == JobStatus.RUNNING, Job.worker == job.worker),
            status=JobStatus.QUEUED,
            message=message,
            progress_done=0,
            worker=None,
        ):
            queue.send(job.id)
        return
    _write(
        job.id,
        where=(Job.status == JobStatus.RUNNING, Job.worker == job.worker),
        status=JobStatus.FAILED,
        finished_at=utcnow(),
        message=_(
            "The worker stopped during this job (run %(n)d); nothing of it was kept. Ask for it again.", n=job.attempts
        ),
    )


#: functions run by every sweep, in the worker: features add their own (e.g. deleting expired uploads)
SWEEPERS: list = []


def sweep(*, starting: bool = False) -> None:
    """The worker's round: jobs of dead workers, jobs waiting that the queue may have lost (all of them when
    the worker starts), files past JOBS_FILE_MAX_AGE, and the features' own sweepers."""
    recover_abandoned_jobs()
    config = current_app.config
    waiting = select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id)
    if not starting:
        waiting = waiting.where(Job.created_at < utcnow() - timedelta(seconds=float(config["JOBS_RESEND_AFTER"])))
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        for job_id in list(reader.scalars(waiting)):
            queue.send(job_id)
    purge_expired_files()
    for sweeper in SWEEPERS:
        try:
            sweeper()
        except Exception:
            logger.exception("Sweeper %s failed", sweeper)


def purge_expired_files() -> int:
    too_old = utcnow() - timedelta(seconds=float(current_app.config["JOBS_FILE_MAX_AGE"]))
    with database.writing(), sa.orm.Session(bind=db.engine) as session:
        removed = session.execute(delete(JobFile).where(JobFile.created_at < too_old)).rowcount
        session.commit()
    return removed


def kind_names() -> list[str]:
    return sorted(KINDS)
