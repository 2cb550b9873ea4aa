"""Import by upload (preview, confirm, undo), the template, and the export in the import format."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.imports.models import BatchStatus, ImportBatch
from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS
from caseapp.returnees.models import Returnee
from tests.conftest import _restore_reference_data
from tests.test_imports import (
    delivered_per_type,
    record_row,
    returnee_row,
    run_import,
    table_counts,
    write_csv,
)


def csv_upload(columns, rows, name):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (io.BytesIO(buffer.getvalue().encode("utf-8")), name)


def upload(client, returnees=(), assistance=(), name="legacy"):
    return client.post("/imports/", data={
        "returnees": csv_upload(RETURNEE_COLUMNS, returnees, f"{name}-returnees.csv"),
        "assistance": csv_upload(ASSISTANCE_COLUMNS, assistance, f"{name}-assistance.csv"),
    }, content_type="multipart/form-data")


def pending_token(response) -> str:
    marker = "/imports/pending/"
    start = response.text.index(marker) + len(marker)
    return response.text[start:start + 32]


@pytest.mark.parametrize("role, status", [
    (Role.CASEWORKER, 403), (Role.MANAGER, 403), (Role.SUPERVISOR, 200), (Role.ADMIN, 200),
])
def test_who_may_open_the_import_page(make, login, client, role, status):
    login(make.user(role, "Gori"))
    assert client.get("/imports/").status_code == status


@pytest.mark.parametrize("url", ["/imports/export", "/imports/export.xlsx", "/imports/export-returnees.csv"])
def test_only_administrators_export_everything(make, login, client, url):
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.get(url).status_code == 403


def test_upload_shows_a_preview_and_writes_only_when_confirmed(make, login, client):
    make.returnee("Gori", first_name="Old", external_id="GO-1")
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = upload(client, [returnee_row("GO-1", first_name="Renamed"), returnee_row("GO-2")],
                      [record_row("GO-2")])
    assert response.status_code == 200
    assert "Returnees created" in response.text and "Renamed" in response.text
    assert table_counts()["returnee"] == 1  # a preview writes nothing
    token = pending_token(response)
    response = client.post(f"/imports/pending/{token}")
    assert response.status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.returnees_created, batch.returnees_updated, batch.records_created) == (1, 1, 1)
    assert batch.returnees_file == "legacy-returnees.csv" and len(batch.returnees_sha256) == 64
    assert client.post(f"/imports/pending/{token}").status_code == 404  # the upload is used up


def test_a_gori_supervisor_uploading_a_tbilisi_row_gets_it_named(make, login, client):
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = upload(client, [returnee_row("GO-1"), returnee_row("TB-1", field_office="Tbilisi")])
    assert "You can import returnees of your own office only." in response.text
    assert "Import now" not in response.text
    problems = client.get(f"/imports/pending/{pending_token(response)}/problems.csv")
    rows = list(csv.reader(io.StringIO(problems.text.lstrip("\ufeff"))))
    assert rows[1][:4] == ["returnees", "3", "field_office", "Tbilisi"]
    assert table_counts()["returnee"] == 0


def test_another_users_upload_cannot_be_confirmed(make, login, client, app):
    login(make.user(Role.SUPERVISOR, "Gori"))
    token = pending_token(upload(client, [returnee_row("GO-1")]))
    client.post("/logout")
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.post(f"/imports/pending/{token}").status_code == 404


def test_an_administrator_undoes_a_batch_from_its_page(make, login, client):
    login(make.user(Role.ADMIN, None))
    token = pending_token(upload(client, [returnee_row("GO-1")], [record_row("GO-1")]))
    client.post(f"/imports/pending/{token}")
    batch = db.session.scalar(select(ImportBatch))
    page = client.get(f"/imports/{batch.id}")
    assert "Undo this import" in page.text
    assert client.post(f"/imports/{batch.id}/undo").status_code == 302
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.UNDONE
    assert table_counts()["returnee"] == 0


def test_a_supervisor_cannot_undo(make, login, client):
    login(make.user(Role.SUPERVISOR, "Gori"))
    client.post(f"/imports/pending/{pending_token(upload(client, [returnee_row('GO-1')]))}")
    batch = db.session.scalar(select(ImportBatch))
    assert "Undo this import" not in client.get(f"/imports/{batch.id}").text
    assert client.post(f"/imports/{batch.id}/undo").status_code == 403


def test_the_template_workbook_imports_cleanly(make, login, client, tmp_path):
    login(make.user(Role.ADMIN, None))
    response = client.get("/imports/template.xlsx")
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.data)
    outcome = run_import({"workbook": path})
    assert outcome.ok, outcome.problems
    assert outcome.counts["records_created"] == 3


def test_an_export_imported_into_an_empty_database_gives_the_same_figures(app, make, login, client, tmp_path):
    gori = make.returnee("Gori", first_name="=cmd|' /C calc'!A0", vulnerabilities=["elderly"])  # no external id
    make.record(gori, "business_grant", amount="2500.00", currency="EUR")
    make.record(gori, "training")
    run_import({"returnees": write_csv(tmp_path / "r.csv", RETURNEE_COLUMNS, [
        returnee_row("P-1", field_office="Poti", last_name="ბერიძე"), returnee_row("P-2", personal_number="01001012345")]),
        "assistance": write_csv(tmp_path / "a.csv", ASSISTANCE_COLUMNS, [
            record_row("P-1", "business_grant", amount="1200.50", currency="GEL", notes="+line one\nline two"),
            record_row("P-2", "reception", amount="300", currency="GEL"), record_row("P-2", status="cancelled")])})
    figures, counts, report = delivered_per_type(), table_counts(), full_report()
    people = sorted((r.first_name, r.last_name, r.personal_number, r.field_office.name, tuple(r.vulnerabilities))
                    for r in db.session.scalars(select(Returnee)))
    login(make.user(Role.ADMIN, None))
    workbook = client.get("/imports/export.xlsx").data
    csv_files = {table: client.get(f"/imports/export-{table}.csv").data for table in ("returnees", "assistance")}
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["returnees"]
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value)
    assert b"'=cmd" in csv_files["returnees"]  # a CSV cell can never run as a formula

    for label, paths in (("xlsx", {"workbook": _write(tmp_path / "export.xlsx", workbook)}),
                         ("csv", {table: _write(tmp_path / f"export-{table}.csv", content)
                                  for table, content in csv_files.items()})):
        _restore_reference_data(app.extensions["caseapp_reference_rows"])
        outcome = run_import(paths)
        assert outcome.ok, (label, outcome.problems)
        assert delivered_per_type() == figures, label
        assert full_report() == report, label  # the report page's figures, every type, office, sex, age, month
        again = table_counts()
        assert again == {**counts, "import_batch": 1}, label
        assert sorted((r.first_name, r.last_name, r.personal_number, r.field_office.name, tuple(r.vulnerabilities))
                      for r in db.session.scalars(select(Returnee))) == people, label
    assert figures["business_grant"] == (2, 2, Decimal("3700.50"))


def full_report():
    """The whole report (as `flask report --format json` prints it) over every date the test uses."""
    from datetime import date

    from caseapp.reports.counting import ReportFilters, build_report
    from caseapp.reports.output import report_json
    from caseapp.reports.presentation import PresentedReport

    return report_json(PresentedReport(build_report(ReportFilters(date(1900, 1, 1), date.today()))))


def test_one_office_can_be_exported(make, login, client):
    make.returnee("Gori", first_name="Goreli")
    make.returnee("Poti", first_name="Potieli")
    login(make.user(Role.ADMIN, None))
    gori = db.session.scalar(select(func.min(Returnee.field_office_id)).where(Returnee.first_name == "Goreli"))
    text = client.get(f"/imports/export-returnees.csv?office={gori}").text
    assert "Goreli" in text and "Potieli" not in text


def _write(path, content: bytes):
    path.write_bytes(content)
    return path


def test_undo_without_the_csrf_token_is_refused(app, make, login, client, tmp_path):
    login(make.user(Role.ADMIN, None))
    batch = run_import({"returnees": write_csv(tmp_path / "r.csv", RETURNEE_COLUMNS, [returnee_row("GO-1")])}).batch
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/imports/{batch.id}/undo").status_code == 400
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.APPLIED


def test_a_second_confirmation_whose_files_went_away_meanwhile_is_not_found(make, login, client, app):
    """Double-clicked "Import now": the first request deletes the upload while the second reads it."""
    from caseapp.imports.models import PendingUpload

    login(make.user(Role.SUPERVISOR, "Gori"))
    token = pending_token(upload(client, [returnee_row("GO-1")]))
    db.session.execute(sa.delete(PendingUpload).where(PendingUpload.token == token))
    assert client.post(f"/imports/pending/{token}").status_code == 404
    assert table_counts()["import_batch"] == 0


def test_an_upload_of_zero_bytes_is_refused_with_its_reason(make, login, client):
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post("/imports/", data={"workbook": (io.BytesIO(b""), "legacy.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "not an Excel workbook" in response.text and "Import now" not in response.text
