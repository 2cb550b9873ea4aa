"""The triggers that schedule monitoring visits, connected to the signals of the features that fire them.
Each receiver runs inside the transaction of the change that fired it, so the visits are saved with the
delivery (or approval) or not at all.

To add a trigger: a member of MonitoringTrigger, rules naming it (monitoring_rule rows), and a receiver here
connected to the signal of the feature it follows (e.g. the plan's approval: schedule_visits(actor, case,
MonitoringTrigger.PLAN_APPROVED, approved_on))."""

from __future__ import annotations

from caseapp.assistance.models import AssistanceRecord
from caseapp.assistance.signals import assistance_delivered
from caseapp.monitoring.models import MonitoringTrigger
from caseapp.monitoring.services import schedule_visits


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
