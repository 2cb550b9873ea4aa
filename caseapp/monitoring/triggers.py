"""The triggers that schedule monitoring visits, connected to the signals of the features that fire them.
Each receiver runs inside the transaction of the change that fired it, so the visits are saved with the
delivery (or approval) or not at all.

To add a trigger: a member of MonitoringTrigger, rules naming it (monitoring_rule rows), and a receiver here
connected to the signal of the feature it follows."""

from __future__ import annotations

from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord
from caseapp.assistance.signals import assistance_delivered
from caseapp.extensions import db
from caseapp.monitoring.models import MonitoringTrigger, MonitoringVisit
from caseapp.monitoring.services import schedule_visits
from caseapp.plans.models import ReintegrationPlan
from caseapp.plans.signals import plan_approved


@assistance_delivered.connect
def schedule_after_delivery(record: AssistanceRecord, actor=None, **_extra) -> None:
    """A delivered grant schedules the visits of the rules naming its type, counted from the delivery day."""
    if record.case is None:
        return
    schedule_visits(
        actor,
        record.case,
        MonitoringTrigger.GRANT_DELIVERED,
        record.provided_on,
        assistance_type_id=record.type_id,
        source_record_id=record.id,
    )


@plan_approved.connect
def schedule_after_plan_approval(plan: ReintegrationPlan, actor=None, **_extra) -> None:
    """The first approval of a case's plan schedules the plan-approval visits, counted from the approval day;
    approving the plan again after a change does not schedule them twice."""
    case = plan.case
    already = db.session.scalar(
        select(MonitoringVisit.id)
        .where(MonitoringVisit.case_id == case.id, MonitoringVisit.trigger == MonitoringTrigger.PLAN_APPROVED)
        .limit(1)
    )
    if already is None:
        schedule_visits(actor, case, MonitoringTrigger.PLAN_APPROVED, plan.approved_at.date())
