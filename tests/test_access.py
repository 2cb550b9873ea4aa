"""Who may reach what: every route for every role, office scoping, CSRF, login behaviour."""

from __future__ import annotations

import pytest

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.returnees.models import Returnee

ROLES = ["anonymous", "caseworker", "supervisor", "manager", "admin"]

# (method, url template, {role: expected status}); {r} is a Gori returnee, {c} its case, {a} a record.
ROUTES = [
    ("GET", "/", dict(anonymous=302, caseworker=200, supervisor=200, manager=200, admin=200)),
    ("GET", "/returnees/", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/new", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/{r}", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/{r}/edit", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/returnees/{r}/cases", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    # an empty status form comes back with its errors next to the fields
    (
        "POST",
        "/returnees/cases/{c}/status",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    (
        "GET",
        "/returnees/cases/{c}/status?case-status=closed",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    # confirmation pages: what a step will do, before it is done
    (
        "GET",
        "/assistance/{a}/status?status=cancelled",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    (
        "GET",
        "/assistance/{a}/decision?decision=rejected",
        dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=403),
    ),
    ("GET", "/returnees/cases/{c}/plan", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    (
        "POST",
        "/returnees/cases/{c}/assign",
        dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=302),
    ),
    (
        "GET",
        "/returnees/{r}/assistance/new",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/assistance/{a}/edit", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/assistance/{a}/status", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    ("GET", "/admin/users", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/users/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/offices", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/offices/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/catalog", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/catalog/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/audit", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302)),
    # the audit log: administrators all of it, supervisors their office's entries
    ("GET", "/audit/", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    ("GET", "/audit/export.csv", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    ("GET", "/admin/choices", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    (
        "GET",
        "/admin/choices/vulnerability/elderly",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200),
    ),
    (
        "POST",
        "/admin/choices/closure_reason/other",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302),
    ),
    (
        "GET",
        "/admin/offices/{o}/thresholds",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200),
    ),
    ("GET", "/admin/catalog/{t}", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/offices/{o}", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/users/{u}", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/admin/backups/", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("POST", "/admin/backups/", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302)),
    (
        "GET",
        "/admin/backups/caseapp-20260101T000000.000Z-0004.sqlite",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=404),
    ),
    ("POST", "/assistance/{a}/decision", dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=403)),
    (
        "POST",
        "/returnees/cases/{c}/follow-up",
        dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302),
    ),
    (
        "POST",
        "/returnees/cases/{c}/reopen",
        dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=302),
    ),
    ("GET", "/review/", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=403)),
    ("GET", "/review/cases", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    ("POST", "/review/cases/{c}/review", dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=403)),
    ("POST", "/review/cases/reassign", dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=302)),
    ("GET", "/review/my-requests", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=403)),
    ("POST", "/review/reviews/{v}/answer", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    ("GET", "/reports/", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    (
        "GET",
        "/reports/drilldown?measure=returned",
        dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/reports/export.csv", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/reports/export.xlsx", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/imports/", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    ("GET", "/imports/{b}", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    ("POST", "/imports/{b}/undo", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302)),
    (
        "POST",
        "/imports/pending/nosuchtoken",
        dict(anonymous=302, caseworker=403, supervisor=404, manager=403, admin=404),
    ),
    (
        "GET",
        "/imports/pending/nosuchtoken/problems.csv",
        dict(anonymous=302, caseworker=403, supervisor=404, manager=403, admin=404),
    ),
    ("GET", "/imports/template.xlsx", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    (
        "GET",
        "/imports/template-returnees.csv",
        dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/imports/export", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/imports/export.xlsx", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    (
        "GET",
        "/imports/export-returnees.csv",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200),
    ),
    ("POST", "/imports/export.xlsx", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302)),
    # a background check's preview: its owner's alone ({j} is another supervisor's job of the office)
    ("GET", "/imports/checked/{j}", dict(anonymous=302, caseworker=403, supervisor=404, manager=403, admin=404)),
    # background jobs (h15e): the owner, the office's supervisors and administrators see a job; its file is
    # its owner's alone
    ("GET", "/jobs/", dict(anonymous=302, caseworker=200, supervisor=200, manager=200, admin=200)),
    ("GET", "/jobs/{j}", dict(anonymous=302, caseworker=404, supervisor=200, manager=404, admin=200)),
    ("GET", "/jobs/{j}.json", dict(anonymous=302, caseworker=404, supervisor=200, manager=404, admin=200)),
    ("GET", "/jobs/{j}/file", dict(anonymous=302, caseworker=404, supervisor=404, manager=404, admin=404)),
    # the analytics rebuild, as a job: administrators only
    ("POST", "/analytics/rebuild", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302)),
    # consent per purpose, the person's own data, the named list for a donor (h16b)
    ("GET", "/returnees/{r}/consent", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    # an empty consent form comes back with its errors next to the fields
    ("POST", "/returnees/{r}/consent", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/consent/gaps", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/returnees/{r}/own-data", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    (
        "POST",
        "/returnees/{r}/own-data/file",
        dict(anonymous=302, caseworker=403, supervisor=400, manager=403, admin=400),
    ),
    (
        "POST",
        "/returnees/{r}/own-data/delivery",
        dict(anonymous=302, caseworker=403, supervisor=400, manager=403, admin=400),
    ),
    (
        "GET",
        "/reports/donor-list?measure=returned",
        dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/projects/", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/projects/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/projects/{p}/edit", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/projects/{p}", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/projects/999999", dict(anonymous=302, caseworker=403, supervisor=404, manager=404, admin=404)),
    ("GET", "/projects/reassign", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    # the preview of a reassignment (an empty filter comes back with its errors) writes nothing
    ("POST", "/projects/reassign", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/projects/{p}/indicators/", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    (
        "GET",
        "/projects/999999/indicators/",
        dict(anonymous=302, caseworker=403, supervisor=404, manager=404, admin=404),
    ),
    (
        "GET",
        "/projects/{p}/indicators/new",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200),
    ),
    (
        "GET",
        "/projects/{p}/indicators/{i}/edit",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200),
    ),
    (
        "POST",
        "/projects/{p}/indicators/{i}/delete",
        dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302),
    ),
    # partners (kept by administrators, seen by staff), referrals and monitoring visits; {p} partner,
    # {f} referral, {w} visit. An empty visit form comes back with its errors (200).
    ("GET", "/partners/", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/partners/new", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    ("GET", "/partners/{pt}/edit", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=200)),
    (
        "GET",
        "/returnees/{r}/referrals/new",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/referrals/", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/referrals/{f}", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/visits/", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/visits/{w}", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/visits/{w}/record", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/visits/{w}/move", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/visits/{w}/cancel", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("POST", "/returnees/{r}/visits", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    (
        "GET",
        "/reports/cycle/drilldown?measure=visits_done",
        dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200),
    ),
    # the reintegration cycle: {g} a goal of the case's plan, {as} an assessment, {rs} a survey
    ("POST", "/returnees/cases/{c}/plan", dict(anonymous=302, caseworker=302, supervisor=302, manager=403, admin=302)),
    (
        "GET",
        "/returnees/cases/{c}/plan/goals/new",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/plans/goals/{g}/edit", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    (
        "POST",
        "/returnees/cases/{c}/plan/approve",
        dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=302),
    ),
    ("GET", "/plans/awaiting-approval", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    (
        "GET",
        "/returnees/cases/{c}/assessments/new",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/assessments/{as}", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    (
        "GET",
        "/returnees/cases/{c}/surveys/new?round=follow_up",
        dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200),
    ),
    ("GET", "/rss/surveys/{rs}", dict(anonymous=302, caseworker=200, supervisor=200, manager=403, admin=200)),
    ("GET", "/reports/rss/", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/reports/rss/export.csv", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/reports/rss/export.xlsx", dict(anonymous=302, caseworker=403, supervisor=200, manager=200, admin=200)),
    ("GET", "/healthz", dict(anonymous=200, caseworker=200, supervisor=200, manager=200, admin=200)),
    ("GET", "/account/password", dict(anonymous=302, caseworker=200, supervisor=200, manager=200, admin=200)),
    ("GET", "/account/sessions", dict(anonymous=302, caseworker=200, supervisor=200, manager=200, admin=200)),
    # duplicates: supervisors (own office) and admins; {d} is a second record of {r}'s person
    ("GET", "/duplicates/", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    ("GET", "/duplicates/next", dict(anonymous=302, caseworker=403, supervisor=302, manager=403, admin=302)),
    ("GET", "/duplicates/{r}/{d}", dict(anonymous=302, caseworker=403, supervisor=200, manager=403, admin=200)),
    # a decision without its value, a merge without the record that stays: refused, nothing written
    (
        "POST",
        "/duplicates/{r}/{d}/decision",
        dict(anonymous=302, caseworker=403, supervisor=400, manager=403, admin=400),
    ),
    ("POST", "/duplicates/{r}/{d}/merge", dict(anonymous=302, caseworker=403, supervisor=400, manager=403, admin=400)),
    (
        "GET",
        "/duplicates/merges/2147483000",
        dict(anonymous=302, caseworker=403, supervisor=404, manager=403, admin=404),
    ),
    (
        "POST",
        "/duplicates/merges/2147483000/unmerge",
        dict(anonymous=302, caseworker=403, supervisor=404, manager=403, admin=404),
    ),
    # {s} is another user's session: nobody ends it but its owner
    ("POST", "/account/sessions/{s}/end", dict(anonymous=302, caseworker=404, supervisor=404, manager=404, admin=404)),
    (
        "POST",
        "/account/sessions/end-others",
        dict(anonymous=302, caseworker=302, supervisor=302, manager=302, admin=302),
    ),
    ("POST", "/admin/users/{u}/unlock", dict(anonymous=302, caseworker=403, supervisor=403, manager=403, admin=302)),
    ("GET", "/login", dict(anonymous=200, caseworker=302, supervisor=302, manager=302, admin=302)),
    ("POST", "/logout", dict(anonymous=302, caseworker=302, supervisor=302, manager=302, admin=302)),
    ("POST", "/language", dict(anonymous=400, caseworker=400, supervisor=400, manager=400, admin=400)),
    ("GET", "/static/caseapp.css", dict(anonymous=200, caseworker=200, supervisor=200, manager=200, admin=200)),
    (
        "GET",
        "/bootstrap/static/css/bootstrap.min.css",
        dict(anonymous=200, caseworker=200, supervisor=200, manager=200, admin=200),
    ),
]


@pytest.fixture
def gori_records(make):
    return records_in(make, "Gori")


def records_in(make, office: str) -> dict[str, int]:
    """One record of each kind in an office: returnee, case, assistance request, review, import batch."""
    from caseapp.auth.models import LoginSession
    from caseapp.extensions import db
    from caseapp.imports.models import ImportBatch
    from caseapp.indicators.models import Indicator, IndicatorMeasure
    from caseapp.jobs.models import Job, JobFile, JobStatus
    from caseapp.review.models import CaseReview, ReviewOutcome

    person = make.returnee(office)
    duplicate = make.returnee(office, first_name=person.first_name, with_case=False)
    entry = make.record(person, "business_grant", status="requested", amount="3000")
    other = make.user(Role.CASEWORKER, office)
    entry.recorded_by_id = entry.requested_by_id = other.id
    review = CaseReview(case=person.current_case, outcome=ReviewOutcome("needs_action"), comment="call him")
    batch = ImportBatch(created_by_name="someone", field_office_id=make.office(office).id)
    other_session = LoginSession(user_id=other.id, token_hash=f"{other.id:064d}", access_stamp=other.access_stamp)
    project = make.project(offices=[office], budgets={"EUR": "5000"})
    indicator = Indicator(project=project, name="Grants", measure=IndicatorMeasure.PERSONS)
    boss = make.user(Role.SUPERVISOR, office)
    job = Job(
        kind="export-data",
        owner_id=boss.id,
        owner_name=boss.username,
        field_office_id=boss.field_office_id,
        status=JobStatus.DONE,
        params={},
        result={"rows": 1},
    )
    job.file = JobFile(file_name="export.xlsx", size=1, content=b"x")
    db.session.add_all([review, batch, other_session, indicator, job])
    partner, referral, visit = followup_records(make, person, office)
    db.session.commit()
    cycle = cycle_records(person, other)
    return {
        **cycle,
        "pt": partner.id,
        "f": referral.id,
        "w": visit.id,
        "r": person.id,
        "d": duplicate.id,
        "c": person.current_case.id,
        "a": entry.id,
        "v": review.id,
        "b": batch.id,
        "s": other_session.id,
        "o": make.office(office).id,
        "t": make.assistance_type("training").id,
        "u": other.id,
        "p": project.id,
        "i": indicator.id,
        "j": job.id,
    }


def followup_records(make, person, office: str):
    """A partner of the office, a referral of the person to it and a scheduled monitoring visit."""
    from datetime import date

    from caseapp.monitoring.models import MonitoringVisit, VisitStatus
    from caseapp.referrals.models import Partner, Referral, ReferralStatus

    partner = Partner(
        name=f"Partner of {office}", services=[make.assistance_type("training")], offices=[make.office(office)]
    )
    referral = Referral(
        returnee=person,
        case=person.current_case,
        partner=partner,
        service=make.assistance_type("training"),
        status=ReferralStatus.SENT,
        sent_on=date(2024, 4, 1),
    )
    visit = MonitoringVisit(
        returnee=person, case=person.current_case, due_on=date(2024, 5, 1), status=VisitStatus.SCHEDULED
    )
    db.session.add_all([partner, referral, visit])
    return partner, referral, visit


def cycle_records(person, staff) -> dict[str, int]:
    """A plan with a goal, an assessment and a survey of the person's case."""
    from datetime import date

    from caseapp.assessments.models import Assessment
    from caseapp.plans.models import PlanGoal, ReintegrationPlan
    from caseapp.questionnaires.models import Dimension, QuestionnaireKind
    from caseapp.questionnaires.queries import current_version
    from caseapp.rss.models import RssSurvey, SurveyRound

    case = person.current_case
    plan = ReintegrationPlan(case=case, summary="", drafted_by_id=staff.id)
    goal = PlanGoal(plan=plan, dimension=Dimension.ECONOMIC, description="Open a bakery")
    assessment = Assessment(
        case=case,
        questionnaire=current_version(QuestionnaireKind.ASSESSMENT),
        assessed_on=date(2024, 3, 5),
        assessed_by_name="someone",
        answers={},
    )
    survey = RssSurvey(
        returnee_id=person.id,
        case=case,
        questionnaire=current_version(QuestionnaireKind.RSS),
        survey_round=SurveyRound.BASELINE,
        surveyed_on=date(2024, 3, 10),
        surveyed_by_name="someone",
        answers={},
    )
    db.session.add_all([plan, goal, assessment, survey])
    db.session.commit()
    return {"g": goal.id, "as": assessment.id, "rs": survey.id}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,expected", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_route_answers_each_role_as_specified(client, make, login, gori_records, role, method, url, expected):
    if role != "anonymous":
        login(make.user(Role(role), "Gori"))
    response = client.open(url.format(**gori_records), method=method)
    assert response.status_code == expected[role]
    if role == "anonymous" and expected[role] == 302:
        assert "/login" in response.headers["Location"]


def _caseworker_urls_of(records):
    """The URLs of one office's records that a caseworker may use for their own office (others: 403 anyway)."""
    return [
        (m, u.format(**records))
        for m, u, expected in ROUTES
        if "{" in u and "{o}" not in u and expected["caseworker"] < 400
    ]


def test_caseworker_cannot_reach_other_office_returnee_by_any_url(client, make, login):
    records = records_in(make, "Tbilisi")
    tbilisi_person = db.session.get(Returnee, records["r"])
    login(make.user(Role.CASEWORKER, "Gori"))
    for method, url in _caseworker_urls_of(records):
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url)
    listing = client.get("/returnees/?q=" + tbilisi_person.first_name)
    assert f'/returnees/{tbilisi_person.id}"' not in listing.text
    assert "0 matching returnees" in listing.text


def test_supervisor_cannot_reach_other_office_returnee(client, make, login):
    tbilisi_person = make.returnee("Tbilisi")
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.get(f"/returnees/{tbilisi_person.id}").status_code == 404


def test_admin_sees_every_office(client, make, login):
    tbilisi_person = make.returnee("Tbilisi")
    login(make.user(Role.ADMIN, None))
    assert client.get(f"/returnees/{tbilisi_person.id}").status_code == 200


def test_post_without_csrf_token_is_refused_with_400(app, client, make, login):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/returnees/{person.id}/cases")
    assert response.status_code == 400
    response = client.post("/returnees/new", data={"first_name": "X"})
    assert response.status_code == 400
    assert "nothing was saved" in response.text and "CSRF" not in response.text
    georgian = client.post("/returnees/new", data={"first_name": "X"}, headers={"Accept-Language": "ka"})
    assert georgian.status_code == 400 and "CSRF" not in georgian.text and "form could not" not in georgian.text


def test_login_form_with_csrf_token_works(app, client, make):
    user = make.user(Role.CASEWORKER, "Gori")
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"username": user.username, "password": "correct horse battery", "csrf_token": token}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("username,password", [("nobody", "whatever pass"), ("{user}", "wrong password")])
def test_failed_login_says_the_same_whatever_was_wrong(client, make, username, password):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post("/login", data={"username": username.format(user=user.username), "password": password})
    assert response.status_code == 200
    assert "Invalid username or password." in response.text


def test_inactive_user_cannot_log_in(client, make):
    user = make.user(Role.CASEWORKER, "Gori", active=False)
    response = client.post("/login", data={"username": user.username, "password": "correct horse battery"})
    assert "Invalid username or password." in response.text


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/returnees/", "/returnees/"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/", "/"),
        ("\\\\evil.example", "/"),
    ],
)
def test_login_redirects_only_to_this_site(client, make, target, expected):
    user = make.user(Role.CASEWORKER, "Gori")
    response = client.post(
        "/login?next=" + target, data={"username": user.username, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] in (expected, "http://localhost" + expected)


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/returnees/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_manager_home_shows_totals_but_no_names(client, make, login):
    person = make.returnee("Gori", first_name="Salome")
    make.record(person, "reception")
    login(make.user(Role.MANAGER, None))
    page = client.get("/")
    assert page.status_code == 200
    assert "Salome" not in page.text
    assert "Persons who received assistance" in page.text


def test_logout_needs_post(client, make, login):
    login(make.user(Role.CASEWORKER, "Gori"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_hashed(make):
    user = make.user(Role.CASEWORKER, "Gori")
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_production_hashes_passwords_with_scrypt():
    from caseapp.config import DefaultConfig

    assert DefaultConfig.PASSWORD_HASH_METHOD == "scrypt"


def test_the_table_covers_every_route_of_the_app(app):
    """A new page must be added to ROUTES with its expected answer for every role."""
    import re

    tested = [(method, url.split("?")[0]) for method, url, _ in ROUTES]
    for rule in app.url_map.iter_rules():
        regex = (
            "^"
            + "".join(
                (".+" if part.startswith("<path:") else "[^/]+") if part.startswith("<") else re.escape(part)
                for part in re.split(r"(<[^>]+>)", rule.rule)
            )
            + "$"
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # A form page's POST is exercised by the tests of that form.
            candidates = {method, "GET"} if method == "POST" else {method}
            assert any(m in candidates and re.match(regex, re.sub(r"\{\w\}", "1", url)) for m, url in tested), (
                method,
                rule.rule,
            )


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, client, make, login):
    user = make.user(Role.CASEWORKER, "Gori")
    login(user)
    assert client.get("/returnees/").status_code == 200
    user.set_password("a brand new password")
    db.session.commit()
    response = client.get("/returnees/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
