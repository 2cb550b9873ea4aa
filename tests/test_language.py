"""Georgian and English: the language of each page, the switch, Georgian forms of dates and amounts,
and the Georgian names of the offices and the assistance catalog."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.language.parsing import local_date_example, parse_local_amount, parse_local_date

GEORGIAN_BROWSER = {"Accept-Language": "ka-GE,ka;q=0.9,en;q=0.8"}
ENGLISH_BROWSER = {"Accept-Language": "en-US,en;q=0.9"}


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def text_of(response) -> str:
    return html.unescape(response.text)


# --- which language a page is in ---------------------------------------------------------------------------


def test_login_page_follows_a_georgian_browser(client):
    page = client.get("/login", headers=GEORGIAN_BROWSER)
    assert page_language(page) == "ka"
    assert "შესვლა" in text_of(page)
    assert ">Log in<" not in page.text


def test_login_page_without_a_language_preference_is_english(client):
    page = client.get("/login")
    assert page_language(page) == "en"
    assert "Log in" in page.text


def test_lang_argument_on_the_login_page_wins_over_the_browser_and_is_remembered(client):
    assert page_language(client.get("/login?lang=en", headers=GEORGIAN_BROWSER)) == "en"
    assert page_language(client.get("/login", headers=GEORGIAN_BROWSER)) == "en"
    assert page_language(client.get("/login?lang=ka", headers=ENGLISH_BROWSER)) == "ka"


def test_an_unknown_lang_argument_is_ignored(client):
    assert page_language(client.get("/login?lang=fr", headers=GEORGIAN_BROWSER)) == "ka"


def test_switch_on_the_login_page_keeps_the_choice_for_this_browser(client):
    response = client.post("/language", data={"locale": "ka", "next": "/login?lang=en&next=%2Freturnees%2F"})
    assert response.status_code == 302
    # back to the same page, without the ?lang= that would choose English again
    assert response.headers["Location"] == "/login?next=%2Freturnees%2F"
    assert page_language(client.get("/login", headers=ENGLISH_BROWSER)) == "ka"


def test_switch_stores_the_language_on_the_account_for_every_browser(app, client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    response = client.post("/language", data={"locale": "ka", "next": "/returnees/"})
    assert response.headers["Location"] == "/returnees/"
    assert db.session.get(User, user.id).locale == "ka"
    other_browser = app.test_client()
    other_browser.post("/login", data={"username": user.username, "password": make.PASSWORD}, headers=ENGLISH_BROWSER)
    home = other_browser.get("/", headers=ENGLISH_BROWSER)
    assert page_language(home) == "ka"
    assert "მთავარი" in text_of(home)


def test_a_user_without_a_stored_language_sees_the_browser_language(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    assert page_language(client.get("/", headers=GEORGIAN_BROWSER)) == "ka"
    assert page_language(client.get("/", headers=ENGLISH_BROWSER)) == "en"


def test_switch_refuses_an_unknown_language_and_a_foreign_next(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    assert client.post("/language", data={"locale": "xx"}).status_code == 400
    response = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_switch_needs_the_csrf_token(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/language", data={"locale": "ka"}).status_code == 400
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/language", data={"locale": "ka", "next": "/login", "csrf_token": token})
    assert response.status_code == 302


def test_menu_offers_the_other_language(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    assert 'value="ka"' in client.get("/", headers=ENGLISH_BROWSER).text
    assert 'value="en"' in client.get("/", headers=GEORGIAN_BROWSER).text


# --- dates and amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,locale,expected",
    [
        ("2026-11-25", "ka", date(2026, 11, 25)),
        ("2026-11-25", "en", date(2026, 11, 25)),
        ("25.11.2026", "ka", date(2026, 11, 25)),
        ("5.3.2026", "ka", date(2026, 3, 5)),
        ("11/25/2026", "en", date(2026, 11, 25)),
        ("", "ka", None),
    ],
)
def test_dates_are_read_in_iso_and_in_the_usual_form_of_the_language(text, locale, expected):
    assert parse_local_date(text, locale) == expected


@pytest.mark.parametrize(
    "text,locale",
    [
        ("25.11.2026", "en"),
        ("11/25/2026", "ka"),
        ("25.11.26", "ka"),
        ("31.02.2026", "ka"),
        ("2026-13-01", "en"),
        ("25.11.2026.", "ka"),
        ("٢٥.١١.٢٠٢٦", "ka"),
    ],
)
def test_dates_that_are_not_real_or_not_in_either_form_are_refused(text, locale):
    with pytest.raises(ValueError):
        parse_local_date(text, locale)


def test_the_usual_form_is_shown_as_an_example():
    assert local_date_example("ka") == "25.11.2026"
    assert local_date_example("en") == "11/25/2026"


@pytest.mark.parametrize(
    "text,locale,expected",
    [
        ("3500.00", "en", "3500.00"),
        ("3500.00", "ka", "3500.00"),
        ("3,500.00", "en", "3500.00"),
        ("3 500,00", "ka", "3500.00"),
        ("3\u00a0500,50", "ka", "3500.50"),
        ("1,234,567.8", "en", "1234567.8"),
        ("3500,5", "ka", "3500.5"),
        ("", "en", None),
    ],
)
def test_amounts_are_read_with_the_grouping_and_decimal_signs_of_the_language(text, locale, expected):
    assert parse_local_amount(text, locale) == (Decimal(expected) if expected else None)


@pytest.mark.parametrize(
    "text,locale",
    [
        ("3 500,00", "en"),
        ("3,500.00", "ka"),
        ("35,00.00", "en"),
        ("1e5", "en"),
        ("NaN", "en"),
        ("12abc", "ka"),
    ],
)
def test_amounts_in_another_form_are_refused(text, locale):
    with pytest.raises(ValueError):
        parse_local_amount(text, locale)


def test_a_georgian_caseworker_logs_an_amount_and_a_date_typed_the_georgian_way(client, make, login):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post(
        f"/returnees/{person.id}/assistance/new",
        headers=GEORGIAN_BROWSER,
        data={
            "type_id": make.assistance_type("reception").id,
            "provided_on": "02.05.2024",
            "status": "delivered",
            "amount": "1 250,50",
            "currency": "GEL",
            "provider": "",
            "notes": "",
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(select(AssistanceRecord).where(AssistanceRecord.returnee_id == person.id))
    assert (record.provided_on, record.amount) == (date(2024, 5, 2), Decimal("1250.50"))
    page = text_of(client.get(f"/returnees/{person.id}", headers=GEORGIAN_BROWSER))
    assert "1 250,50 GEL" in page.replace("\u00a0", " ")
    assert "2 მაი. 2024" in page


def test_a_wrong_date_gets_a_message_with_the_forms_to_use_in_the_page_language(client, make, login):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    data = {
        "type_id": make.assistance_type("reception").id,
        "provided_on": "5/2/2024",
        "status": "delivered",
        "amount": "35",
        "currency": "GEL",
    }
    response = client.post(f"/returnees/{person.id}/assistance/new", headers=GEORGIAN_BROWSER, data=data)
    assert response.status_code == 200
    assert "თარიღი არასწორია: ჩაწერეთ ასე — 25.11.2026 ან წწწწ-თთ-დდ." in text_of(response)
    data.update(provided_on="2024-05-02", amount="3,500.00")  # the English way, on a Georgian page
    response = client.post(f"/returnees/{person.id}/assistance/new", headers=GEORGIAN_BROWSER, data=data)
    assert "ჩაწერეთ თანხა რიცხვით, მაგ. 1 500,00 ან 1500.00" in text_of(response).replace("\u00a0", " ")
    assert db.session.scalar(select(AssistanceRecord).where(AssistanceRecord.returnee_id == person.id)) is None


# --- names of the offices and the catalog ------------------------------------------------------------------


def test_shipped_offices_and_types_have_georgian_names(make):
    assert make.office("Gori").name_ka == "გორი"
    assert make.office("Akhaltsikhe").name_ka == "ახალციხე"
    assert make.assistance_type("business_grant").name_ka == "მიკრობიზნესის გრანტი"


def test_georgian_pages_show_georgian_names_and_english_pages_english_names(client, make, login):
    person = make.returnee("Gori")
    make.record(person, "business_grant", amount="1500.00")
    login(make.user(Role.CASEWORKER, "Gori"))
    georgian = text_of(client.get(f"/returnees/{person.id}", headers=GEORGIAN_BROWSER))
    assert "გორი" in georgian and "მიკრობიზნესის გრანტი" in georgian
    english = text_of(client.get(f"/returnees/{person.id}", headers=ENGLISH_BROWSER))
    assert "Gori" in english and "Micro-business grant" in english and "გორი" not in english
    listing = text_of(client.get("/returnees/", headers=GEORGIAN_BROWSER))
    assert "გორი" in listing


def test_admin_edits_the_georgian_name_and_an_empty_one_falls_back_to_english(client, make, login):
    login(make.user(Role.ADMIN, None))
    kind = make.assistance_type("training")
    response = client.post(
        f"/admin/catalog/{kind.id}",
        data={
            "code": "training",
            "name": "Training",
            "name_ka": "  პროფესიული ტრენინგი ",
            "category": "education",
            "active": "y",
            "sort_order": "130",
        },
    )
    assert response.status_code == 302
    assert make.assistance_type("training").name_ka == "პროფესიული ტრენინგი"
    office = make.office("Poti")
    client.post(f"/admin/offices/{office.id}", data={"name": "Poti", "name_ka": "", "active": "y"})
    assert make.office("Poti").name_ka == ""
    offices_page = text_of(client.get("/admin/offices", headers=GEORGIAN_BROWSER))
    assert "Poti" in offices_page and "თბილისი" in offices_page
    assert "პროფესიული ტრენინგი" in text_of(client.get("/admin/catalog", headers=GEORGIAN_BROWSER))


def test_a_change_of_a_georgian_name_goes_to_the_change_log(client, make, login):
    login(make.user(Role.ADMIN, None))
    office = make.office("Poti")
    kind = make.assistance_type("training")
    client.post(f"/admin/offices/{office.id}", data={"name": "Poti", "name_ka": "ფოთის ოფისი", "active": "y"})
    data = {
        "code": "training",
        "name": kind.name,
        "name_ka": "პროფესიული ტრენინგი",
        "category": "education",
        "active": "y",
        "sort_order": "130",
    }
    response = client.post(f"/admin/catalog/{kind.id}", data=data)
    assert response.status_code == 302, response.text
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type.in_(["office", "assistance_type"])).order_by(AuditEntry.id)
    ).all()
    assert [(entry.entity_type, entry.changes["name_ka"][1]) for entry in entries] == [
        ("office", "ფოთის ოფისი"),
        ("assistance_type", "პროფესიული ტრენინგი"),
    ]


def test_report_exports_and_donor_paragraph_are_in_georgian_for_a_georgian_user(client, make, login):
    person = make.returnee("Gori", return_date=date(2024, 1, 10))
    make.record(person, "business_grant", on=date(2024, 2, 1), amount="1500.00")
    user = make.user(Role.SUPERVISOR, "Gori")
    user.locale = "ka"
    db.session.commit()
    login(user)
    period = "from=2024-01-01&to=2024-12-31"
    page = text_of(client.get(f"/reports/?{period}"))
    paragraph = re.search(r'id="donor-paragraph"[^>]*>([^<]*)<', page).group(1)
    assert paragraph.startswith("მონაცემები: ოფისი: გორი. 2024 წელს პროგრამის დახმარებით დაბრუნდა 1 პირი.")
    assert "მიკრობიზნესის გრანტი: 1 პირი (სულ 1 შემთხვევა; 1 500,00 GEL)." in paragraph.replace("\u00a0", " ")
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{period}").data))
    assert "შეჯამება" in book.sheetnames and "ოფისების მიხედვით" in book.sheetnames
    summary = {row[1]: row for row in book["შეჯამება"].iter_rows(min_row=2, values_only=True)}
    assert summary["business_grant"][0] == "მიკრობიზნესის გრანტი"
    offices = [row[0] for row in book["ოფისების მიხედვით"].iter_rows(min_row=2, values_only=True)]
    assert "გორი" in offices


def test_wtforms_own_messages_are_in_the_page_language(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    georgian = text_of(client.post("/returnees/new", data={}, headers=GEORGIAN_BROWSER))
    assert "სავალდებულო ველი." in georgian and "This field is required." not in georgian
    english = text_of(client.post("/returnees/new", data={}, headers=ENGLISH_BROWSER))
    assert "This field is required." in english


def test_an_amount_comes_back_into_the_edit_form_written_the_page_languages_way(client, make, login):
    person = make.returnee("Gori")
    record = make.record(person, "reception", status="planned", amount="3500.00")
    login(make.user(Role.CASEWORKER, "Gori"))
    georgian = client.get(f"/assistance/{record.id}/edit", headers=GEORGIAN_BROWSER).text
    assert 'value="3\u00a0500,00"' in georgian
    english = client.get(f"/assistance/{record.id}/edit", headers=ENGLISH_BROWSER).text
    assert 'value="3,500.00"' in english
    assert parse_local_amount("3\u00a0500,00", "ka") == parse_local_amount("3,500.00", "en") == Decimal("3500.00")


def test_office_lists_follow_the_alphabet_of_the_page_language(client, make, login):
    login(make.user(Role.ADMIN, None))
    georgian = text_of(client.get("/returnees/", headers=GEORGIAN_BROWSER))
    positions = [
        georgian.index(f">{name}</option>") for name in ("ახალციხე", "გორი", "თბილისი", "თელავი", "ფოთი", "ქუთაისი")
    ]
    assert positions == sorted(positions)
    english = text_of(client.get("/returnees/", headers=ENGLISH_BROWSER))
    positions = [
        english.index(f">{name}</option>") for name in ("Akhaltsikhe", "Gori", "Kutaisi", "Poti", "Tbilisi", "Telavi")
    ]
    assert positions == sorted(positions)


def test_the_report_command_speaks_georgian_when_asked(app_ctx, runner, make):
    make.record(make.returnee("Gori"), "business_counselling")
    db.session.commit()
    args = ["report", "--from", "2024-01-01", "--to", "2024-12-31"]
    english = runner.invoke(args=args).output
    georgian = runner.invoke(args=[*args, "--language", "ka"]).output
    assert english.startswith("Period: 2024-01-01") and "Returned persons: 1" in english
    assert georgian.startswith("პერიოდი: 2024-01-01") and "დაბრუნებული პირები: 1" in georgian
    assert "Period" not in georgian and "events" not in georgian
