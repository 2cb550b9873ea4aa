"""Lists that stay flat: the long lists page by keyset (caseapp/keyset.py), so that every row is met once,
in order, going forward to the end and back, whatever ties the sort key has; a cursor cannot be forged;
filters and sort stay with the cursor; a page costs the same queries at any depth; and the counts every
page shows (the navigation's badges) read indexes, never a whole office's returnees or cases."""

import base64
import html
import re
import urllib.parse
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, text

from caseapp.assistance.models import AssistanceStatus as S
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.keyset import make_cursor, read_cursor
from caseapp.pagination import count_rows
from caseapp.returnees.models import Returnee
from caseapp.review import queries
from caseapp.review.models import CaseReview, ReviewOutcome
from caseapp.timeutil import utcnow

ROW_LINK = re.compile(r'<td><a href="/returnees/(\d+)">')


def returnee_ids(page_html: str) -> list[int]:
    return [int(n) for n in ROW_LINK.findall(page_html)]


def pager_link(page_html: str, rel: str) -> str | None:
    parts = page_html.split(f'rel="{rel}" href="')
    return html.unescape(parts[1].split('"')[0]) if len(parts) > 1 else None


def walk(client, url: str, rel: str, ids_of) -> list[list[int]]:
    """The pages met following the pager's `rel` link from `url` to the end."""
    pages = []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages.append(ids_of(page.text))
        url = pager_link(page.text, rel)
    return pages


@pytest.fixture
def tied_returnees(make):
    """23 returnees of Gori where names and return dates tie in groups, and one of Tbilisi."""
    people = []
    for n in range(23):
        people.append(
            make.returnee(
                "Gori",
                first_name=["Nino", "Ana"][n % 2],
                last_name=["Beridze", "Abashidze", "Beridze"][n % 3],
                return_date=date(2024, 3, 1) + timedelta(days=n % 4),
                commit=False,
            )
        )
    make.returnee("Tbilisi", first_name="Ketevan", commit=False)
    db.session.commit()
    return people


@pytest.mark.parametrize(
    "sort,key",
    [
        ("name", lambda p: (p.last_name, p.first_name, p.id)),
        ("return_date", lambda p: (p.return_date, p.id)),
        ("date_of_birth", lambda p: (p.date_of_birth, p.id)),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_forward_to_the_end_and_back_meets_every_row_once_in_order_with_ties(
    client, make, login, tied_returnees, sort, key, descending
):
    login(make.user(Role.CASEWORKER, "Gori"))
    expected = [p.id for p in sorted(tied_returnees, key=key, reverse=descending)]
    first = f"/returnees/?per_page=5&sort={sort}&dir={'desc' if descending else 'asc'}"
    forward = walk(client, first, "next", returnee_ids)
    assert [len(ids) for ids in forward] == [5, 5, 5, 5, 3]
    assert sum(forward, []) == expected
    last = pager_link(client.get(first).text, "last")
    backward = walk(client, last, "prev", returnee_ids)
    assert backward == forward[::-1]  # the same pages going back from the last (its "Last" link)
    assert "Page 5 of 5" in client.get(last).text and "Page 1 of 5" in client.get(first).text


def test_the_admin_pages_every_office_and_the_last_page_is_the_reverse_order(client, make, login, tied_returnees):
    login(make.user(Role.ADMIN, None))
    everyone = db.session.scalars(select(Returnee).order_by(Returnee.last_name, Returnee.first_name, Returnee.id))
    forward = walk(client, "/returnees/?per_page=10", "next", returnee_ids)
    assert sum(forward, []) == [p.id for p in everyone] and len(forward) == 3
    last = client.get(pager_link(client.get("/returnees/?per_page=10").text, "last")).text
    assert returnee_ids(last) == forward[-1] and "showing 21–24" in last


def test_a_tampered_or_foreign_cursor_is_the_first_page_never_an_error(app, client, make, login, tied_returnees):
    login(make.user(Role.CASEWORKER, "Gori"))
    first = client.get("/returnees/?per_page=5").text
    second_url = pager_link(first, "next")
    cursor = urllib.parse.unquote(second_url.split("cursor=")[1].split("&")[0])  # Fernet's "=" come as %3D
    # encrypted: the row's sort values (a name) cannot be read from the address
    decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b"name:asc" not in decoded and b"after" not in decoded
    middle = len(cursor) // 2
    tampered = [
        cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :],
        cursor[::-1],
        "garbage",
        "a.b.c",
        "x" * 5000,
        "",
    ]
    for bad in tampered:
        page = client.get("/returnees/", query_string={"per_page": 5, "cursor": bad})
        assert page.status_code == 200
        assert returnee_ids(page.text) == returnee_ids(first)
    # a cursor made for another sort, or another list, is page 1 of this one
    other_sort = client.get("/returnees/", query_string={"per_page": 5, "cursor": cursor, "sort": "return_date"})
    assert returnee_ids(other_sort.text) == returnee_ids(client.get("/returnees/?per_page=5&sort=return_date").text)
    with app.test_request_context():
        assert read_cursor("cases", "name:asc", cursor).kind == "first"
        again = make_cursor("returnees", "name:asc", read_cursor("returnees", "name:asc", cursor))
        assert read_cursor("returnees", "name:asc", again) == read_cursor("returnees", "name:asc", cursor)
        assert read_cursor("returnees", "name:asc", cursor).kind == "after"


def test_filters_and_search_stay_with_the_cursor(client, make, login, tied_returnees):
    login(make.user(Role.CASEWORKER, "Gori"))
    beridze = sorted((p for p in tied_returnees if p.last_name == "Beridze"), key=lambda p: (p.first_name, p.id))
    pages = walk(client, "/returnees/?q=beridze&per_page=4", "next", returnee_ids)
    assert sum(pages, []) == [p.id for p in beridze]
    second = client.get("/returnees/?q=beridze&per_page=4").text
    assert "q=beridze" in pager_link(second, "next") and "per_page=4" in pager_link(second, "next")


def test_a_row_removed_under_the_cursor_loses_nothing_else(client, make, login, tied_returnees):
    login(make.user(Role.CASEWORKER, "Gori"))
    first = client.get("/returnees/?per_page=5").text
    shown = returnee_ids(first)
    db.session.delete(db.session.get(Returnee, shown[-1]))  # the row the "Next" cursor points after
    db.session.commit()
    after = returnee_ids(client.get(pager_link(first, "next")).text)
    everyone = [p.id for p in sorted(tied_returnees, key=lambda p: (p.last_name, p.first_name, p.id))]
    assert after == everyone[5:10]


def count_statements(app, client, url):
    statements = []

    def remember(*args):
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return len(statements)


def test_a_deep_page_costs_the_same_queries_as_the_first(app, client, make, login, tied_returnees):
    login(make.user(Role.CASEWORKER, "Gori"))
    first = "/returnees/?per_page=5"
    second = pager_link(client.get(first).text, "next")
    last = pager_link(client.get(first).text, "last")
    before_last = pager_link(client.get(last).text, "prev")
    counts = [count_statements(app, client, url) for url in (first, second, last, before_last)]
    assert len(set(counts)) == 1, counts


def test_the_review_queue_costs_the_same_queries_for_2_or_6_requests_over_budget(app, client, make, login, monkeypatch):
    monkeypatch.setattr(queries, "APPROVALS_PER_PAGE", 4)
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    worker = make.user(Role.CASEWORKER, "Gori")
    login(supervisor)

    def add_requests(n):
        for _ in range(n):
            funded = make.project(offices=["Gori"], budgets={"GEL": "1500"})
            person = make.returnee("Gori", caseworker=worker)
            make.record(person, "business_grant", status=S.REQUESTED, amount="2000", recorded_by=worker, project=funded)

    add_requests(2)
    two = count_statements(app, client, "/review/")
    assert client.get("/review/").text.count("budget-overrun") == 2
    add_requests(4)
    six = count_statements(app, client, "/review/")
    page = client.get("/review/").text
    assert page.count("budget-overrun") == 4 and "Page 1 of 2" in page  # 4 shown, the next page holds 2
    assert two == six, (two, six)
    second = client.get(pager_link(page, "next")).text
    assert second.count("budget-overrun") == 2


def test_the_cases_list_and_the_import_list_page_by_cursor(client, make, login, monkeypatch, tied_returnees):
    from caseapp.imports import views as import_views
    from caseapp.imports.models import ImportBatch
    from caseapp.review import views as review_views

    monkeypatch.setattr(review_views, "CASES_PER_PAGE", 7)
    login(make.user(Role.SUPERVISOR, "Gori"))
    pages = walk(
        client,
        "/review/cases",
        "next",
        lambda page: [int(n) for n in re.findall(r'name="case_id" value="(\d+)"', page)],
    )
    assert [len(ids) for ids in pages] == [7, 7, 7, 2]
    case_ids = sum(pages, [])
    assert len(set(case_ids)) == 23
    monkeypatch.setattr(import_views, "BATCHES_PER_PAGE", 2)
    admin = make.user(Role.ADMIN, None)
    for n in range(5):
        db.session.add(ImportBatch(created_by_id=admin.id, created_by_name=admin.username))
    db.session.commit()
    client.post("/logout")
    login(admin)
    pages = walk(client, "/imports/", "next", lambda page: [int(n) for n in re.findall(r'/imports/(\d+)"', page)])
    batch_ids = db.session.scalars(select(ImportBatch.id).order_by(ImportBatch.id.desc())).all()
    assert pages == [batch_ids[0:2], batch_ids[2:4], batch_ids[4:5]]


# --- the counts on every page ---------------------------------------------------------------------------------


def query_plan(statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    return "\n".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def count_statement(query):
    return select(func.count()).select_from(query.order_by(None).subquery())


def test_the_caseworkers_badge_counts_read_indexes_not_the_offices_returnees_or_cases(app, make):
    """SQLite's plan, as the app runs it (no ANALYZE statistics). PostgreSQL plans by statistics, which a
    test's few rows do not give: its plans at 100,000 returnees are in the branch's report (h15c)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    worker = make.user(Role.CASEWORKER, "Gori")
    for n in range(30):
        person = make.returnee("Gori", caseworker=worker if n % 3 == 0 else None, commit=False)
        make.returnee("Tbilisi", commit=False)
        db.session.flush()
        db.session.add(
            CaseReview(case_id=person.cases[0].id, outcome=ReviewOutcome.NEEDS_ACTION, comment="", reviewed_at=utcnow())
        )
    db.session.commit()
    with app.test_request_context():
        badges = {
            "reviews to answer": queries.reviews_awaiting_answer_query(worker),
            "my pending requests": queries.my_requests_query(worker).where(
                queries.AssistanceRecord.status == S.REQUESTED
            ),
            "approvals": queries.pending_approvals_query(worker.field_office_id),
        }
        for name, query in badges.items():
            plan = query_plan(count_statement(query))
            for table in ("returnee", "reintegration_case", "case_review"):
                # a scan reads the whole table; a search reads the rows an index leads to, and returnees
                # only by their id (never "field_office_id=?": the office)
                assert f"SCAN {table}" not in plan, (name, plan)
            assert "SEARCH returnee USING INTEGER PRIMARY KEY" in plan or "returnee" not in plan, (name, plan)
        plan = query_plan(count_statement(badges["reviews to answer"]))
        assert "ix_case_review_awaiting" in plan, plan
        assert "ix_reintegration_case_caseworker_status" in plan, plan  # led by the caseworker's own cases
        assert count_rows(badges["reviews to answer"]) == 10
