"""History in words: field labels, display names, formatted dates and amounts, links to the record; the same
lines on the returnee page, the home page and the administrator's change log."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import event, select

from caseapp.assistance.models import AssistanceStatus as S
from caseapp.assistance.services import AssistanceInput, deliver_assistance, record_assistance
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.history import describe


def _grant_delivered_late(make, worker):
    person = make.returnee("Gori", first_name="Nino", last_name="Beridze", caseworker=worker)
    record = record_assistance(
        worker,
        person,
        AssistanceInput(
            assistance_type=make.assistance_type("tools"),
            provided_on=date(2024, 11, 20),
            status=S.PLANNED,
            amount=Decimal("3500.00"),
            currency="GEL",
        ),
    )
    deliver_assistance(worker, record, delivered_on=date(2024, 11, 25), paid=Decimal("3200.50"))
    db.session.commit()
    return person, record


def test_the_returnee_page_tells_the_history_in_words(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori", display_name="Tamar Gelashvili")
    person, record = _grant_delivered_late(make, worker)
    login(worker)
    page = client.get(f"/returnees/{person.id}").text
    history = page[page.index('id="history"') :]
    for words in (
        "Tamar Gelashvili</strong> changed the status of assistance",
        f'href="/returnees/{person.id}#record-{record.id}">Tools for self-employment</a>',
        "Status: Planned → Delivered",
        "Date: Nov 20, 2024 → Nov 25, 2024",
        "Amount: 3,500.00 GEL → 3,200.50 GEL",
        "Tamar Gelashvili</strong> logged assistance",
    ):
        assert words in history, words
    shown = re.sub(r'(data-action|title)="[^"]*"', "", history.split("</ul>")[0])
    for developer_words in ("type_id", "provided_on", "3500.00", "assistance.create", worker.username):
        assert developer_words not in shown, developer_words
    assert f'id="record-{record.id}"' in page  # the link's target on the timeline


def test_home_and_change_log_render_the_same_lines_with_the_person(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori", display_name="Tamar Gelashvili")
    person, record = _grant_delivered_late(make, worker)
    login(worker)
    home = client.get("/").text
    assert "Amount: 3,500.00 GEL → 3,200.50 GEL" in home
    assert f'<a href="/returnees/{person.id}">Nino Beridze</a>' in home
    client.post("/logout")
    login(make.user(Role.ADMIN, None))
    assert client.get("/admin/audit").headers["Location"].endswith("/audit/")  # the old address still leads there
    log = client.get("/audit/").text
    assert "Amount: 3,500.00 GEL → 3,200.50 GEL" in log and ">Tamar Gelashvili</a>" in log
    assert f'<a href="/returnees/{person.id}">Nino Beridze</a>' in log


def test_account_and_case_changes_name_people_and_labels_not_codes(make):
    from caseapp.admin.services import update_user
    from caseapp.cases.services import assign_case

    admin = make.user(Role.ADMIN, None)
    first = make.user(Role.CASEWORKER, "Gori", display_name="Levan Beridze")
    second = make.user(Role.CASEWORKER, "Gori", display_name="Eka Tsiklauri")
    case = make.returnee("Gori", caseworker=first).current_case
    assign_case(admin, case, second)
    update_user(
        admin,
        first,
        display_name="Levan Beridze",
        role=Role.SUPERVISOR,
        field_office_id=first.field_office_id,
        active=True,
    )
    db.session.commit()
    lines = {line.entry.action: line for line in describe(db.session.scalars(select(AuditEntry)))}
    assign = lines["case.assign"]
    assert [(c.label, c.old, c.new) for c in assign.changes] == [("Caseworker", "Levan Beridze", "Eka Tsiklauri")]
    assert (assign.action, assign.record) == ("reassigned the case", "the case")
    account = lines["user.update"]
    assert [(c.label, c.old, c.new) for c in account.changes] == [("Role", "Caseworker", "Supervisor")]
    assert account.url.endswith(f"/admin/users/{first.id}")


def test_describing_the_history_costs_the_same_queries_for_3_or_30_entries(app, make):
    worker = make.user(Role.CASEWORKER, "Gori")
    for _ in range(10):
        _grant_delivered_late(make, worker)

    def queries_for(limit):
        entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id).limit(limit)))
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            describe(entries)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    assert queries_for(3) == queries_for(30)


def test_every_kind_of_change_log_entry_has_words():
    from caseapp.audit.labels import ACTION_LABELS, action_label
    from caseapp.audit.models import AuditAction

    assert set(ACTION_LABELS) == set(AuditAction)
    assert action_label(AuditAction.BACKUP_CREATE) == action_label("backup.create") == "made a backup"
    assert action_label("an.action.of.a.newer.version") == "an.action.of.a.newer.version"


def test_an_entry_whose_record_is_gone_names_it_by_the_label_kept_in_the_log(app, make):
    from caseapp.audit.models import AuditAction
    from caseapp.audit.services import record_event

    admin = make.user(Role.ADMIN, None)
    record_event(
        admin,
        AuditAction.BACKUP_CREATE,
        entity_type="backup",
        label="caseapp-2026.sqlite3",
        details={"file": "caseapp-2026.sqlite3", "revision": "0007", "bytes": 4096},
    )
    gone = AuditEntry(
        user_id=None,
        user_name="system",
        action=AuditAction.USER_UPDATE,
        entity_type="user",
        entity_id=987654,
        label="old.login",
        changes={"active": [True, False]},
    )
    db.session.add(gone)
    db.session.commit()
    backup, account = describe(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert (backup.action, backup.record) == ("made a backup", "caseapp-2026.sqlite3")
    assert [(c.label, c.new) for c in backup.changes] == [("File", "caseapp-2026.sqlite3"), ("Size in bytes", "4096")]
    assert (account.record, account.url) == ("old.login", None)
    assert [(c.label, c.old, c.new) for c in account.changes] == [("Active", "yes", "no")]
