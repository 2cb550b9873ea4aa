"""The counting rules of the reintegration cycle's figures in the main report: referrals made and completed
per partner, monitoring visits done and overdue. They reuse the report's filters and its returnee conditions
(counting.returnee_conditions), so a cycle figure is filtered like every other one, and the drill-down lists
come from the same WHERE clauses as the figures (a list is as long as its figure).

- Referrals made: referrals sent in the period (`sent_on`), whatever became of them.
- Referrals completed: referrals whose service was completed in the period (`closed_on`, status completed).
- Visits done: monitoring visits made in the period (`done_on`, status done).
- Visits overdue: visits due in the period, still to make (scheduled, of a case that is not closed:
  monitoring.rules.pending_conditions) and due before the day the report is made.
- Persons = distinct returnees; events = referrals or visits. A person referred to two partners is one person
  in the total and one in each partner's row, so the partners' persons do not add up to the total; events do.
- Plans approved: reintegration plans approved (`approved_at`) in the period and approved still (a plan changed
  after its approval waits for a new one and is not counted until then). Persons = their returnees.
- Goals achieved: goals of a plan whose status is achieved and whose last change (`updated_at`, the day it was
  marked achieved unless edited since) falls in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import distinct, func, select

from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.monitoring.models import MonitoringVisit, VisitStatus
from caseapp.monitoring.rules import pending_conditions
from caseapp.plans.models import GoalStatus, PlanGoal, PlanStatus, ReintegrationPlan
from caseapp.referrals.models import Partner, Referral, ReferralStatus
from caseapp.reports.counting import ReportFilters, returnee_conditions
from caseapp.reports.suppression import Line, protect
from caseapp.returnees.models import Returnee
from caseapp.timeutil import today

REFERRALS_MADE = "referrals_made"
REFERRALS_COMPLETED = "referrals_completed"
VISITS_DONE = "visits_done"
VISITS_OVERDUE = "visits_overdue"
PLANS_APPROVED = "plans_approved"
GOALS_ACHIEVED = "goals_achieved"
REFERRAL_MEASURES = (REFERRALS_MADE, REFERRALS_COMPLETED)
VISIT_MEASURES = (VISITS_DONE, VISITS_OVERDUE)
PLAN_MEASURES = (PLANS_APPROVED, GOALS_ACHIEVED)
MEASURES = (*PLAN_MEASURES, *REFERRAL_MEASURES, *VISIT_MEASURES)
PERSONS, EVENTS = "persons", "events"


class UnknownCycleFigure(ValueError):
    pass


def _event_model(measure: str):
    if measure in REFERRAL_MEASURES:
        return Referral
    if measure in VISIT_MEASURES:
        return MonitoringVisit
    if measure == PLANS_APPROVED:
        return ReintegrationPlan
    if measure == GOALS_ACHIEVED:
        return PlanGoal
    raise UnknownCycleFigure(f"unknown cycle figure {measure!r}")


def _person_column(measure: str):
    """The returnee of the events a figure counts (plans and goals reach it through their case)."""
    return Case.returnee_id if measure in PLAN_MEASURES else _event_model(measure).returnee_id


def _from_events(query: sa.Select, measure: str) -> sa.Select:
    """The events' table, joined to the returnee (through the plan and the case for plans and goals)."""
    model = _event_model(measure)
    query = query.select_from(model)
    if measure == GOALS_ACHIEVED:
        query = query.join(ReintegrationPlan, ReintegrationPlan.id == PlanGoal.plan_id)
    if measure in PLAN_MEASURES:
        query = query.join(Case, Case.id == ReintegrationPlan.case_id)
    return query.join(Returnee, Returnee.id == _person_column(measure))


def _day_range(column, filters: ReportFilters) -> list:
    """A timestamp column within the period's days."""
    return [column >= filters.date_from, column < filters.date_to + timedelta(days=1)]


def event_conditions(
    filters: ReportFilters, measure: str, *, on: date | None = None, partner_id: int | None = None
) -> list:
    """The referrals or visits a figure counts, by the event alone (the caller joins Returnee for the
    person's filters: cycle_events does)."""
    on = on or today()
    if measure == PLANS_APPROVED:
        conditions = [
            ReintegrationPlan.status == PlanStatus.APPROVED,
            *_day_range(ReintegrationPlan.approved_at, filters),
        ]
    elif measure == GOALS_ACHIEVED:
        conditions = [PlanGoal.status == GoalStatus.ACHIEVED, *_day_range(PlanGoal.updated_at, filters)]
    elif measure == REFERRALS_MADE:
        conditions = [Referral.sent_on >= filters.date_from, Referral.sent_on <= filters.date_to]
    elif measure == REFERRALS_COMPLETED:
        conditions = [
            Referral.status == ReferralStatus.COMPLETED,
            Referral.closed_on >= filters.date_from,
            Referral.closed_on <= filters.date_to,
        ]
    elif measure == VISITS_DONE:
        conditions = [
            MonitoringVisit.status == VisitStatus.DONE,
            MonitoringVisit.done_on >= filters.date_from,
            MonitoringVisit.done_on <= filters.date_to,
        ]
    elif measure == VISITS_OVERDUE:
        conditions = [
            *pending_conditions(),
            MonitoringVisit.due_on >= filters.date_from,
            MonitoringVisit.due_on <= filters.date_to,
            MonitoringVisit.due_on < on,
        ]
    else:
        raise UnknownCycleFigure(f"unknown cycle figure {measure!r}")
    if partner_id is not None:
        if measure not in REFERRAL_MEASURES:
            raise UnknownCycleFigure("visits have no partner")
        conditions.append(Referral.partner_id == partner_id)
    return conditions


def cycle_events(
    filters: ReportFilters, measure: str, *columns, on: date | None = None, partner_id: int | None = None
) -> sa.Select:
    """SELECT columns FROM the events a figure counts, of returnees who pass the report's filters."""
    return _from_events(select(*columns), measure).where(
        *event_conditions(filters, measure, on=on, partner_id=partner_id), *returnee_conditions(filters)
    )


@dataclass
class CycleFigures:
    filters: ReportFilters
    #: the day "overdue" was counted on
    on: date
    #: partner id -> its name in the page's language, for the partners with a figure
    partners: dict[int, str] = field(default_factory=dict)
    #: (measure, partner id or None, persons|events) -> count; a missing key is a zero
    counts: dict[tuple[str, int | None, str], int] = field(default_factory=dict)

    def count(self, measure: str, unit: str, partner_id: int | None = None) -> int:
        return self.counts.get((measure, partner_id, unit), 0)

    def keys(self) -> list[tuple[str, int | None, str]]:
        keys = [(measure, None, unit) for measure in MEASURES for unit in (PERSONS, EVENTS)]
        keys += [
            (measure, partner_id, unit)
            for partner_id in self.partners
            for measure in REFERRAL_MEASURES
            for unit in (PERSONS, EVENTS)
        ]
        return keys

    def lines(self) -> list[Line]:
        """How the figures tie together, for suppression: per partner rows add up to the total events, and
        each partner's persons are at most the total persons."""
        lines = []
        for measure in REFERRAL_MEASURES:
            for unit in (PERSONS, EVENTS):
                cells = tuple((measure, partner_id, unit) for partner_id in self.partners)
                lines.append(Line((measure, None, unit), cells, additive=unit == EVENTS))
        return lines


def build_cycle(filters: ReportFilters, *, on: date | None = None) -> CycleFigures:
    """The cycle's figures, in one aggregate query per measure (per partner and in total)."""
    on = on or today()
    figures = CycleFigures(filters=filters, on=on)
    for measure in MEASURES:
        model = _event_model(measure)
        persons, events = db.session.execute(
            cycle_events(filters, measure, func.count(distinct(_person_column(measure))), func.count(model.id), on=on)
        ).one()
        figures.counts[(measure, None, PERSONS)] = persons
        figures.counts[(measure, None, EVENTS)] = events
    partner_ids: set[int] = set()
    for measure in REFERRAL_MEASURES:
        query = cycle_events(
            filters,
            measure,
            Referral.partner_id,
            func.count(distinct(Referral.returnee_id)),
            func.count(Referral.id),
            on=on,
        ).group_by(Referral.partner_id)
        for partner_id, persons, events in db.session.execute(query):
            figures.counts[(measure, partner_id, PERSONS)] = persons
            figures.counts[(measure, partner_id, EVENTS)] = events
            partner_ids.add(partner_id)
    if partner_ids:
        rows = db.session.execute(
            select(Partner.id, Partner.label).where(Partner.id.in_(partner_ids)).order_by(Partner.label)
        )
        figures.partners = {partner_id: label for partner_id, label in rows}
    return figures


class PresentedCycle:
    """The cycle's figures as they may be shown: for sharing outside the organisation, counts of 1-4 become
    "<5" and the figures that would give them away "x" (reports/suppression.py)."""

    def __init__(self, figures: CycleFigures, *, shared: bool = False):
        self.figures = figures
        self.shared = shared
        self.hidden = {}
        if shared:
            values = {key: figures.counts.get(key, 0) for key in figures.keys()}
            self.hidden = protect(values, figures.lines())

    def value(self, measure: str, unit: str, partner_id: int | None = None) -> int | str:
        key = (measure, partner_id, unit)
        return self.hidden.get(key, self.figures.counts.get(key, 0))

    @property
    def partners(self) -> dict[int, str]:
        return self.figures.partners


def cycle_json(shown: PresentedCycle) -> dict:
    """The cycle's figures for the report's JSON (`report --format json`)."""

    def pair(measure, partner_id=None):
        return {PERSONS: shown.value(measure, PERSONS, partner_id), EVENTS: shown.value(measure, EVENTS, partner_id)}

    return {
        "overdue_counted_on": shown.figures.on.isoformat(),
        **{measure: pair(measure) for measure in MEASURES},
        "referrals_by_partner": {
            name: {measure: pair(measure, partner_id) for measure in REFERRAL_MEASURES}
            for partner_id, name in shown.partners.items()
        },
    }


# --- drill-down ----------------------------------------------------------------------------------------------


def returnee_ids_behind(
    filters: ReportFilters, measure: str, *, on: date | None = None, partner_id: int | None = None
) -> sa.Select:
    return cycle_events(filters, measure, _person_column(measure), on=on, partner_id=partner_id).distinct()


def events_behind(
    filters: ReportFilters, measure: str, *, on: date | None = None, partner_id: int | None = None
) -> sa.Select:
    """SELECT (event, Returnee) of the plans, goals, referrals or visits behind an events figure, oldest first."""
    model = _event_model(measure)
    date_column = {
        REFERRALS_MADE: Referral.sent_on,
        REFERRALS_COMPLETED: Referral.closed_on,
        VISITS_DONE: MonitoringVisit.done_on,
        VISITS_OVERDUE: MonitoringVisit.due_on,
        PLANS_APPROVED: ReintegrationPlan.approved_at,
        GOALS_ACHIEVED: PlanGoal.updated_at,
    }[measure]
    return cycle_events(filters, measure, model, Returnee, on=on, partner_id=partner_id).order_by(date_column, model.id)
