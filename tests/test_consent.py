"""Consent per purpose: recorded, withdrawn without overwriting, enforced, listed when missing, migrated."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook

from caseapp import create_app
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.auth.models import Role
from caseapp.consent import ConsentPurpose, consent_missing
from caseapp.consent.models import ConsentMethod, ConsentRecord
from caseapp.consent.services import record_consent
from caseapp.extensions import db
from caseapp.returnees.models import Returnee


def test_consent_missing_names_the_purpose_until_it_is_given(make):
    person = make.returnee("Gori", first_name="Eka", consents=())
    refusal = consent_missing(person, ConsentPurpose.REFERRAL)
    assert "Eka Beridze has not consented to: Referral to partner organisations" in refusal
    record_consent(
        None, person, ConsentPurpose.REFERRAL, given=True, decided_on=date(2024, 3, 1), method=ConsentMethod.SIGNED_FORM
    )
    assert consent_missing(person, ConsentPurpose.REFERRAL) is None
    assert consent_missing(person, "photos") is not None


def test_a_withdrawal_is_a_new_record_and_counts_from_its_day(make):
    person = make.returnee("Gori", consents=())
    record_consent(None, person, "donor_sharing", given=True, decided_on=date(2024, 1, 10), method="signed_form")
    record_consent(None, person, "donor_sharing", given=False, decided_on=date(2024, 6, 1), method="verbal")
    db.session.commit()
    assert consent_missing(person, ConsentPurpose.DONOR_SHARING, on=date(2024, 3, 1)) is None
    refusal = consent_missing(person, ConsentPurpose.DONOR_SHARING)
    assert "withdrew the consent to: Sharing named data with a donor" in refusal
    records = db.session.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.given, r.decided_on) for r in records] == [(True, date(2024, 1, 10)), (False, date(2024, 6, 1))]


def test_caseworker_records_a_withdrawal_and_the_page_keeps_the_history(client, make, login):
    person = make.returnee("Gori", consents=(ConsentPurpose.ASSISTANCE, ConsentPurpose.PHOTOS))
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post(
        f"/returnees/{person.id}/consent",
        data={
            "purpose": "photos",
            "decision": "withdrawn",
            "decided_on": "2024-05-02",
            "method": "verbal",
            "note": "no more photos",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/returnees/{person.id}")
    assert "History: 3 decisions" in page.text
    assert "no more photos" in page.text
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 3
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.CONSENT_WITHDRAW)).one()
    assert entry.returnee_id == person.id and entry.changes["purpose"] == "photos"


def test_a_decision_without_a_date_is_named_next_to_the_field_and_nothing_is_saved(client, make, login):
    person = make.returnee("Gori", consents=())
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post(
        f"/returnees/{person.id}/consent",
        data={"purpose": "photos", "decision": "given", "decided_on": "", "method": "verbal"},
    )
    assert response.status_code == 200 and "is-invalid" in response.text
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 0


def test_consent_form_with_csrf_on_needs_its_token(app, client, make, login):
    person = make.returnee("Gori", consents=())
    login(make.user(Role.CASEWORKER, "Gori"))
    app.config["WTF_CSRF_ENABLED"] = True
    data = {"purpose": "photos", "decision": "given", "decided_on": "2024-05-02", "method": "verbal"}
    assert client.post(f"/returnees/{person.id}/consent", data=data).status_code == 400
    form = client.get(f"/returnees/{person.id}/consent").text
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post(f"/returnees/{person.id}/consent", data={**data, "csrf_token": token}).status_code == 302
    assert consent_missing(person, ConsentPurpose.PHOTOS) is None


def test_registration_records_the_purposes_ticked(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post(
        "/returnees/new",
        data={
            "first_name": "Tamar",
            "last_name": "Maisuradze",
            "sex": "F",
            "date_of_birth": "1990-02-03",
            "field_office_id": make.office("Gori").id,
            "return_date": "2024-06-01",
            "returned_from": "Germany",
            "consent_purposes": ["assistance", "follow_up"],
            "consent_date": "2024-06-01",
            "consent_method": "verbal",
        },
    )
    assert response.status_code == 302
    person = db.session.scalars(sa.select(Returnee)).one()
    assert consent_missing(person, ConsentPurpose.ASSISTANCE) is None
    assert consent_missing(person, ConsentPurpose.FOLLOW_UP) is None
    assert consent_missing(person, ConsentPurpose.REFERRAL) is not None
    assert {r.method for r in person.consent_records} == {ConsentMethod.VERBAL}


def test_consent_gaps_are_listed_for_the_caseworker(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    asked = make.returnee("Gori", first_name="Asked", caseworker=worker)
    never = make.returnee("Gori", first_name="Never", caseworker=worker, consents=(ConsentPurpose.ASSISTANCE,))
    make.returnee("Gori", first_name="Other", consents=())  # not this caseworker's case
    login(worker)
    gaps = client.get("/consent/gaps")
    assert "Never Beridze" in gaps.text and "Asked Beridze" not in gaps.text and "Other Beridze" not in gaps.text
    assert "Photos" in gaps.text
    assert "Other Beridze" in client.get("/consent/gaps?whose=all").text
    home = client.get("/")
    assert "Consent to ask for" in home.text and "Never Beridze" in home.text
    assert asked.id != never.id


# --- the named list for a donor ----------------------------------------------------------------------------

DONOR_URL = "/reports/donor-list?measure=returned&from=2024-01-01&to=2024-12-31"


def test_a_named_list_for_a_donor_is_refused_naming_the_missing_consent(client, make, login):
    make.returnee("Gori", first_name="Agreed")
    make.returnee("Gori", first_name="Refused", consents=(ConsentPurpose.ASSISTANCE,))
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.get(DONOR_URL)
    assert response.status_code == 403
    assert "1 of 2 people have not consented to: Sharing named data with a donor" in response.text
    assert "Refused Beridze has not consented to: Sharing named data with a donor" in response.text
    assert not db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.DONOR_EXPORT)).all()

    only = client.get(DONOR_URL + "&consented_only=1")
    assert only.status_code == 200
    sheet = load_workbook(io.BytesIO(only.data)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(names) == 1 and names[0].startswith("Agreed")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.DONOR_EXPORT)).one()
    assert entry.changes["rows"] == 1 and entry.changes["left_out_without_consent"] == 1


def test_a_named_list_of_people_who_all_consented_is_exported(client, make, login):
    make.returnee("Gori", first_name="Agreed")
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.get(DONOR_URL)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")


# --- migration h16b_01 -------------------------------------------------------------------------------------


def test_the_single_consent_becomes_an_assistance_record_and_comes_back(tmp_path):
    other = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'consent.sqlite'}", "SECRET_KEY": "x", "TESTING": True}
    )
    with other.app_context():
        upgrade(revision="0009")
        office = db.session.scalar(sa.text("SELECT id FROM field_office WHERE name = 'Gori'"))
        for person_id, given, on in ((1, True, "2024-02-03"), (2, False, None), (3, True, None)):
            db.session.execute(
                sa.text(
                    "INSERT INTO returnee (id, first_name, last_name, search_name, search_name_reversed, sex,"
                    " date_of_birth, field_office_id, return_date, returned_from, consent_given, consent_date,"
                    " created_at, updated_at, version) VALUES (:id, 'A', 'B', 'a b', 'b a', 'F', '1980-01-01', :o,"
                    " '2024-01-01', 'Germany', :given, :on, '2024-01-01', '2024-01-01', 1)"
                ),
                {"id": person_id, "o": office, "given": given, "on": on},
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            sa.text("SELECT returnee_id, purpose, given, decided_on, method FROM consent_record ORDER BY returnee_id")
        ).all()
        assert [tuple(r) for r in rows] == [
            (1, "assistance", 1, "2024-02-03", "earlier_record"),
            (3, "assistance", 1, "2024-01-01", "earlier_record"),
        ]
        # a later withdrawal of assistance, and a photo consent: down keeps what the old field can say
        db.session.execute(
            sa.text(
                "INSERT INTO consent_record (returnee_id, purpose, given, decided_on, method, recorded_at,"
                " recorded_by_name, note) VALUES (3, 'assistance', 0, '2024-05-01', 'verbal', '2024-05-01', '', ''),"
                " (2, 'photos', 1, '2024-05-01', 'verbal', '2024-05-01', '', '')"
            )
        )
        db.session.commit()
        downgrade(revision="0009")
        back = db.session.execute(sa.text("SELECT id, consent_given, consent_date FROM returnee ORDER BY id")).all()
        assert [tuple(r) for r in back] == [(1, 1, "2024-02-03"), (2, 0, None), (3, 0, None)]
        db.engine.dispose()


# --- the import format and the export carry the purposes ---------------------------------------------------


def _import(tmp_path, rows, columns=None):
    import csv

    from caseapp.imports.readers import sources_for
    from caseapp.imports.services import import_files
    from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS

    columns = columns or RETURNEE_COLUMNS
    paths = {}
    for table, header, body in (("returnees", columns, rows), ("assistance", ASSISTANCE_COLUMNS, [])):
        path = tmp_path / f"{table}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(body)
        paths[table] = path
    outcome = import_files(None, sources_for(**paths))
    if outcome.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return outcome


def _row(external_id, **values):
    row = {
        "external_id": external_id,
        "first_name": "Lia",
        "last_name": "Kapanadze",
        "sex": "F",
        "date_of_birth": "1985-01-02",
        "personal_number": "",
        "phone": "",
        "field_office": "Gori",
        "return_date": "2023-04-05",
        "returned_from": "Greece",
        "vulnerabilities": "",
        "consent": "",
        "consent_withdrawn": "",
        "consent_date": "",
        "consent_method": "",
    }
    row.update(values)
    return row


def test_the_import_records_the_purposes_and_its_undo_removes_them(make, tmp_path):
    from caseapp.imports.models import ImportBatch
    from caseapp.imports.services import undo_batch

    outcome = _import(
        tmp_path,
        [
            _row(
                "X-1",
                consent="assistance;referral",
                consent_withdrawn="photos",
                consent_date="2023-04-05",
                consent_method="verbal",
            )
        ],
    )
    assert outcome.ok, [str(p) for p in outcome.problems]
    person = db.session.scalars(sa.select(Returnee)).one()
    assert consent_missing(person, ConsentPurpose.REFERRAL) is None
    assert "withdrew" in consent_missing(person, ConsentPurpose.PHOTOS)
    assert {(r.purpose.value, r.given, r.method.value) for r in person.consent_records} == {
        ("assistance", True, "verbal"),
        ("referral", True, "verbal"),
        ("photos", False, "verbal"),
    }
    undo_batch(None, db.session.scalars(sa.select(ImportBatch)).one())
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 0


@pytest.mark.parametrize(
    "values,column,message",
    [
        (
            {"consent": "assistance;marketing", "consent_date": "2023-04-05"},
            "consent",
            "Unknown consent purpose: marketing",
        ),
        ({"consent": "assistance"}, "consent_date", "Give the date the consent was given"),
        (
            {"consent": "photos", "consent_withdrawn": "photos", "consent_date": "2023-04-05"},
            "consent_withdrawn",
            "both consented to and withdrawn",
        ),
        (
            {"consent": "photos", "consent_date": "2023-04-05", "consent_method": "email"},
            "consent_method",
            "Unknown consent method",
        ),
    ],
)
def test_bad_consent_cells_are_problems_naming_the_row(make, tmp_path, values, column, message):
    outcome = _import(tmp_path, [_row("X-1"), _row("X-2", **values)])
    assert not outcome.ok
    problems = [p for p in outcome.problems if p.column == column]
    assert problems and problems[0].row == 3 and message in problems[0].message
    assert db.session.scalar(sa.select(sa.func.count(Returnee.id))) == 0


def test_a_file_without_the_consent_columns_still_imports(make, tmp_path):
    from caseapp.imports.validation import RETURNEE_COLUMNS

    older = [c for c in RETURNEE_COLUMNS if not c.startswith("consent")]
    row = {k: v for k, v in _row("X-1").items() if k in older}
    assert _import(tmp_path, [row], columns=older).ok


def test_the_export_carries_the_consent_state(make):
    from caseapp.imports.exports import returnee_rows
    from caseapp.imports.validation import RETURNEE_COLUMNS

    person = make.returnee("Gori", consents=(ConsentPurpose.ASSISTANCE, ConsentPurpose.PHOTOS))
    record_consent(None, person, "photos", given=False, decided_on=date(2024, 5, 1), method="verbal")
    db.session.commit()
    row = dict(zip(RETURNEE_COLUMNS, next(returnee_rows()), strict=True))
    assert (row["consent"], row["consent_withdrawn"], row["consent_date"], row["consent_method"]) == (
        "assistance",
        "photos",
        date(2024, 5, 1),
        "verbal",
    )
