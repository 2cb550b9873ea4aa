"""The reintegration plan: goals and their rules, the four-eyes approval, the goal an assistance serves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from caseapp.assistance.models import AssistanceRecord, Currency
from caseapp.assistance.services import AssistanceInput, record_assistance
from caseapp.auth.models import Role
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.plans import services
from caseapp.plans.models import GoalStatus, PlanStatus
from caseapp.plans.queries import plan_of_case
from caseapp.questionnaires.models import Dimension


def _goal(make, **changes) -> services.GoalInput:
    values = dict(
        dimension=Dimension.ECONOMIC,
        description="Open a bakery in Gori",
        referral_needed=True,
        target_date=date(2026, 6, 1),
        planned=[services.PlannedInput(make.assistance_type("business_grant"), Decimal("3000.00"), Currency.GEL)],
    )
    values.update(changes)
    return services.GoalInput(**values)


@pytest.fixture
def gori(make):
    return make.user(Role.CASEWORKER, "Gori"), make.user(Role.SUPERVISOR, "Gori"), make.user(Role.SUPERVISOR, "Gori")


def test_goal_needs_dimension_words_and_a_reason_when_dropped(make):
    errors = services.goal_errors(_goal(make, dimension=None, description=" "))
    assert set(errors) == {"dimension", "description"}
    errors = services.goal_errors(_goal(make, status=GoalStatus.DROPPED, drop_reason=""))
    assert set(errors) == {"drop_reason"}
    assert services.goal_errors(_goal(make, status=GoalStatus.DROPPED, drop_reason="moved abroad")) == {}


def test_estimated_cost_is_decimal_with_a_currency_and_only_for_types_carrying_money(make):
    grant = make.assistance_type("business_grant")
    counselling = make.assistance_type("business_counselling")
    assert "planned" in services.goal_errors(_goal(make, planned=[services.PlannedInput(grant, Decimal("10"), None)]))
    assert "planned" in services.goal_errors(
        _goal(make, planned=[services.PlannedInput(grant, Decimal("10.005"), Currency.GEL)])
    )
    assert "planned" in services.goal_errors(
        _goal(make, planned=[services.PlannedInput(counselling, Decimal("10"), Currency.GEL)])
    )
    assert services.goal_errors(_goal(make, planned=[services.PlannedInput(counselling)])) == {}


def test_costs_are_summed_per_currency_never_across(make, gori):
    caseworker, *_ = gori
    case = make.returnee("Gori").current_case
    grant = make.assistance_type("business_grant")
    goal = services.add_goal(
        caseworker,
        case,
        _goal(
            make,
            planned=[
                services.PlannedInput(grant, Decimal("1000.50"), Currency.GEL),
                services.PlannedInput(make.assistance_type("tools"), Decimal("200.25"), Currency.GEL),
                services.PlannedInput(grant, Decimal("300.00"), Currency.EUR),
            ],
        ),
    )
    db.session.commit()
    assert goal.estimated_costs() == {Currency.GEL: Decimal("1200.75"), Currency.EUR: Decimal("300.00")}


def test_the_drafter_cannot_approve_the_plan_another_supervisor_can(make, gori):
    caseworker, supervisor, other_supervisor = gori
    case = make.returnee("Gori").current_case
    services.add_goal(supervisor, case, _goal(make))  # the supervisor drafts it
    db.session.commit()
    plan = plan_of_case(case)
    assert "Four eyes" in str(services.approval_refusal(supervisor, plan))
    with pytest.raises(ValidationFailed):
        services.approve_plan(supervisor, plan, expected_version=None)
    assert services.approval_refusal(caseworker, plan) is not None  # caseworkers never approve
    services.approve_plan(other_supervisor, plan, expected_version=plan.version)
    db.session.commit()
    assert plan.status == PlanStatus.APPROVED and plan.approved_by_name == other_supervisor.display_name


def test_a_supervisor_of_another_office_cannot_approve(make, gori):
    caseworker, *_ = gori
    case = make.returnee("Gori").current_case
    services.add_goal(caseworker, case, _goal(make))
    tbilisi = make.user(Role.SUPERVISOR, "Tbilisi")
    assert "office" in str(services.approval_refusal(tbilisi, plan_of_case(case)))


def test_a_plan_without_goals_is_not_approved(make, gori):
    caseworker, supervisor, _ = gori
    case = make.returnee("Gori").current_case
    services.update_summary(caseworker, case, "Agreed: a bakery", expected_version=None)
    assert "at least one goal" in str(services.approval_refusal(supervisor, plan_of_case(case)))


def test_changing_what_a_goal_plans_needs_a_new_approval_its_progress_does_not(make, gori):
    caseworker, supervisor, _ = gori
    case = make.returnee("Gori").current_case
    goal = services.add_goal(caseworker, case, _goal(make))
    db.session.commit()
    plan = plan_of_case(case)
    services.approve_plan(supervisor, plan, expected_version=None)
    db.session.commit()
    services.update_goal(caseworker, goal, _goal(make, status=GoalStatus.IN_PROGRESS), expected_version=goal.version)
    db.session.commit()
    assert plan.status == PlanStatus.APPROVED
    services.update_goal(
        caseworker,
        goal,
        _goal(make, status=GoalStatus.IN_PROGRESS, target_date=date(2026, 9, 1)),
        expected_version=goal.version,
    )
    db.session.commit()
    assert plan.status == PlanStatus.DRAFT and plan.drafted_by_id == caseworker.id and plan.approved_at is None
    # the one who changed it is now its drafter: the same supervisor approves again (they did not draft it)
    assert services.approval_refusal(supervisor, plan) is None


def test_supervisor_approves_on_the_web_and_the_drafter_is_refused(client, make, login, gori):
    caseworker, supervisor, _ = gori
    case = make.returnee("Gori").current_case
    login(caseworker)
    for words in ("Open a bakery", "Find stable housing", "Cope with stress"):
        response = client.post(
            f"/returnees/cases/{case.id}/plan/goals/new",
            data={
                "dimension": "economic",
                "description": words,
                "status": "planned",
                "target_date": "2026-06-01",
                "planned-0-type_id": str(make.assistance_type("business_grant").id),
                "planned-0-amount": "3000",
                "planned-0-currency": "GEL",
            },
        )
        assert response.status_code == 302
    plan = plan_of_case(case)
    assert len(plan.goals) == 3 and plan.goals[0].planned_assistance[0].estimated_amount == Decimal("3000.00")
    assert client.post(f"/returnees/cases/{case.id}/plan/approve", data={}).status_code == 403
    client.post("/logout")
    login(supervisor)
    page = client.get(f"/returnees/cases/{case.id}/plan").text
    assert "Approve the plan" in page
    client.post(f"/returnees/cases/{case.id}/plan/approve", data={"version": plan.version})
    db.session.refresh(plan)
    assert plan.status == PlanStatus.APPROVED


def test_bad_goal_input_comes_back_next_to_its_field(client, make, login, gori):
    caseworker, *_ = gori
    case = make.returnee("Gori").current_case
    login(caseworker)
    response = client.post(
        f"/returnees/cases/{case.id}/plan/goals/new",
        data={
            "dimension": "",
            "description": "",
            "status": "dropped",
            "planned-0-type_id": str(make.assistance_type("business_grant").id),
            "planned-0-amount": "12abc",
        },
    )
    assert response.status_code == 200
    assert "is-invalid" in response.text
    assert plan_of_case(case) is None


def test_a_grant_request_points_to_the_goal_it_serves(client, make, login, gori):
    caseworker, *_ = gori
    person = make.returnee("Gori")
    goal = services.add_goal(caseworker, person.current_case, _goal(make))
    db.session.commit()
    login(caseworker)
    form_page = client.get(f"/returnees/{person.id}/assistance/new?type=business_grant").text
    assert "Open a bakery in Gori" in form_page
    response = client.post(
        f"/returnees/{person.id}/assistance/new",
        data={
            "type_id": make.assistance_type("business_grant").id,
            "provided_on": "2026-01-10",
            "status": "requested",
            "amount": "3000",
            "currency": "GEL",
            "goal_id": str(goal.id),
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(db.select(AssistanceRecord).where(AssistanceRecord.returnee_id == person.id))
    assert record.goal_id == goal.id


def test_a_goal_of_another_case_is_refused(make, gori):
    caseworker, *_ = gori
    someone = make.returnee("Gori")
    goal = services.add_goal(caseworker, someone.current_case, _goal(make))
    other = make.returnee("Gori")
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        record_assistance(
            caseworker,
            other,
            AssistanceInput(
                assistance_type=make.assistance_type("business_counselling"),
                provided_on=date(2026, 1, 2),
                goal_id=goal.id,
            ),
        )
    assert "goal_id" in refused.value.errors
