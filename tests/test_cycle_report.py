"""The cycle's figures in the main report, against a count made independently in Python over the demo data."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from caseapp.auth.models import Role
from caseapp.cases.models import CaseStatus
from caseapp.demo.data import seed_demo
from caseapp.extensions import db
from caseapp.monitoring.models import MonitoringVisit, VisitStatus
from caseapp.plans.models import GoalStatus, PlanGoal, PlanStatus, ReintegrationPlan
from caseapp.referrals.models import Referral, ReferralStatus
from caseapp.reports.counting import ReportFilters
from caseapp.reports.cycle import EVENTS, PERSONS, PresentedCycle, build_cycle
from caseapp.returnees.models import Sex

ON = date(2026, 1, 15)


@pytest.fixture
def demo(app_ctx):
    seed_demo(150, on=ON)
    db.session.commit()


def person_of(event) -> int:
    if isinstance(event, ReintegrationPlan):
        return event.case.returnee_id
    if isinstance(event, PlanGoal):
        return event.plan.case.returnee_id
    return event.returnee_id


def hand_count(filters: ReportFilters, on: date):
    """The figures, counted one object at a time."""

    def person_ok(returnee):
        return (filters.office_id is None or returnee.field_office_id == filters.office_id) and (
            not filters.sex or returnee.sex.value == filters.sex
        )

    def within(day):
        return day is not None and filters.date_from <= day <= filters.date_to

    referrals = [r for r in db.session.scalars(select(Referral)) if person_ok(r.returnee)]
    visits = [v for v in db.session.scalars(select(MonitoringVisit)) if person_ok(v.returnee)]
    groups = {
        "referrals_made": [r for r in referrals if within(r.sent_on)],
        "referrals_completed": [r for r in referrals if r.status == ReferralStatus.COMPLETED and within(r.closed_on)],
        "visits_done": [v for v in visits if v.status == VisitStatus.DONE and within(v.done_on)],
        "visits_overdue": [
            v
            for v in visits
            if v.status == VisitStatus.SCHEDULED
            and within(v.due_on)
            and v.due_on < on
            and not (v.case and v.case.status == CaseStatus.CLOSED)
        ],
    }
    plans = [p for p in db.session.scalars(select(ReintegrationPlan)) if person_ok(p.case.returnee)]
    groups["plans_approved"] = [p for p in plans if p.status == PlanStatus.APPROVED and within(p.approved_at.date())]
    groups["goals_achieved"] = [
        g for p in plans for g in p.goals if g.status == GoalStatus.ACHIEVED and within(g.updated_at.date())
    ]
    counts = {}
    for measure, events in groups.items():
        counts[(measure, None, PERSONS)] = len({person_of(e) for e in events})
        counts[(measure, None, EVENTS)] = len(events)
        if measure.startswith("referrals"):
            for partner_id in {e.partner_id for e in events}:
                mine = [e for e in events if e.partner_id == partner_id]
                counts[(measure, partner_id, PERSONS)] = len({e.returnee_id for e in mine})
                counts[(measure, partner_id, EVENTS)] = len(mine)
    return counts


@pytest.mark.parametrize("office,sex", [(None, ""), ("Gori", ""), ("Tbilisi", "F")])
def test_cycle_figures_match_a_count_by_hand(demo, make, office, sex):
    filters = ReportFilters(
        date(2024, 1, 1), date(2025, 12, 31), office_id=make.office(office).id if office else None, sex=sex
    )
    figures = build_cycle(filters, on=ON)
    expected = hand_count(filters, ON)
    assert {k: v for k, v in figures.counts.items() if v} == {k: v for k, v in expected.items() if v}
    assert figures.count("referrals_made", EVENTS) > 0 or office
    assert figures.count("plans_approved", EVENTS) > 0 or office


def test_demo_has_referrals_in_every_status_and_visits_done_due_and_overdue(demo):
    statuses = set(db.session.scalars(select(Referral.status)))
    assert statuses == set(ReferralStatus)
    visits = list(db.session.scalars(select(MonitoringVisit)))
    assert any(v.status == VisitStatus.DONE for v in visits)
    assert any(v.status == VisitStatus.SCHEDULED and v.due_on < ON for v in visits)
    assert any(v.status == VisitStatus.SCHEDULED and v.due_on >= ON for v in visits)


def test_shared_version_hides_small_counts(demo):
    figures = build_cycle(ReportFilters(date(2024, 1, 1), date(2025, 12, 31)), on=ON)
    shown = PresentedCycle(figures, shared=True)
    for measure, partner_id, unit in figures.keys():
        value = figures.count(measure, unit, partner_id)
        if 0 < value < 5:
            assert shown.value(measure, unit, partner_id) == "<5"


def test_drilldown_lists_as_many_as_the_figure_says(client, make, login):
    seed_demo(150)
    db.session.commit()
    filters = ReportFilters(date(2024, 1, 1), date.today())
    figures = build_cycle(filters)
    login(make.user(Role.ADMIN, None))
    for measure in (
        "plans_approved",
        "goals_achieved",
        "referrals_made",
        "referrals_completed",
        "visits_done",
        "visits_overdue",
    ):
        for unit in (PERSONS, EVENTS):
            page = client.get(
                f"/reports/cycle/drilldown?measure={measure}&unit={unit}&from=2024-01-01"
                f"&to={date.today().isoformat()}&per_page=500"
            )
            assert page.status_code == 200
            count = page.text.split('id="drill-count">')[1].split("</p>")[0]
            assert f"{figures.count(measure, unit):,}" in count, (measure, unit, count)
    assert client.get("/reports/cycle/drilldown?measure=nonsense").status_code == 400
    assert client.get("/reports/cycle/drilldown?measure=visits_done&partner=1").status_code == 400
    report = client.get(f"/reports/?from=2024-01-01&to={date.today().isoformat()}")
    assert 'id="cycle-referrals"' in report.text


def test_the_json_report_carries_the_cycle_figures(demo, runner):
    result = runner.invoke(args=["report", "--from", "2024-01-01", "--to", "2025-12-31", "--format", "json"])
    assert result.exit_code == 0, result.output
    cycle = json.loads(result.output)["cycle"]
    figures = build_cycle(ReportFilters(date(2024, 1, 1), date(2025, 12, 31)), on=date.today())
    assert cycle["referrals_made"] == {
        "persons": figures.count("referrals_made", PERSONS),
        "events": figures.count("referrals_made", EVENTS),
    }
    assert set(cycle) >= {"referrals_completed", "visits_done", "visits_overdue", "referrals_by_partner"}


def test_a_figure_depends_on_the_person_filters(demo, make):
    everyone = build_cycle(ReportFilters(date(2024, 1, 1), date(2025, 12, 31)), on=ON)
    women = build_cycle(ReportFilters(date(2024, 1, 1), date(2025, 12, 31), sex=Sex.FEMALE.value), on=ON)
    men = build_cycle(ReportFilters(date(2024, 1, 1), date(2025, 12, 31), sex=Sex.MALE.value), on=ON)
    for measure in ("referrals_made", "visits_done"):
        assert women.count(measure, EVENTS) + men.count(measure, EVENTS) == everyone.count(measure, EVENTS)
