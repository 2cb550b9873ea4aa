"""Administration: staff accounts, offices, the assistance catalog."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from tests.factories import PASSWORD


@pytest.fixture
def admin(make, login):
    user = make.user(Role.ADMIN, None)
    login(user)
    return user


def test_admin_creates_a_caseworker_who_can_then_log_in(app, client, make, admin):
    response = client.post("/admin/users/new", data={
        "username": "ana", "display_name": "Ana K", "role": "caseworker", "field_office_id": make.office("Poti").id,
        "active": "y", "password": "long enough pw", "password_again": "long enough pw"})
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.username == "ana"))
    assert created.field_office.name == "Poti"
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "ana", "password": "long enough pw"}).status_code == 302


def test_caseworker_without_office_is_refused_next_to_the_field(client, admin):
    response = client.post("/admin/users/new", data={
        "username": "ana", "display_name": "Ana", "role": "caseworker", "field_office_id": 0,
        "password": "long enough pw", "password_again": "long enough pw"})
    assert response.status_code == 200 and "belong to a field office" in response.text
    assert db.session.scalar(select(User).where(User.username == "ana")) is None


def test_admin_cannot_demote_themselves(client, admin):
    client.post(f"/admin/users/{admin.id}", data={"username": admin.username, "display_name": "X",
                                                  "role": "manager", "field_office_id": 0, "active": "y"})
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


def test_admin_adds_an_office(client, admin):
    assert client.post("/admin/offices/new", data={"name": "Batumi", "active": "y"}).status_code == 302
    assert db.session.scalar(select(FieldOffice).where(FieldOffice.name == "Batumi")) is not None
    response = client.post("/admin/offices/new", data={"name": "batumi", "active": "y"})
    assert "exists" in response.text


def test_catalog_code_cannot_change_once_records_use_it(client, make, admin):
    person = make.returnee("Gori")
    make.record(person, "training")
    training = make.assistance_type("training")
    response = client.post(f"/admin/catalog/{training.id}", data={
        "code": "courses", "name": "Training", "category": "education", "active": "y", "sort_order": 5})
    assert response.status_code == 200 and "cannot change" in response.text
    db.session.refresh(training)
    assert training.code == "training"


def test_admin_adds_a_catalog_type_that_caseworkers_can_then_log(client, make, admin):
    client.post("/admin/catalog/new", data={"code": "legal_aid", "name": "Legal aid", "category": "livelihood",
                                            "active": "y", "sort_order": 200})
    kind = db.session.scalar(select(AssistanceType).where(AssistanceType.code == "legal_aid"))
    assert kind is not None and not kind.needs_approval
    person = make.returnee("Gori")
    page = client.get(f"/returnees/{person.id}")
    assert "Legal aid" in page.text


def test_admin_sets_a_users_language_and_their_pages_follow_it(app, client, admin, make):
    nino = make.user(Role.CASEWORKER, "Gori", username="nino")
    db.session.commit()
    form = {"username": "nino", "display_name": "Nino", "role": "caseworker",
            "field_office_id": make.office("Gori").id, "active": "y", "locale": "ka"}
    assert client.post(f"/admin/users/{nino.id}", data=form).status_code == 302
    db.session.refresh(nino)
    assert nino.locale == "ka"
    assert '<option selected value="ka">' in client.get(f"/admin/users/{nino.id}").text
    theirs = app.test_client()
    theirs.post("/login", data={"username": "nino", "password": PASSWORD})
    assert '<html lang="ka"' in theirs.get("/", headers={"Accept-Language": "en"}).text
    form["locale"] = ""
    client.post(f"/admin/users/{nino.id}", data=form)
    db.session.refresh(nino)
    assert nino.locale is None
    assert '<html lang="en"' in theirs.get("/", headers={"Accept-Language": "en"}).text


def test_an_unknown_language_is_refused_next_to_the_field(client, admin, make):
    response = client.post("/admin/users/new", data={
        "username": "ana", "display_name": "Ana", "role": "manager", "field_office_id": 0, "locale": "fr",
        "password": "long enough pw 77", "password_again": "long enough pw 77"})
    assert response.status_code == 200 and "Not a valid choice" in response.text
    assert db.session.scalar(select(User).where(User.username == "ana")) is None
