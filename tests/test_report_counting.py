"""The counting rules of the aggregate report, each checked on small hand-made data."""
from datetime import date
from decimal import Decimal

import pytest

from caseapp.assistance.models import AssistanceStatus
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

YEAR_2024 = ReportFilters(date(2024, 1, 1), date(2024, 12, 31))


def test_period_is_inclusive_at_both_ends(make):
    make.returnee(return_date=date(2023, 12, 31))
    make.returnee(return_date=date(2024, 1, 1))
    make.returnee(return_date=date(2024, 12, 31))
    make.returnee(return_date=date(2025, 1, 1))
    assert build_report(YEAR_2024).returned_persons == 2


def test_persons_are_distinct_and_events_count_every_delivered_record(make):
    nino = make.returnee()
    giorgi = make.returnee(sex="M")
    for day in (date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)):
        make.record(nino, "business_counselling", on=day)
    make.record(giorgi, "business_counselling", on=date(2024, 5, 1))
    report = build_report(YEAR_2024)
    assert report.total(PERSONS, "business_counselling") == 2
    assert report.total(EVENTS, "business_counselling") == 4
    assert report.assisted_persons == 2
    assert report.total(EVENTS) == 4


@pytest.mark.parametrize("status", ["planned", "requested", "approved", "rejected", "cancelled"])
def test_records_not_delivered_never_count_as_received(make, status):
    person = make.returnee()
    make.record(person, "business_grant", on=date(2024, 6, 1), status=status, amount="3000.00")
    report = build_report(YEAR_2024)
    assert report.total(PERSONS, "business_grant") == 0
    assert report.total(EVENTS, "business_grant") == 0
    assert report.assisted_persons == 0
    assert report.amounts == {}
    in_pipeline = status in ("requested", "approved")
    assert report.pipeline_counts.get(("business_grant", status, PERSONS), 0) == (1 if in_pipeline else 0)
    assert report.pipeline_amounts.get(("business_grant", status), {}) == (
        {"GEL": Decimal("3000.00")} if in_pipeline else {})


def test_records_outside_the_period_do_not_count(make):
    person = make.returnee(return_date=date(2023, 6, 1))
    make.record(person, "reception", on=date(2023, 12, 31), amount="100.00")
    make.record(person, "tools", on=date(2025, 1, 1), amount="100.00")
    report = build_report(YEAR_2024)
    assert report.assisted_persons == 0
    assert report.returned_persons == 0


def test_assisted_persons_counts_a_person_with_several_types_once(make):
    person = make.returnee()
    make.record(person, "reception", on=date(2024, 3, 1), amount="200.00")
    make.record(person, "business_grant", on=date(2024, 6, 1), amount="3000.00")
    report = build_report(YEAR_2024)
    assert report.assisted_persons == 1
    assert report.total(EVENTS) == 2


def test_amounts_are_summed_per_currency_never_across(make):
    person = make.returnee()
    other = make.returnee()
    make.record(person, "business_grant", on=date(2024, 2, 1), amount="1500.50", currency="GEL")
    make.record(other, "business_grant", on=date(2024, 3, 1), amount="999.99", currency="GEL")
    make.record(other, "business_grant", on=date(2024, 4, 1), amount="1000.00", currency="EUR")
    make.record(other, "tools", on=date(2024, 4, 1), amount="1.00", currency="USD",
                status=AssistanceStatus.CANCELLED)
    report = build_report(YEAR_2024)
    assert report.amounts == {"business_grant": {"GEL": Decimal("2500.49"), "EUR": Decimal("1000.00")}}
    assert all(isinstance(value, Decimal) for value in report.amounts["business_grant"].values())


def test_every_catalog_type_is_in_the_report_even_at_zero(make):
    report = build_report(YEAR_2024)
    assert len(report.types) == 14
    assert all(report.total(PERSONS, kind.code) == 0 for kind in report.types)


def test_office_filter_uses_the_returnees_office(make):
    gori = make.returnee("Gori")
    make.returnee("Telavi")
    make.record(gori, "reception", on=date(2024, 3, 1), amount="100.00")
    gori_id = make.office("Gori").id
    report = build_report(ReportFilters(date(2024, 1, 1), date(2024, 12, 31), office_id=gori_id))
    assert report.returned_persons == 1
    assert report.assisted_persons == 1
    assert report.groups["office"] == [gori_id]
    everywhere = build_report(YEAR_2024)
    assert everywhere.count("office", make.office("Telavi").id, RETURNED) == 1
    assert everywhere.count("office", gori_id, ASSISTED) == 1


def test_sex_and_vulnerability_filters(make):
    make.returnee(sex="F", vulnerabilities=["disability"])
    make.returnee(sex="M", vulnerabilities=["disability", "elderly"])
    make.returnee(sex="M")
    assert build_report(ReportFilters(date(2024, 1, 1), date(2024, 12, 31), sex="M")).returned_persons == 2
    assert build_report(ReportFilters(date(2024, 1, 1), date(2024, 12, 31),
                                      vulnerability="disability")).returned_persons == 2
    both = ReportFilters(date(2024, 1, 1), date(2024, 12, 31), sex="F", vulnerability="elderly")
    assert build_report(both).returned_persons == 0


@pytest.mark.parametrize("born, returned, band", [
    (date(2006, 3, 1), date(2024, 3, 1), "18-59"),    # 18th birthday on the return date
    (date(2006, 3, 2), date(2024, 3, 1), "0-17"),     # the day before the 18th birthday
    (date(2007, 3, 1), date(2024, 3, 1), "0-17"),     # 17th birthday on the return date
    (date(1964, 3, 1), date(2024, 3, 1), "60+"),      # 60th birthday
    (date(1964, 3, 2), date(2024, 3, 1), "18-59"),    # the day before the 60th
    (date(2004, 2, 29), date(2022, 2, 28), "0-17"),   # born on 29 February: not 18 on 28 February
    (date(2004, 2, 29), date(2022, 3, 1), "18-59"),   # ... but on 1 March of a common year
    (date(2004, 2, 29), date(2024, 2, 29), "18-59"),  # 20 on 29 February of a leap year
    (date(2006, 2, 28), date(2024, 2, 29), "18-59"),
    (date(2024, 1, 5), date(2024, 1, 5), "0-17"),     # born on the return date
])
def test_age_band_is_the_age_at_the_return_date(make, born, returned, band):
    make.returnee(date_of_birth=born, return_date=returned)
    report = build_report(ReportFilters(date(2022, 1, 1), date(2024, 12, 31)))
    assert {b: report.count("age_band", b, RETURNED) for b in ("0-17", "18-59", "60+")} == {
        b: int(b == band) for b in ("0-17", "18-59", "60+")}
    filtered = build_report(ReportFilters(date(2022, 1, 1), date(2024, 12, 31), age_band=band))
    assert filtered.returned_persons == 1


def test_months_use_the_return_date_and_the_record_date(make):
    person = make.returnee(return_date=date(2024, 1, 20))
    make.record(person, "business_counselling", on=date(2024, 2, 3))
    make.record(person, "business_counselling", on=date(2024, 3, 3))
    report = build_report(YEAR_2024)
    assert len(report.groups["month"]) == 12
    assert report.count("month", 202401, RETURNED) == 1
    assert report.count("month", 202402, PERSONS, "business_counselling") == 1
    assert report.count("month", 202403, PERSONS, "business_counselling") == 1
    # one person in two months is still one person in the year
    assert report.total(PERSONS, "business_counselling") == 1


def test_funnel_counts_the_counselled_who_then_received_the_grant(make):
    converted = make.returnee()
    make.record(converted, "business_counselling", on=date(2024, 2, 1))
    make.record(converted, "business_grant", on=date(2024, 5, 1), amount="3000.00")
    grant_before_counselling = make.returnee()
    make.record(grant_before_counselling, "business_grant", on=date(2024, 1, 10), amount="3000.00")
    make.record(grant_before_counselling, "business_counselling", on=date(2024, 2, 1))
    still_waiting = make.returnee()
    make.record(still_waiting, "business_counselling", on=date(2024, 3, 1))
    make.record(still_waiting, "business_grant", on=date(2024, 6, 1), status="approved", amount="3000.00")
    make.record(make.returnee(), "voc_ed_counselling", on=date(2024, 3, 1))
    funnels = {f.key: f for f in build_report(YEAR_2024).funnels}
    assert (funnels["business"].counselled, funnels["business"].converted) == (3, 1)
    assert funnels["business"].share == Decimal(1) / Decimal(3)
    assert (funnels["voc_ed"].counselled, funnels["voc_ed"].converted) == (1, 0)


def test_drill_down_lists_exactly_the_people_and_records_counted(make):
    nino = make.returnee()
    make.record(nino, "business_grant", on=date(2024, 2, 1), amount="1000.00")
    make.record(nino, "business_grant", on=date(2024, 3, 1), amount="500.00", currency="EUR")
    make.record(make.returnee(return_date=date(2023, 1, 1)), "business_grant", on=date(2024, 4, 1), amount="1.00")
    report = build_report(YEAR_2024)
    assert count_of(returnee_ids_behind(YEAR_2024, PERSONS, type_code="business_grant")) == \
        report.total(PERSONS, "business_grant") == 2
    assert count_of(records_behind(YEAR_2024, type_code="business_grant")) == \
        report.total(EVENTS, "business_grant") == 3
    assert count_of(records_behind(YEAR_2024, type_code="business_grant", currency="EUR")) == 1
    assert count_of(returnee_ids_behind(YEAR_2024, RETURNED)) == report.returned_persons == 1


def test_a_disaggregation_cell_is_the_total_of_the_narrowed_filters(make):
    make.record(make.returnee("Gori", sex="M"), "reception", on=date(2024, 3, 1), amount="1.00")
    make.record(make.returnee("Gori", sex="F"), "reception", on=date(2024, 7, 9), amount="1.00")
    make.record(make.returnee("Poti", sex="F"), "reception", on=date(2024, 7, 10), amount="1.00")
    report = build_report(YEAR_2024)
    for dimension, groups in report.groups.items():
        for group in groups:
            narrowed = build_report(YEAR_2024.narrowed(dimension, group))
            for measure, code in ((RETURNED, None), (ASSISTED, None), (PERSONS, "reception")):
                assert report.count(dimension, group, measure, code) == narrowed.total(measure, code)


def test_supervisor_filters_are_forced_to_their_office(make):
    supervisor = make.user("supervisor", "Telavi")
    manager = make.user("manager", None)
    asked = ReportFilters(date(2024, 1, 1), date(2024, 12, 31), office_id=make.office("Gori").id)
    assert asked.scoped_to(supervisor).office_id == make.office("Telavi").id
    assert asked.scoped_to(manager) == asked


def test_filters_refuse_a_period_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        ReportFilters(date(2024, 2, 1), date(2024, 1, 31))
