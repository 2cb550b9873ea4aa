"""Background jobs: their life (queued -> running -> done or failed, with progress), the worker's recovery of a
job whose worker died, a large web import checked and imported by the worker, the full export's file, and the
pending uploads kept in the database (a preview on one app server, its confirmation on another)."""

from __future__ import annotations

import io
import os
import socket

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from caseapp import create_app
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.imports.models import BatchStatus, ImportBatch, PendingUpload
from caseapp.jobs import services
from caseapp.jobs.models import Job, JobFile, JobStatus
from caseapp.jobs.queue import make_huey
from caseapp.jobs.registry import KINDS, JobKind, register
from caseapp.jobs.services import JobFailed, ask_for_job, recover_abandoned_jobs, run_job
from tests import factories
from tests.test_import_web import pending_token, upload
from tests.test_imports import record_row, returnee_row, table_counts


def job_row(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def run_in_worker(app, job_id: int) -> JobStatus | None:
    """Run the job as the worker does: in an app context (and database session) of its own. The test's own
    transaction ends first (on SQLite it would hold the write lock)."""
    db.session.commit()
    with app.app_context():
        return run_job(job_id)


@pytest.fixture
def test_kinds():
    """Kinds registered by the test alone: one that counts to 5 reporting its progress, one that fails."""
    seen = {}

    def count(run):
        with db.engine.connect() as other_server:  # what any app server sees meanwhile
            seen["status"] = other_server.scalar(sa.select(Job.status).where(Job.id == run.job_id))
        for done in range(1, 6):
            run.progress(done, 5)
        run.save_progress()  # as the heartbeat thread does every second
        with db.engine.connect() as other_server:
            seen["progress"] = other_server.execute(
                sa.select(Job.progress_done, Job.progress_total).where(Job.id == run.job_id)
            ).one()
        return {"counted": 5}

    def fail(run):
        if run.params.get("expected"):
            raise JobFailed("The file is not a spreadsheet.", {"why": "test"})
        raise ValueError("the disk is full")

    register(JobKind("test-count", count, _l("Counting"), may_ask=lambda user: True))
    register(JobKind("test-fail", fail, _l("Failing"), may_ask=lambda user: True, rerun_after_crash=False))
    yield seen
    KINDS.pop("test-count")
    KINDS.pop("test-fail")


def test_a_job_goes_from_queued_to_running_to_done_with_its_progress(app, make, test_kinds):
    owner = make.user(Role.SUPERVISOR, "Gori")
    job = ask_for_job(owner, "test-count", {"n": 5})
    db.session.commit()
    assert job_row(job.id).status == JobStatus.QUEUED and job_row(job.id).field_office_id == owner.field_office_id
    assert run_in_worker(app, job.id) == JobStatus.DONE
    assert test_kinds["status"] == JobStatus.RUNNING.value
    assert tuple(test_kinds["progress"]) == (5, 5)
    done = job_row(job.id)
    assert (done.status, done.result, done.progress_done, done.percent, done.attempts) == (
        JobStatus.DONE,
        {"counted": 5},
        5,
        100,
        1,
    )
    assert done.started_at and done.finished_at and done.heartbeat_at
    assert run_in_worker(app, job.id) is None  # a message delivered twice runs the job once


def test_a_failing_job_is_recorded_failed_with_its_message(app, make, test_kinds):
    owner = make.user(Role.SUPERVISOR, "Gori")
    crash = ask_for_job(owner, "test-fail", {})
    refusal = ask_for_job(owner, "test-fail", {"expected": True})
    db.session.commit()
    assert run_in_worker(app, crash.id) == JobStatus.FAILED
    assert run_in_worker(app, refusal.id) == JobStatus.FAILED
    message = job_row(crash.id).message  # the error itself (it may quote personal data) stays in the log
    assert message.startswith("The job failed because of an error") and "disk" not in message
    assert (job_row(refusal.id).message, job_row(refusal.id).result) == (
        "The file is not a spreadsheet.",
        {"why": "test"},
    )


def test_a_job_left_running_by_a_dead_worker_runs_again_then_is_failed_saying_so(app, make, test_kinds):
    owner = make.user(Role.SUPERVISOR, "Gori")
    dead_here = f"{socket.gethostname()} {2**22 + 12345}"  # no such process on this host

    def running(kind, worker=dead_here, attempts=1):
        return Job(
            kind=kind,
            owner_id=owner.id,
            owner_name=owner.username,
            status=JobStatus.RUNNING,
            worker=worker,
            attempts=attempts,
            heartbeat_at=services.utcnow(),
            params={},
        )

    again = running("test-count")
    given_up = running("test-count", attempts=app.config["JOBS_MAX_ATTEMPTS"])
    not_twice = running("test-fail")
    alive_elsewhere = running("test-count", worker="another-host 1")
    db.session.add_all([again, given_up, not_twice, alive_elsewhere])
    db.session.commit()
    assert sorted(recover_abandoned_jobs()) == sorted([again.id, given_up.id, not_twice.id])
    assert job_row(again.id).status == JobStatus.QUEUED and "runs again" in job_row(again.id).message
    for job_id in (given_up.id, not_twice.id):
        assert job_row(job_id).status == JobStatus.FAILED and "worker stopped" in job_row(job_id).message
    assert job_row(alive_elsewhere.id).status == JobStatus.RUNNING
    assert run_in_worker(app, again.id) == JobStatus.DONE and job_row(again.id).attempts == 2
    # another host's worker whose heartbeat went silent is dead too
    silent = services.utcnow() - services.timedelta(seconds=app.config["JOBS_DEAD_AFTER_SECONDS"] + 1)
    db.session.execute(sa.update(Job).where(Job.id == alive_elsewhere.id).values(heartbeat_at=silent))
    db.session.commit()
    assert recover_abandoned_jobs() == [alive_elsewhere.id]
    # a job of a worker alive on this host runs on, however late its heartbeat (on SQLite a heartbeat waits
    # while a long job holds the write lock): it is not taken from it and run a second time
    busy = running("test-count", worker=f"{socket.gethostname()} {os.getpid()}")
    busy.heartbeat_at = silent
    db.session.add(busy)
    db.session.commit()
    assert recover_abandoned_jobs() == [] and job_row(busy.id).status == JobStatus.RUNNING


def test_a_large_upload_is_checked_and_imported_by_the_worker_one_import_at_a_time(
    app, make, login, client, monkeypatch
):
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 2)
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    login(supervisor)
    rows = [returnee_row(f"GO-{i}") for i in range(3)]
    response = upload(client, rows, [record_row("GO-1")])
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    check = db.session.scalar(sa.select(Job))
    assert (check.kind, check.status, check.progress_total) == ("import-check", JobStatus.QUEUED, 4)
    page = client.get(f"/jobs/{check.id}")
    assert "<progress" in page.text and "jobs.js" in page.text and 'http-equiv="refresh"' in page.text
    assert run_in_worker(app, check.id) == JobStatus.DONE
    status = client.get(f"/jobs/{check.id}.json").json
    assert status["finished"] and status["done"] == status["total"] == 4
    preview = client.get(status["next_url"])
    assert "Import now" in preview.text and table_counts()["returnee"] == 0
    token = pending_token(preview)

    other = make.user(Role.SUPERVISOR, "Gori")
    client.post("/logout")
    login(other)
    assert client.post(f"/imports/pending/{token}").status_code == 404  # someone else's upload
    assert client.get(status["next_url"]).status_code == 404
    second = pending_token(upload(client, rows[:1]))

    client.post("/logout")
    login(supervisor)
    response = client.post(f"/imports/pending/{token}")
    assert response.status_code == 302
    job = db.session.scalar(sa.select(Job).where(Job.kind == "import"))
    assert response.headers["Location"].endswith(f"/jobs/{job.id}") and job.progress_total == 8

    monkeypatch.setitem(
        app.config, "IMPORT_BACKGROUND_ROWS", 0
    )  # the other supervisor's one-row file goes to the background too
    client.post("/logout")
    login(other)
    refused = client.post(f"/imports/pending/{second}", follow_redirects=True)
    assert "Another import or undo is running right now" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "import")) == 1

    client.post("/logout")
    login(supervisor)
    assert run_in_worker(app, job.id) == JobStatus.DONE
    batch = db.session.scalar(sa.select(ImportBatch))
    assert batch.status == BatchStatus.APPLIED and job_row(job.id).result == {"batch_id": batch.id}
    assert table_counts()["returnee"] == 3
    assert db.session.scalar(sa.select(PendingUpload.id).where(PendingUpload.token == token)) is None
    assert client.get(f"/jobs/{job.id}.json").json["next_url"].endswith(f"/imports/{batch.id}")


def test_the_full_export_is_a_file_for_its_owner_alone(app, make, login, client, monkeypatch):
    make.returnee("Gori", external_id="GO-1")
    admin = make.user(Role.ADMIN, None)
    login(admin)
    response = client.post("/imports/export.xlsx")
    job = db.session.scalar(sa.select(Job))
    assert response.headers["Location"].endswith(f"/jobs/{job.id}") and job.kind == "export-data"
    assert client.get(f"/jobs/{job.id}/file").status_code == 404  # not made yet
    assert run_in_worker(app, job.id) == JobStatus.DONE
    assert job_row(job.id).progress_total == job_row(job.id).progress_done == 2  # the returnee, its case
    answer = client.get(f"/jobs/{job.id}/file")
    assert answer.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(answer.data))
    assert workbook["returnees"]["A2"].value == "GO-1"
    client.post("/logout")
    login(make.user(Role.ADMIN, None))
    assert client.get(f"/jobs/{job.id}").status_code == 200  # administrators see every job
    assert client.get(f"/jobs/{job.id}/file").status_code == 404  # the file is its owner's
    monkeypatch.setitem(app.config, "JOBS_FILE_MAX_AGE", -1)
    with app.app_context():
        assert services.purge_expired_files() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFile)) == 0


def test_a_preview_on_one_app_server_is_confirmed_on_another(app, make, tmp_path, monkeypatch):
    """Two app servers on one database, each with its own instance folder: nothing is on the first's disk."""
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(tmp_path / "second-server"))
    shared = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "PASSWORD_HASH_METHOD")
    second = create_app({name: app.config[name] for name in shared})
    second.test_client_class = app.test_client_class  # commits the test's transaction before each request
    username = make.user(Role.SUPERVISOR, "Gori").username
    first_client, second_client = app.test_client(), second.test_client()
    for client in (first_client, second_client):
        answer = client.post("/login", data={"username": username, "password": factories.PASSWORD})
        assert answer.status_code == 302
    response = upload(first_client, [returnee_row("GO-1")])
    assert response.status_code == 200, response.headers.get("Location")
    response = second_client.post(f"/imports/pending/{pending_token(response)}")
    assert response.status_code == 302 and "/imports/" in response.headers["Location"]
    assert table_counts()["returnee"] == 1


def test_jobs_go_to_redis_when_configured(app):
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    app.config["JOBS_REDIS_URL"] = url
    try:
        huey = make_huey(app)
    finally:
        app.config["JOBS_REDIS_URL"] = None
    assert type(huey).__name__ == "RedisHuey"
    huey.flush()
    huey.enqueue(huey.task(name="caseapp.test")(lambda: None).s())
    assert huey.pending_count() == 1
    huey.flush()


def test_the_command_line_lists_and_watches_jobs(app, make, runner, test_kinds):
    owner = make.user(Role.SUPERVISOR, "Gori")
    job = ask_for_job(owner, "test-count", {})
    job_id = job.id
    run_in_worker(app, job_id)
    listing = runner.invoke(args=["jobs", "list"])
    assert listing.exit_code == 0 and f"{job_id:>6}  test-count" in listing.output and "done" in listing.output
    watched = runner.invoke(args=["jobs", "watch", str(job_id)])
    assert watched.exit_code == 0 and f"Job {job_id}: done." in watched.output


def test_the_analytics_rebuild_runs_as_an_administrator_s_job_once_at_a_time(app, make, login, client, runner):
    from caseapp.analytics.jobs import REBUILD
    from caseapp.analytics.services import analytics_differences

    admin = make.user(Role.ADMIN)
    make.record(make.returnee("Gori"))
    login(admin)
    page = client.get("/jobs/")
    assert b"/analytics/rebuild" in page.data
    first = client.post("/analytics/rebuild")
    again = client.post("/analytics/rebuild")  # while the first waits: the same job, not a second one
    assert first.status_code == again.status_code == 302 and first.location == again.location
    job = db.session.scalar(sa.select(Job).where(Job.kind == REBUILD))
    assert first.location.endswith(f"/jobs/{job.id}")
    assert run_in_worker(app, job.id) == JobStatus.DONE
    done = job_row(job.id)
    assert done.result == {"persons": 1, "rows": 1} and done.progress_done == done.progress_total
    assert not analytics_differences()
    # on the command line: asked for, then followed with a bar (the worker is not running here: the bar waits)
    refused = runner.invoke(args=["analytics", "rebuild", "--background"])
    assert refused.exit_code != 0 and "--user" in refused.output
    not_admin = make.user(Role.SUPERVISOR, "Gori")
    refused = runner.invoke(args=["analytics", "rebuild", "--background", "--user", not_admin.username])
    assert refused.exit_code != 0 and "not an active administrator" in refused.output
