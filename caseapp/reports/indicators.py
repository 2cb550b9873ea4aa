"""Indicators against their targets: each actual is a figure of the report, counted by counting.py with
the indicator's filters (project, types, sex, age band, vulnerability, office) over a target's period, so
that an indicator and the report filtered the same way always agree.

- persons: distinct returnees with a delivered record of one of its types (of any type when it names
  none), as the report's persons of a type (or assisted persons);
- events: those records; amount: the sum of their amounts in the indicator's currency;
- returned: returnees whose return is credited to the project and dated in the period.
The total of an indicator is counted over the whole span of its periods (a person assisted in two periods
counts once in the total, as in the report), against the sum of its targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.charts import ColumnChart, Series, column_chart
from caseapp.extensions import db
from caseapp.indicators.models import Indicator, IndicatorMeasure
from caseapp.projects.models import Project
from caseapp.reports.counting import (
    ASSISTED,
    EVENTS,
    PERSONS,
    RETURNED,
    ReportFilters,
    amounts_of,
    count_of,
    records_behind,
    returnee_ids_behind,
)


@dataclass
class Period:
    start: date
    end: date
    target: Decimal | None
    #: None when the user may not count it (an indicator of another office)
    actual: int | Decimal | None
    #: the query arguments of the drill-down to the people (or records) behind the actual
    drill: dict[str, object] = field(default_factory=dict)

    @property
    def percent(self) -> Decimal | None:
        """Percent of the target achieved, one decimal (None without a target above zero)."""
        if not self.target or self.actual is None:
            return None
        return (Decimal(self.actual) * 100 / self.target).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class IndicatorFigures:
    indicator: Indicator
    periods: list[Period]
    total: Period | None


def indicator_filters(indicator: Indicator, start: date, end: date) -> ReportFilters:
    """The report filters an indicator counts with over a period."""
    return ReportFilters(start, end, office_id=indicator.office_id, sex=indicator.sex, age_band=indicator.age_band,
                         vulnerability=indicator.vulnerability, project_id=indicator.project_id)  # fmt: skip


def scoped(filters: ReportFilters, user: User | None) -> ReportFilters | None:
    """Office staff count their own office only; an indicator of another office is not theirs to count."""
    if user is None:
        return filters
    scope = office_scope(user)
    if scope is not None and filters.office_id not in (None, scope):
        return None
    return filters.scoped_to(user)


def actual(indicator: Indicator, filters: ReportFilters) -> int | Decimal:
    codes = tuple(indicator.type_codes)
    measure = indicator.measure
    if measure == IndicatorMeasure.RETURNED:
        return count_of(returnee_ids_behind(filters, RETURNED))
    if measure == IndicatorMeasure.PERSONS:
        return count_of(returnee_ids_behind(filters, PERSONS if codes else ASSISTED, type_codes=codes))
    if measure == IndicatorMeasure.EVENTS:
        return count_of(records_behind(filters, type_codes=codes))
    currency = indicator.currency.value
    return amounts_of(records_behind(filters, type_codes=codes, currency=currency)).get(currency, Decimal("0.00"))


def drill_args(indicator: Indicator, filters: ReportFilters) -> dict[str, object]:
    """The reports.drilldown query of an actual: the persons behind it, or the records (events, amounts)."""
    measure = {IndicatorMeasure.RETURNED: RETURNED, IndicatorMeasure.PERSONS: PERSONS if indicator.type_codes
               else ASSISTED}.get(indicator.measure, EVENTS)  # fmt: skip
    args: dict[str, object] = {**filters.query_args(), "measure": measure}
    if indicator.type_codes and indicator.measure != IndicatorMeasure.RETURNED:
        args["type"] = indicator.type_codes
    if indicator.measure == IndicatorMeasure.AMOUNT:
        args["currency"] = indicator.currency.value
    return args


def _period(indicator, start, end, target, user) -> Period:
    filters = scoped(indicator_filters(indicator, start, end), user)
    if filters is None:
        return Period(start, end, target, None)
    return Period(start, end, target, actual(indicator, filters), drill_args(indicator, filters))


def indicator_figures(indicator: Indicator, user: User | None = None, *, date_from: date | None = None,
                      date_to: date | None = None) -> IndicatorFigures:  # fmt: skip
    """Target, actual and percent achieved per period (those that overlap date_from..date_to, when given) and
    in total. Without targets in the range, one period: the range itself, with no target."""
    targets = [
        t
        for t in indicator.targets
        if (date_from is None or t.period_end >= date_from) and (date_to is None or t.period_start <= date_to)
    ]
    periods = [_period(indicator, t.period_start, t.period_end, t.target, user) for t in targets]
    if not periods:
        if date_from is None or date_to is None or date_from > date_to:
            return IndicatorFigures(indicator, [], None)
        periods = [_period(indicator, date_from, date_to, None, user)]
    if len(periods) == 1:
        return IndicatorFigures(indicator, periods, periods[0])
    has_targets = any(p.target is not None for p in periods)
    total_target = sum((p.target for p in periods if p.target is not None), Decimal(0)) if has_targets else None
    total = _period(indicator, periods[0].start, periods[-1].end, total_target, user)
    return IndicatorFigures(indicator, periods, total)


def project_indicators(project: Project) -> list[Indicator]:
    return list(db.session.scalars(
        select(Indicator).where(Indicator.project_id == project.id)
        .options(selectinload(Indicator.targets), selectinload(Indicator.assistance_types))
        .order_by(Indicator.position, Indicator.id)))  # fmt: skip


def period_label(period: Period) -> str:
    """A period as a chart names it: its year when it lies within one, else its months."""
    if period.start.year == period.end.year:
        return str(period.start.year)
    return f"{format_date(period.start, 'MMM yy')}–{format_date(period.end, 'MMM yy')}"


def target_chart(figures: IndicatorFigures) -> ColumnChart:
    """Target and actual per period (amounts in whole units, or in thousands when they are large)."""
    values = [v for p in figures.periods for v in (p.target, p.actual) if v is not None]
    thousands = figures.indicator.measure == IndicatorMeasure.AMOUNT and max(values + [0]) >= 10000
    unit = Decimal(1000) if thousands else Decimal(1)

    def whole(value):
        return None if value is None else int((Decimal(value) / unit).to_integral_value(rounding=ROUND_HALF_UP))

    suffix = _(" (thousands)") if thousands else ""
    return column_chart(
        [period_label(p) for p in figures.periods],
        [Series(_("target") + suffix, "bar-returned", [whole(p.target) for p in figures.periods]),
         Series(_("actual") + suffix, "bar-assisted", [whole(p.actual) for p in figures.periods])],
        bar_width=22, gap=22)  # fmt: skip


def figures_json(figures: IndicatorFigures) -> dict:
    """An indicator as `flask --app caseapp indicators --format json` prints it (amounts as decimal strings)."""
    indicator = figures.indicator

    amount = indicator.measure == IndicatorMeasure.AMOUNT

    def number(value):
        if value is None or isinstance(value, int):
            return value
        return str(value) if amount else int(value)

    def period(p: Period):
        return {"from": p.start.isoformat(), "to": p.end.isoformat(), "target": number(p.target),
                "actual": number(p.actual), "percent": None if p.percent is None else str(p.percent)}  # fmt: skip

    return {
        "name": indicator.name,
        "name_ka": indicator.name_ka,
        "measure": indicator.measure.value,
        "currency": indicator.currency.value if indicator.currency else None,
        "types": indicator.type_codes,
        "filters": {
            "sex": indicator.sex or None,
            "age_band": indicator.age_band or None,
            "vulnerability": indicator.vulnerability or None,
            "office": indicator.office.name if indicator.office else None,
        },  # fmt: skip
        "periods": [period(p) for p in figures.periods],
        "total": period(figures.total) if figures.total else None,
    }
