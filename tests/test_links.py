"""Links built from one url_for (caseapp/links.py, the report's drill-down links) are exactly url_for's."""

import re
from datetime import date

import pytest
from flask import url_for

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.links import QueryLinks, id_link, query_string
from caseapp.reports import views as report_views
from caseapp.reports.counting import AgeBand, ReportFilters

ODD_ARGUMENTS = {
    "from": "2024-01-01",
    "q": "ნინო ბერიძე & co = 50%/x?y#z",
    "empty": "",
    "missing": None,
    "office": 3,
    "quote": 'it\'s "here" <b>',
    "safe": "!$'()*,/:;?@",
}


def test_id_links_are_url_fors(app):
    with app.test_request_context():
        returnee_url = id_link("returnees.show", "returnee_id")
        compare_url = id_link("duplicates.compare_pair", "second_id", first_id=12)
        for record_id in (1, 7, 10, 99, 100, 123456789, 2**31 - 1, 2**63 - 1):
            assert returnee_url(record_id) == url_for("returnees.show", returnee_id=record_id)
            assert compare_url(record_id) == url_for("duplicates.compare_pair", first_id=12, second_id=record_id)
        assert returnee_url("42") == url_for("returnees.show", returnee_id=42)


def test_id_links_keep_the_prefix_of_an_app_mounted_below_the_root(app):
    with app.test_request_context("/", base_url="http://localhost/caseapp/"):
        assert id_link("returnees.show", "returnee_id")(5) == url_for("returnees.show", returnee_id=5)
        assert url_for("returnees.show", returnee_id=5) == "/caseapp/returnees/5"


def test_query_links_are_url_fors(app):
    with app.test_request_context():
        links = QueryLinks("reports.drilldown")
        assert links(ODD_ARGUMENTS) == url_for("reports.drilldown", **ODD_ARGUMENTS)
        first = {key: ODD_ARGUMENTS[key] for key in ("from", "q", "empty")}
        second = {key: ODD_ARGUMENTS[key] for key in ("missing", "office", "quote", "safe")}
        assert links(query_string(first), second) == url_for("reports.drilldown", **ODD_ARGUMENTS)
        assert links() == links({}) == links({"missing": None}) == url_for("reports.drilldown")
        assert QueryLinks("returnees.show", returnee_id=7)({"tab": "x y"}) == url_for(
            "returnees.show", returnee_id=7, tab="x y"
        )


def reference_drill_url(filters):
    """The drill-down links as they were built before: url_for for every figure."""

    def drill_url(dimension, group, measure, type_code=None, **extra):
        args = {**filters.narrowed(dimension, group).query_args(), "measure": measure, **extra}
        if type_code:
            args["type"] = type_code
        return url_for("reports.drilldown", **args)

    return drill_url


def reference_cycle_url(filters):
    def cycle_url(measure, unit, partner_id=None):
        return url_for(
            "cycle_reports.drilldown", measure=measure, unit=unit, partner=partner_id, **filters.query_args()
        )

    return cycle_url


@pytest.mark.parametrize(
    "filters",
    [
        ReportFilters(date(2024, 1, 1), date(2024, 12, 31)),
        ReportFilters(
            date(2024, 1, 15),
            date(2024, 3, 10),
            office_id=2,
            sex="F",
            age_band=AgeBand.ADULT.value,
            vulnerability="single_parent",
            project_id=4,
        ),
    ],
)
def test_every_drill_down_link_is_url_fors(app, filters):
    cells = [
        ("total", None),
        ("office", 1),
        ("office", 2),
        ("project", 4),
        ("sex", "F"),
        ("sex", "M"),
        ("month", 202401),
        ("month", 202402),
        ("month", 202403),
    ]
    cells += [("age_band", band.value) for band in AgeBand]
    extras = [{}, {"currency": "GEL", "status": "delivered"}, {"status": "approved"}, {"funnel": "business"}]
    with app.test_request_context():
        fast, reference = report_views.drill_links(filters), reference_drill_url(filters)
        cycle_fast, cycle_reference = report_views.cycle_links(filters), reference_cycle_url(filters)
        for _ in range(2):  # the second time from what the first one kept
            for dimension, group in cells:
                for measure in ("returned", "assisted", "events", "persons", "counselled", "converted"):
                    for type_code in (None, "business_grant"):
                        for extra in extras:
                            assert fast(dimension, group, measure, type_code, **extra) == reference(
                                dimension, group, measure, type_code, **extra
                            )
            for partner_id in (None, 3):
                assert cycle_fast("referrals_made", "persons", partner_id) == cycle_reference(
                    "referrals_made", "persons", partner_id
                )
        # a name given twice is merged as url_for merges it, not repeated
        assert fast("total", None, "events", status="approved", office="9") == reference(
            "total", None, "events", status="approved", office="9"
        )


def _page(client, url):
    text = client.get(url).get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text)


def test_the_report_page_is_the_same_as_with_url_for_links(make, login, client, monkeypatch):
    for n in range(6):
        person = make.returnee(
            "Gori" if n < 4 else "Poti", sex="F" if n % 2 else "M", return_date=date(2024, 1 + n % 3, 10), commit=False
        )
        make.record(person, "business_counselling", on=date(2024, 2, 1), commit=False)
        if n % 2 == 0:
            make.record(person, "business_grant", on=date(2024, 3, 1), amount="1500.00", commit=False)
        else:
            make.record(person, "business_grant", on=date(2024, 3, 5), status="approved", amount="900.00", commit=False)
    db.session.commit()
    login(make.user(Role.ADMIN, None))
    for url in ("/reports/?from=2024-01-01&to=2024-03-31", "/reports/?from=2024-01-01&to=2024-12-31&sex=F"):
        fast = _page(client, url)
        with monkeypatch.context() as patched:
            patched.setattr(report_views, "drill_links", reference_drill_url)
            patched.setattr(report_views, "cycle_links", reference_cycle_url)
            assert _page(client, url) == fast
        links = re.findall(r'href="(/reports/drilldown\?[^"]*)"', fast)
        assert len(links) > 20 and all("&amp;" in link and "&m" not in link.replace("&amp;", "") for link in links)
