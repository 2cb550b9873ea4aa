"""The audit page people can read, and an audit nobody edits: plain words with names and links, filters,
keyset pages, the CSV export (itself audited), supervisors limited to their office, the returnee page's
"who opened or changed this file", no route that changes an entry, and PostgreSQL's trigger."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from caseapp.audit.models import READ_ACTIONS, SIGN_IN_ACTIONS, AuditAction, AuditEntry
from caseapp.audit.reads import allow_audit_scrub
from caseapp.audit.services import record_event
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.timeutil import utcnow


def _office_id(name):
    return db.session.scalar(sa.text("SELECT id FROM field_office WHERE name = :name"), {"name": name})


def test_the_page_says_in_plain_words_who_opened_which_file_with_names_and_links(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori", display_name="Nino Beridze")
    person = make.returnee("Gori", first_name="Tamar", last_name="Maisuradze")
    login(worker)
    client.get(f"/returnees/{person.id}")
    client.get("/returnees/", query_string={"q": "Maisur"})
    client.post("/logout")
    login(make.user(Role.ADMIN, None))
    page = client.get("/audit/").text
    assert "Nino Beridze</a>" in page and "opened the file of" in page
    assert f'<a href="/returnees/{person.id}">Tamar Maisuradze (#{person.id})</a>' in page
    assert "searched" in page and "Name or number: “Maisur”" in page and "Found: 1" in page
    assert "logged in" in page and "logged out" in page
    assert "from 127.0.0.1" in page and "Gori" in page
    assert "field_office_id" not in page


def test_a_change_reads_as_old_and_new_values(client, make, login):
    from tests.test_history import _grant_delivered_late

    worker = make.user(Role.CASEWORKER, "Gori")
    _grant_delivered_late(make, worker)
    login(make.user(Role.ADMIN, None))
    assert "Amount: 3,500.00 GEL → 3,200.50 GEL" in client.get("/audit/").text


def test_filters_by_staff_returnee_office_action_and_dates(client, make, login):
    gori_worker = make.user(Role.CASEWORKER, "Gori")
    tbilisi_worker = make.user(Role.CASEWORKER, "Tbilisi")
    gori_person = make.returnee("Gori")
    tbilisi_person = make.returnee("Tbilisi")
    login(gori_worker)
    client.get(f"/returnees/{gori_person.id}")
    client.post("/logout")
    login(tbilisi_worker)
    client.get(f"/returnees/{tbilisi_person.id}")
    client.post("/logout")
    admin = make.user(Role.ADMIN, None)
    login(admin)

    def actions(**args):
        page = client.get("/audit/", query_string=args).text
        return page.count('data-action="returnee.view"'), page.count('data-action="auth.login"')

    assert actions() == (2, 3)
    assert actions(staff=gori_worker.id) == (1, 1)
    assert actions(returnee=tbilisi_person.id) == (1, 0)
    assert actions(office=_office_id("Tbilisi")) == (1, 1)
    assert actions(action="reads") == (2, 0)
    assert actions(action="auth.login") == (0, 3)
    today = utcnow().date()
    assert actions(
        **{"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    ) == (2, 3)
    assert actions(**{"to": (today - timedelta(days=2)).isoformat()}) == (0, 0)
    assert client.get("/audit/", query_string={"from": "yesterday", "action": "drop table"}).status_code == 200


def test_keyset_pages_go_older_and_newer_without_gaps_or_repeats(client, make, login):
    admin = make.user(Role.ADMIN, None)
    for n in range(120):
        record_event(admin, AuditAction.BACKUP_CREATE, entity_type="backup", label=f"backup-{n:03}")
    db.session.commit()
    login(admin)
    seen, url = [], "/audit/?action=backup.create"
    pages = []
    while url:
        page = client.get(url).text
        ids = [int(part.split('"')[0]) for part in page.split('id="entry-')[1:]]
        pages.append(ids)
        seen += ids
        older = page.split('rel="next" href="')
        url = older[1].split('"')[0].replace("&amp;", "&") if len(older) > 1 and not older[1].startswith("#") else None
    assert [len(ids) for ids in pages] == [50, 50, 20]
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 120
    newer_url = page.split('rel="prev" href="')[1].split('"')[0].replace("&amp;", "&")  # from the last page back
    newer = client.get(newer_url).text
    assert [int(part.split('"')[0]) for part in newer.split('id="entry-')[1:]] == pages[1]


def test_a_supervisor_reads_only_their_office_entries(client, make, login):
    gori_person = make.returnee("Gori", first_name="Salome")
    tbilisi_person = make.returnee("Tbilisi", first_name="Ketevan")
    login(make.user(Role.ADMIN, None))
    client.get(f"/returnees/{gori_person.id}")
    client.get(f"/returnees/{tbilisi_person.id}")
    client.post("/logout")
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get("/audit/").text
    assert "Salome" in page and "Ketevan" not in page
    assert "Ketevan" not in client.get(f"/audit/?office={_office_id('Tbilisi')}").text
    assert "Ketevan" not in client.get("/audit/export.csv").text


def test_the_csv_export_is_formula_safe_in_words_and_itself_audited(client, make, login):
    admin = make.user(Role.ADMIN, None)
    person_id = make.returnee("Gori", first_name="=HYPERLINK", last_name="Beridze").id
    login(admin)
    client.get(f"/returnees/{person_id}")
    response = client.get("/audit/export.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    opened = next(row for row in rows if row["action"] == "returnee.view")
    assert opened["in_words"] == "opened the file of" and opened["record"].startswith("'=HYPERLINK")
    assert opened["client_address"] == "127.0.0.1" and opened["request_id"]
    export = db.session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT)).one()
    assert export.label == "audit-log.csv" and export.changes["rows"] == len(rows)


def test_the_returnee_page_shows_who_opened_or_changed_the_file_to_supervisors_and_admins(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori", display_name="Levan Kapanadze")
    person = make.returnee("Gori")
    login(worker)
    client.get(f"/returnees/{person.id}")
    client.get(f"/returnees/{person.id}")
    assert "Who opened or changed this file" not in client.get(f"/returnees/{person.id}").text
    client.post("/logout")
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get(f"/returnees/{person.id}").text
    assert "Who opened or changed this file" in page
    panel = page.split('id="file-access"')[1]
    assert "Levan Kapanadze" in panel and "3 times" in panel
    assert f"/audit/?returnee={person.id}" in panel


def test_no_route_changes_or_deletes_an_audit_entry(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods - {"GET", "HEAD", "OPTIONS"} == set(), rule.rule


@pytest.fixture
def on_postgresql(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger is PostgreSQL's (TEST_DATABASE_URL=postgresql+psycopg://...)")


def _one_entry(make):
    entry = record_event(make.user(Role.ADMIN, None), AuditAction.BACKUP_CREATE, entity_type="backup", label="b")
    db.session.commit()
    return entry.id


def test_postgresql_refuses_update_of_an_audit_entry(on_postgresql, make):
    entry_id = _one_entry(make)
    with pytest.raises(sa.exc.DBAPIError, match="cannot be changed or deleted"):
        db.session.execute(sa.text("UPDATE audit_entry SET label = 'x' WHERE id = :id"), {"id": entry_id})
    db.session.rollback()
    assert db.session.get(AuditEntry, entry_id).label == "b"


def test_postgresql_refuses_delete_and_truncate_of_audit_entries(on_postgresql, make):
    entry_id = _one_entry(make)
    for statement in ("DELETE FROM audit_entry WHERE id = :id", "TRUNCATE audit_entry"):
        with pytest.raises(sa.exc.DBAPIError, match="cannot be changed or deleted"):
            db.session.execute(sa.text(statement), {"id": entry_id})
        db.session.rollback()
    assert db.session.get(AuditEntry, entry_id) is not None


def test_the_scrub_setting_lets_an_update_through_for_its_transaction_only(on_postgresql, make):
    entry_id = _one_entry(make)
    allow_audit_scrub()
    db.session.execute(sa.text("UPDATE audit_entry SET label = 'scrubbed' WHERE id = :id"), {"id": entry_id})
    with pytest.raises(sa.exc.DBAPIError, match="cannot be changed or deleted"):
        db.session.execute(sa.text("DELETE FROM audit_entry WHERE id = :id"), {"id": entry_id})
    db.session.rollback()
    allow_audit_scrub()
    db.session.execute(sa.text("UPDATE audit_entry SET label = 'scrubbed' WHERE id = :id"), {"id": entry_id})
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="cannot be changed or deleted"):  # the next transaction: refused
        db.session.execute(sa.text("UPDATE audit_entry SET label = 'again' WHERE id = :id"), {"id": entry_id})
    db.session.rollback()
    assert db.session.get(AuditEntry, entry_id).label == "scrubbed"


def test_allow_audit_scrub_is_harmless_on_sqlite(app_ctx):
    allow_audit_scrub()  # no trigger there; nothing to switch
    db.session.rollback()


def test_the_demo_data_leaves_a_believable_audit_history(app_ctx, client, login):
    from datetime import date

    from caseapp.demo.data import seed_demo

    seed_demo(60, on=date(2026, 1, 15))
    db.session.commit()
    counts = dict(db.session.execute(select(AuditEntry.action, sa.func.count()).group_by(AuditEntry.action)).all())
    for action in (
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.RETURNEE_VIEW,
        AuditAction.SEARCH,
        AuditAction.EXPORT,
        AuditAction.LOGIN_FAILED,
        AuditAction.DRILLDOWN,
    ):
        assert counts.get(action, 0) > 0, action
    # the reads and sign-ins of the demo's six weeks (other demo modules' changes are dated when made)
    first, last = db.session.execute(
        select(sa.func.min(AuditEntry.created_at), sa.func.max(AuditEntry.created_at)).where(
            AuditEntry.action.in_(READ_ACTIONS | SIGN_IN_ACTIONS)
        )
    ).one()
    assert first.date() >= date(2025, 11, 1) and last.date() < date(2026, 1, 15)
    # each office's entries come from staff of that office, from an address and a browser
    shown = AuditEntry.action.in_(READ_ACTIONS | SIGN_IN_ACTIONS)
    assert db.session.scalar(select(sa.func.count()).where(shown, AuditEntry.client_address.is_(None))) == 0
