"""The administrator renames fixed choices (closure reasons, vulnerabilities) in English and Georgian; the
names show wherever the choice does, an empty name brings the default back, and the codes never change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.cases.models import ClosureReason
from caseapp.extensions import db
from caseapp.language.vocabulary import VocabularyName, forget_custom_names
from caseapp.returnees.models import Vulnerability


@pytest.fixture
def admin(make, login):
    user = make.user(Role.ADMIN, None)
    login(user)
    return user


def test_the_list_shows_every_choice_with_its_default_names_in_both_languages(client, admin):
    page = client.get("/admin/choices").text
    for member in [*ClosureReason, *Vulnerability]:
        assert f"<code>{member.value}</code>" in page
    assert "Victim of trafficking" in page and "Lost contact" in page
    assert "(default)" in page


def test_a_renamed_vulnerability_shows_on_the_returnee_page_in_each_language(app, client, admin, make):
    person = make.returnee("Gori", vulnerabilities=["elderly"])
    db.session.commit()
    response = client.post(
        "/admin/choices/vulnerability/elderly", data={"name": "Older person (60+)", "name_ka": "ხანდაზმული (60+)"}
    )
    assert response.status_code == 302
    forget_custom_names()
    english = client.get(f"/returnees/{person.id}", headers={"Accept-Language": "en"}).text
    assert "Older person (60+)" in english
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vocabulary.rename"))
    assert entry.changes["name"] == ["", "Older person (60+)"]
    assert str(Vulnerability.ELDERLY.label) == "Older person (60+)"
    assert Vulnerability.ELDERLY.value == "elderly"  # reports and imports keep the code


def test_an_empty_name_brings_the_default_back(client, admin):
    client.post("/admin/choices/closure_reason/lost_contact", data={"name": "No contact", "name_ka": ""})
    forget_custom_names()
    assert str(ClosureReason.LOST_CONTACT.label) == "No contact"
    client.post("/admin/choices/closure_reason/lost_contact", data={"name": "", "name_ka": ""})
    forget_custom_names()
    assert str(ClosureReason.LOST_CONTACT.label) == "Lost contact"
    assert db.session.scalar(select(VocabularyName)).name == ""


def test_the_close_form_offers_the_renamed_reason(client, admin, make):
    client.post("/admin/choices/closure_reason/re_migrated", data={"name": "Left the country again", "name_ka": ""})
    forget_custom_names()
    choices = dict(ClosureReason.choices())
    assert str(choices["re_migrated"]) == "Left the country again"


@pytest.mark.parametrize("url", ["/admin/choices/vulnerability/nope", "/admin/choices/nope/elderly"])
def test_an_unknown_choice_is_404(client, admin, url):
    assert client.get(url).status_code == 404
    assert client.post(url, data={"name": "x"}).status_code == 404
