"""The real worker (`flask jobs run-worker`, huey's consumer in a process of its own) runs a web import's job; killed
with SIGKILL half-way, the import leaves nothing anyone sees, and the next worker to start removes what it
half-wrote and runs the job again, to the end. On the suite's database: a SQLite file, or PostgreSQL when
TEST_DATABASE_URL names one."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from caseapp import database
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.imports.models import BatchStatus, ImportBatch
from caseapp.imports.uploads import save_upload
from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS
from caseapp.jobs.models import Job, JobStatus
from caseapp.jobs.services import ask_for_job
from tests.test_imports import record_row, returnee_row

ROWS = 600
#: bounds for waiting on the worker, never a condition of the test
WAIT_S = 120


def csv_bytes(columns, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def start_worker(app, tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "CASEAPP_INSTANCE_PATH": app.instance_path,
        "CASEAPP_JOBS_QUEUE_FILE": str(tmp_path / "queue.sqlite"),  # this test's own queue
        "CASEAPP_JOBS_PROGRESS_SECONDS": "0.1",
        "CASEAPP_IMPORT_CHUNK_ROWS": "20",
        "CASEAPP_IMPORT_CHUNK_PAUSE_SECONDS": "0.01",
        "CASEAPP_SQLITE_SYNCHRONOUS": "NORMAL",
    }
    command = [sys.executable, "-m", "flask", "--app", "caseapp", "jobs", "run-worker", "--threads", "1"]
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603


def job_state(job_id: int):
    with database.read_only(), db.engine.connect() as connection:
        return connection.execute(
            sa.select(Job.status, Job.progress_done, Job.attempts, Job.message).where(Job.id == job_id)
        ).one()


def rows_being_applied() -> int:
    with database.read_only(), db.engine.connect() as connection:
        return connection.scalar(
            sa.text(
                "SELECT count(*) FROM returnee JOIN import_batch ON import_batch.id = returnee.import_batch_id "
                "WHERE import_batch.status = 'applying'"
            )
        )


def test_a_worker_killed_mid_import_leaves_nothing_and_the_next_worker_runs_the_import_again(app, make, tmp_path):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    people = [returnee_row(f"GO-{i:05d}", first_name=f"Nino{i}") for i in range(ROWS)]
    records = [record_row(f"GO-{i:05d}") for i in range(0, ROWS, 2)]
    upload = save_upload(
        supervisor,
        {
            "returnees": ("returnees.csv", csv_bytes(RETURNEE_COLUMNS, people)),
            "assistance": ("assistance.csv", csv_bytes(ASSISTANCE_COLUMNS, records)),
        },
    )
    job = ask_for_job(supervisor, "import", {"upload_id": upload.id}, total=2 * upload.rows)
    job_id, total = job.id, job.progress_total
    db.session.commit()  # and nothing read after it: the test's session must not hold SQLite's write lock
    sqlite = db.engine.dialect.name == "sqlite"

    worker = start_worker(app, tmp_path)
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and worker.poll() is None:
            status, done, _attempts, _message = job_state(job_id)
            # SQLite: killed while its chunks are written; PostgreSQL: in its one transaction
            if status == "running" and (rows_being_applied() >= 100 if sqlite else done >= total // 4):
                worker.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        worker.kill()
        output = worker.communicate()[0].decode(errors="replace")
    status, done, attempts, _message = job_state(job_id)
    assert (status, attempts) == ("running", 1), output  # the worker died with it
    assert 0 < done < total
    db.session.rollback()
    # nothing of it is seen: hidden on SQLite, rolled back on PostgreSQL
    with database.read_only(), db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM import_batch WHERE status = 'applied'")) == 0

    worker = start_worker(app, tmp_path)
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and worker.poll() is None and job_state(job_id)[0] != "done":
            time.sleep(0.1)
        worker.send_signal(signal.SIGINT)  # Ctrl+C: the worker stops
        worker.wait(timeout=30)
    finally:
        worker.kill()
        output = worker.communicate()[0].decode(errors="replace")
    status, done, attempts, _message = job_state(job_id)
    assert (status, done, attempts) == ("done", total, 2), output
    db.session.expire_all()
    statuses = sorted(db.session.scalars(sa.select(ImportBatch.status)))
    assert statuses == ([BatchStatus.APPLIED, BatchStatus.FAILED] if sqlite else [BatchStatus.APPLIED])
    assert db.session.scalar(sa.text("SELECT count(*) FROM returnee")) == ROWS
    assert db.session.scalar(sa.text("SELECT count(*) FROM assistance_record")) == ROWS // 2
    assert db.session.get(Job, job_id).status == JobStatus.DONE
