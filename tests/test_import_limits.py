"""Reading an import file is bounded: zip bombs, huge rows and cells, too many rows or problems are refused
early, with one clear problem and little memory; pending uploads and the database are owner-only."""

from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseapp import create_app
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.imports.readers import BoundedZipFile, ReadLimits, Source, UnreadableFile, open_rows, sources_for
from caseapp.imports.services import PROBLEMS_KEPT, import_files
from caseapp.imports.validation import RETURNEE_COLUMNS
from caseapp.timeutil import utcnow
from tests import hostile_files
from tests.test_import_web import pending_token, upload
from tests.test_imports import returnee_row, table_counts, write_csv

#: what reading a refused file may allocate at its peak: a few megabytes of XML and openpyxl's own objects
#: (the files below would take 300 MB and more if read whole)
MEMORY_BOUND = 60 * 1024 * 1024


@pytest.fixture(scope="module")
def huge_cell(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "bomb.xlsx"
    path.write_bytes(hostile_files.huge_cell_workbook(300))
    return path


def import_refusal(path: Path, *, workbook: bool):
    """Import the file as the returnees table; (outcome, peak bytes allocated while reading it)."""
    sources = sources_for(workbook=path) if workbook else sources_for(returnees=path)
    tracemalloc.start()
    try:
        outcome = import_files(None, sources, dry_run=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not outcome.ok
    return outcome, peak


def test_a_300_kb_workbook_holding_a_300_mb_cell_is_refused_with_little_memory(app_ctx, huge_cell):
    assert huge_cell.stat().st_size < 400 * 1024
    outcome, peak = import_refusal(huge_cell, workbook=True)
    assert outcome.problem_count == 1
    assert "larger than 1 MB" in outcome.problems[0].message
    assert outcome.problems[0].value == str(huge_cell)
    assert peak < MEMORY_BOUND
    assert table_counts()["returnee"] == 0


def test_reading_stops_after_the_first_megabytes_of_a_huge_cell(app_ctx, huge_cell):
    """What is unpacked, not how long it takes: the bomb's 300 MB are never read."""
    with open(huge_cell, "rb") as handle, BoundedZipFile(handle, ReadLimits()) as archive:
        with archive.open("xl/worksheets/sheet1.xml") as part, pytest.raises(UnreadableFile):
            while part.read(64 * 1024):
                pass
        assert archive.unpacked < 2 * 1024 * 1024


def test_a_workbook_row_of_a_million_cells_is_refused_after_its_first_columns(app_ctx, tmp_path):
    path = tmp_path / "wide.xlsx"
    path.write_bytes(hostile_files.wide_row_workbook(1_000_000))
    outcome = import_files(None, sources_for(workbook=path), dry_run=True)
    assert [problem.message for problem in outcome.problems] == [
        "A row of the workbook has more than 256 columns (setting IMPORT_MAX_COLUMNS): it was not read. "
        "Nothing was imported."
    ]
    # openpyxl holds a row whole (about 16 bytes of memory per byte of XML): it never gets the 20 MB row
    with open(path, "rb") as handle, BoundedZipFile(handle, ReadLimits()) as archive:
        with archive.open("xl/worksheets/sheet1.xml") as part, pytest.raises(UnreadableFile):
            while part.read(16 * 1024):
                pass
        assert archive.unpacked < 64 * 1024


def test_a_csv_of_a_million_columns_is_one_problem_not_a_million(app_ctx, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(hostile_files.wide_csv(1_000_000))
    outcome, peak = import_refusal(path, workbook=False)
    assert outcome.problem_count == 1
    assert outcome.problems[0].message == (
        "Row 1 has 1,000,000 columns; at most 256 are read (setting IMPORT_MAX_COLUMNS). Nothing was imported."
    )
    assert peak < MEMORY_BOUND


def test_workbook_parts_declaring_more_than_the_limit_are_refused_before_reading(app, app_ctx, tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(hostile_files.huge_cell_workbook(20))
    app.config["IMPORT_MAX_UNCOMPRESSED_MB"] = 10
    try:
        outcome, _ = import_refusal(path, workbook=True)
    finally:
        app.config["IMPORT_MAX_UNCOMPRESSED_MB"] = 512
    assert [p.message for p in outcome.problems] == [
        "The workbook unpacks to more than 10 MB (setting IMPORT_MAX_UNCOMPRESSED_MB): it was not read. "
        "Nothing was imported."
    ]


def test_a_zip_directory_of_too_many_parts_is_refused_before_reading(app_ctx, tmp_path):
    data = bytearray(
        hostile_files.workbook_with_sheet(
            hostile_files.Deflated(hostile_files.workbook_parts()["xl/worksheets/sheet1.xml"])
        )
    )
    end = data.rfind(b"PK\x05\x06")
    data[end + 12 : end + 16] = struct.pack("<I", 50 * 1024 * 1024)  # the directory claims 50 MB
    path = tmp_path / "parts.xlsx"
    path.write_bytes(bytes(data))
    outcome, _ = import_refusal(path, workbook=True)
    assert "too many parts" in outcome.problems[0].message


@pytest.mark.parametrize(
    "setting,value,rows,expected",
    [
        (
            "IMPORT_MAX_ROWS",
            3,
            [returnee_row(f"GO-{n}") for n in range(5)],
            "The table has more than 3 rows (setting IMPORT_MAX_ROWS): nothing was imported. Split the file.",
        ),
        (
            "IMPORT_MAX_CELL_CHARS",
            40,
            [returnee_row("GO-1"), returnee_row("GO-2", returned_from="x" * 41)],
            "Row 3, column 10 holds 41 characters; a cell may hold at most 40 (setting IMPORT_MAX_CELL_CHARS). "
            "Nothing was imported.",
        ),
    ],
)
def test_rows_and_cell_length_are_bounded_by_their_settings(app, app_ctx, tmp_path, setting, value, rows, expected):
    path = write_csv(tmp_path / "returnees.csv", RETURNEE_COLUMNS, rows)
    default = app.config[setting]
    app.config[setting] = value
    try:
        outcome, _ = import_refusal(path, workbook=False)
    finally:
        app.config[setting] = default
    assert outcome.problems[-1].message == expected


def test_a_cell_beyond_the_csv_modules_own_limit_is_named_as_too_long(app_ctx, tmp_path):
    path = tmp_path / "returnees.csv"
    path.write_text(",".join(RETURNEE_COLUMNS) + "\n" + "GO-1," + "x" * 200_000 + "\n")
    with pytest.raises(UnreadableFile, match="more than 32,767 characters"):
        with open_rows(Source("returnees", path, "returnees.csv", "")) as (_, rows):
            list(rows)


def test_a_real_workbook_still_imports_through_the_bounded_reader(app_ctx, tmp_path):
    from caseapp.imports.exports import template_workbook

    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook())
    with open_rows(Source("returnees", path, "template.xlsx", "", workbook=True)) as (header, rows):
        assert header[:2] == list(RETURNEE_COLUMNS[:2])
        assert list(rows)  # its example row


def test_the_problem_list_keeps_the_first_thousand_and_counts_them_all(app_ctx, make, login, client):
    login(make.user(Role.SUPERVISOR, "Gori"))
    bad_rows = [returnee_row(f"GO-{n}", sex="X") for n in range(PROBLEMS_KEPT + 200)]
    response = upload(client, bad_rows)
    assert "The files are refused: 1,200 problems." in response.text
    assert "The first 50 of 1,200 problems are shown." in response.text
    assert "The CSV holds the first 1,000" in response.text
    problems = client.get(f"/imports/pending/{pending_token(response)}/problems.csv")
    assert len(problems.text.strip().splitlines()) == 1 + PROBLEMS_KEPT


# --- files of personal data are the app's own -------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def everyday_umask():
    """The usual umask, under which files are created readable by every local user unless made private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_pending_uploads_live_in_the_database_and_leave_no_file_on_the_server(app, make, login, client):
    from caseapp.imports.models import PendingUpload

    supervisor = make.user(Role.SUPERVISOR, "Gori")
    login(supervisor)
    token = pending_token(upload(client, [returnee_row("GO-1")]))
    pending = db.session.scalar(sa.select(PendingUpload).where(PendingUpload.token == token))
    assert pending.user_id == supervisor.id and pending.rows == 1
    assert pending.returnees.startswith(b"external_id") and pending.problems_csv.startswith("\ufefftable")
    assert sorted(pending.names) == ["assistance", "returnees"]
    # the files were read from a private temporary folder, gone with the request
    assert not [path for path in Path(app.instance_path).iterdir() if path.name.startswith("upload-")]


def test_an_upload_older_than_an_hour_is_gone(app, make, login, client):
    from caseapp.imports.models import PendingUpload

    login(make.user(Role.SUPERVISOR, "Gori"))
    token = pending_token(upload(client, [returnee_row("GO-1")]))
    hour_ago = utcnow() - timedelta(seconds=app.config["IMPORT_PENDING_MAX_AGE"] + 1)
    db.session.execute(sa.update(PendingUpload).values(created_at=hour_ago))
    assert client.post(f"/imports/pending/{token}").status_code == 404
    assert client.get("/imports/").status_code == 200  # a visit of the import pages deletes it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingUpload)) == 0
    assert table_counts()["returnee"] == 0


def test_a_new_instance_folder_and_sqlite_database_are_owner_only(app, tmp_path, monkeypatch, everyday_umask):
    instance = tmp_path / "instance"
    monkeypatch.setenv("CASEAPP_INSTANCE_PATH", str(instance))
    fresh = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLITE_CREATE": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'caseapp.sqlite'}",
        }
    )
    assert mode_of(instance) == 0o700
    from caseapp.extensions import db

    with fresh.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            connection.execute(sa.text("INSERT INTO t VALUES (1)"))
            database_files = sorted(instance.glob("caseapp.sqlite*"))
            assert [path.name for path in database_files] == [
                "caseapp.sqlite",
                "caseapp.sqlite-shm",
                "caseapp.sqlite-wal",
            ]
            assert {mode_of(path) for path in database_files} == {0o600}
        db.engine.dispose()


def test_an_uploaded_zip_bomb_gets_a_preview_that_names_the_limit(make, login, client, huge_cell):
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post(
        "/imports/",
        data={"workbook": (io.BytesIO(huge_cell.read_bytes()), "legacy.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "The files are refused: 1 problem." in response.text
    assert "The workbook holds a single row, cell or part larger than 1 MB" in response.text
    assert "Import now" not in response.text


def test_a_killed_process_s_upload_folder_is_removed_and_a_running_one_s_stays(app):
    import subprocess
    import sys

    from caseapp.imports.uploads import purge_expired_uploads

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = Path(app.instance_path) / f"upload-{int(finished.stdout)}-abc"
    alive = Path(app.instance_path) / f"upload-{os.getpid()}-abc"
    for folder in (dead, alive):
        folder.mkdir()
        (folder / "returnees.csv").write_text("external_id\nGO-1\n")
    try:
        with app.app_context():
            purge_expired_uploads()
        assert not dead.exists() and alive.exists()
    finally:
        for folder in (dead, alive):
            if folder.exists():
                shutil.rmtree(folder)
