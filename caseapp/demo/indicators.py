"""Demo indicators: three logframe indicators for each demo project, with a target per calendar year of
the project. The targets are set near what the demo records reach (a little above for the years that are
over, the whole year's pace for the current one), so the indicator pages show believable percentages.
(The rough counts below only place the demo's targets; every actual shown is counted by the reports.)"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import distinct, func, select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.enums import Currency
from caseapp.extensions import db
from caseapp.indicators.models import Indicator, IndicatorMeasure, IndicatorTarget
from caseapp.projects.models import Project
from caseapp.returnees.models import Returnee

# demo project code prefix -> (English name, Georgian name, measure, type codes, sex, currency)
DEMO_INDICATORS = {
    "AVRR-EU": [
        ("Returnees assisted to return", "დაბრუნებაში დახმარებული პირები", IndicatorMeasure.RETURNED, (), "", None),
        ("Returnees who received reception assistance", "მიღებისას დახმარების მიმღები დაბრუნებულები",
         IndicatorMeasure.PERSONS, ("reception",), "", None),
        ("Housing and livelihood support delivered", "გაწეული საცხოვრებლისა და საარსებო დახმარება",
         IndicatorMeasure.EVENTS, ("temporary_housing", "accommodation", "livelihood_items"), "", None),
    ],
    "MBR-DE": [
        ("Business counselling sessions held", "ჩატარებული ბიზნეს-კონსულტაციები", IndicatorMeasure.EVENTS,
         ("business_counselling",), "", None),
        ("Returnees who received a micro-business grant", "მიკრობიზნესის გრანტის მიმღები დაბრუნებულები",
         IndicatorMeasure.PERSONS, ("business_grant",), "", None),
        ("Grant money paid out", "გაცემული საგრანტო თანხა", IndicatorMeasure.AMOUNT, ("business_grant",), "",
         Currency.GEL),
    ],
    "VET-CH": [
        ("Returnees in vocational education or training", "პროფესიულ განათლებაში ან სწავლებაში ჩართული დაბრუნებულები",
         IndicatorMeasure.PERSONS, ("voc_ed_grant", "training"), "", None),
        ("Women in vocational education or training", "პროფესიულ განათლებაში ან სწავლებაში ჩართული ქალები",
         IndicatorMeasure.PERSONS, ("voc_ed_grant", "training"), "F", None),
        ("Returnees placed in employment", "დასაქმებული დაბრუნებულები", IndicatorMeasure.PERSONS, ("employment",),
         "", None),
    ],
    "MED-US": [
        ("Returnees who received medical assistance", "სამედიცინო დახმარების მიმღები დაბრუნებულები",
         IndicatorMeasure.PERSONS, ("medical_assistance",), "", None),
        ("Medical counselling sessions", "სამედიცინო კონსულტაციები", IndicatorMeasure.EVENTS,
         ("medical_counselling",), "", None),
    ],
}  # fmt: skip


def seed_demo_indicators(on: date) -> None:
    """Indicators for the demo projects that have none yet."""
    types = {t.code: t for t in db.session.scalars(select(AssistanceType))}
    for project in db.session.scalars(select(Project).where(Project.start_date.is_not(None))):
        prefix = next((p for p in DEMO_INDICATORS if project.code.startswith(p + "-")), None)
        if prefix is None or db.session.scalar(select(Indicator.id).where(Indicator.project_id == project.id)):
            continue
        for position, (name, name_ka, measure, codes, sex, currency) in enumerate(DEMO_INDICATORS[prefix], 1):
            indicator = Indicator(project=project, name=name, name_ka=name_ka, measure=measure, currency=currency,
                                  sex=sex, position=position,
                                  assistance_types=[types[c] for c in codes if c in types])  # fmt: skip
            for start, end in _years(project.start_date, project.end_date):
                indicator.targets.append(IndicatorTarget(period_start=start, period_end=end,
                                                         target=_target(indicator, project, start, end, on)))  # fmt: skip
            db.session.add(indicator)
    db.session.flush()


def _years(start: date, end: date) -> list[tuple[date, date]]:
    return [(max(start, date(year, 1, 1)), min(end, date(year, 12, 31))) for year in range(start.year, end.year + 1)]


def _target(indicator: Indicator, project: Project, start: date, end: date, on: date) -> Decimal:
    reached = _rough_count(indicator, project, start, min(end, on)) if start <= on else 0
    if start > on:  # a year to come: the pace of the past
        reached = (
            _rough_count(indicator, project, project.start_date, on) * 365 / max((on - project.start_date).days, 1)
        )
    elif end > on:  # the current year: at its pace so far, over the whole year
        reached = reached * ((end - start).days + 1) / max((on - start).days + 1, 1)
    factor = Decimal("1.1") if end <= on else Decimal("1.0")
    step = Decimal(500) if indicator.measure == IndicatorMeasure.AMOUNT else Decimal(1)
    target = (Decimal(str(reached)) * factor / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return max(target, step * 5)


def _rough_count(indicator: Indicator, project: Project, start: date, end: date) -> float:
    if indicator.measure == IndicatorMeasure.RETURNED:
        return db.session.scalar(select(func.count(Returnee.id)).where(
            Returnee.return_project_id == project.id, Returnee.return_date.between(start, end))) or 0  # fmt: skip
    column = {IndicatorMeasure.PERSONS: func.count(distinct(AssistanceRecord.returnee_id)),
              IndicatorMeasure.EVENTS: func.count(AssistanceRecord.id),
              IndicatorMeasure.AMOUNT: func.sum(AssistanceRecord.amount)}[indicator.measure]  # fmt: skip
    query = (select(column).join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
             .where(AssistanceRecord.project_id == project.id, AssistanceRecord.status == AssistanceStatus.DELIVERED,
                    AssistanceRecord.provided_on.between(start, end),
                    AssistanceRecord.type_id.in_([t.id for t in indicator.assistance_types])))  # fmt: skip
    if indicator.sex:
        query = query.where(Returnee.sex == indicator.sex)
    if indicator.currency is not None:
        query = query.where(AssistanceRecord.currency == indicator.currency)
    return float(db.session.scalar(query) or 0)
