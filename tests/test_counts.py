"""Counts that are true: a list that shows fewer rows than there are says so and links to all of them."""

from __future__ import annotations

from datetime import date, timedelta

from caseapp.assistance.models import AssistanceStatus as S
from caseapp.auth.models import Role
from caseapp.extensions import db


def test_my_open_cases_badge_counts_all_and_the_list_says_how_many_it_shows(client, make, login, monkeypatch):
    from caseapp.home import views

    monkeypatch.setattr(views, "MY_CASES_SHOWN", 2)
    worker = make.user(Role.CASEWORKER, "Gori")
    people = [make.returnee("Gori", caseworker=worker, commit=False) for _ in range(3)]
    make.returnee("Gori", caseworker=make.user(Role.CASEWORKER, "Gori"))  # someone else's
    db.session.commit()
    login(worker)
    home = client.get("/").text
    assert 'My open cases <span class="badge text-bg-secondary">3 cases</span>' in home
    assert "Showing 2 of 3." in home and f'href="/returnees/?caseworker={worker.id}">Show all 3</a>' in home
    everything = client.get("/returnees/", query_string={"caseworker": worker.id}).text
    assert "3 matching returnees" in everything
    assert all(f'/returnees/{p.id}"' in everything for p in people)


def test_every_and_n_more_of_the_review_queue_links_to_the_whole_list(client, make, login):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    old = date.today() - timedelta(days=100)
    people = [make.returnee("Gori", return_date=old, commit=False) for _ in range(12)]
    for person in people:
        person.cases[0].opened_on = old
    db.session.commit()
    login(supervisor)
    queue = client.get("/review/").text
    assert '/review/cases?attention=plan_missing">… and 2 more: all 12</a>' in queue
    full = client.get("/review/cases", query_string={"attention": "plan_missing"}).text
    assert "12 cases" in full and "No plan 14 days after opening" in full
    assert all(f'/returnees/{p.id}"' in full for p in people)


def test_the_review_queue_pages_through_every_request_and_the_home_page_links_to_it(client, make, login, monkeypatch):
    from caseapp.review import queries

    monkeypatch.setattr(queries, "APPROVALS_PER_PAGE", 2)
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    person = make.returnee("Gori")
    records = [make.record(person, "business_grant", status=S.REQUESTED, amount="1000") for _ in range(3)]
    login(supervisor)
    home = client.get("/").text
    assert "Showing 2 of 3." in home and 'href="/review/">Show all 3</a>' in home
    assert 'Requests waiting for approval <span class="badge text-bg-warning">3 to review</span>' in home
    second = client.get(_next_page_url(client.get("/review/").text)).text
    assert f"/assistance/{records[2].id}/decision" in second and f"/assistance/{records[0].id}/decision" not in second


def test_my_requests_are_all_reachable(client, make, login, monkeypatch):
    from caseapp.review import views

    monkeypatch.setattr(views, "REQUESTS_PER_PAGE", 2)
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    for _ in range(3):
        make.record(person, "business_grant", status=S.REQUESTED, amount="1000", recorded_by=worker)
    login(worker)
    first = client.get("/review/my-requests").text
    assert "3 requests" in first and "showing 1–2" in first and "Page 1 of 2" in first
    second = client.get(_next_page_url(first)).text
    assert "showing 3–3" in second and "Page 2 of 2" in second


def _next_page_url(html: str) -> str:
    """The "Next" link of a list's pager (a keyset cursor: caseapp/keyset.py)."""
    return html.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
