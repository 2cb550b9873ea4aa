"""The report against a brute-force count over random records (Hypothesis)."""
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.analytics.services import analytics_differences
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.assistance.services import deliver_assistance
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.projects.models import UNASSIGNED_CODE
from caseapp.projects.queries import project_by_code
from caseapp.reports.counting import (
    ASSISTED,
    EVENTS,
    PERSONS,
    RETURNED,
    ReportFilters,
    build_report,
    count_of,
    records_behind,
    returnee_ids_behind,
)
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from tests import factories

OFFICES = ["Gori", "Poti", "Telavi"]
TYPES = ["business_counselling", "business_grant", "reception", "training"]
PROJECTS = ["AVR-2023", "RE-2024", UNASSIGNED_CODE]
START = date(2023, 11, 1)
# Few days (November 2023 to early March 2024: month ends, 29 February), so that records often fall exactly
# on the first or last day of the period, and persons have several records of a type.
days = st.integers(min_value=0, max_value=130).map(lambda n: START + timedelta(days=n))

returnees = st.lists(
    st.fixed_dictionaries({
        "office": st.sampled_from(OFFICES),
        "sex": st.sampled_from(["F", "M"]),
        # 60 or 18 on a day inside the range of return dates (29 February 2024 included), and others
        "born": st.sampled_from([date(1964, 2, 29), date(1964, 1, 10), date(2005, 12, 15), date(2006, 2, 28),
                                 date(1960, 2, 29), date(1990, 1, 1), date(2010, 3, 1)]),
        "returned": days,
        "disabled": st.booleans(),
        "return_project": st.sampled_from(PROJECTS),
    }),
    min_size=1, max_size=8,
)
records = st.lists(
    st.fixed_dictionaries({
        "person": st.integers(min_value=0, max_value=7),
        "type": st.sampled_from(TYPES),
        # delivered most often, so that persons with several delivered records of a type are common
        "status": st.sampled_from([AssistanceStatus.DELIVERED] * 4 + list(AssistanceStatus)),
        "on": days,
        # cents that floating point cannot hold exactly (0.1 + 0.2), and a large amount
        "amount": st.sampled_from([None, Decimal("10.00"), Decimal("1500.50"), Decimal("0.10"), Decimal("0.20"),
                                   Decimal("0.29"), Decimal("1234.57"), Decimal("999999.99")]),
        "currency": st.sampled_from(["GEL", "EUR"]),
        # days between the planned date ("on") and the delivery: a record delivered late counts on the day it
        # was delivered (often in another month or outside the period), never on its planned date
        "late": st.sampled_from([0, 0, 0, 1, 5, 31]),
        "project": st.sampled_from(PROJECTS),
    }),
    max_size=30,
)


def counted_on(entry) -> date:
    """The date the report counts a record on, by the documented rule: its delivery date once delivered."""
    if entry["status"] == AssistanceStatus.DELIVERED:
        return entry["on"] + timedelta(days=entry.get("late", 0))
    return entry["on"]
periods = st.tuples(days, days).map(sorted)


def age_band(born: date, on: date) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return "0-17" if age < 18 else "18-59" if age < 60 else "60+"


def _project(code):
    return project_by_code(code) or factories.project(code)


def _store(people, entries):
    for table in (AssistanceRecord.__table__, ReturneeVulnerability.__table__, Case.__table__, Returnee.__table__):
        db.session.execute(table.delete())
    db.session.commit()
    stored = [factories.returnee(p["office"], sex=p["sex"], date_of_birth=p["born"], return_date=p["returned"],
                                 vulnerabilities=["disability"] if p["disabled"] else [], with_case=False,
                                 return_project=_project(p.get("return_project", UNASSIGNED_CODE)),
                                 commit=False) for p in people]
    db.session.flush()
    for entry in entries:
        entry["person"] %= len(people)
        late = entry.get("late", 0) and entry["status"] == AssistanceStatus.DELIVERED
        record = factories.record(stored[entry["person"]], entry["type"], on=entry["on"],
                                  status=AssistanceStatus.APPROVED if late else entry["status"],
                                  amount=entry["amount"], currency=entry["currency"] if entry["amount"] else None,
                                  project=_project(entry.get("project", UNASSIGNED_CODE)), commit=False)
        if late:  # delivered through the use case, on its own date
            db.session.flush()
            deliver_assistance(None, record, delivered_on=counted_on(entry))
    db.session.commit()


def brute_force(people, entries, start, end, keep, project=None):
    """Counts by the rules of the issue, written again without SQL. With a project (code): its records only,
    and the returns credited to it."""
    chosen = {i for i, p in enumerate(people) if keep(p)}
    if project is not None:
        entries = [e for e in entries if e.get("project", UNASSIGNED_CODE) == project]
    delivered = [e for e in entries if e["status"] == AssistanceStatus.DELIVERED and start <= counted_on(e) <= end
                 and e["person"] in chosen]
    counts = {
        RETURNED: sum(1 for i in chosen if start <= people[i]["returned"] <= end
                      and project in (None, people[i].get("return_project", UNASSIGNED_CODE))),
        ASSISTED: len({e["person"] for e in delivered}),
        EVENTS: len(delivered),
    }
    amounts = defaultdict(lambda: defaultdict(Decimal))
    for code in TYPES:
        of_type = [e for e in delivered if e["type"] == code]
        counts[(PERSONS, code)] = len({e["person"] for e in of_type})
        counts[(EVENTS, code)] = len(of_type)
        for e in of_type:
            if e["amount"] is not None:
                amounts[code][e["currency"]] += e["amount"]
    counselled = {e["person"] for e in delivered if e["type"] == "business_counselling"}
    converted = {e["person"] for e in delivered if e["type"] == "business_counselling" and any(
        g["person"] == e["person"] and g["type"] == "business_grant" and g["status"] == AssistanceStatus.DELIVERED
        and counted_on(e) <= counted_on(g) <= end for g in entries)}
    pipeline = {}
    for e in entries:
        if e["status"] in ("requested", "approved") and start <= e["on"] <= end and e["person"] in chosen:
            pipeline.setdefault((e["type"], e["status"].value), []).append(e["person"])
    pipeline = {key: (len(set(persons)), len(persons)) for key, persons in pipeline.items()}
    return (counts, {code: dict(sums) for code, sums in amounts.items()}, (len(counselled), len(converted)),
            pipeline)


def _figures(report, dimension="total", group=None):
    figures = {measure: report.count(dimension, group, measure) for measure in (RETURNED, ASSISTED, EVENTS)}
    for code in TYPES:
        figures[(PERSONS, code)] = report.count(dimension, group, PERSONS, code)
        figures[(EVENTS, code)] = report.count(dimension, group, EVENTS, code)
    return figures


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=returnees, entries=records, period=periods, filter_choice=st.sampled_from(
    ["none", "office", "sex", "age", "vulnerability", "project", "project and office"]))
def test_report_equals_a_brute_force_count(make, people, entries, period, filter_choice):
    _store(people, entries)
    start, end = period
    gori = make.office("Gori").id
    filters, keep = {
        "none": ({}, lambda p: True),
        "office": ({"office_id": gori}, lambda p: p["office"] == "Gori"),
        "sex": ({"sex": "M"}, lambda p: p["sex"] == "M"),
        "age": ({"age_band": "18-59"}, lambda p: age_band(p["born"], p["returned"]) == "18-59"),
        "vulnerability": ({"vulnerability": "disability"}, lambda p: p["disabled"]),
        "project": ({"project_id": _project("AVR-2023").id}, lambda p: True),
        "project and office": ({"project_id": _project("RE-2024").id, "office_id": gori},
                               lambda p: p["office"] == "Gori"),
    }[filter_choice]
    project = {"project": "AVR-2023", "project and office": "RE-2024"}.get(filter_choice)
    report = build_report(ReportFilters(start, end, **filters))

    # The report counts from the analytics tables (caseapp/analytics), which the triggers kept equal to the base
    # tables; the drill-down lists read the base tables, and each is as long as its figure.
    assert not analytics_differences()
    report_filters = ReportFilters(start, end, **filters)
    assert count_of(returnee_ids_behind(report_filters, RETURNED)) == report.total(RETURNED)
    assert count_of(returnee_ids_behind(report_filters, ASSISTED)) == report.total(ASSISTED)
    for code in TYPES:
        assert count_of(returnee_ids_behind(report_filters, PERSONS, type_code=code)) == report.total(PERSONS, code)
        assert count_of(records_behind(report_filters, type_code=code)) == report.total(EVENTS, code)
    business_funnel = next(f for f in report.funnels if f.key == "business")
    for measure, figure in (("counselled", business_funnel.counselled), ("converted", business_funnel.converted)):
        assert count_of(returnee_ids_behind(report_filters, measure, funnel="business")) == figure

    counts, amounts, funnel, pipeline = brute_force(people, entries, start, end, keep, project)
    assert _figures(report) == counts
    assert {code: sums for code, sums in report.amounts.items() if code in TYPES} == amounts
    business = next(f for f in report.funnels if f.key == "business")
    assert (business.counselled, business.converted) == funnel
    assert {(code, status): (report.pipeline_counts[(code, status, PERSONS)],
                             report.pipeline_counts[(code, status, EVENTS)])
            for code, status, measure in report.pipeline_counts if measure == PERSONS} == pipeline

    # every disaggregation cell is the brute-force count of its group
    for office in report.groups["office"]:
        name = report.office_names[office]
        assert _figures(report, "office", office) == brute_force(
            people, entries, start, end, lambda p: keep(p) and p["office"] == name, project)[0]
    for sex in report.groups["sex"]:
        assert _figures(report, "sex", sex) == brute_force(
            people, entries, start, end, lambda p: keep(p) and p["sex"] == sex, project)[0]
    for band in report.groups["age_band"]:
        assert _figures(report, "age_band", band) == brute_force(
            people, entries, start, end, lambda p: keep(p) and age_band(p["born"], p["returned"]) == band, project)[0]
    for month in report.groups["month"]:
        year, number = divmod(month, 100)
        first = date(year, number, 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        expected = brute_force(people, entries, max(start, first), min(end, last), keep, project)[0]
        assert _figures(report, "month", month) == expected
    # by project: every project with a figure, each counted as if filtered by it; the others have none
    codes = {report.projects[group][0]: group for group in report.groups["project"]}
    for code in PROJECTS:
        expected = brute_force(people, entries, start, end, keep, code if project is None else project)[0]
        if project is not None and code != project:
            assert code not in codes
        elif code in codes:
            assert _figures(report, "project", codes[code]) == expected
        else:
            assert not any(expected.values())


def test_the_property_test_data_is_really_stored(make):
    _store([{"office": "Gori", "sex": "F", "born": date(1990, 1, 1), "returned": START, "disabled": True}],
           [{"person": 0, "type": "reception", "status": AssistanceStatus.DELIVERED, "on": START,
             "amount": Decimal("10.00"), "currency": "GEL"}])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AssistanceRecord)) == 1
