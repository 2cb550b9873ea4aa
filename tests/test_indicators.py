"""Indicators with targets: actuals counted by the report's rules, the page, the form, the command."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.indicators.models import Indicator, IndicatorMeasure, IndicatorTarget
from caseapp.indicators.rules import AGE_BANDS
from caseapp.reports.counting import ASSISTED, EVENTS, PERSONS, RETURNED, AgeBand, ReportFilters, build_report
from caseapp.reports.indicators import indicator_figures


@pytest.fixture
def grants(make):
    """MBR-2024 pays counselling for 5 Gori returnees (2 sessions each for 2 of them) and grants for 3 (two
    women); another project pays a grant to one of them; 3 returns are credited to MBR-2024."""
    project = make.project("MBR-2024", name="Micro-business", donor="GIZ")
    other = make.project("OTHER-2024")
    people = []
    for n in range(5):
        person = make.returnee(
            "Gori" if n < 4 else "Poti",
            sex="F" if n % 2 == 0 else "M",
            return_date=date(2024, 1, 5 + n),
            return_project=project if n < 3 else other,
            commit=False,
        )
        make.record(person, "business_counselling", on=date(2024, 2, 1), project=project, commit=False)
        if n < 2:
            make.record(person, "business_counselling", on=date(2024, 7, 1), project=project, commit=False)
        if n < 3:
            make.record(
                person, "business_grant", on=date(2024, 3 + n, 1), amount="2000.00", project=project, commit=False
            )
        people.append(person)
    make.record(people[0], "business_grant", on=date(2024, 8, 1), amount="900.00", project=other, commit=False)
    make.record(
        people[4],
        "business_grant",
        on=date(2024, 8, 1),
        status="approved",
        amount="900.00",
        project=project,
        commit=False,
    )
    db.session.commit()
    return project


def _indicator(project, measure, codes=(), *, targets=(), **filters):
    from caseapp.assistance.models import AssistanceType

    indicator = Indicator(
        project=project,
        name=f"{measure.value} of {' and '.join(codes) or 'any'}",
        measure=measure,
        assistance_types=[db.session.query(AssistanceType).filter_by(code=c).one() for c in codes],
        **filters,
    )
    for start, end, target in targets:
        indicator.targets.append(IndicatorTarget(period_start=start, period_end=end, target=Decimal(target)))
    db.session.add(indicator)
    db.session.commit()
    return indicator


YEAR = (date(2024, 1, 1), date(2024, 12, 31))
HALVES = [(date(2024, 1, 1), date(2024, 6, 30), 4), (date(2024, 7, 1), date(2024, 12, 31), 4)]


@pytest.mark.parametrize("filters", [{}, {"sex": "F"}, {"office_id": "Gori"}, {"age_band": "18-59"}])
def test_an_indicators_actual_equals_the_report_figure_with_the_same_filters(make, grants, filters):
    if "office_id" in filters:
        filters = {"office_id": make.office("Gori").id}
    report = build_report(ReportFilters(*YEAR, project_id=grants.id, **filters))
    cases = [
        (IndicatorMeasure.PERSONS, ("business_grant",), report.total(PERSONS, "business_grant")),
        (IndicatorMeasure.PERSONS, (), report.total(ASSISTED)),
        (IndicatorMeasure.EVENTS, ("business_counselling",), report.total(EVENTS, "business_counselling")),
        (
            IndicatorMeasure.EVENTS,
            ("business_counselling", "business_grant"),
            report.total(EVENTS, "business_counselling") + report.total(EVENTS, "business_grant"),
        ),
        (IndicatorMeasure.RETURNED, (), report.total(RETURNED)),
        (IndicatorMeasure.AMOUNT, ("business_grant",), report.amounts.get("business_grant", {}).get("GEL", 0)),
    ]
    for measure, codes, expected in cases:
        extra = {"currency": "GEL"} if measure == IndicatorMeasure.AMOUNT else {}
        indicator = _indicator(grants, measure, codes, targets=[(*YEAR, 10)], **extra, **filters)
        figures = indicator_figures(indicator)
        assert figures.total.actual == expected, (measure, codes, filters)


def test_the_report_figures_of_the_fixture_are_the_hand_counted_ones(grants):
    report = build_report(ReportFilters(*YEAR, project_id=grants.id))
    assert report.total(PERSONS, "business_grant") == 3  # the other project's grant and the approved one: not
    assert report.total(EVENTS, "business_counselling") == 7
    assert report.total(RETURNED) == 3
    assert report.amounts["business_grant"] == {"GEL": Decimal("6000.00")}


def test_percent_per_period_and_in_total_counts_each_person_once(grants):
    indicator = _indicator(grants, IndicatorMeasure.PERSONS, ("business_counselling",), targets=HALVES)
    figures = indicator_figures(indicator)
    assert [p.actual for p in figures.periods] == [5, 2]
    assert [p.percent for p in figures.periods] == [Decimal("125.0"), Decimal("50.0")]
    assert figures.total.actual == 5 and figures.total.target == 8 and figures.total.percent == Decimal("62.5")
    # a range picks the periods that overlap it
    assert [
        p.start for p in indicator_figures(indicator, date_from=date(2024, 8, 1), date_to=date(2024, 9, 1)).periods
    ] == [date(2024, 7, 1)]


def test_the_indicator_page_shows_target_actual_percent_and_a_drill_down(make, login, client, grants):
    indicator = _indicator(grants, IndicatorMeasure.PERSONS, ("business_counselling", "business_grant"), targets=HALVES)
    login(make.user(Role.ADMIN, None))
    page = client.get(f"/projects/{grants.id}/indicators/").text
    assert indicator.name in page and "125" in page and "<svg" in page
    link = re.search(r'data-actual><a class="figure-link" href="([^"]+)">5<', page).group(1).replace("&amp;", "&")
    listed = client.get(link).text
    assert "5 persons" in listed
    # a manager sees the figures, not the people
    client.post("/logout")
    login(make.user(Role.MANAGER, None))
    page = client.get(f"/projects/{grants.id}/indicators/").text
    assert "125" in page and "figure-link" not in page


def test_a_supervisor_counts_their_own_office(make, login, client, grants):
    indicator = _indicator(grants, IndicatorMeasure.PERSONS, ("business_counselling",), targets=[(*YEAR, 10)])
    poti = make.user(Role.SUPERVISOR, "Poti")
    assert indicator_figures(indicator, poti).total.actual == 1
    gori_only = _indicator(
        grants,
        IndicatorMeasure.PERSONS,
        ("business_counselling",),
        targets=[(*YEAR, 10)],
        office_id=make.office("Gori").id,
    )
    assert indicator_figures(gori_only, poti).total.actual is None


def test_the_admin_adds_an_indicator_with_targets_on_the_project(make, login, client, grants):
    login(make.user(Role.ADMIN, None))
    form = client.get(f"/projects/{grants.id}/indicators/new").text
    assert 'name="targets-0-target"' in form
    grant_type = make.assistance_type("business_grant")
    data = {
        "name": "Grants awarded",
        "name_ka": "გაცემული გრანტები",
        "measure": "persons",
        "currency": "",
        "type_ids": [str(grant_type.id)],
        "sex": "",
        "age_band": "",
        "vulnerability": "",
        "office_id": "",
        "targets-0-period_start": "2024-01-01",
        "targets-0-period_end": "2024-06-30",
        "targets-0-target": "4",
        "targets-1-period_start": "2024-07-01",
        "targets-1-period_end": "2024-12-31",
        "targets-1-target": "6",
        "targets-2-period_start": "",
        "targets-2-period_end": "",
        "targets-2-target": "",
    }
    response = client.post(f"/projects/{grants.id}/indicators/new", data=data)
    assert response.status_code == 302
    indicator = db.session.query(Indicator).filter_by(name="Grants awarded").one()
    assert [(t.period_start, t.target) for t in indicator.targets] == [(date(2024, 1, 1), 4), (date(2024, 7, 1), 6)]
    figures = indicator_figures(indicator)
    assert [p.actual for p in figures.periods] == [3, 0] and figures.total.percent == Decimal("30.0")
    # the change log has it
    from caseapp.audit.models import AuditEntry

    assert db.session.query(AuditEntry).filter_by(entity_type="indicator").count() == 1
    # edit: drop the second target
    edit = {
        **data,
        "targets-1-period_start": "",
        "targets-1-period_end": "",
        "targets-1-target": "",
        "version": str(indicator.version),
    }
    assert client.post(f"/projects/{grants.id}/indicators/{indicator.id}/edit", data=edit).status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Indicator, indicator.id).targets) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"measure": "amount"}, "An amount is counted in one currency"),
        ({"targets-1-period_start": "2024-06-01"}, "Two periods overlap"),
        ({"targets-0-target": "2.5"}, "whole number"),
        ({"targets-0-target": "many"}, ""),
        ({"targets-0-period_end": ""}, "A target needs its period"),
    ],
)
def test_a_wrong_indicator_is_refused_with_a_message_and_nothing_saved(make, login, client, grants, change, message):
    login(make.user(Role.ADMIN, None))
    data = {
        "name": "Grants",
        "measure": "persons",
        "currency": "",
        "sex": "",
        "age_band": "",
        "vulnerability": "",
        "office_id": "",
        "targets-0-period_start": "2024-01-01",
        "targets-0-period_end": "2024-06-30",
        "targets-0-target": "4",
        "targets-1-period_start": "2024-07-01",
        "targets-1-period_end": "2024-12-31",
        "targets-1-target": "6",
        **change,
    }
    response = client.post(f"/projects/{grants.id}/indicators/new", data=data)
    assert response.status_code == 200
    assert message in response.text
    assert db.session.query(Indicator).count() == 0


def test_indicators_command_prints_json(make, runner, grants):
    _indicator(grants, IndicatorMeasure.AMOUNT, ("business_grant",), currency="GEL", targets=[(*YEAR, "10000")])
    result = runner.invoke(args=["indicators", "--project", "mbr-2024", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["project"] == {"code": "MBR-2024", "name": "Micro-business", "donor": "GIZ"}
    [indicator] = data["indicators"]
    assert indicator["periods"] == [
        {"from": "2024-01-01", "to": "2024-12-31", "target": "10000.00", "actual": "6000.00", "percent": "60.0"}
    ]
    text = runner.invoke(args=["indicators", "--project", "MBR-2024", "--from", "2025-01-01", "--to", "2025-12-31"])
    assert text.exit_code == 0 and "MBR-2024" in text.output
    assert runner.invoke(args=["indicators", "--project", "NOPE"]).exit_code != 0


def test_the_indicator_age_bands_are_the_reports():
    assert AGE_BANDS == tuple(band.value for band in AgeBand)


def test_demo_projects_get_indicators_with_targets(app_ctx):
    from caseapp.demo.data import seed_demo

    seed_demo(60, on=date(2026, 6, 1))
    indicators = db.session.query(Indicator).all()
    assert len(indicators) >= 8 and all(indicator.targets for indicator in indicators)
