"""Partners and referrals: the closed loop, one allowed move at a time; consent; overdue referrals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.consent import ConsentMethod, ConsentPurpose, ConsentRecord
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.referrals import services
from caseapp.referrals.models import Partner, Referral, ReferralStatus
from caseapp.referrals.workflow import TRANSITIONS, transition_error
from caseapp.timeutil import today

#: every purpose but referral (the factory records all five by default)
WITHOUT_REFERRAL = tuple(p for p in ConsentPurpose if p != ConsentPurpose.REFERRAL)

S = ReferralStatus
ALLOWED = {(S.SENT, S.ACCEPTED), (S.SENT, S.DECLINED), (S.ACCEPTED, S.COMPLETED), (S.ACCEPTED, S.NOT_COMPLETED)}


def make_partner(make, office="Gori", name="State Employment Support Agency", services_=("employment", "training")):
    partner = Partner(
        name=name,
        name_ka="სააგენტო",
        services=[make.assistance_type(c) for c in services_],
        offices=[make.office(office)],
    )
    db.session.add(partner)
    db.session.commit()
    return partner


def referral_in(make, status: S, *, sent_on=None):
    person = make.returnee("Gori")
    partner = make_partner(make, name=f"Partner {person.id}")
    sent_on = sent_on or today() - timedelta(days=30)
    referral = Referral(
        returnee=person,
        case=person.current_case,
        partner=partner,
        service=make.assistance_type("training"),
        status=status,
        sent_on=sent_on,
        answered_on=sent_on + timedelta(days=2) if status != S.SENT else None,
        closed_on=sent_on + timedelta(days=9) if status in (S.COMPLETED, S.NOT_COMPLETED) else None,
    )
    db.session.add(referral)
    db.session.commit()
    return referral


@pytest.mark.parametrize("old", list(S))
@pytest.mark.parametrize("new", list(S))
def test_each_move_of_the_loop_is_allowed_exactly_when_the_table_says(make, old, new):
    assert (transition_error(old, new) is None) == ((old, new) in ALLOWED)
    assert (new in TRANSITIONS[old]) == ((old, new) in ALLOWED)
    referral = referral_in(make, old)
    actor = make.user(Role.CASEWORKER, "Gori")
    on = today()
    if (old, new) in ALLOWED:
        services.change_referral_status(actor, referral, new, on=on, note="why")
        assert referral.status == new
        assert (referral.answered_on if new in (S.ACCEPTED, S.DECLINED) else referral.closed_on) == on
    else:
        with pytest.raises(ValidationFailed):
            services.change_referral_status(actor, referral, new, on=on, note="why")
        db.session.rollback()
        assert db.session.get(Referral, referral.id).status == old


def test_declining_needs_a_reason_and_a_date_not_before_sending(make):
    referral = referral_in(make, S.SENT, sent_on=today() - timedelta(days=3))
    actor = make.user(Role.CASEWORKER, "Gori")
    with pytest.raises(ValidationFailed) as refused:
        services.change_referral_status(actor, referral, S.DECLINED, on=today() - timedelta(days=5), note="")
    assert set(refused.value.errors) == {"on", "note"}
    with pytest.raises(ValidationFailed) as refused:
        services.change_referral_status(actor, referral, S.ACCEPTED, on=today() + timedelta(days=1))
    assert "future" in str(refused.value.errors["on"])


def test_referral_without_consent_is_refused_naming_the_missing_consent(make):
    person = make.returnee("Gori", first_name="Salome", consents=WITHOUT_REFERRAL)
    partner = make_partner(make)
    actor = make.user(Role.CASEWORKER, "Gori")
    with pytest.raises(ValidationFailed) as refused:
        services.refer(actor, person, partner, make.assistance_type("employment"), sent_on=today())
    assert "not consented to: Referral to partner organisations" in str(refused.value.errors[""])
    assert "Salome" in str(refused.value.errors[""])
    db.session.rollback()
    assert db.session.scalar(select(Referral.id)) is None


def test_referral_with_consent_is_sent_and_audited(make):
    person = make.returnee("Gori")
    partner = make_partner(make)
    actor = make.user(Role.CASEWORKER, "Gori")
    referral = services.refer(
        actor, person, partner, make.assistance_type("employment"), sent_on=today(), reason="Welder, wants work"
    )
    db.session.commit()
    assert referral.status == S.SENT and referral.case_id == person.current_case.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "referral"))
    assert entry.returnee_id == person.id and entry.changes["status"] == "sent"


def test_a_partner_of_another_office_or_service_is_refused(make):
    person = make.returnee("Gori")
    tbilisi = make_partner(make, office="Tbilisi", name="Tbilisi only")
    gori = make_partner(make, name="Gori partner", services_=("training",))
    actor = make.user(Role.CASEWORKER, "Gori")
    with pytest.raises(ValidationFailed) as refused:
        services.refer(actor, person, tbilisi, make.assistance_type("training"), sent_on=today())
    assert "partner_id" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        services.refer(actor, person, gori, make.assistance_type("employment"), sent_on=today())
    assert "service_id" in refused.value.errors


def test_the_page_refuses_without_consent_and_accepts_with_it_then_the_loop_closes(client, make, login):
    person = make.returnee("Gori", consents=WITHOUT_REFERRAL)
    partner = make_partner(make)
    training = make.assistance_type("training")
    login(make.user(Role.CASEWORKER, "Gori"))
    form = {"partner_id": partner.id, "service_id": training.id, "sent_on": today().isoformat(), "reason": "course"}
    page = client.get(f"/returnees/{person.id}/referrals/new")
    assert "has not consented to: Referral to partner organisations" in page.text
    refused = client.post(f"/returnees/{person.id}/referrals/new", data=form)
    assert refused.status_code == 200 and "has not consented to: Referral to partner organisations" in refused.text
    assert db.session.scalar(select(Referral.id)) is None

    db.session.add(
        ConsentRecord(
            returnee_id=person.id,
            purpose=ConsentPurpose.REFERRAL,
            given=True,
            decided_on=person.return_date,
            method=ConsentMethod.VERBAL,
            recorded_by_name="test",
        )
    )
    db.session.commit()
    sent = client.post(f"/returnees/{person.id}/referrals/new", data=form)
    assert sent.status_code == 302
    referral = db.session.scalar(select(Referral))
    for status in ("accepted", "completed"):
        answer = client.post(
            f"/referrals/{referral.id}",
            data={"status": status, "on": today().isoformat(), "note": "done", "version": referral.version},
        )
        assert answer.status_code == 302, answer.text
        db.session.refresh(referral)
    assert referral.status == S.COMPLETED and referral.closed_on == today()
    page = client.get(f"/referrals/{referral.id}")
    assert "The loop is closed" in page.text


def test_overdue_referrals_follow_the_setting_and_show_on_both_home_pages(app, client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    late = referral_in(make, S.SENT, sent_on=today() - timedelta(days=15))
    late.case.caseworker_id = worker.id
    on_time = referral_in(make, S.SENT, sent_on=today() - timedelta(days=5))
    on_time.case.caseworker_id = worker.id
    db.session.commit()
    assert services.is_overdue(late) and not services.is_overdue(on_time)
    login(worker)
    home = client.get("/")
    assert f'/referrals/{late.id}"' in home.text and f'/referrals/{on_time.id}"' not in home.text
    app.config["REFERRAL_ANSWER_DAYS"] = 3
    try:
        assert f'/referrals/{on_time.id}"' in client.get("/").text
    finally:
        app.config["REFERRAL_ANSWER_DAYS"] = 14
    client.post("/logout")
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert f'/referrals/{late.id}"' in client.get("/").text
    assert f'/referrals/{late.id}"' in client.get("/referrals/?overdue=1").text


def test_admin_adds_a_partner_and_staff_see_it(client, make, login):
    login(make.user(Role.ADMIN, None))
    page = client.post(
        "/partners/new",
        data={
            "name": "Gori Vocational College",
            "name_ka": "გორის პროფესიული კოლეჯი",
            "service_ids": [make.assistance_type("training").id],
            "office_ids": [make.office("Gori").id],
            "contact_person": "Davit",
            "phone": "+995 370 000000",
            "email": "info@example.ge",
            "active": "y",
        },
    )
    assert page.status_code == 302
    partner = db.session.scalar(select(Partner))
    assert partner.service_codes == ["training"] and partner.office_ids == [make.office("Gori").id]
    empty = client.post("/partners/new", data={"name": "No services"})
    assert "Choose at least one service" in empty.text
    client.post("/logout")
    login(make.user(Role.CASEWORKER, "Gori"))
    assert "Gori Vocational College" in client.get("/partners/").text
    assert client.get(f"/partners/{partner.id}/edit").status_code == 403


def test_admin_edits_a_partner_and_the_change_log_says_what_changed(make):
    partner = make_partner(make)
    admin = make.user(Role.ADMIN, None)
    values = services.PartnerInput(
        name=partner.name,
        services=[make.assistance_type("training")],
        offices=[make.office("Gori"), make.office("Tbilisi")],
    )
    services.update_partner(admin, partner, values, expected_version=partner.version)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "partner.update"))
    assert entry.changes["service_codes"] == [["employment", "training"], ["training"]]
    assert partner.version == 2


def test_referral_of_another_office_is_not_found(client, make, login):
    referral = referral_in(make, S.SENT)
    login(make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/referrals/{referral.id}").status_code == 404


def test_consent_shim_answers_none_when_consented(make):
    from caseapp.referrals.consent_gate import consent_missing

    person = make.returnee("Gori", return_date=date(2024, 3, 1))
    assert consent_missing(person, "referral") is None
    assert consent_missing(person, "referral", on=date(2024, 2, 1)) is not None
