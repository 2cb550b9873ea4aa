"""The counting rules of every report figure. The page, the drill-down, the exports, the `report` command and
the benchmark all count through this module, so that a number means the same thing wherever it appears.

- Period: `date_from` and `date_to`, both inclusive.
- Returned persons: returnees whose return date lies in the period.
- For each assistance type: persons = distinct returnees with at least one *delivered* record of the type
  dated in the period; events = the number of those records; amounts = the sum of their amounts per
  currency (currencies are never added together).
- The date of a delivered record is its delivery date: marking a record delivered asks when it was
  delivered and what was paid, and sets `provided_on` and `amount` to them (assistance/services.py:
  deliver_assistance; the planned date and the amount asked for stay in the change log). So a grant planned
  for 20 November and delivered on 25 November counts on 25 November, with the amount actually paid. Records
  not delivered are dated by their planned date (the pipeline).
- Assisted persons: distinct returnees with any delivered record in the period.
- Planned, requested, approved, rejected and cancelled records never count as received. Requested and
  approved records dated in the period form the separate pipeline.
- Filters and disaggregations: the returnee's field office, sex, age band at the return date (0-17, 18-59,
  60+) and vulnerability; and month (of the return date for returned persons, of the record otherwise).
- Project: the project a record names (who paid for it) and, for returned persons, the project credited
  with the return (`Returnee.return_project_id`). Filtered by a project, a report counts that project's
  records and returns only: its persons are the distinct returnees with a delivered record of the project.
  By project, a person assisted by two projects counts once in each (and once in the total), as with types.
  A person born on 29 February turns a year older on 1 March in common years.
- Funnels: persons with delivered counselling in the period; of them, those with a delivered grant dated on
  or after one of their counselling sessions and no later than the end of the period.

Every figure is an aggregate query (GROUP BY, COUNT(DISTINCT)) in the database. The report reads the analytics
tables (caseapp/analytics: one row per person, and records counted per person x type x status x day x
project, with the person's attributes copied in), which database triggers keep equal to the base tables in
the same transaction as every write; `returned_analytics_conditions` and `fact_conditions` are the filters on
them. The drill-down lists read the base tables, through the `*_conditions` functions below, which say the
same: a list of the persons behind a figure is as long as the figure (the property test checks both).
"""
from __future__ import annotations

import calendar
import enum
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, String, case, cast, distinct, exists, func, literal_column, select, text
from sqlalchemy.orm import aliased

from caseapp.analytics.expressions import DayNumber, MonthNumber, day_key, number
from caseapp.analytics.models import NO_CURRENCY, VULNERABILITY_BITS, AnalyticsAssistance, AnalyticsPerson
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.language import local_name
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import UNASSIGNED_CODE, Project
from caseapp.returnees.models import Returnee, ReturneeVulnerability, Sex, Vulnerability
from caseapp.returnees.queries import not_merged, scoped_returnees

DELIVERED = (AssistanceStatus.DELIVERED,)
#: what the pipeline view shows: asked for or agreed, not yet given
PIPELINE = (AssistanceStatus.REQUESTED, AssistanceStatus.APPROVED)


class AgeBand(enum.StrEnum):
    CHILD = "0-17"
    ADULT = "18-59"
    OLDER = "60+"


#: the disaggregations, in the order they are shown; "total" is the whole filtered population
TOTAL = "total"
DIMENSIONS = ("office", "project", "sex", "age_band", "month")
#: disaggregations in which a person may be in several groups (assisted in two months, by two projects)
OVERLAPPING = ("month", "project")

#: measures of a cell; "persons" and "events" are per assistance type, the others over all types
RETURNED = "returned"
ASSISTED = "assisted"
EVENTS = "events"
PERSONS = "persons"

#: (funnel key, counselling type code, grant type code)
FUNNELS = (
    ("business", "business_counselling", "business_grant"),
    ("voc_ed", "voc_ed_counselling", "voc_ed_grant"),
)


@dataclass(frozen=True)
class ReportFilters:
    date_from: date
    date_to: date
    office_id: int | None = None
    sex: str = ""
    age_band: str = ""
    vulnerability: str = ""
    #: the project that paid (records) or is credited with the return (returned persons)
    project_id: int | None = None

    def __post_init__(self):
        # Code (the command line, the benchmark, tests) must not pass impossible filters: they raise.
        # What a user typed goes through from_args() instead, which never raises.
        if self.date_from > self.date_to:
            raise ValueError("the period ends before it starts")
        if self.sex and self.sex not in set(Sex):
            raise ValueError(f"unknown sex {self.sex!r}")
        if self.age_band and self.age_band not in set(AgeBand):
            raise ValueError(f"unknown age band {self.age_band!r}")
        if self.vulnerability and self.vulnerability not in set(Vulnerability):
            raise ValueError(f"unknown vulnerability {self.vulnerability!r}")

    @classmethod
    def from_args(cls, args, *, today: date | None = None) -> tuple[ReportFilters, list]:
        """The filters of a query string (the report page, its exports and drill-down links), and the
        problems to tell the user. Never raises, whatever was typed:

        - an unreadable date, or a period that ends before it starts, gives the current calendar year and
          a message (the exports refuse such a request with 400 rather than export another period);
        - an unknown office, sex, age band or vulnerability is left out without a message (a stale link or
          bookmark still opens the report, of everyone), as is a missing date (the current year's bound).

        Scope by the user's office afterwards with scoped_to()."""
        today = today or date.today()
        year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
        errors: list = []

        def date_arg(name: str, default: date) -> date:
            text = (args.get(name) or "").strip()
            if not text:
                return default
            try:
                return date.fromisoformat(text)
            except ValueError:
                errors.append(_l("%(text)s is not a date (YYYY-MM-DD).", text=text))
                return default

        date_from, date_to = date_arg("from", year_start), date_arg("to", year_end)
        if date_from > date_to:
            errors.append(_l("The period ends before it starts."))
            date_from, date_to = year_start, year_end
        office_id = args.get("office", type=db_int)
        if office_id is not None and db.session.get(FieldOffice, office_id) is None:
            office_id = None
        project_id = args.get("project", type=db_int)
        if project_id is not None and db.session.get(Project, project_id) is None:
            project_id = None

        def known(name: str, values) -> str:
            value = args.get(name, "")
            return value if value in values else ""

        filters = cls(
            date_from,
            date_to,
            office_id=office_id,
            sex=known("sex", set(Sex)),
            age_band=known("age", set(AgeBand)),
            vulnerability=known("vulnerability", set(Vulnerability)),
            project_id=project_id,
        )
        return filters, errors

    def scoped_to(self, user: User) -> ReportFilters:
        """Office staff count their own office only, whatever they asked for."""
        scope = office_scope(user)
        return self if scope is None else replace(self, office_id=scope)

    def narrowed(self, dimension: str, group) -> ReportFilters:
        """The filters whose totals are one cell of a disaggregation (for drill-down links)."""
        if dimension == TOTAL:
            return self
        if dimension == "office":
            return replace(self, office_id=group)
        if dimension == "project":
            return replace(self, project_id=group)
        if dimension == "sex":
            return replace(self, sex=str(group))
        if dimension == "age_band":
            return replace(self, age_band=str(group))
        if dimension == "month":
            start, end = month_bounds(group)
            return replace(self, date_from=max(self.date_from, start), date_to=min(self.date_to, end))
        raise ValueError(f"unknown dimension {dimension!r}")

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (empty ones left out)."""
        args = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(), "office": self.office_id,
                "sex": self.sex, "age": self.age_band, "vulnerability": self.vulnerability,
                "project": self.project_id}
        return {key: str(value) for key, value in args.items() if value}


def month_key(day: date) -> int:
    return day.year * 100 + day.month


def month_bounds(key: int) -> tuple[date, date]:
    year, month = divmod(int(key), 100)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def months_between(start: date, end: date) -> list[int]:
    keys, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(year * 100 + month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


# --- SQL expressions (portable: SQLite and PostgreSQL) ------------------------------------------------------
# Constants are literal SQL, not bound parameters (analytics.expressions.number): PostgreSQL only accepts a
# SELECT expression that is also in GROUP BY when both are written identically.
_number = number


def cents_sum(amount_column):
    """SUM of amounts, exact: added as whole cents (SQLite keeps NUMERIC values as floating point, and a
    floating-point sum of many amounts can be a cent off)."""
    return func.sum(cast(func.round(amount_column * _number(100)), BigInteger))


def from_cents(total) -> Decimal:
    return (Decimal(int(total)) / 100).quantize(Decimal("0.01"))


def month_expression(column):
    return MonthNumber(column)


def age_band_expression():
    """The returnee's age band at the return date. Age in whole years is reached when yyyymmdd(return)
    - yyyymmdd(birth) >= age * 10000: exact for every date, 29 February included, with no date arithmetic."""
    gap = DayNumber(Returnee.return_date) - DayNumber(Returnee.date_of_birth)
    return case(
        (gap >= _number(600000), literal_column(f"'{AgeBand.OLDER.value}'", String)),
        (gap >= _number(180000), literal_column(f"'{AgeBand.ADULT.value}'", String)),
        else_=literal_column(f"'{AgeBand.CHILD.value}'", String),
    )


def returnee_conditions(filters: ReportFilters) -> list:
    """Who is counted at all: the filters that describe the person (office, sex, age band, vulnerability)."""
    conditions = []
    if filters.office_id is not None:
        conditions.append(Returnee.field_office_id == filters.office_id)
    if filters.sex:
        conditions.append(Returnee.sex == Sex(filters.sex))
    if filters.age_band:
        conditions.append(age_band_expression() == literal_column(f"'{AgeBand(filters.age_band).value}'", String))
    if filters.vulnerability:
        conditions.append(exists().where(ReturneeVulnerability.returnee_id == Returnee.id,
                                         ReturneeVulnerability.code == Vulnerability(filters.vulnerability)))
    return conditions


def returned_conditions(filters: ReportFilters) -> list:
    """Returned persons: return date in the period (and return credited to the project)."""
    conditions = [Returnee.return_date >= filters.date_from, Returnee.return_date <= filters.date_to,
                  not_merged(), *returnee_conditions(filters)]
    if filters.project_id is not None:
        conditions.append(Returnee.return_project_id == filters.project_id)
    return conditions


def record_only_conditions(filters: ReportFilters, *, statuses=DELIVERED, type_id: int | None = None,
                           currency: str | None = None, type_ids: tuple[int, ...] = ()) -> list:
    """Assistance records that count, by the record alone: of the given statuses (delivered unless the
    pipeline is asked for), dated in the period, paid by the filter's project, optionally of one type (or of
    any of several: an indicator's types) and currency."""
    conditions = [
        AssistanceRecord.status == statuses[0] if len(statuses) == 1 else AssistanceRecord.status.in_(statuses),
        AssistanceRecord.provided_on >= filters.date_from,
        AssistanceRecord.provided_on <= filters.date_to,
    ]
    if filters.project_id is not None:
        conditions.append(AssistanceRecord.project_id == filters.project_id)
    if type_id is not None:
        conditions.append(AssistanceRecord.type_id == type_id)
    if type_ids:
        conditions.append(AssistanceRecord.type_id.in_(type_ids))
    if currency is not None:
        conditions.append(AssistanceRecord.currency == currency)
    return conditions


def record_conditions(filters: ReportFilters, **record_filters) -> list:
    """Assistance records that count, of a returnee who passes the filters. The caller joins Returnee."""
    return [*record_only_conditions(filters, **record_filters), *returnee_conditions(filters)]


def counted_records(filters: ReportFilters, *columns, **record_filters) -> sa.Select:
    """SELECT columns FROM the records that count (Returnee joined only when a filter needs it: every
    record has its returnee)."""
    query = select(*columns).select_from(AssistanceRecord)
    if returnee_conditions(filters):
        query = query.join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
    return query.where(*record_conditions(filters, **record_filters))


def per_person(filters: ReportFilters, *keys, **record_filters):
    """The records that count, one row per returnee (and keys) with the number of records: counting these
    rows gives distinct persons, adding `events` gives events; the returnee is then looked up once per row
    instead of once per record."""
    return (counted_records(filters, AssistanceRecord.returnee_id.label("returnee_id"), *keys,
                            func.count(AssistanceRecord.id).label("events"), **record_filters)
            .group_by(AssistanceRecord.returnee_id, *keys).subquery())


def counselled_persons(filters: ReportFilters, counselling_type_id: int):
    """Persons with a delivered counselling session of the type in the period, with their first session."""
    return (counted_records(filters, AssistanceRecord.returnee_id.label("returnee_id"),
                            func.min(AssistanceRecord.provided_on).label("first_session"),
                            type_id=counselling_type_id)
            .group_by(AssistanceRecord.returnee_id).subquery())


def converted_condition(filters: ReportFilters, counselled, grant_type_id: int):
    """The counselled person received the grant on or after a session (so after the first one) and no later
    than the end of the period (from the filter's project, when there is one)."""
    grant = aliased(AssistanceRecord)
    return exists().where(
        grant.returnee_id == counselled.c.returnee_id,
        grant.type_id == grant_type_id,
        grant.status == AssistanceStatus.DELIVERED,
        grant.provided_on >= counselled.c.first_session,
        grant.provided_on <= filters.date_to,
        *([grant.project_id == filters.project_id] if filters.project_id is not None else []),
    )


# --- the report ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogType:
    id: int
    code: str
    name: str
    carries_amount: bool
    #: the Georgian name (empty: the English one is shown)
    name_ka: str = ""

    @property
    def label(self) -> str:
        """The name in the page's language."""
        return local_name(self.name, self.name_ka)


@dataclass
class Funnel:
    key: str
    counselling: CatalogType
    grant: CatalogType
    counselled: int = 0
    converted: int = 0

    @property
    def share(self) -> Decimal | None:
        """Share of the counselled who received the grant, as a fraction (None when nobody was counselled)."""
        return Decimal(self.converted) / Decimal(self.counselled) if self.counselled else None


#: a figure's address: (dimension, group, measure, type code or None)
CellKey = tuple[str, object, str, str | None]


@dataclass
class Report:
    filters: ReportFilters
    types: list[CatalogType]
    #: dimension -> its groups in display order (office ids, project ids, sex codes, age bands, yyyymm months)
    groups: dict[str, list]
    office_names: dict[int, str]
    #: project id -> (code, name in the page's language, donor) of the projects in the report
    projects: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    #: every count of the report; a missing key is a zero
    counts: dict[CellKey, int] = field(default_factory=dict)
    #: type code -> currency -> sum of delivered amounts (whole filtered period)
    amounts: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    funnels: list[Funnel] = field(default_factory=list)
    #: (type code, status) -> persons, events; and (type code, status) -> currency -> sum
    pipeline_counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    pipeline_amounts: dict[tuple[str, str], dict[str, Decimal]] = field(default_factory=dict)

    def count(self, dimension: str, group, measure: str, type_code: str | None = None) -> int:
        return self.counts.get((dimension, group, measure, type_code), 0)

    def total(self, measure: str, type_code: str | None = None) -> int:
        return self.count(TOTAL, None, measure, type_code)

    @property
    def returned_persons(self) -> int:
        return self.total(RETURNED)

    @property
    def assisted_persons(self) -> int:
        return self.total(ASSISTED)

    def cell_keys(self) -> list[CellKey]:
        """Every count the report publishes, in a stable order (zeros included)."""
        keys = []
        for dimension, groups in [(TOTAL, [None]), *[(d, self.groups[d]) for d in DIMENSIONS]]:
            for group in groups:
                keys += [(dimension, group, RETURNED, None), (dimension, group, ASSISTED, None),
                         (dimension, group, EVENTS, None)]
                for assistance_type in self.types:
                    code = assistance_type.code
                    keys += [(dimension, group, PERSONS, code), (dimension, group, EVENTS, code)]
        return keys


def load_catalog() -> list[CatalogType]:
    rows = db.session.execute(
        select(AssistanceType.id, AssistanceType.code, AssistanceType.name, AssistanceType.carries_amount,
               AssistanceType.name_ka)
        .order_by(AssistanceType.sort_order, AssistanceType.name)
    ).all()
    return [CatalogType(*row) for row in rows]


def report_groups(filters: ReportFilters) -> tuple[dict[str, list], dict[int, str]]:
    offices = select(FieldOffice.id, FieldOffice.name, FieldOffice.name_ka).order_by(FieldOffice.label)
    if filters.office_id is not None:
        offices = offices.where(FieldOffice.id == filters.office_id)
    # The names in the page's language (English on the command line).
    office_names = {id_: local_name(name, name_ka) for id_, name, name_ka in db.session.execute(offices)}
    groups = {
        "office": list(office_names),
        "project": [],  # the projects with figures, known once counted (report_projects)
        "sex": [s.value for s in Sex] if not filters.sex else [filters.sex],
        "age_band": [b.value for b in AgeBand] if not filters.age_band else [filters.age_band],
        "month": months_between(filters.date_from, filters.date_to),
    }
    return groups, office_names


def report_projects(filters: ReportFilters, counts: dict[CellKey, int]) -> dict[int, tuple[str, str, str]]:
    """The projects a report shows: the filter's project, else every project with a figure in the period
    (there may be hundreds of projects, most of them over), by code with Unassigned last."""
    ids = ({filters.project_id} if filters.project_id is not None
           else {group for dimension, group, *_rest in counts if dimension == "project"})
    if not ids:
        return {}
    rows = db.session.execute(select(Project.id, Project.code, Project.name, Project.name_ka, Project.donor)
                              .where(Project.id.in_(ids)))
    projects = {id_: (code, local_name(name, name_ka), donor) for id_, code, name, name_ka, donor in rows}
    return dict(sorted(projects.items(), key=lambda item: (item[1][0] == UNASSIGNED_CODE, item[1][0])))


# --- the figures, from the analytics tables (caseapp/analytics) --------------------------------------------
# The same conditions as above, on the tables that hold each person's attributes (person x type x status x day
# x project rows of records): no returnee is joined and no date is converted per row. Each persons figure is a
# COUNT(DISTINCT returnee_id) whose GROUP BY follows an index of analytics_assistance, which holds every column
# the query reads.

Person = AnalyticsPerson
Fact = AnalyticsAssistance
#: PostgreSQL's memory for the report's sorts and hashes (its default, 4MB, spills them to disk at 10M records)
REPORT_WORK_MEM = "64MB"


def _person_filters(filters: ReportFilters, table) -> list:
    """The filters that describe the person, on an analytics table (both carry the person's attributes)."""
    conditions = []
    if filters.office_id is not None:
        conditions.append(table.field_office_id == filters.office_id)
    if filters.sex:
        conditions.append(table.sex == Sex(filters.sex).value)
    if filters.age_band:
        conditions.append(table.age_band == AgeBand(filters.age_band).value)
    if filters.vulnerability:
        bit = VULNERABILITY_BITS[Vulnerability(filters.vulnerability)]
        conditions.append(table.vulnerabilities.op("&")(_number(bit)) != _number(0))
    return conditions


def returned_analytics_conditions(filters: ReportFilters) -> list:
    """returned_conditions, on analytics_person."""
    conditions = [Person.return_day >= day_key(filters.date_from), Person.return_day <= day_key(filters.date_to),
                  Person.merged == sa.false(), *_person_filters(filters, Person)]
    if filters.project_id is not None:
        conditions.append(Person.return_project_id == filters.project_id)
    return conditions


def fact_conditions(filters: ReportFilters, *, statuses=DELIVERED, type_id: int | None = None, fact=Fact) -> list:
    """record_conditions, on analytics_assistance (whose rows hold delivered and pipeline records only)."""
    values = [AssistanceStatus(status).value for status in statuses]
    conditions = [
        fact.status == values[0] if len(values) == 1 else fact.status.in_(values),
        fact.day >= day_key(filters.date_from),
        fact.day <= day_key(filters.date_to),
        *_person_filters(filters, fact),
    ]
    if filters.project_id is not None:
        conditions.append(fact.project_id == filters.project_id)
    if type_id is not None:
        conditions.append(fact.type_id == type_id)
    return conditions


def _persons_and_events(filters: ReportFilters, *groups, statuses=DELIVERED):
    """Rows of (groups..., distinct persons, events) of the records that count."""
    return db.session.execute(
        select(*groups, func.count(distinct(Fact.returnee_id)), func.sum(Fact.events))
        .where(*fact_conditions(filters, statuses=statuses)).group_by(*groups))


def build_report(filters: ReportFilters) -> Report:
    """All figures of a report, in a fixed, small number of aggregate queries."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
        timeout_ms = int(float(current_app.config.get("REPORT_STATEMENT_TIMEOUT", 60)) * 1000)
        db.session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
    types = load_catalog()
    groups, office_names = report_groups(filters)
    report = Report(filters=filters, types=types, groups=groups, office_names=office_names)
    code_of = {assistance_type.id: assistance_type.code for assistance_type in types}
    counts: dict[CellKey, int] = defaultdict(int)

    # Office, sex and age band describe the person, so one query grouped by all three gives every margin by
    # addition (each person is in exactly one group). Months do not (a person assisted in two months is
    # one person in the period), so they get queries of their own.
    def add_margins(office_id, sex, band, measure, type_code, value):
        for dimension, group in ((TOTAL, None), ("office", office_id), ("sex", sex), ("age_band", band)):
            counts[(dimension, group, measure, type_code)] += value

    person_groups = (Person.field_office_id, Person.sex, Person.age_band)
    returned = select(*person_groups, func.count()).where(*returned_analytics_conditions(filters))
    for office_id, sex, band, persons in db.session.execute(returned.group_by(*person_groups)):
        add_margins(office_id, sex, band, RETURNED, None, persons)

    fact_groups = (Fact.field_office_id, Fact.sex, Fact.age_band)
    for office_id, sex, band, persons, events in _persons_and_events(filters, *fact_groups):
        add_margins(office_id, sex, band, ASSISTED, None, persons)
        add_margins(office_id, sex, band, EVENTS, None, int(events))
    for type_id, office_id, sex, band, persons, events in _persons_and_events(filters, Fact.type_id, *fact_groups):
        add_margins(office_id, sex, band, PERSONS, code_of[type_id], persons)
        add_margins(office_id, sex, band, EVENTS, code_of[type_id], int(events))

    return_month = Person.return_day // _number(100)
    for month, persons in db.session.execute(
        select(return_month, func.count()).where(*returned_analytics_conditions(filters)).group_by(return_month)
    ):
        counts[("month", month, RETURNED, None)] = persons
    for month, persons, events in _persons_and_events(filters, Fact.month):
        counts[("month", month, ASSISTED, None)] = persons
        counts[("month", month, EVENTS, None)] = int(events)
    for type_id, month, persons, events in _persons_and_events(filters, Fact.type_id, Fact.month):
        counts[("month", month, PERSONS, code_of[type_id])] = persons
        counts[("month", month, EVENTS, code_of[type_id])] = int(events)

    _by_project(filters, counts, code_of)
    report.counts = dict(counts)
    report.projects = report_projects(filters, report.counts)
    report.groups["project"] = list(report.projects)
    report.amounts = _amounts(filters, code_of, DELIVERED)
    report.funnels = _funnels(filters, types)
    _pipeline(report, filters, code_of)
    return report


def _by_project(filters: ReportFilters, counts: dict, code_of: dict[int, str]) -> None:
    """Returned persons by the project credited with the return; assisted persons, events and each type's
    persons and events by the project that paid (a person assisted by two projects is in both)."""
    return_project = Person.return_project_id
    for project_id, persons in db.session.execute(
        select(return_project, func.count()).where(*returned_analytics_conditions(filters)).group_by(return_project)
    ):
        counts[("project", project_id, RETURNED, None)] = persons
    for project_id, persons, events in _persons_and_events(filters, Fact.project_id):
        counts[("project", project_id, ASSISTED, None)] = persons
        counts[("project", project_id, EVENTS, None)] = int(events)
    for type_id, project_id, persons, events in _persons_and_events(filters, Fact.type_id, Fact.project_id):
        counts[("project", project_id, PERSONS, code_of[type_id])] = persons
        counts[("project", project_id, EVENTS, code_of[type_id])] = int(events)


def _amounts(filters: ReportFilters, code_of: dict[int, str], statuses, *, by_status: bool = False) -> dict:
    columns = [Fact.type_id, *([Fact.status] if by_status else []), Fact.currency]
    query = (select(*columns, func.sum(Fact.cents)).where(*fact_conditions(filters, statuses=statuses),
                                                          Fact.currency != NO_CURRENCY).group_by(*columns))
    sums: dict = defaultdict(dict)
    for *group, currency, total in db.session.execute(query):
        key = code_of[group[0]] if not by_status else (code_of[group[0]], group[1])
        sums[key][currency] = from_cents(total)
    return dict(sums)


def _pipeline(report: Report, filters: ReportFilters, code_of: dict[int, str]) -> None:
    for type_id, status, persons, events in _persons_and_events(filters, Fact.type_id, Fact.status,
                                                                statuses=PIPELINE):
        report.pipeline_counts[(code_of[type_id], status, PERSONS)] = persons
        report.pipeline_counts[(code_of[type_id], status, EVENTS)] = int(events)
    report.pipeline_amounts = _amounts(filters, code_of, PIPELINE, by_status=True)


def _funnels(filters: ReportFilters, types: list[CatalogType]) -> list[Funnel]:
    """counselled_persons and converted_condition, on analytics_assistance."""
    by_code = {assistance_type.code: assistance_type for assistance_type in types}
    funnels = []
    for key, counselling_code, grant_code in FUNNELS:
        if counselling_code not in by_code or grant_code not in by_code:
            continue
        funnel = Funnel(key, by_code[counselling_code], by_code[grant_code])
        counselled = (select(Fact.returnee_id.label("returnee_id"), func.min(Fact.day).label("first_session"))
                      .where(*fact_conditions(filters, type_id=funnel.counselling.id))
                      .group_by(Fact.returnee_id).subquery())
        grant = aliased(Fact)
        converted = exists().where(
            grant.returnee_id == counselled.c.returnee_id,
            grant.type_id == funnel.grant.id,
            grant.status == AssistanceStatus.DELIVERED.value,
            grant.day >= counselled.c.first_session,
            grant.day <= day_key(filters.date_to),
            *([grant.project_id == filters.project_id] if filters.project_id is not None else []),
        )
        query = select(func.count(), func.count(case((converted, counselled.c.returnee_id))))
        funnel.counselled, funnel.converted = db.session.execute(query.select_from(counselled)).one()
        funnels.append(funnel)
    return funnels


# --- drill-down: the same conditions, returning the people and records instead of counts -------------------

class UnknownFigure(ValueError):
    pass


def type_by_code(code: str) -> CatalogType:
    for assistance_type in load_catalog():
        if assistance_type.code == code:
            return assistance_type
    raise UnknownFigure(f"unknown assistance type {code!r}")


def returnee_ids_behind(filters: ReportFilters, measure: str, *, type_code: str | None = None,
                        statuses=DELIVERED, funnel: str | None = None, type_codes: tuple[str, ...] = ()) -> sa.Select:
    """SELECT of the distinct returnee ids counted by a persons figure (returned, assisted, persons of a
    type or of any of several types, counselled or converted in a funnel)."""
    if measure == RETURNED:
        return select(Returnee.id).where(*returned_conditions(filters))
    if measure in ("counselled", "converted"):
        _key, counselling_code, grant_code = next((f for f in FUNNELS if f[0] == funnel), (None, None, None))
        if counselling_code is None:
            raise UnknownFigure(f"unknown funnel {funnel!r}")
        counselled = counselled_persons(filters, type_by_code(counselling_code).id)
        query = select(counselled.c.returnee_id)
        if measure == "converted":
            query = query.where(converted_condition(filters, counselled, type_by_code(grant_code).id))
        return query
    if measure == PERSONS and type_codes:
        return counted_records(filters, AssistanceRecord.returnee_id, statuses=statuses,
                               type_ids=_type_ids(type_codes)).distinct()
    if measure == ASSISTED or (measure == PERSONS and type_code):
        type_id = type_by_code(type_code).id if measure == PERSONS else None
        return counted_records(filters, AssistanceRecord.returnee_id, statuses=statuses, type_id=type_id).distinct()
    raise UnknownFigure(f"unknown persons figure {measure!r}")


def records_behind(filters: ReportFilters, *, type_code: str | None = None, statuses=DELIVERED,
                   currency: str | None = None, type_codes: tuple[str, ...] = ()) -> sa.Select:
    """SELECT of the assistance records counted by an events figure (or summed by an amount), of one type or
    of any of several."""
    type_id = type_by_code(type_code).id if type_code else None
    return (select(AssistanceRecord).join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
            .where(*record_conditions(filters, statuses=statuses, type_id=type_id, currency=currency,
                                      type_ids=_type_ids(type_codes))))


def _type_ids(codes) -> tuple[int, ...]:
    return tuple(type_by_code(code).id for code in codes)


def count_of(query: sa.Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def records_listed(filters: ReportFilters, **record_filters) -> sa.Select:
    """The drill-down of an events figure: its records with their returnee and office name, oldest first."""
    return (
        records_behind(filters, **record_filters)
        .add_columns(Returnee, FieldOffice.label)
        .join(FieldOffice, FieldOffice.id == Returnee.field_office_id)
        .order_by(AssistanceRecord.provided_on, AssistanceRecord.id)
    )


def returnees_listed(user: User, filters: ReportFilters, measure: str, **figure) -> sa.Select:
    """The drill-down of a persons figure: the returnees it counts that the user may see, with their office
    name, by name."""
    ids = returnee_ids_behind(filters, measure, **figure)
    return (
        scoped_returnees(user)
        .where(Returnee.id.in_(ids))
        .join(FieldOffice, FieldOffice.id == Returnee.field_office_id)
        .add_columns(FieldOffice.label)
        .order_by(Returnee.last_name, Returnee.first_name, Returnee.id)
    )


def amounts_of(records: sa.Select) -> dict[str, Decimal]:
    """The amounts of these records per currency (never added across currencies)."""
    subquery = records.order_by(None).subquery()
    query = (
        select(subquery.c.currency, cents_sum(subquery.c.amount))
        .where(subquery.c.amount.is_not(None))
        .group_by(subquery.c.currency)
    )
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in db.session.execute(query):
        sums[getattr(currency, "value", currency)] += from_cents(amount)
    return dict(sorted(sums.items()))
