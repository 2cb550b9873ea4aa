"""The sustainability survey on the web, its scores over time, and the RSS report checked by hand count."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.questionnaires.definitions import questions
from caseapp.questionnaires.models import QuestionnaireKind
from caseapp.questionnaires.queries import current_version
from caseapp.rss.models import RssSurvey, SurveyRound
from caseapp.rss.report import RssFilters, build_rss_report, report_rows

PERIOD = RssFilters(date(2024, 1, 1), date(2026, 1, 15))
MEASURES = ("economic", "social", "psychosocial", "composite")


def best_answers(definition, pick=max) -> dict[str, str]:
    answers = {}
    for _section, question in questions(definition):
        scored = [o for o in question["options"] if o.get("score") is not None]
        answers[question["code"]] = pick(scored, key=lambda o: Decimal(o["score"]))["value"]
    return answers


def test_caseworker_records_baseline_and_follow_up_and_sees_scores_over_time(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", return_date=date(2024, 3, 1))
    survey_form = current_version(QuestionnaireKind.RSS)
    login(worker)
    url = f"/returnees/cases/{person.current_case.id}/surveys/new"
    worst = {f"q_{code}": value for code, value in best_answers(survey_form.definition, pick=min).items()}
    assert client.post(url, data={**worst, "survey_round": "baseline", "taken_on": "2024-03-20"}).status_code == 302
    best = {f"q_{code}": value for code, value in best_answers(survey_form.definition).items()}
    assert client.post(url, data={**best, "survey_round": "follow_up", "taken_on": "2025-03-01"}).status_code == 302
    baseline, follow_up = db.session.scalars(sa.select(RssSurvey).order_by(RssSurvey.surveyed_on)).all()
    assert baseline.composite_score == Decimal("0") and follow_up.composite_score == Decimal("1")
    assert follow_up.questionnaire_version_id == survey_form.id
    page = client.get(f"/returnees/{person.id}").text
    assert "Sustainability scores" in page and "1.00" in page and "Follow-up" in page


def test_a_survey_before_the_return_or_with_missing_answers_is_refused(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", return_date=date(2024, 3, 1))
    survey_form = current_version(QuestionnaireKind.RSS)
    login(worker)
    url = f"/returnees/cases/{person.current_case.id}/surveys/new"
    best = {f"q_{code}": value for code, value in best_answers(survey_form.definition).items()}
    early = client.post(url, data={**best, "survey_round": "baseline", "taken_on": "2024-01-01"})
    assert early.status_code == 200 and "before the return" in early.text
    partial = client.post(url, data={"survey_round": "baseline", "taken_on": "2024-04-01"})
    assert partial.status_code == 200 and "Answer this question." in partial.text
    assert db.session.scalar(sa.select(sa.func.count(RssSurvey.id))) == 0


# --- the report against a hand count over the demo data ---------------------------------------------------


@pytest.fixture
def demo(app_ctx):
    from caseapp.demo.data import seed_demo

    seed_demo(300, on=date(2026, 1, 15))
    db.session.commit()


def _avg(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (sum(values) / len(values)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def hand_count(period: RssFilters) -> dict:
    """The report's figures recounted from the raw rows, without the report's code."""
    rows = db.session.execute(
        sa.text(
            "SELECT id, returnee_id, survey_round, surveyed_on, economic_score, social_score, psychosocial_score, "
            "composite_score FROM rss_survey"
        )
    ).all()
    surveys = [
        dict(
            id=r[0],
            person=r[1],
            round=r[2],
            on=date.fromisoformat(str(r[3])),
            scores=dict(zip(MEASURES, [Decimal(str(x)) if x is not None else None for x in r[4:8]], strict=True)),
        )
        for r in rows
    ]
    in_period = [s for s in surveys if period.date_from <= s["on"] <= period.date_to]
    latest = {}
    for s in sorted(in_period, key=lambda s: (s["on"], s["id"])):
        latest[(s["person"], s["round"])] = s
    baselines = [s for (p, r), s in latest.items() if r == "baseline"]
    follow_ups = [s for (p, r), s in latest.items() if r == "follow_up"]
    pairs = []
    for after in follow_ups:
        before = [
            s
            for s in surveys
            if s["person"] == after["person"]
            and s["round"] == "baseline"
            and s["on"] <= after["on"]
            and s["on"] <= period.date_to
        ]
        if before:
            pairs.append((max(before, key=lambda s: (s["on"], s["id"])), after))
    delivered = defaultdict(set)
    for person, code, on in db.session.execute(
        sa.text(
            "SELECT r.returnee_id, t.code, r.provided_on FROM assistance_record r "
            "JOIN assistance_type t ON t.id = r.type_id WHERE r.status = 'delivered'"
        )
    ):
        delivered[person].add((code, date.fromisoformat(str(on))))
    by_type = defaultdict(list)
    for before, after in pairs:
        for code in {c for c, on in delivered[after["person"]] if on <= after["on"]}:
            by_type[code].append((before, after))

    referral_days = defaultdict(list)
    for person, sent_on in db.session.execute(sa.text("SELECT returnee_id, sent_on FROM referral")):
        referral_days[person].append(date.fromisoformat(str(sent_on)))
    referred = [(b, a) for b, a in pairs if any(day <= a["on"] for day in referral_days[a["person"]])]
    not_referred = [(b, a) for b, a in pairs if (b, a) not in referred]

    def change(group):
        return {m: _avg([a["scores"][m] - b["scores"][m] for b, a in group]) for m in MEASURES}

    return {
        "surveyed": len({s["person"] for s in in_period}),
        "baseline": (len(baselines), {m: _avg([s["scores"][m] for s in baselines]) for m in MEASURES}),
        "follow_up": (len(follow_ups), {m: _avg([s["scores"][m] for s in follow_ups]) for m in MEASURES}),
        "change": (len(pairs), change(pairs)),
        "by_type": {code: (len(group), change(group)) for code, group in by_type.items()},
        "by_referral": {
            "referred": (len(referred), change(referred)),
            "not_referred": (len(not_referred), change(not_referred)),
        },
    }


def test_rss_report_matches_a_hand_count_over_the_demo_data(demo):
    report = build_rss_report(PERIOD)
    counted = hand_count(PERIOD)
    assert report.surveyed == counted["surveyed"] > 20
    assert (report.baseline.persons, report.baseline.means) == counted["baseline"]
    assert (report.follow_up.persons, report.follow_up.means) == counted["follow_up"]
    assert (report.change.persons, report.change.means) == counted["change"]
    assert report.change.persons >= 5
    assert {g.key: (g.change.persons, g.change.means) for g in report.by_type} == counted["by_type"]
    assert {g.key: (g.change.persons, g.change.means) for g in report.by_referral} == counted["by_referral"]
    assert counted["by_referral"]["referred"][0] > 0  # the demo refers some of the surveyed returnees
    # the demo's follow-ups score better than their baselines
    assert report.change.means["composite"] > 0


def test_report_of_one_office_counts_only_its_returnees(demo, make):
    gori = make.office("Gori").id
    report = build_rss_report(RssFilters(PERIOD.date_from, PERIOD.date_to, office_id=gori))
    counted = db.session.scalar(
        sa.text(
            "SELECT count(DISTINCT s.returnee_id) FROM rss_survey s JOIN returnee r ON r.id = s.returnee_id "
            "WHERE r.field_office_id = :office AND s.surveyed_on BETWEEN :start AND :end"
        ),
        {"office": gori, "start": PERIOD.date_from, "end": PERIOD.date_to},
    )
    assert 0 < report.surveyed == counted < build_rss_report(PERIOD).surveyed


def test_shared_output_withholds_averages_over_fewer_than_five(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    survey_form = current_version(QuestionnaireKind.RSS)
    for n in range(3):
        person = make.returnee("Gori", return_date=date(2024, 3, 1))
        db.session.add(
            RssSurvey(
                returnee_id=person.id,
                case=person.current_case,
                questionnaire=survey_form,
                survey_round=SurveyRound.BASELINE,
                surveyed_on=date(2024, 4, 1 + n),
                surveyed_by_name=worker.display_name,
                answers={},
                economic_score=Decimal("0.5"),
                social_score=Decimal("0.5"),
                psychosocial_score=Decimal("0.5"),
                composite_score=Decimal("0.5"),
            )
        )
    db.session.commit()
    report = build_rss_report(PERIOD)
    internal = report_rows(report, shared=False)[0]
    shared = report_rows(report, shared=True)[0]
    assert internal["persons"] == 3 and internal["composite"] == Decimal("0.500")
    assert shared["persons"] == "<5" and shared["composite"] == "x"


def test_manager_gets_the_shared_report_page_and_files(client, make, login):
    login(make.user(Role.MANAGER, None))
    page = client.get("/reports/rss/?from=2024-01-01&to=2026-01-15")
    assert page.status_code == 200 and "Shared version" in page.text
    csv = client.get("/reports/rss/export.csv?from=2024-01-01&to=2026-01-15")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("section,group,label,round,persons")
    assert client.get("/reports/rss/export.csv?from=nonsense").status_code == 400


def test_rss_report_command_prints_json(runner, demo):
    result = runner.invoke(args=["rss-report", "--from", "2024-01-01", "--to", "2026-01-15", "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    counted = hand_count(PERIOD)
    assert printed["surveyed"] == counted["surveyed"]
    change = next(row for row in printed["rows"] if row["section"] == "total" and row["round"] == "change")
    assert change["persons"] == counted["change"][0]
    assert Decimal(change["composite"]) == counted["change"][1]["composite"]
    office = runner.invoke(args=["rss-report", "--from", "2024-01-01", "--to", "2026-01-15", "--office", "Nowhere"])
    assert office.exit_code != 0 and "Nowhere" in office.output


def test_report_of_one_project_counts_its_people(demo, runner, client, make, login):
    """A project's people: their return was credited to it, or it paid for assistance they received."""
    from caseapp.projects.models import Project

    everyone = build_rss_report(PERIOD).surveyed
    reports = {
        project: build_rss_report(RssFilters(PERIOD.date_from, PERIOD.date_to, project_id=project.id))
        for project in db.session.scalars(sa.select(Project).where(Project.code != "UNASSIGNED"))
    }
    # a project of some offices and types (the demo's return project covers everyone)
    project, report = next((p, r) for p, r in reports.items() if 0 < r.surveyed < everyone)
    counted = db.session.scalar(
        sa.text(
            "SELECT count(DISTINCT s.returnee_id) FROM rss_survey s JOIN returnee r ON r.id = s.returnee_id "
            "WHERE s.surveyed_on BETWEEN :start AND :end AND (r.return_project_id = :project OR EXISTS "
            "(SELECT 1 FROM assistance_record a WHERE a.returnee_id = r.id AND a.project_id = :project))"
        ),
        {"project": project.id, "start": PERIOD.date_from, "end": PERIOD.date_to},
    )
    assert report.surveyed == counted
    args = ["rss-report", "--from", PERIOD.date_from.isoformat(), "--to", PERIOD.date_to.isoformat()]
    printed = json.loads(runner.invoke(args=[*args, "--project", project.code]).output)
    assert printed["surveyed"] == counted and printed["project"] == project.code
    unknown = runner.invoke(args=[*args, "--project", "NOPE-1"])
    assert unknown.exit_code != 0 and "NOPE-1" in unknown.output
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get(f"/reports/rss/?from=2024-01-01&to=2026-01-15&project={project.id}")
    assert page.status_code == 200 and f'<option value="{project.id}" selected' in page.text
