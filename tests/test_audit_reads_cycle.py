"""Who saw what, on the pages of the case cycle, the duplicates and consent: every page or download that shows
a person's data leaves one read entry per request (the side-by-side pages of duplicates: one per returnee
shown), with the right action, returnee and office; lists record what was asked and how many came back,
never the names; a page that answers 4xx records nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from caseapp.audit.models import READ_ACTIONS, AuditAction, AuditEntry
from caseapp.auth.models import Role
from caseapp.duplicates.services import merge_returnees
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.monitoring import services as monitoring
from caseapp.plans import services as plans
from caseapp.questionnaires.models import QuestionnaireKind
from caseapp.questionnaires.queries import current_version
from caseapp.rss.models import SurveyRound
from caseapp.rss.services import record_survey
from caseapp.timeutil import today
from tests.test_assessments import complete_answers
from tests.test_consent import DONOR_URL
from tests.test_duplicate_pages import georgian_nodar, nodar
from tests.test_plans import _goal
from tests.test_referrals import referral_in
from tests.test_rss import best_answers

#: the entries before this id belong to earlier requests of the test (the audit is never emptied)
_since = {"id": 0}


@pytest.fixture(autouse=True)
def _count_from_the_start():
    _since["id"] = 0


def _reads() -> list[AuditEntry]:
    """The read entries since the last `_forget_reads()`."""
    return db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(sorted(a.value for a in READ_ACTIONS)), AuditEntry.id > _since["id"])
        .order_by(AuditEntry.id)
    ).all()


def _one_read(action: AuditAction, entity_type: str | None = None) -> AuditEntry:
    """The request's only read entry, of this action (and kind of record)."""
    reads = _reads()
    assert len(reads) == 1, [(r.action, r.entity_type) for r in reads]
    entry = reads[0]
    assert entry.action == action
    if entity_type is not None:
        assert entry.entity_type == entity_type
    return entry


def _forget_reads() -> None:
    """Count the next request's entries only."""
    db.session.rollback()  # a fresh look at what the requests wrote
    _since["id"] = db.session.scalar(select(func.max(AuditEntry.id))) or 0


def _switch(client, login, user) -> None:
    """Log out, then in as `user` (the login page sends someone already logged in on)."""
    client.post("/logout")
    login(user)


def _about(entry: AuditEntry, person) -> None:
    assert entry.returnee_id == person.id
    assert entry.field_office_id == person.field_office_id


def _no_names(entry: AuditEntry, *names: str) -> None:
    stored = json.dumps(entry.changes) + (entry.label or "")
    assert not any(name in stored for name in names), stored


# --- referrals ---------------------------------------------------------------------------------------------


def test_the_referral_list_records_what_was_asked_and_how_many_never_the_names(client, make, login):
    referral = referral_in(make, "sent")
    referral_in(make, "accepted")
    _switch(client, login, make.user(Role.CASEWORKER, "Gori"))
    assert client.get("/referrals/", query_string={"status": "sent"}).status_code == 200
    entry = _one_read(AuditAction.SEARCH, "list")
    assert entry.changes == {"list": "referrals", "asked": {"status": "sent"}, "found": 1}
    assert entry.field_office_id == referral.returnee.field_office_id
    _no_names(entry, referral.returnee.first_name, referral.returnee.last_name)


def test_a_referral_s_page_and_the_new_referral_form_record_the_returnee(client, make, login):
    referral = referral_in(make, "sent")
    person = referral.returnee
    _switch(client, login, make.user(Role.CASEWORKER, "Gori"))
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    entry = _one_read(AuditAction.RECORD_VIEW, "referral")
    assert entry.entity_id == referral.id
    _about(entry, person)
    _forget_reads()
    assert client.get(f"/returnees/{person.id}/referrals/new").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "referral_form"), person)


def test_referral_pages_of_another_office_answer_404_and_record_nothing(client, make, login):
    referral = referral_in(make, "sent")
    _switch(client, login, make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert client.get(f"/returnees/{referral.returnee_id}/referrals/new").status_code == 404
    assert _reads() == []


# --- monitoring visits ---------------------------------------------------------------------------------------


def test_the_visit_list_and_a_visit_s_page_are_recorded(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", first_name="Tamar", caseworker=worker)
    visit = monitoring.add_visit(worker, person, today() + timedelta(days=2))
    db.session.commit()
    _forget_reads()
    login(worker)
    assert client.get("/visits/", query_string={"when": "week", "caseworker": worker.id}).status_code == 200
    entry = _one_read(AuditAction.SEARCH, "list")
    assert entry.changes == {"list": "visits", "asked": {"when": "week", "caseworker": worker.id}, "found": 1}
    _no_names(entry, "Tamar")
    _forget_reads()
    assert client.get(f"/visits/{visit.id}").status_code == 200
    entry = _one_read(AuditAction.RECORD_VIEW, "visit")
    assert entry.entity_id == visit.id
    _about(entry, person)


def test_a_visit_of_another_office_records_nothing(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    visit = monitoring.add_visit(worker, make.returnee("Gori"), today())
    db.session.commit()
    _forget_reads()
    _switch(client, login, make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/visits/{visit.id}").status_code == 404
    assert _reads() == []


# --- the cycle drill-down ------------------------------------------------------------------------------------


def test_the_cycle_drill_down_records_which_figure_and_how_many_people(client, make, login):
    referral = referral_in(make, "sent", sent_on=date(2024, 5, 2))
    _switch(client, login, make.user(Role.SUPERVISOR, "Gori"))
    url = "/reports/cycle/drilldown?measure=referrals_made&unit={unit}&from=2024-01-01&to=2024-12-31"
    page = client.get(url.format(unit="persons"))
    assert page.status_code == 200 and referral.returnee.first_name in page.text
    entry = _one_read(AuditAction.DRILLDOWN, "report_figure")
    assert entry.changes["figure"] == {"measure": "referrals_made", "unit": "persons"}
    assert entry.changes["people"] == 1 and entry.changes["report_filters"]["from"] == "2024-01-01"
    assert entry.field_office_id == referral.returnee.field_office_id  # a supervisor sees their office's
    _no_names(entry, referral.returnee.first_name)
    _forget_reads()
    assert client.get(url.format(unit="events")).status_code == 200
    assert _one_read(AuditAction.DRILLDOWN).changes["found"] == 1
    _forget_reads()
    assert client.get("/reports/cycle/drilldown?measure=nonsense").status_code == 400
    assert _reads() == []


# --- assessments, plans, sustainability surveys ----------------------------------------------------------


def test_an_assessment_and_its_form_record_the_returnee(client, make, login):
    from caseapp.assessments.services import record_assessment

    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori")
    form = current_version(QuestionnaireKind.ASSESSMENT)
    assessment = record_assessment(
        worker,
        person.current_case,
        form,
        assessed_on=date(2024, 3, 5),
        answers=complete_answers(form.definition),
        vulnerabilities=set(),
    )
    db.session.commit()
    _forget_reads()
    login(worker)
    assert client.get(f"/assessments/{assessment.id}").status_code == 200
    entry = _one_read(AuditAction.RECORD_VIEW, "assessment")
    assert entry.entity_id == assessment.id
    _about(entry, person)
    _forget_reads()
    assert client.get(f"/returnees/cases/{person.current_case.id}/assessments/new").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "assessment_form"), person)
    _forget_reads()
    _switch(client, login, make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/assessments/{assessment.id}").status_code == 404
    assert _reads() == []


def test_the_plan_its_goal_forms_and_the_plans_awaiting_approval_are_recorded(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", first_name="Lali")
    case = person.current_case
    login(worker)
    assert client.get(f"/returnees/cases/{case.id}/plan").status_code == 200  # no plan yet: the case
    _about(_one_read(AuditAction.RECORD_VIEW, "plan"), person)
    _forget_reads()
    goal = plans.add_goal(worker, case, _goal(make))
    db.session.commit()
    _forget_reads()
    assert client.get(f"/returnees/cases/{case.id}/plan").status_code == 200
    entry = _one_read(AuditAction.RECORD_VIEW, "plan")
    assert entry.entity_id == goal.plan.id
    _about(entry, person)
    _forget_reads()
    assert client.get(f"/returnees/cases/{case.id}/plan/goals/new").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "plan_goal_form"), person)
    _forget_reads()
    assert client.get(f"/plans/goals/{goal.id}/edit").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "plan_goal_form"), person)
    _forget_reads()
    _switch(client, login, make.user(Role.SUPERVISOR, "Gori"))
    _forget_reads()
    assert client.get("/plans/awaiting-approval").status_code == 200
    entry = _one_read(AuditAction.SEARCH, "list")
    assert entry.changes == {"list": "plans_awaiting_approval", "asked": {}, "found": 1}
    _no_names(entry, "Lali")
    _forget_reads()
    _switch(client, login, make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/returnees/cases/{case.id}/plan").status_code == 404
    assert client.get(f"/plans/goals/{goal.id}/edit").status_code == 404
    assert _reads() == []


def test_a_survey_its_form_and_the_rss_report_files_are_recorded(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", return_date=date(2024, 3, 1))
    questionnaire = current_version(QuestionnaireKind.RSS)
    survey = record_survey(
        worker,
        person.current_case,
        questionnaire,
        survey_round=SurveyRound.BASELINE,
        surveyed_on=date(2024, 4, 1),
        answers=best_answers(questionnaire.definition),
    )
    db.session.commit()
    _forget_reads()
    login(worker)
    assert client.get(f"/rss/surveys/{survey.id}").status_code == 200
    entry = _one_read(AuditAction.RECORD_VIEW, "rss_survey")
    assert entry.entity_id == survey.id
    _about(entry, person)
    _forget_reads()
    assert client.get(f"/returnees/cases/{person.current_case.id}/surveys/new").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "rss_survey_form"), person)
    _forget_reads()
    _switch(client, login, make.user(Role.SUPERVISOR, "Gori"))
    _forget_reads()
    response = client.get("/reports/rss/export.csv?from=2024-01-01&to=2024-12-31")
    assert response.status_code == 200
    entry = _one_read(AuditAction.EXPORT, "file")
    assert entry.label == "rss_2024-01-01_2024-12-31.csv"
    assert entry.changes["rows"] == response.text.count("\r\n") - 1 > 0
    assert entry.changes["offices"] == ["Gori"]  # a supervisor's report is their office's
    _forget_reads()
    assert client.get("/reports/rss/export.xlsx?from=2024-01-01&to=2024-12-31").status_code == 200
    assert _one_read(AuditAction.EXPORT).label == "rss_2024-01-01_2024-12-31.xlsx"
    _forget_reads()
    assert client.get("/reports/rss/export.csv?from=2024-13-01").status_code == 400
    assert _reads() == []
    _switch(client, login, make.user(Role.CASEWORKER, "Tbilisi"))
    _forget_reads()
    assert client.get(f"/rss/surveys/{survey.id}").status_code == 404
    assert _reads() == []


# --- duplicates --------------------------------------------------------------------------------------------


def test_the_duplicate_list_counts_pairs_and_the_pair_page_records_each_returnee_shown(client, make, login):
    latin, georgian = nodar(make), georgian_nodar(make, "Tbilisi")
    _switch(client, login, make.user(Role.ADMIN, None))
    assert client.get("/duplicates/").status_code == 200
    entry = _one_read(AuditAction.SEARCH, "list")
    assert entry.changes == {"list": "duplicates", "asked": {}, "found": 1}
    _no_names(entry, "Nodar", "ნოდარ")
    _forget_reads()
    assert client.get(f"/duplicates/{latin.id}/{georgian.id}").status_code == 200
    reads = _reads()
    # one entry per returnee shown: each person's "who opened this file" lists the look at the pair
    assert [(r.action, r.entity_type, r.returnee_id, r.field_office_id) for r in reads] == [
        (AuditAction.RECORD_VIEW, "duplicate_pair", latin.id, latin.field_office_id),
        (AuditAction.RECORD_VIEW, "duplicate_pair", georgian.id, georgian.field_office_id),
    ]
    assert all(r.changes == {"pair": [latin.id, georgian.id]} for r in reads)
    _forget_reads()
    # a pair that is not one (the same record twice, an unknown one) answers 404 and records nothing
    assert client.get(f"/duplicates/{latin.id}/{latin.id}").status_code == 404
    assert client.get(f"/duplicates/{latin.id}/999999").status_code == 404
    assert _reads() == []


def test_a_merge_s_page_records_both_returnees(client, make, login):
    admin = make.user(Role.ADMIN, None)
    latin, georgian = nodar(make), georgian_nodar(make, "Tbilisi", with_case=False)
    merge = merge_returnees(admin, latin, georgian)
    db.session.commit()
    _forget_reads()
    login(admin)
    assert client.get(f"/duplicates/merges/{merge.id}").status_code == 200
    reads = _reads()
    assert [(r.entity_type, r.entity_id, r.returnee_id, r.field_office_id) for r in reads] == [
        ("merge", merge.id, latin.id, latin.field_office_id),
        ("merge", merge.id, georgian.id, georgian.field_office_id),
    ]
    _forget_reads()
    _switch(client, login, make.user(Role.SUPERVISOR, "Telavi"))
    assert client.get(f"/duplicates/merges/{merge.id}").status_code == 404
    assert _reads() == []


def test_the_find_duplicates_command_is_recorded_as_an_export(runner, make):
    nodar(make), georgian_nodar(make, "Tbilisi")
    result = runner.invoke(args=["find-duplicates", "--format", "csv", "--office", "Tbilisi"])
    assert result.exit_code == 0, result.output
    entry = _one_read(AuditAction.EXPORT, "file")
    assert entry.label == "find-duplicates.csv" and entry.user_id is None
    assert entry.changes == {"file": "find-duplicates.csv", "rows": 1, "offices": ["Tbilisi"], "min_score": 50}
    assert runner.invoke(args=["find-duplicates", "--office", "Nowhere"]).exit_code != 0
    assert len(_reads()) == 1  # a refused command wrote nothing


# --- consent and the person's own data -----------------------------------------------------------------------


def test_the_consent_gaps_and_a_person_s_consent_page_are_recorded(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", first_name="Never", caseworker=worker, consents=())
    login(worker)
    assert client.get("/consent/gaps").status_code == 200
    entry = _one_read(AuditAction.SEARCH, "list")
    assert entry.changes == {"list": "consent_gaps", "asked": {"whose": "mine"}, "found": 1}
    _no_names(entry, "Never")
    _forget_reads()
    assert client.get(f"/returnees/{person.id}/consent").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "consent"), person)
    _forget_reads()
    _switch(client, login, make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/returnees/{person.id}/consent").status_code == 404
    assert _reads() == []


def test_the_own_data_page_is_a_read_and_its_file_is_recorded_once_as_the_request(client, make, login):
    person = make.returnee("Gori")
    _switch(client, login, make.user(Role.SUPERVISOR, "Gori"))
    assert client.get(f"/returnees/{person.id}/own-data").status_code == 200
    _about(_one_read(AuditAction.RECORD_VIEW, "own_data"), person)
    _forget_reads()
    answer = client.post(
        f"/returnees/{person.id}/own-data/file", data={"request-received_on": "2024-05-01", "request-channel": "letter"}
    )
    assert answer.status_code == 200
    assert _reads() == []  # the file is the request's step, in the log once
    steps = db.session.scalars(
        select(AuditEntry).where(AuditEntry.returnee_id == person.id, AuditEntry.id > _since["id"])
    ).all()
    assert [s.action for s in steps] == [AuditAction.RETURNEE_DATA_REQUEST]
    _switch(client, login, make.user(Role.SUPERVISOR, "Tbilisi"))
    _forget_reads()
    assert client.get(f"/returnees/{person.id}/own-data").status_code == 404
    assert _reads() == []


def test_the_donor_list_is_recorded_once_as_the_donor_export(client, make, login):
    make.returnee("Gori", first_name="Agreed")
    _switch(client, login, make.user(Role.SUPERVISOR, "Gori"))
    assert client.get(DONOR_URL).status_code == 200
    entry = _one_read(AuditAction.DONOR_EXPORT)
    assert entry.changes["rows"] == 1


# --- in words ------------------------------------------------------------------------------------------------


def test_an_opened_record_reads_as_a_sentence_with_the_person(client, make, login):
    referral = referral_in(make, "sent")
    _switch(client, login, make.user(Role.CASEWORKER, "Gori"))
    client.get(f"/referrals/{referral.id}")
    client.get(f"/returnees/{referral.returnee_id}/referrals/new")
    opened, form = describe(_reads())
    assert (opened.action, opened.record, opened.person) == ("opened", "a referral", referral.returnee.full_name)
    assert opened.url.endswith(f"/referrals/{referral.id}") and opened.sentence
    assert (form.record, form.person) == ("the referral form", referral.returnee.full_name)
