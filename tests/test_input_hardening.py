"""Whatever a user types into an address or a form gives a page or a 4xx, never a 500."""
from __future__ import annotations

import pytest

from caseapp.auth.models import Role
from tests.test_access import records_in

TOO_BIG = ["2147483648", "9223372036854775808", "99999999999999999999999"]


@pytest.mark.parametrize("big", TOO_BIG)
@pytest.mark.parametrize("method,url", [
    ("GET", "/returnees/{}"), ("GET", "/returnees/{}/edit"), ("GET", "/assistance/{}/edit"),
    ("POST", "/returnees/cases/{}/status"), ("POST", "/review/reviews/{}/answer"), ("GET", "/imports/{}"),
    ("GET", "/admin/users/{}"),
])
def test_an_id_larger_than_any_row_is_not_found(client, make, login, big, method, url):
    login(make.user(Role.ADMIN, None))
    assert client.open(url.format(big), method=method).status_code == 404


@pytest.mark.parametrize("value", TOO_BIG + ["²", "-3", "abc"])
@pytest.mark.parametrize("role,url", [
    ("caseworker", "/returnees/?office={v}&page={v}&per_page={v}"),
    ("supervisor", "/review/cases?caseworker={v}&page={v}"),
    ("admin", "/review/cases?office={v}"),
    ("manager", "/reports/?office={v}"),
    ("admin", "/reports/drilldown?measure=returned&office={v}&page={v}"),
    ("admin", "/audit/?before={v}"),
    ("admin", "/audit/?returnee={v}&from={v}&staff={v}&action={v}"),
])
def test_unreadable_numbers_in_the_query_string_fall_back_to_the_default(client, make, login, value, role, url):
    login(make.user(Role(role), "Gori"))
    assert client.get(url.format(v=value)).status_code == 200


def test_drilldown_for_an_office_that_does_not_exist_counts_country_wide(client, make, login):
    make.returnee("Tbilisi", first_name="Salome")
    login(make.user(Role.ADMIN, None))
    page = client.get("/reports/drilldown?measure=returned&from=2024-01-01&to=2024-12-31&office=999")
    assert page.status_code == 200
    assert "Salome" in page.text


def test_drilldown_with_an_unknown_currency_is_a_bad_request(client, make, login):
    login(make.user(Role.SUPERVISOR, "Gori"))
    assert client.get("/reports/drilldown?measure=events&currency=XYZ").status_code == 400
    assert client.get("/reports/drilldown?measure=events&currency=GEL").status_code == 200


@pytest.mark.parametrize("method,url,data", [
    ("GET", "/returnees/?q=Ni%00no", None),
    ("GET", "/returnees/?type=%00", None),
    ("POST", "/returnees/new", {"first_name": "Ni\x00no", "last_name": "B"}),
])
def test_a_nul_byte_is_a_bad_request(client, make, login, method, url, data):
    login(make.user(Role.CASEWORKER, "Gori"))
    assert client.open(url, method=method, data=data).status_code == 400


def test_a_version_no_record_can_have_saves_nothing(client, make, login):
    records = records_in(make, "Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post(f"/returnees/cases/{records['c']}/follow-up",
                           data={"follow-follow_up_on": "2030-01-01", "follow-version": TOO_BIG[-1]})
    assert response.status_code == 302
    response = client.post(f"/assistance/{records['a']}/status", data={"status": "cancelled", "version": TOO_BIG[0]})
    assert response.status_code == 302
    from caseapp.cases.models import Case
    from caseapp.extensions import db

    assert db.session.get(Case, records["c"]).follow_up_on is None


def test_bulk_reassignment_ignores_ids_that_cannot_exist(client, make, login):
    records = records_in(make, "Gori")
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post("/review/cases/reassign",
                           data={"caseworker_id": str(records["u"]), "case_id": [TOO_BIG[-1], "²"]})
    assert response.status_code == 302


def test_export_of_an_office_with_a_georgian_name_has_a_latin1_header(client, make, login):
    from caseapp.extensions import db

    office = make.office("Poti")
    office.name = 'ფოთი "2"'
    db.session.commit()
    login(make.user(Role.ADMIN, None))
    response = client.get(f"/imports/export-returnees.csv?office={office.id}")
    header = response.headers["Content-Disposition"]
    header.encode("latin-1")  # what a WSGI server must be able to send
    assert header.startswith('attachment; filename="caseapp-returnees-____ _2_.csv"')
    assert "filename*=UTF-8''caseapp-returnees-%E1%83%A4" in header
