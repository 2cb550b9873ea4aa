"""Text typed by users is shown as text: never markup, never a template."""
from __future__ import annotations

from caseapp.auth.models import Role
from caseapp.extensions import db

SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{7*7}}"


def test_names_and_notes_are_escaped_on_every_page_that_shows_them(client, make, login):
    person = make.returnee("Gori", first_name=SCRIPT, last_name=TEMPLATE)
    entry = make.record(person, "business_grant", status="requested", amount="3000")
    entry.notes = SCRIPT
    entry.recorded_by_id = entry.requested_by_id = make.user(Role.CASEWORKER, "Gori").id
    db.session.commit()
    login(make.user(Role.SUPERVISOR, "Gori"))
    for url in (f"/returnees/{person.id}", "/returnees/", "/review/", "/review/cases",
                "/reports/drilldown?measure=returned&from=2024-01-01&to=2024-12-31"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert SCRIPT not in page.text, url
        assert "&lt;script&gt;" in page.text, url
        assert TEMPLATE in page.text, url  # shown as typed, not evaluated


def test_office_name_is_escaped_in_the_report_paragraph(client, make, login):
    office = make.office("Poti")
    office.name = SCRIPT
    db.session.commit()
    make.returnee(SCRIPT)
    login(make.user(Role.MANAGER, None))
    page = client.get(f"/reports/?from=2024-01-01&to=2024-12-31&office={office.id}")
    assert page.status_code == 200
    assert SCRIPT not in page.text
