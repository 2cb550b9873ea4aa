"""A full disk: the save that cannot be written tells the user so, and the database stays whole.

SQLite on a small tmpfs (needs root to mount one; skipped otherwise, and on the PostgreSQL pass, whose
server's disk a test cannot fill)."""

from __future__ import annotations

import errno
import os
import subprocess

import pytest
import sqlalchemy as sa

from caseapp import create_app
from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories

TMPFS_SIZE = "8m"
BLOCK = b"\0" * 4096


@pytest.fixture
def small_disk(tmp_path):
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("a full disk is simulated with a SQLite file on a small tmpfs (the SQLite pass runs it)")
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill(folder) -> object:
    """Take every free block of the disk; returns the open filler file (delete it to free the space)."""
    filler = open(folder / "filler", "wb", buffering=0)
    try:
        while True:
            filler.write(BLOCK)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    return filler


def test_a_save_on_a_full_disk_is_refused_honestly_and_the_database_stays_whole(small_disk):
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{small_disk / 'caseapp.sqlite'}",
            "SECRET_KEY": "disk-full",
            "SQLITE_CREATE": True,
            "WTF_CSRF_ENABLED": False,
        }
    )  # not TESTING: errors become pages
    try:
        with app.app_context():
            upgrade()
            caseworker = factories.user(Role.CASEWORKER, "Gori")
            person_id = factories.returnee("Gori", caseworker=caseworker).id
            counselling = factories.assistance_type("business_counselling").id
            username = caseworker.username
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": factories.PASSWORD}).status_code == 302

        def log_assistance(note):
            return client.post(
                f"/returnees/{person_id}/assistance/new",
                data={"type_id": counselling, "provided_on": "2024-05-02", "status": "delivered", "notes": note},
            )

        filler = fill(small_disk)
        refused = log_assistance("written on a full disk " + "x" * 4000)
        filler.close()
        os.remove(small_disk / "filler")

        assert refused.status_code in (500, 503, 507)  # never the redirect that follows a save
        assert b"try again" in refused.data
        with app.app_context():
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert db.session.scalar(sa.select(sa.func.count()).select_from(AssistanceRecord)) == 0
        # with space again, the same save goes through, once
        assert log_assistance("written with space again").status_code == 302
        with app.app_context():
            assert list(db.session.scalars(sa.select(AssistanceRecord.notes))) == ["written with space again"]
    finally:
        with app.app_context():
            db.engine.dispose()
