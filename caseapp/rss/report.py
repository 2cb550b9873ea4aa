"""The RSS report: who was surveyed in a period, their average scores at baseline and at follow-up, the
change, and the change split by the assistance received and by referred vs not referred.

The rules, written once (tests/test_rss_report.py recounts them by hand over the demo data):

- *surveyed*: the distinct returnees with a survey (either round) dated in the period;
- *baseline* / *follow-up*: per returnee, the latest survey of that round dated in the period; the
  averages are over those returnees (one survey each: a person surveyed twice is not counted twice);
- *change*: the returnees with a follow-up in the period and a baseline dated on or before it (the
  latest such baseline, whatever its date); per dimension, the mean of (follow-up − baseline) over the
  returnees for whom both scores exist;
- *by assistance type*: among the returnees of the change, those who received delivered assistance of
  the type on or before their follow-up: their mean baseline, follow-up and change;
- *referred*: among the returnees of the change, those referred to a partner on or before their follow-up,
  and those not;
- the office is the returnee's office; averages are rounded half up to 3 decimals;
- shared output withholds every average over fewer than MIN_PERSONS returnees and shows such a count as
  "<5" (zero stays zero), as the main report does with counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, or_, select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.extensions import db
from caseapp.referrals.models import Referral
from caseapp.returnees.models import Returnee
from caseapp.rss.models import RssSurvey, SurveyRound

MIN_PERSONS = 5
SMALL = "<5"
MEASURES = ("economic", "social", "psychosocial", "composite")
AVERAGE_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class RssFilters:
    date_from: date
    date_to: date
    office_id: int | None = None
    #: the project's people: their return was credited to it, or it paid for assistance they received
    project_id: int | None = None

    def __post_init__(self):
        if self.date_from > self.date_to:
            raise ValueError("the period ends before it starts")


@dataclass
class Averages:
    """Mean scores (or changes) per measure over `persons` returnees."""

    persons: int
    means: dict[str, Decimal | None]


@dataclass
class Group:
    """One line of a split: its returnees' baseline, follow-up and change."""

    key: str
    label: str
    baseline: Averages
    follow_up: Averages
    change: Averages


@dataclass
class RssReport:
    filters: RssFilters
    surveyed: int
    baseline: Averages
    follow_up: Averages
    change: Averages
    by_type: list[Group] = field(default_factory=list)
    #: referred to a partner (caseapp/referrals) on or before the follow-up, and not
    by_referral: list[Group] = field(default_factory=list)


def mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(AVERAGE_PLACES, rounding=ROUND_HALF_UP)


def scores_of(survey) -> dict[str, Decimal | None]:
    return {
        "economic": survey.economic_score,
        "social": survey.social_score,
        "psychosocial": survey.psychosocial_score,
        "composite": survey.composite_score,
    }


def averages(surveys: list) -> Averages:
    return Averages(
        persons=len(surveys),
        means={m: mean([s for s in (scores_of(x)[m] for x in surveys) if s is not None]) for m in MEASURES},
    )


def change_averages(pairs: list[tuple]) -> Averages:
    """Mean of (follow-up − baseline) per measure over (baseline, follow-up) pairs."""
    means = {}
    for measure in MEASURES:
        deltas = [
            scores_of(after)[measure] - scores_of(before)[measure]
            for before, after in pairs
            if scores_of(after)[measure] is not None and scores_of(before)[measure] is not None
        ]
        means[measure] = mean(deltas)
    return Averages(persons=len(pairs), means=means)


def _latest(surveys: list) -> dict[int, object]:
    latest: dict[int, object] = {}
    for survey in sorted(surveys, key=lambda s: (s.surveyed_on, s.id)):
        latest[survey.returnee_id] = survey
    return latest


def _surveys(filters: RssFilters, *, until_only: bool = False) -> list[RssSurvey]:
    query = select(RssSurvey).join(Returnee, RssSurvey.returnee_id == Returnee.id)
    query = query.where(RssSurvey.surveyed_on <= filters.date_to)
    if not until_only:
        query = query.where(RssSurvey.surveyed_on >= filters.date_from)
    if filters.office_id is not None:
        query = query.where(Returnee.field_office_id == filters.office_id)
    if filters.project_id is not None:
        paid = db.metadata.tables["assistance_record"]
        query = query.where(
            or_(
                Returnee.return_project_id == filters.project_id,
                exists().where(paid.c.returnee_id == Returnee.id, paid.c.project_id == filters.project_id),
            )
        )
    return list(db.session.scalars(query))


def paired(filters: RssFilters) -> list[tuple[RssSurvey, RssSurvey]]:
    """(baseline, follow-up) of each returnee with a follow-up in the period and a baseline before it."""
    in_period = _surveys(filters)
    follow_ups = _latest([s for s in in_period if s.survey_round == SurveyRound.FOLLOW_UP])
    baselines: dict[int, list[RssSurvey]] = defaultdict(list)
    for survey in _surveys(filters, until_only=True):
        if survey.survey_round == SurveyRound.BASELINE:
            baselines[survey.returnee_id].append(survey)
    pairs = []
    for returnee_id, after in sorted(follow_ups.items()):
        before = [s for s in baselines.get(returnee_id, []) if s.surveyed_on <= after.surveyed_on]
        if before:
            pairs.append((max(before, key=lambda s: (s.surveyed_on, s.id)), after))
    return pairs


def _group(key: str, label: str, pairs: list[tuple]) -> Group:
    return Group(key, label, averages([b for b, _a in pairs]), averages([a for _b, a in pairs]), change_averages(pairs))


def received_types(pairs: list[tuple]) -> dict[int, set[int]]:
    """Per returnee of the pairs, the assistance types delivered to them on or before their follow-up."""
    follow_up_on = {after.returnee_id: after.surveyed_on for _before, after in pairs}
    if not follow_up_on:
        return {}
    rows = db.session.execute(
        select(AssistanceRecord.returnee_id, AssistanceRecord.type_id, AssistanceRecord.provided_on).where(
            AssistanceRecord.status == AssistanceStatus.DELIVERED,
            AssistanceRecord.returnee_id.in_(list(follow_up_on)),
        )
    )
    received: dict[int, set[int]] = defaultdict(set)
    for returnee_id, type_id, provided_on in rows:
        if provided_on <= follow_up_on[returnee_id]:
            received[returnee_id].add(type_id)
    return received


def referred(pairs: list[tuple]) -> set[int]:
    """The returnees of the pairs referred to a partner (a referral of any status, caseapp/referrals) sent on
    or before their follow-up."""
    follow_up_on = {after.returnee_id: after.surveyed_on for _before, after in pairs}
    if not follow_up_on:
        return set()
    rows = db.session.execute(
        select(Referral.returnee_id, Referral.sent_on).where(Referral.returnee_id.in_(list(follow_up_on)))
    )
    return {returnee_id for returnee_id, sent_on in rows if sent_on <= follow_up_on[returnee_id]}


def build_rss_report(filters: RssFilters, *, referred_label=None, not_referred_label=None) -> RssReport:
    in_period = _surveys(filters)
    baselines = _latest([s for s in in_period if s.survey_round == SurveyRound.BASELINE])
    follow_ups = _latest([s for s in in_period if s.survey_round == SurveyRound.FOLLOW_UP])
    pairs = paired(filters)
    report = RssReport(
        filters=filters,
        surveyed=len({s.returnee_id for s in in_period}),
        baseline=averages(list(baselines.values())),
        follow_up=averages(list(follow_ups.values())),
        change=change_averages(pairs),
    )
    received = received_types(pairs)
    types = db.session.scalars(select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name))
    for assistance_type in types:
        group = [(b, a) for b, a in pairs if assistance_type.id in received.get(a.returnee_id, ())]
        if group:
            report.by_type.append(_group(assistance_type.code, assistance_type.label, group))
    referred_ids = referred(pairs)
    report.by_referral = [
        _group(
            "referred",
            str(referred_label or "referred"),
            [(b, a) for b, a in pairs if a.returnee_id in referred_ids],
        ),
        _group(
            "not_referred",
            str(not_referred_label or "not referred"),
            [(b, a) for b, a in pairs if a.returnee_id not in referred_ids],
        ),
    ]
    return report


# --- shared output --------------------------------------------------------------------------------------


def shown_count(persons: int, shared: bool) -> int | str:
    return SMALL if shared and 0 < persons < MIN_PERSONS else persons


def shown_mean(averages_: Averages, measure: str, shared: bool) -> Decimal | None | str:
    """An average as output shows it: withheld ("x") in shared output when over fewer than MIN_PERSONS."""
    if shared and averages_.persons < MIN_PERSONS:
        return None if averages_.persons == 0 else "x"
    return averages_.means[measure]


def report_rows(report: RssReport, shared: bool) -> list[dict]:
    """The report as rows (one per line of the page and the files): section, group, round, persons, means."""
    rows = []

    def add(section: str, key: str, label: str, round_name: str, figures: Averages):
        rows.append(
            {
                "section": section,
                "group": key,
                "label": label,
                "round": round_name,
                "persons": shown_count(figures.persons, shared),
                **{measure: shown_mean(figures, measure, shared) for measure in MEASURES},
            }
        )

    add("total", "all", "all", "baseline", report.baseline)
    add("total", "all", "all", "follow_up", report.follow_up)
    add("total", "all", "all", "change", report.change)
    for section, groups in (("assistance_type", report.by_type), ("referral", report.by_referral)):
        for group in groups:
            add(section, group.key, group.label, "baseline", group.baseline)
            add(section, group.key, group.label, "follow_up", group.follow_up)
            add(section, group.key, group.label, "change", group.change)
    return rows
