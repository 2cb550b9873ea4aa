"""Registering, editing, finding returnees."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.returnees.rules import returnee_errors

TODAY = date.today()


def form(make, **overrides):
    values = {
        "first_name": "Tamar", "last_name": "Maisuradze", "sex": "F", "date_of_birth": "1990-02-03",
        "personal_number": "01234567890", "phone": "+995 599 12 34 56", "field_office_id": make.office("Gori").id,
        "return_date": "2024-06-01", "returned_from": "Germany", "vulnerabilities": ["single_parent"],
        "consent_purposes": ["assistance", "referral"], "consent_date": "2024-06-01", "consent_method": "signed_form",
        "external_id": "", "open_case": "y",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture
def caseworker(make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    return user


def test_caseworker_registers_a_returnee_with_an_open_case(client, make, caseworker):
    response = client.post("/returnees/new", data=form(make))
    assert response.status_code == 302
    person = db.session.scalar(select(Returnee))
    assert person.full_name == "Tamar Maisuradze"
    assert person.current_case.status.value == "open"
    assert person.current_case.caseworker_id == caseworker.id
    assert {v.value for v in person.vulnerabilities} == {"single_parent"}
    assert person.created_by_id == caseworker.id
    page = client.get(response.headers["Location"])
    assert "Tamar Maisuradze" in page.text and "returnee.create" in page.text


@pytest.mark.parametrize("field,value,message", [
    ("date_of_birth", (TODAY + timedelta(days=1)).isoformat(), "cannot be in the future"),
    ("return_date", (TODAY + timedelta(days=1)).isoformat(), "cannot be in the future"),
    ("date_of_birth", "2024-07-01", "must be before the return date"),
    ("date_of_birth", "2015-02-30", "Not a valid date"),
    ("personal_number", "1234", "exactly 11 digits"),
    ("personal_number", "0123456789a", "exactly 11 digits"),
    ("phone", "call me", "phone number"),
    ("first_name", "", "required"),
    ("consent_date", "", "date the consent was given"),
])
def test_bad_input_is_named_next_to_its_field_and_nothing_is_saved(client, make, caseworker, field, value, message):
    response = client.post("/returnees/new", data=form(make, **{field: value}))
    assert response.status_code == 200
    assert message.lower() in response.text.lower()
    assert 'is-invalid' in response.text
    assert db.session.scalar(select(func.count(Returnee.id))) == 0


def test_caseworker_cannot_register_into_another_office(client, make, caseworker):
    response = client.post("/returnees/new", data=form(make, field_office_id=make.office("Tbilisi").id))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count(Returnee.id))) == 0


def test_same_personal_number_is_refused_with_a_link_to_the_existing_record(client, make, caseworker):
    existing = make.returnee("Gori", personal_number="01234567890")
    response = client.post("/returnees/new", data=form(make))
    assert response.status_code == 200
    assert "already registered" in response.text
    assert f"/returnees/{existing.id}" in response.text
    assert db.session.scalar(select(func.count(Returnee.id))) == 1


def test_same_personal_number_in_another_office_is_refused_without_a_link(client, make, caseworker):
    existing = make.returnee("Tbilisi", personal_number="01234567890")
    response = client.post("/returnees/new", data=form(make))
    assert "already registered" in response.text
    assert f"/returnees/{existing.id}\"" not in response.text


def test_same_name_and_birth_date_warns_then_saves_when_confirmed(client, make, caseworker):
    make.returnee("Gori", first_name="Tamar", last_name="Maisuradze", date_of_birth=date(1990, 2, 3))
    first = client.post("/returnees/new", data=form(make, personal_number=""))
    assert first.status_code == 200
    assert "same name and date of birth" in first.text
    assert db.session.scalar(select(func.count(Returnee.id))) == 1
    confirmed = client.post("/returnees/new", data=form(make, personal_number="", confirm_duplicate="yes"))
    assert confirmed.status_code == 302
    assert db.session.scalar(select(func.count(Returnee.id))) == 2


def test_stale_edit_is_refused_and_shows_what_changed(client, make, caseworker):
    client.post("/returnees/new", data=form(make))
    person = db.session.scalar(select(Returnee))
    loaded_version = person.version
    # someone else saves first
    assert client.post(f"/returnees/{person.id}/edit",
                       data=form(make, phone="+995 577 00 00 00", version=loaded_version)).status_code == 302
    # our form still carries the old version
    response = client.post(f"/returnees/{person.id}/edit",
                           data=form(make, first_name="Tamuna", version=loaded_version))
    assert response.status_code == 200
    assert "someone changed this record" in response.text.lower()
    assert "phone" in response.text and "+995 577 00 00 00" in response.text
    db.session.refresh(person)
    assert person.first_name == "Tamar"
    assert person.phone == "+995 577 00 00 00"


def test_edit_records_old_and_new_values_in_the_change_log(client, make, caseworker):
    client.post("/returnees/new", data=form(make))
    person = db.session.scalar(select(Returnee))
    client.post(f"/returnees/{person.id}/edit", data=form(make, returned_from="Greece", version=person.version))
    from caseapp.audit.models import AuditEntry

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "returnee.update"))
    assert entry.changes == {"returned_from": ["Germany", "Greece"]}
    assert entry.user_name == caseworker.username


@pytest.mark.parametrize("query", ["tamar", "TAMAR maisuradze", "maisuradze tamar", "01234567890", "old-77"])
def test_search_finds_by_name_either_order_personal_number_or_external_id(client, make, caseworker, query):
    target = make.returnee("Gori", first_name="Tamar", last_name="Maisuradze", personal_number="01234567890",
                           external_id="OLD-77")
    make.returnee("Gori", first_name="Giorgi", last_name="Beridze")
    page = client.get("/returnees/", query_string={"q": query})
    assert f"/returnees/{target.id}\"" in page.text
    assert "1 matching returnee" in page.text


def test_search_finds_georgian_script(client, make, caseworker):
    target = make.returnee("Gori", first_name="ნინო", last_name="ბერიძე")
    page = client.get("/returnees/", query_string={"q": "ბერიძე"})
    assert f"/returnees/{target.id}\"" in page.text


def test_filters_by_vulnerability_case_status_and_assistance_received(client, make, caseworker):
    elderly = make.returnee("Gori", vulnerabilities=["elderly"])
    granted = make.returnee("Gori")
    make.record(granted, "business_grant", amount="2000")
    requested_only = make.returnee("Gori")
    make.record(requested_only, "business_grant", status="requested", amount="2000")
    page = client.get("/returnees/", query_string={"vulnerability": "elderly"})
    assert f"/returnees/{elderly.id}\"" in page.text and "1 matching" in page.text
    page = client.get("/returnees/", query_string={"type": "business_grant"})
    assert f"/returnees/{granted.id}\"" in page.text and "1 matching" in page.text
    page = client.get("/returnees/", query_string={"status": "open"})
    assert "3 matching" in page.text


def test_returnee_list_page_costs_the_same_queries_whatever_the_page_size(app, client, make, caseworker):
    for n in range(30):
        make.returnee("Gori", vulnerabilities=["elderly", "disability"] if n % 2 else [],
                               caseworker=caseworker, commit=False)
    db.session.commit()

    def count_queries(per_page):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get("/returnees/", query_string={"per_page": per_page})
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(statements)

    small, large = count_queries(5), count_queries(30)
    assert small == large, (small, large)
    assert large < 15


def test_rules_accept_a_valid_returnee_without_any_http():
    assert returnee_errors(first_name="A", last_name="B", sex="F", date_of_birth=date(1990, 1, 1),
                           return_date=date(2020, 1, 1), personal_number="12345678901", phone="+995 32 2 00 00 00",
                           returned_from="Poland", on=date(2024, 1, 1)) == {}


def test_search_takes_percent_and_underscore_literally(client, make, caseworker):
    make.returnee("Gori", first_name="Tamar", last_name="Maisuradze")
    page = client.get("/returnees/", query_string={"q": "%"})
    assert "0 matching returnees" in page.text
    page = client.get("/returnees/", query_string={"q": "t_mar"})
    assert "0 matching returnees" in page.text


def test_control_characters_in_a_search_or_a_form_get_a_clear_400_and_nothing_is_saved(client, make, caseworker):
    response = client.get("/returnees/", query_string={"q": "Nino\x00"})
    assert response.status_code == 400 and "control characters" in response.text
    response = client.post("/returnees/new", data=form(make, first_name="Ta\x00mar"))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Returnee.id))) == 0


def test_a_long_name_that_grows_when_case_folded_is_still_registered(client, make, caseworker):
    long_name = "ß" * 100  # case-folds to 200 characters
    response = client.post("/returnees/new", data=form(make, first_name=long_name, last_name=long_name))
    assert response.status_code == 302
    assert db.session.scalar(select(Returnee.first_name)) == long_name


def test_a_personal_number_of_another_office_is_refused_without_naming_the_office_or_the_person(
        client, make, caseworker):
    existing = make.returnee("Tbilisi", first_name="Secretname", personal_number="01234567890")
    response = client.post("/returnees/new", data=form(make))
    assert response.status_code == 200
    assert "already registered; ask your supervisor" in response.text
    assert "Secretname" not in response.text and "Tbilisi" not in response.text.split("<main")[1].split(
        'name="field_office_id"')[0]
    assert f"/returnees/{existing.id}" not in response.text
    assert db.session.scalar(select(func.count(Returnee.id))) == 1


def _same_person_in_tbilisi(make):
    return make.returnee("Tbilisi", first_name="Tamar", last_name="Maisuradze", date_of_birth=date(1990, 2, 3))


def test_a_caseworker_is_not_shown_a_possible_duplicate_of_another_office(client, make, caseworker):
    from caseapp.audit.models import AuditEntry

    _same_person_in_tbilisi(make)
    response = client.post("/returnees/new", data=form(make, personal_number=""))
    assert response.status_code == 302  # registered: nothing about the Tbilisi person was shown
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "returnee.duplicate_lookup")) == 0


def test_a_caseworker_is_shown_a_possible_duplicate_of_their_own_office_without_an_audit_entry(
        client, make, caseworker):
    from caseapp.audit.models import AuditEntry

    make.returnee("Gori", first_name="Tamar", last_name="Maisuradze", date_of_birth=date(1990, 2, 3))
    response = client.post("/returnees/new", data=form(make, personal_number=""))
    assert "same name and date of birth" in response.text
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "returnee.duplicate_lookup")) == 0


@pytest.mark.parametrize("role,office", [(Role.SUPERVISOR, "Gori"), (Role.ADMIN, None)])
def test_supervisors_and_admins_see_another_offices_possible_duplicate_and_each_look_is_logged(
        app, make, role, office):
    from caseapp.audit.models import AuditEntry

    tbilisi_person = _same_person_in_tbilisi(make)
    viewer = make.user(role, office)
    client = app.test_client()
    client.post("/login", data={"username": viewer.username, "password": "correct horse battery"})
    for attempt in (1, 2):
        response = client.post("/returnees/new", data=form(make, personal_number=""))
        assert "same name and date of birth" in response.text and "Tbilisi" in response.text
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "returnee.duplicate_lookup")).all()
        assert len(entries) == attempt
        assert entries[-1].returnee_id == tbilisi_person.id and entries[-1].user_id == viewer.id
    assert db.session.scalar(select(func.count(Returnee.id))) == 1


def test_the_disclosure_rule_is_a_plain_function(make):
    from caseapp.returnees.disclosure import duplicates_shown_to

    gori, tbilisi = make.returnee("Gori"), make.returnee("Tbilisi")
    assert duplicates_shown_to(make.user(Role.CASEWORKER, "Gori"), [gori, tbilisi]) == [gori]
    assert duplicates_shown_to(make.user(Role.SUPERVISOR, "Gori"), [gori, tbilisi]) == [gori, tbilisi]
    assert duplicates_shown_to(make.user(Role.ADMIN, None), [gori, tbilisi]) == [gori, tbilisi]
    assert duplicates_shown_to(None, [gori, tbilisi]) == [gori, tbilisi]  # the command line
