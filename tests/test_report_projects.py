"""Reports per project: the filter, the by-project table, drill-down, exports, the command and the paragraph."""

import csv
import io
import json
import re
from datetime import date

import openpyxl
import pytest

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reports.counting import ASSISTED, EVENTS, PERSONS, RETURNED, ReportFilters, build_report
from caseapp.reports.output import report_json
from caseapp.reports.presentation import PresentedReport

PERIOD = "from=2024-01-01&to=2024-03-31"


@pytest.fixture
def two_projects(make):
    """AVR-2024 (EU): 4 returns in Gori, counselling for all 4, grants for 2 of them. RE-2024 (USAID): 2 returns in
    Poti with reception, and a grant to one AVR person (who is then in both projects)."""
    avr = make.project("AVR-2024", name="Assisted voluntary return", donor="European Union")
    reint = make.project("RE-2024", name="Reintegration", donor="USAID")
    people = []
    for n in range(4):
        person = make.returnee("Gori", return_date=date(2024, 1, 10 + n), return_project=avr, commit=False)
        make.record(person, "business_counselling", on=date(2024, 2, 1), project=avr, commit=False)
        if n < 2:
            make.record(person, "business_grant", on=date(2024, 3, 1), amount="1500.00", project=avr, commit=False)
        people.append(person)
    make.record(people[0], "business_grant", on=date(2024, 3, 5), amount="700.00", project=reint, commit=False)
    for _n in range(2):
        poti = make.returnee("Poti", sex="M", return_date=date(2024, 2, 1), return_project=reint, commit=False)
        make.record(poti, "reception", on=date(2024, 2, 1), amount="200.00", project=reint, commit=False)
    db.session.commit()
    return avr, reint


def test_a_project_filter_counts_its_records_and_returns_only(make, two_projects):
    avr, reint = two_projects
    report = build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31), project_id=avr.id))
    assert report.total(RETURNED) == 4 and report.total(ASSISTED) == 4 and report.total(EVENTS) == 6
    assert report.total(PERSONS, "business_grant") == 2
    assert report.amounts["business_grant"] == {"GEL": 3000}
    other = build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31), project_id=reint.id))
    assert other.total(RETURNED) == 2 and other.total(ASSISTED) == 3 and other.total(EVENTS) == 3
    assert other.amounts["business_grant"] == {"GEL": 700}


def test_without_a_filter_the_report_is_disaggregated_by_project(make, two_projects):
    avr, reint = two_projects
    report = build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31)))
    assert report.groups["project"] == [avr.id, reint.id]
    assert report.count("project", avr.id, ASSISTED) == 4 and report.count("project", reint.id, ASSISTED) == 3
    # a person assisted by both projects is in both groups, and once in the total
    assert report.total(ASSISTED) == 6
    assert report.count("project", avr.id, RETURNED) + report.count("project", reint.id, RETURNED) == 6
    for project in (avr, reint):
        alone = build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31), project_id=project.id))
        for key, value in alone.counts.items():
            if key[0] == "total":
                assert report.count("project", project.id, *key[2:]) == value, key


def test_the_drill_down_of_a_project_figure_lists_as_many_as_the_figure(make, login, client, two_projects):
    avr, reint = two_projects
    login(make.user(Role.ADMIN, None))
    page = client.get(f"/reports/?{PERIOD}&project={reint.id}").text
    assert "RE-2024" in page
    listed = client.get(f"/reports/drilldown?{PERIOD}&project={reint.id}&measure=assisted").text
    assert "3 persons" in listed
    assert "RE-2024" in listed
    grants = client.get(f"/reports/drilldown?{PERIOD}&project={avr.id}&measure=events&type=business_grant").text
    assert "3,000.00" in grants or "3 000,00" in grants or "3000" in grants.replace(",", "")
    # the by-project table links each cell to the people behind it
    whole = client.get(f"/reports/?{PERIOD}").text
    table = whole[whole.index('id="by-project"') :]
    table = table[: table.index("</table>")]
    assert f"project={avr.id}" in table and f"project={reint.id}" in table


def test_the_donor_paragraph_names_the_project_and_its_donor(make, app, two_projects):
    avr, _reint = two_projects
    with app.test_request_context():
        shown = PresentedReport(build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31), project_id=avr.id)))
        paragraph = shown.paragraph()
    assert "AVR-2024" in paragraph and "Assisted voluntary return" in paragraph and "European Union" in paragraph
    assert "4 persons to return" in paragraph


def test_json_report_has_the_project_and_a_by_project_table(make, app, two_projects):
    avr, _reint = two_projects
    with app.test_request_context():
        whole = report_json(PresentedReport(build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31)))))
        one = report_json(
            PresentedReport(build_report(ReportFilters(date(2024, 1, 1), date(2024, 3, 31), project_id=avr.id)))
        )
    assert whole["project"] is None
    assert whole["by"]["project"]["AVR-2024"]["assisted_persons"] == 4
    assert whole["by"]["project"]["RE-2024"]["returned_persons"] == 2
    assert one["project"] == {"code": "AVR-2024", "name": "Assisted voluntary return", "donor": "European Union"}
    assert list(one["by"]["project"]) == ["AVR-2024"]


def test_report_command_takes_a_project_code(make, runner, two_projects):
    result = runner.invoke(
        args=["report", "--from", "2024-01-01", "--to", "2024-03-31", "--project", "re-2024", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["project"]["code"] == "RE-2024" and report["returned_persons"] == 2
    assert report["by_type"]["reception"]["amounts"] == {"GEL": "400.00"}
    bad = runner.invoke(args=["report", "--from", "2024-01-01", "--to", "2024-03-31", "--project", "NOPE"])
    assert bad.exit_code != 0 and "NOPE" in bad.output


def test_exports_carry_the_project_filter_and_table(make, login, client, two_projects):
    avr, _reint = two_projects
    login(make.user(Role.MANAGER, None))
    rows = list(csv.DictReader(io.StringIO(client.get(f"/reports/export.csv?{PERIOD}").text.lstrip("\ufeff"))))
    assert {
        "table": "project",
        "group": "AVR-2024",
        "assistance_type": "",
        "measure": "assisted",
        "currency": "",
        "value": "4",
    } in rows
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/export.xlsx?{PERIOD}&project={avr.id}").data))
    assert "By project" in book.sheetnames
    about = dict(book["About"].iter_rows(min_row=2, values_only=True))
    assert "AVR-2024" in about["Filters"]


def test_an_unknown_project_in_the_address_shows_every_project(make, login, client, two_projects):
    login(make.user(Role.ADMIN, None))
    page = client.get(f"/reports/?{PERIOD}&project=999999").text
    assert re.search(r'data-figure="returned">\s*(?:<a[^>]*>)?6<', page)


def test_a_shared_project_report_hides_small_counts(make, login, client, two_projects):
    _avr, reint = two_projects
    login(make.user(Role.ADMIN, None))
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/reports/export.csv?{PERIOD}&project={reint.id}&shared=1").text.lstrip("\ufeff"))
        )
    )
    counts = [row["value"] for row in rows if row["measure"] not in ("amount", "share_percent")]
    assert not [v for v in counts if v.isdigit() and 1 <= int(v) <= 4]
