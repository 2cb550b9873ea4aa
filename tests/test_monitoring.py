"""Monitoring visits: scheduled by the rules when a grant is delivered (in the same transaction), listed when
due this week and overdue, recorded, moved and cancelled with their history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseapp.assistance import services as assistance
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.cases.models import CaseStatus, ClosureReason
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.monitoring import services
from caseapp.monitoring.models import MonitoringRule, MonitoringTrigger, MonitoringVisit, VisitMethod, VisitStatus
from caseapp.monitoring.rules import add_months
from caseapp.timeutil import today


@pytest.mark.parametrize(
    "start,months,expected",
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 6, 30), 12, date(2026, 6, 30)),
    ],
)
def test_months_are_added_to_the_day_or_the_end_of_a_short_month(start, months, expected):
    assert add_months(start, months) == expected


def delivered_grant(make, *, code="business_grant", on=date(2025, 2, 1), worker=None):
    person = make.returnee("Gori", caseworker=worker, return_date=date(2024, 12, 1))
    record = make.record(person, code, on=date(2025, 1, 10), status="approved", amount="3000")
    actor = worker or make.user(Role.CASEWORKER, "Gori")
    assistance.deliver_assistance(actor, record, delivered_on=on)
    return person, record


def visits_of(person):
    return list(
        db.session.scalars(
            select(MonitoringVisit).where(MonitoringVisit.returnee_id == person.id).order_by(MonitoringVisit.due_on)
        )
    )


def test_the_standard_rules_come_with_the_migration(app_ctx):
    rules = db.session.scalars(
        select(MonitoringRule).where(MonitoringRule.trigger == MonitoringTrigger.GRANT_DELIVERED)
    )
    months = sorted({rule.months_after for rule in rules})
    assert months == [1, 3, 6, 12]


def test_delivering_a_grant_schedules_visits_at_1_3_6_and_12_months(make):
    person, record = delivered_grant(make)
    db.session.commit()
    visits = visits_of(person)
    assert [v.due_on for v in visits] == [date(2025, 3, 1), date(2025, 5, 1), date(2025, 8, 1), date(2026, 2, 1)]
    assert {(v.trigger, v.source_record_id, v.status, v.case_id) for v in visits} == {
        (MonitoringTrigger.GRANT_DELIVERED, record.id, VisitStatus.SCHEDULED, person.current_case.id)
    }
    assert [v.months_after for v in visits] == [1, 3, 6, 12]


def test_the_schedule_is_in_the_delivery_s_transaction(make):
    person, record = delivered_grant(make)
    assert len(visits_of(person)) == 4
    db.session.rollback()  # the delivery is undone: so are its visits
    assert visits_of(person) == []


def test_a_delivery_without_rules_schedules_nothing(make):
    person = make.returnee("Gori")
    record = make.record(person, "tools", on=date(2025, 1, 10), status="planned", amount="300")
    assistance.deliver_assistance(make.user(Role.CASEWORKER, "Gori"), record, delivered_on=date(2025, 2, 1))
    assert visits_of(person) == []


def test_a_second_trigger_the_same_month_adds_no_second_visit(make):
    person, _record = delivered_grant(make)
    again = services.schedule_visits(None, person.current_case, MonitoringTrigger.PLAN_APPROVED, date(2025, 2, 5))
    assert again == []
    assert len(visits_of(person)) == 4


def test_delivery_through_the_page_schedules_the_visits(client, make, login):
    person = make.returnee("Gori", return_date=date(2024, 12, 1))
    record = make.record(person, "voc_ed_grant", on=date(2025, 1, 10), status="approved", amount="900")
    login(make.user(Role.CASEWORKER, "Gori"))
    answer = client.post(
        f"/assistance/{record.id}/status",
        data={
            "status": "delivered",
            "confirmed": "yes",
            "delivered_on": "2025-02-01",
            "amount": "900.00",
            "version": record.version,
        },
    )
    assert answer.status_code == 302
    assert len(visits_of(person)) == 4


def test_overdue_and_due_this_week_show_on_the_home_pages_and_the_list(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person, _record = delivered_grant(make, worker=worker)  # all four due dates have passed: overdue
    soon = services.add_visit(worker, person, today() + timedelta(days=2))
    later = services.add_visit(worker, person, today() + timedelta(days=20))
    db.session.commit()
    overdue = visits_of(person)[0]
    login(worker)
    home = client.get("/").text.split('id="cycle-home"')[1].split("My open cases")[0]
    assert f'/visits/{overdue.id}"' in home and f'/visits/{soon.id}"' in home
    assert f'/visits/{later.id}"' not in home
    week = client.get("/visits/?when=week")
    assert f'/visits/{soon.id}"' in week.text and f'/visits/{overdue.id}"' not in week.text
    late = client.get(f"/visits/?when=overdue&caseworker={worker.id}")
    assert late.text.count("visit-overdue") == 4
    client.post("/logout")
    login(make.user(Role.SUPERVISOR, "Gori"))
    home = client.get("/")
    assert "home-visits-per-caseworker" in home.text and worker.display_name in home.text


def test_a_closed_case_s_visits_leave_the_lists(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person, _record = delivered_grant(make, worker=worker)
    case = person.current_case
    case.status, case.closed_on, case.closure_reason = CaseStatus.CLOSED, today(), ClosureReason.RE_MIGRATED
    db.session.commit()
    login(worker)
    assert "visit-overdue" not in client.get("/visits/?when=overdue").text


def test_recording_a_visit_after_a_business_grant_asks_whether_the_business_operates(make):
    person, _record = delivered_grant(make)
    visit = visits_of(person)[0]
    actor = make.user(Role.CASEWORKER, "Gori")
    report = services.VisitReport(
        done_on=date(2025, 3, 3), method=VisitMethod.HOME_VISIT, visited_by=actor, findings="Shop open", next_steps=""
    )
    with pytest.raises(ValidationFailed) as refused:
        services.record_visit(actor, visit, report)
    assert set(refused.value.errors) == {"business_operating"}
    report.business_operating = True
    services.record_visit(actor, visit, report)
    db.session.commit()
    assert visit.status == VisitStatus.DONE and visit.business_operating is True
    with pytest.raises(ValidationFailed):
        services.move_visit(actor, visit, date(2025, 4, 1), "too late")


def test_moving_and_cancelling_keep_the_history(client, make, login):
    person, _record = delivered_grant(make)
    first, second = visits_of(person)[:2]
    login(make.user(Role.CASEWORKER, "Gori"))
    refused = client.post(f"/visits/{first.id}/move", data={"move-due_on": "2025-03-20", "move-reason": ""})
    assert refused.status_code == 200 and "Say why the visit moves" in refused.text
    assert (
        client.post(
            f"/visits/{first.id}/move", data={"move-due_on": "2025-03-20", "move-reason": "Away in Batumi"}
        ).status_code
        == 302
    )
    assert client.post(f"/visits/{second.id}/cancel", data={"cancel-reason": "Re-migrated"}).status_code == 302
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.due_on == date(2025, 3, 20) and second.status == VisitStatus.CANCELLED
    moved = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "visit.move"))
    assert moved.changes == {"due_on": ["2025-03-01", "2025-03-20"]} and moved.comment == "Away in Batumi"
    cancelled = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "visit.cancel"))
    assert cancelled.changes["status"] == ["scheduled", "cancelled"] and cancelled.returnee_id == person.id
    page = client.get(f"/visits/{first.id}")
    assert "Away in Batumi" in page.text and "Mar 1, 2025" in page.text


def test_recording_through_the_page(client, make, login):
    person, _record = delivered_grant(make, code="voc_ed_grant")
    visit = visits_of(person)[0]
    worker = make.user(Role.CASEWORKER, "Gori")
    login(worker)
    empty = client.post(f"/visits/{visit.id}/record", data={"record-done_on": "2025-03-02"})
    assert empty.status_code == 200 and "Write what was found" in empty.text
    done = client.post(
        f"/visits/{visit.id}/record",
        data={
            "record-done_on": "2025-03-02",
            "record-method": "phone",
            "record-visited_by_id": worker.id,
            "record-findings": "Attends the course",
            "record-next_steps": "Call in a month",
        },
    )
    assert done.status_code == 302
    db.session.refresh(visit)
    assert (visit.status, visit.method, visit.visited_by_id) == (VisitStatus.DONE, VisitMethod.PHONE, worker.id)


def test_a_visit_of_another_office_is_not_found(client, make, login):
    person, _record = delivered_grant(make)
    db.session.commit()
    login(make.user(Role.CASEWORKER, "Tbilisi"))
    assert client.get(f"/visits/{visits_of(person)[0].id}").status_code == 404
    assert "visit-overdue" not in client.get("/visits/?when=overdue").text


def test_approving_a_plan_schedules_its_visits_once(make):
    from caseapp.plans import services as plans
    from caseapp.plans.models import PlanGoal, ReintegrationPlan
    from caseapp.questionnaires.models import Dimension

    worker = make.user(Role.CASEWORKER, "Gori")
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    plan = ReintegrationPlan(case=person.current_case, summary="", drafted_by_id=worker.id)
    db.session.add_all([plan, PlanGoal(plan=plan, dimension=Dimension.ECONOMIC, description="Open a bakery")])
    db.session.commit()
    plans.approve_plan(supervisor, plan, expected_version=None)
    visits = visits_of(person)
    approved_on = plan.approved_at.date()
    assert [v.due_on for v in visits] == [add_months(approved_on, n) for n in (1, 3, 6, 12)]
    assert {v.trigger for v in visits} == {MonitoringTrigger.PLAN_APPROVED}
    services.cancel_visit(worker, visits[0], "moved away for a month")
    from caseapp.monitoring.triggers import schedule_after_plan_approval

    schedule_after_plan_approval(plan, actor=supervisor)  # approved again after a change: no second set
    assert len(visits_of(person)) == 4
