"""One person, either script: the national romanisation of Georgian and the name key that search and the
duplicate warning compare."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.names import GEORGIAN_TO_LATIN, name_key, person_keys, prefix_bounds, romanise
from caseapp.returnees.models import Returnee


def test_romanise_follows_the_national_system_letter_by_letter():
    assert romanise("აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ") == ("abgdevztik'lmnop'zhrst'upkghq'shchtsdzts'ch'khjh")
    assert len(GEORGIAN_TO_LATIN) == 33
    assert romanise("ნოდარ წერეთელი") == "nodar ts'ereteli"
    assert romanise("Nodar Tsereteli") == "Nodar Tsereteli"  # Latin text is left as it is


@pytest.mark.parametrize(
    "georgian,latin",
    [
        ("კაპანაძე", "Kapanadze"),
        ("კაპანაძე", "K'ap'anadze"),
        ("ნოდარ წერეთელი", "Nodar Tsereteli"),
        ("ნოდარ წერეთელი", "NODAR TS'ERETELI"),
        ("წერეთელი", "Cereteli"),
        ("წერეთელი", "Tzereteli"),
        ("შენგელია", "Shengelia"),
        ("შენგელია", "Şengelia"),
        ("შენგელია", "Šengelija"),
        ("შენგელია", "Shengelya"),
        ("ჩხეიძე", "Tchkheidze"),
        ("ჩხეიძე", "Čkheidze"),
        ("ჩხეიძე", "Chxeidze"),
        ("ჯაფარიძე", "Djaparidze"),
        ("ჯაფარიძე", "Dzhaparidze"),
        ("ჯაფარიძე", "Japharidze"),
        ("ღლონტი", "Ğlonti"),
        ("ჟორჟოლიანი", "Žoržoliani"),
        ("ძაძამია", "Dzadzamia"),
        ("შევარდნაძე", "Schewardnadse"),
        ("აბაშიძე", "Abbashidze"),
        ("ვახტანგ", "Wakhtang"),
        ("ᲙᲐᲞᲐᲜᲐᲫᲔ", "kapanadze"),  # Mtavruli capitals
        ("ლევან", "  Levan  "),
    ],
)
def test_a_georgian_name_and_its_latin_spellings_have_one_key(georgian, latin):
    assert name_key(georgian) == name_key(latin)


@pytest.mark.parametrize(
    "one,other",
    [
        ("კაპანაძე", "ყაფანაძე"),  # k' and q' are different letters: not folded
        ("Beridze", "Beradze"),
        ("Nino", "Nina"),
        ("ჩაჩავა", "ხახავა"),  # ch is never read as kh
    ],
)
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_the_key_is_lower_case_letters_and_single_spaces():
    assert name_key("  Zoë   O'Neill-Müller ") == "zoe oneil muler"
    assert name_key("%_") == ""
    assert person_keys("ნოდარ", "წერეთელი") == ("nodar tsereteli", "tsereteli nodar")


def test_prefix_bounds_hold_exactly_the_strings_with_the_prefix():
    low, high = prefix_bounds("kapan")
    names = ["kapan", "kapanadze nino", "kapanb", "kapam", "kapao", "kap"]
    assert [n for n in names if low <= n < high] == ["kapan", "kapanadze nino", "kapanb"]


@pytest.fixture
def caseworker(make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    return user


@pytest.mark.parametrize(
    "query,found",
    [
        ("კაპანაძე", 2),
        ("Kapanadze", 2),
        ("kapan", 2),
        ("K'ap'anadze", 2),
        ("კაპ", 2),
        ("გიორგი კაპანაძე", 2),
        ("Kapanadze Giorgi", 2),
        ("გიორგი", 3),
    ],
)
def test_search_finds_a_latin_name_typed_in_georgian_and_the_other_way(client, make, caseworker, query, found):
    latin = make.returnee("Gori", first_name="Giorgi", last_name="Kapanadze")
    georgian = make.returnee("Gori", first_name="გიორგი", last_name="კაპანაძე")
    make.returnee("Gori", first_name="Giorgi", last_name="Beridze")
    page = client.get("/returnees/", query_string={"q": query})
    assert f"{found} matching returnees" in page.text
    for person in (latin, georgian):
        assert f'/returnees/{person.id}"' in page.text


def test_search_by_a_middle_part_of_a_name_finds_nothing(client, make, caseworker):
    make.returnee("Gori", first_name="Giorgi", last_name="Kapanadze")
    assert "0 matching returnees" in client.get("/returnees/", query_string={"q": "panadze"}).text


def test_name_search_is_an_index_range_scan(app_ctx):
    from caseapp.auth.models import User
    from caseapp.casefile.queries import ReturneeFilters, filtered_returnees

    admin = User(username="x", display_name="x", role=Role.ADMIN, active=True)
    query = filtered_returnees(admin, ReturneeFilters(text="კაპანაძე")).with_only_columns(Returnee.id)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in connection.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "ix_returnee_name_birth" in plan and "ix_returnee_name_reversed_birth" in plan, plan
        else:
            connection.execute(sa.text("SET enable_seqscan = off"))  # a few rows: make the planner show its hand
            plan = " ".join(row[0] for row in connection.execute(sa.text(f"EXPLAIN {compiled}")))
            assert "ix_returnee_name_birth" in plan and "ix_returnee_name_reversed_birth" in plan, plan


def registration(make, **values):
    form = {
        "first_name": "ნოდარ",
        "last_name": "წერეთელი",
        "sex": "M",
        "date_of_birth": "1980-04-12",
        "field_office_id": make.office("Gori").id,
        "return_date": "2024-06-01",
        "returned_from": "Germany",
        "open_case": "y",
    }
    return {**form, **values}


def test_registering_a_georgian_name_warns_about_the_same_person_in_latin_letters(client, make, caseworker):
    existing = make.returnee("Gori", first_name="Nodar", last_name="Tsereteli", date_of_birth=date(1980, 4, 12))
    response = client.post("/returnees/new", data=registration(make))
    assert response.status_code == 200 and "same name and date of birth" in response.text
    assert f'/returnees/{existing.id}"' in response.text
    assert db.session.scalar(select(sa.func.count(Returnee.id))) == 1


def test_the_warning_works_the_other_way_and_with_the_names_swapped(client, make, caseworker):
    make.returnee("Gori", first_name="ნოდარ", last_name="წერეთელი", date_of_birth=date(1980, 4, 12))
    response = client.post("/returnees/new", data=registration(make, first_name="Tsereteli", last_name="Nodar"))
    assert response.status_code == 200 and "same name and date of birth" in response.text
    other_birthday = client.post(
        "/returnees/new", data=registration(make, first_name="Nodar", last_name="Cereteli", date_of_birth="1980-04-13")
    )
    assert other_birthday.status_code == 302


def test_editing_keeps_the_keys_current(client, make, caseworker):
    person = make.returnee("Gori", first_name="Nino", last_name="Beridze")
    client.post(
        f"/returnees/{person.id}/edit",
        data=registration(
            make,
            first_name="ნინო",
            last_name="კაპანაძე",
            date_of_birth="1985-05-17",
            version=person.version,
            confirm_duplicate="yes",
        ),
    )
    db.session.refresh(person)
    assert (person.search_name, person.search_name_reversed) == ("nino kapanadze", "kapanadze nino")


def test_migration_computes_the_keys_of_existing_returnees(tmp_path):
    """The data migration on a database with rows: up fills both keys; down keeps every row and value."""
    from flask_migrate import downgrade, upgrade

    from caseapp import create_app

    other = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'keys.sqlite'}", "SECRET_KEY": "x", "TESTING": True}
    )
    with other.app_context():
        before = _revision_before("0008")
        upgrade(revision=before)
        with db.engine.begin() as connection:
            office = connection.scalar(sa.text("SELECT id FROM field_office WHERE name = 'Gori'"))
            connection.execute(
                sa.text(
                    "INSERT INTO returnee (id, first_name, last_name, search_name, sex, date_of_birth, field_office_id,"
                    " return_date, returned_from, consent_given, created_at, updated_at, version) VALUES "
                    "(1, 'ნოდარ', 'წერეთელი', 'ნოდარ წერეთელი', 'M', '1980-04-12', :o, '2024-01-01', 'Germany', 0,"
                    " '2024-01-01', '2024-01-01', 1)"
                ),
                {"o": office},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO reintegration_case (returnee_id, status, plan, opened_on,"
                    " created_at, updated_at, version) VALUES (1, 'open', '', '2024-01-01',"
                    " '2024-01-01', '2024-01-01', 1)"
                )
            )
        upgrade(revision="0008")
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT search_name, search_name_reversed FROM returnee")).one() == (
                "nodar tsereteli",
                "tsereteli nodar",
            )
            assert connection.scalar(sa.text("SELECT count(*) FROM reintegration_case")) == 1
        downgrade(revision=before)
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT search_name FROM returnee")) == "nodar tsereteli"
            assert connection.scalar(sa.text("SELECT count(*) FROM reintegration_case")) == 1


def _revision_before(revision: str) -> str:
    """The revision a migration comes after (the chain is renumbered when branches are merged)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision
