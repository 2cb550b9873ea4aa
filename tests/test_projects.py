"""Projects: who pays. The rules as plain functions (which project may pay for a record, budgets), the
admin's page and command line, the project on the assistance and returnee forms, money against budget
with the approver's warning, bulk reassignment, import and export, demo data, the migration."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from caseapp.assistance import services
from caseapp.assistance.budget import BudgetLine, budget_excess, budget_lines, record_overrun
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.auth.models import Role
from caseapp.enums import Currency
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.funding.reassignment import ReassignFilter, plan_reassignment, reassign_records
from caseapp.projects.models import UNASSIGNED_CODE, Project
from caseapp.projects.queries import fitting_projects_for, unassigned_project
from caseapp.projects.rules import (
    ProjectInput,
    choose_project,
    project_errors,
    project_refusal,
    return_project_refusal,
)
from caseapp.projects.services import create_project, update_project
from caseapp.returnees.models import Returnee
from tests.test_imports import files, record_row, returnee_row, run_import  # noqa: F401  (files: a fixture)
from tests.test_migration_data import other_app, scratch_url  # noqa: F401  (fixtures: a database of its own)


@pytest.fixture
def request_ctx(app, app_ctx):
    """Messages are lazy strings: reading them needs a request's locale."""
    with app.test_request_context():
        yield


def unassigned():
    return db.session.scalar(select(Project).where(Project.code == UNASSIGNED_CODE))


# --- rules, without a database ------------------------------------------------------------------------


class FakeOffice:
    def __init__(self, office_id):
        self.id = office_id


class FakeType:
    def __init__(self, type_id):
        self.id = type_id


def fake_project(
    code="AVR-2014", *, offices=(), types=(), start=date(2014, 1, 1), end=date(2016, 12, 31), active=True, project_id=1
):
    project = Project(code=code, name=code, start_date=start, end_date=end, active=active)
    project.__dict__["offices"] = [FakeOffice(i) for i in offices]
    project.__dict__["assistance_types"] = [FakeType(i) for i in types]
    project.id = project_id
    return project


def test_a_project_fits_a_record_in_its_period_office_and_types(request_ctx):
    project = fake_project(offices=[2], types=[7])
    assert project_refusal(project, office_id=2, type_id=7, on=date(2015, 6, 1)) is None
    assert "runs from 2014-01-01 to 2016-12-31" in str(
        project_refusal(project, office_id=2, type_id=7, on=date(2017, 1, 1))
    )
    assert "does not operate" in str(project_refusal(project, office_id=3, type_id=7, on=date(2015, 6, 1)))
    assert "does not fund" in str(project_refusal(project, office_id=2, type_id=8, on=date(2015, 6, 1)))
    closed = fake_project(active=False)
    assert "not active" in str(project_refusal(closed, office_id=2, type_id=7, on=date(2015, 6, 1)))


def test_a_project_without_offices_or_types_operates_everywhere_and_funds_every_type(request_ctx):
    project = fake_project()
    assert project_refusal(project, office_id=5, type_id=99, on=date(2014, 1, 1)) is None
    assert project_refusal(project, office_id=5, type_id=99, on=date(2016, 12, 31)) is None


def test_choose_project_preselects_the_one_that_fits_and_falls_back_to_unassigned(request_ctx):
    none = fake_project(UNASSIGNED_CODE, start=None, end=None, project_id=99)
    fits = fake_project("AVR", offices=[2], project_id=1)
    other_office = fake_project("MBR", offices=[3], project_id=2)
    on = date(2015, 1, 1)
    assert choose_project(None, [fits, other_office], none, office_id=2, type_id=1, on=on) is fits
    assert choose_project(None, [other_office], none, office_id=2, type_id=1, on=on) is none
    second = fake_project("VET", project_id=3)
    with pytest.raises(ValueError, match="Several projects"):
        choose_project(None, [fits, second], none, office_id=2, type_id=1, on=on)
    with pytest.raises(ValueError, match="AVR pays for this"):
        choose_project(none, [fits], none, office_id=2, type_id=1, on=on)
    with pytest.raises(ValueError, match="does not operate"):
        choose_project(other_office, [fits, other_office], none, office_id=2, type_id=1, on=on)
    # a record keeps the project it has, even one that no longer fits
    assert choose_project(other_office, [fits], none, office_id=2, type_id=1, on=on, keep=other_office) is other_office


def test_project_details_are_checked(request_ctx):
    good = ProjectInput(
        code="AVR-2014", name="AVR", donor="EU", start_date=date(2014, 1, 1), end_date=date(2014, 12, 31)
    )
    assert project_errors(good) == {}
    bad = ProjectInput("a b", "", "", date(2015, 1, 1), date(2014, 1, 1), budgets={Currency.EUR: Decimal("-1")})
    assert set(project_errors(bad)) == {"code", "name", "donor", "end_date", "budget_eur"}
    reserved = ProjectInput(
        code="unassigned", name="x", donor="y", start_date=date(2014, 1, 1), end_date=date(2014, 1, 2)
    )
    assert "reserved" in str(project_errors(reserved)["code"])


def test_budget_excess_is_what_a_request_exceeds_of_what_remains():
    assert budget_excess(Decimal("1000"), Decimal("600"), Decimal("400")) is None
    assert budget_excess(Decimal("1000"), Decimal("600"), Decimal("450")) == Decimal("50")
    assert budget_excess(None, Decimal("0"), Decimal("10")) == Decimal("10")  # no budget in that currency
    line = BudgetLine(Currency.EUR, Decimal("1000.00"), committed=Decimal("300.00"), delivered=Decimal("500.00"))
    assert (line.remaining, line.used_percent, line.over) == (Decimal("200.00"), 80, False)


def test_a_return_is_credited_to_a_project_of_its_office_and_period(request_ctx):
    project = fake_project(offices=[2])
    assert return_project_refusal(project, office_id=2, on=date(2015, 1, 1)) is None
    assert return_project_refusal(project, office_id=3, on=date(2015, 1, 1)) is not None
    assert return_project_refusal(project, office_id=2, on=date(2013, 1, 1)) is not None


# --- projects: service, page, command line -------------------------------------------------------------


def test_the_migration_leaves_one_unassigned_project(app_ctx):
    assert unassigned().name == "Unassigned (no project)"
    assert unassigned_project().id == unassigned().id


def test_records_and_returnees_saved_without_a_project_are_unassigned(make):
    person = make.returnee("Gori")
    record = make.record(person)
    assert record.project.code == UNASSIGNED_CODE
    assert person.return_project.code == UNASSIGNED_CODE


def test_creating_and_changing_a_project_is_audited(make, request_ctx):
    admin = make.user(Role.ADMIN)
    values = ProjectInput(
        code="AVR-2014",
        name="Assisted voluntary return",
        donor="European Union",
        start_date=date(2014, 1, 1),
        end_date=date(2016, 12, 31),
        office_ids=[make.office("Gori").id],
        type_ids=[make.assistance_type("business_grant").id],
        budgets={Currency.EUR: Decimal("250000")},
    )
    project = create_project(admin, values)
    db.session.commit()
    assert project.budget_amounts == {"EUR": "250000.00"}
    assert project.office_names == ["Gori"] and project.type_codes == ["business_grant"]
    values.budgets = {Currency.EUR: Decimal("200000"), Currency.GEL: Decimal("10000")}
    update_project(admin, project, values, expected_version=project.version)
    db.session.commit()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "project").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [AuditAction.PROJECT_CREATE, AuditAction.PROJECT_UPDATE]
    assert entries[1].changes["budget_amounts"] == [{"EUR": "250000.00"}, {"EUR": "200000.00", "GEL": "10000.00"}]
    with pytest.raises(ValidationFailed) as refused:
        create_project(admin, values)
    assert "Another project has the code" in str(refused.value.errors["code"])
    with pytest.raises(ValidationFailed):
        update_project(admin, unassigned(), values)


def test_admin_creates_a_project_on_the_page(make, login, client):
    admin = make.user(Role.ADMIN)
    login(admin)
    response = client.post(
        "/projects/new",
        data={
            "code": "MBR-2015",
            "name": "Micro-business reintegration",
            "name_ka": "მიკრობიზნესი",
            "donor": "EU",
            "start_date": "2015-01-01",
            "end_date": "2017-12-31",
            "office_ids": [str(make.office("Gori").id)],
            "type_ids": [str(make.assistance_type("business_grant").id)],
            "budget_gel": "1,500,000.00",
            "budget_eur": "",
            "budget_usd": "",
            "active": "y",
        },
    )
    assert response.status_code == 302
    project = db.session.scalar(select(Project).where(Project.code == "MBR-2015"))
    assert project.budget_amounts == {"GEL": "1500000.00"}
    page = client.get("/projects/").get_data(as_text=True)
    assert "MBR-2015" in page and "1,500,000.00 GEL" in page
    bad = client.post(
        "/projects/new",
        data={
            "code": "X",
            "name": "x",
            "donor": "y",
            "start_date": "2015-01-01",
            "end_date": "2014-01-01",
            "budget_eur": "lots",
        },
    )
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "Type the amount as a number" in text


def test_managers_and_supervisors_see_projects_read_only(make, login, client):
    make.project("AVR-2014", budgets={"EUR": "1000"})
    login(make.user(Role.MANAGER, None))
    page = client.get("/projects/").get_data(as_text=True)
    assert "AVR-2014" in page and "New project" not in page and "/edit" not in page


def test_command_line_adds_and_lists_projects(runner, app_ctx):
    result = runner.invoke(
        args=[
            "projects",
            "add",
            "AVR-2014",
            "--name",
            "Assisted voluntary return",
            "--name-ka",
            "ნებაყოფლობითი დაბრუნება",
            "--donor",
            "European Union",
            "--start",
            "2014-01-01",
            "--end",
            "2016-12-31",
            "--office",
            "Gori",
            "--office",
            "Tbilisi",
            "--budget",
            "250000",
            "EUR",
            "--budget",
            "100000",
            "GEL",
            "--type",
            "business_grant",
        ]
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(args=["projects", "list", "--format", "json"]).output)
    avr = next(p for p in listed if p["code"] == "AVR-2014")
    assert avr == {
        "code": "AVR-2014",
        "name": "Assisted voluntary return",
        "name_ka": "ნებაყოფლობითი დაბრუნება",
        "donor": "European Union",
        "start": "2014-01-01",
        "end": "2016-12-31",
        "active": True,
        "offices": ["Gori", "Tbilisi"],
        "types": ["business_grant"],
        "budget": {"EUR": "250000.00", "GEL": "100000.00"},
    }
    table = runner.invoke(args=["projects", "list"]).output
    assert "AVR-2014" in table and "UNASSIGNED" in table


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["AVR-2014"], "Error: --name: Required."),
        (["X1", "--name", "x", "--donor", "d", "--start", "2014-13-01", "--end", "2015-01-01"], "Error: --start:"),
        (
            ["X1", "--name", "x", "--donor", "d", "--start", "2015-01-01", "--end", "2014-01-01"],
            "Error: --end: The end cannot be before the start.",
        ),
        (
            ["X1", "--name", "x", "--donor", "d", "--start", "2014-01-01", "--end", "2015-01-01", "--office", "Mars"],
            "Error: --office: no field office is named 'Mars'.",
        ),
        (
            [
                "X1",
                "--name",
                "x",
                "--donor",
                "d",
                "--start",
                "2014-01-01",
                "--end",
                "2015-01-01",
                "--budget",
                "1",
                "XYZ",
            ],
            "Error: --budget 1 XYZ: Unknown currency XYZ",
        ),
        (
            ["X1", "--name", "x", "--donor", "d", "--start", "2014-01-01", "--end", "2015-01-01", "--type", "nope"],
            "Error: --type: no assistance type has the code 'nope'.",
        ),
    ],
)
def test_command_line_refuses_bad_input_with_one_error_line(runner, app_ctx, arguments, message):
    result = runner.invoke(args=["projects", "add", *arguments])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), result.output
    assert db.session.scalar(select(func.count(Project.id))) == 1  # only Unassigned


# --- who paid: the assistance form ---------------------------------------------------------------------


@pytest.fixture
def gori_projects(make):
    grant = make.assistance_type("business_grant")
    return {
        "mbr": make.project(
            "MBR-2024", offices=["Gori"], types=["business_grant", "business_counselling"], budgets={"GEL": "10000"}
        ),
        "tbilisi": make.project("TBS-2024", offices=["Tbilisi"], types=["business_grant"]),
        "old": make.project("OLD-2010", types=["business_grant"], start=date(2010, 1, 1), end=date(2012, 1, 1)),
        "grant": grant,
    }


def test_only_projects_that_fit_are_offered_and_the_one_that_fits_is_preselected(make, login, client, gori_projects):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    page = client.get(f"/returnees/{person.id}/assistance/new?type=business_grant").get_data(as_text=True)
    assert "MBR-2024" in page and "TBS-2024" not in page  # another office's project is not offered
    mbr = gori_projects["mbr"]
    assert f'value="{mbr.id}" data-types' in page
    assert "data-current" not in page
    assert fitting_projects_for(make.office("Gori").id, gori_projects["grant"].id, date.today()) == [mbr]
    assert f'<option value="{mbr.id}" data-types="{",".join(str(t.id) for t in mbr.assistance_types)}"' in page
    assert " selected>MBR-2024" in page


def test_a_record_goes_to_the_one_project_that_fits(make, gori_projects, request_ctx):
    person = make.returnee("Gori")
    worker = make.user(Role.CASEWORKER, "Gori")
    record = services.record_assistance(
        worker,
        person,
        services.AssistanceInput(
            assistance_type=make.assistance_type("business_counselling"), provided_on=date.today()
        ),
    )
    assert record.project is gori_projects["mbr"]


def test_when_no_project_fits_the_record_is_unassigned(make, gori_projects, request_ctx):
    person = make.returnee("Gori")
    worker = make.user(Role.CASEWORKER, "Gori")
    record = services.record_assistance(
        worker,
        person,
        services.AssistanceInput(assistance_type=make.assistance_type("medical_counselling"), provided_on=date.today()),
    )
    assert record.project.code == UNASSIGNED_CODE


def test_a_project_that_does_not_fit_is_refused_next_to_the_field(make, login, client, gori_projects):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    grant = {"type_id": gori_projects["grant"].id, "provided_on": date.today().isoformat(), "status": "requested",
             "amount": "100", "currency": "GEL"}  # fmt: skip
    url = f"/returnees/{person.id}/assistance/new"
    response = client.post(url, data={**grant, "project_id": gori_projects["tbilisi"].id})
    assert response.status_code == 200
    assert "TBS-2024 does not operate in this office." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AssistanceRecord.id))) == 0
    response = client.post(url, data={**grant, "project_id": unassigned().id})
    assert "MBR-2024 pays for this: choose it." in response.get_data(as_text=True)


def test_the_form_says_so_when_no_project_fits(make, login, client, gori_projects):
    person = make.returnee("Gori")
    login(make.user(Role.CASEWORKER, "Gori"))
    page = client.get(f"/returnees/{person.id}/assistance/new?type=medical_counselling").get_data(as_text=True)
    assert "No project funds this type in this office on this date" in page


def test_editing_a_record_keeps_its_project_and_can_move_it_to_one_that_fits(make, gori_projects, request_ctx):
    person = make.returnee("Gori")
    record = make.record(person, "business_counselling", on=date.today())
    worker = make.user(Role.CASEWORKER, "Gori")
    values = services.AssistanceInput(assistance_type=record.assistance_type, provided_on=record.provided_on)
    services.update_assistance(worker, record, values, expected_version=record.version)
    assert record.project.code == UNASSIGNED_CODE  # nothing chosen: unchanged
    values.project = gori_projects["mbr"]
    services.update_assistance(worker, record, values, expected_version=record.version)
    assert record.project is gori_projects["mbr"]


# --- who paid: the return -----------------------------------------------------------------------------


def test_a_return_is_credited_on_the_returnee_form(make, login, client, gori_projects):
    person = make.returnee("Gori", return_date=date.today())
    login(make.user(Role.CASEWORKER, "Gori"))
    form = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "sex": "F",
        "date_of_birth": "1985-05-17",
        "field_office_id": person.field_office_id,
        "return_date": date.today().isoformat(),
        "returned_from": "Germany",
        "version": person.version,
    }
    refused = client.post(
        f"/returnees/{person.id}/edit", data={**form, "return_project_id": gori_projects["tbilisi"].id}
    )
    assert "TBS-2024 does not operate in this office." in refused.get_data(as_text=True)
    saved = client.post(f"/returnees/{person.id}/edit", data={**form, "return_project_id": gori_projects["mbr"].id})
    assert saved.status_code == 302
    assert db.session.get(Returnee, person.id).return_project.code == "MBR-2024"
    assert "return assisted by MBR-2024" in client.get(f"/returnees/{person.id}").get_data(as_text=True)


# --- money against budget ------------------------------------------------------------------------------


@pytest.fixture
def budgeted(make):
    """A Gori project with 10,000 GEL: 4,000 delivered, 3,000 approved, 2,500 requested (9,500 used)."""
    project = make.project("MBR-2024", offices=["Gori"], types=["business_grant"], budgets={"GEL": "10000"})
    person = make.returnee("Gori")
    make.record(person, "business_grant", status="delivered", amount="4000", project=project)
    make.record(person, "business_grant", status="approved", amount="3000", project=project)
    make.record(person, "business_grant", status="planned", amount="900", project=project)  # commits nothing
    make.record(person, "business_grant", status="cancelled", amount="800", project=project)  # nor this
    requested = make.record(
        person,
        "business_grant",
        status="requested",
        amount="2500",
        project=project,
        recorded_by=make.user(Role.CASEWORKER, "Gori"),
    )
    requested.requested_by_id = requested.recorded_by_id
    db.session.commit()
    return project, person, requested


def test_budget_lines_show_committed_delivered_and_remaining(budgeted, request_ctx):
    project, _person, _requested = budgeted
    (line,) = budget_lines(project)
    assert (line.currency, line.budget, line.committed, line.delivered, line.remaining) == (
        Currency.GEL,
        Decimal("10000.00"),
        Decimal("5500.00"),
        Decimal("4000.00"),
        Decimal("500.00"),
    )


def test_a_request_within_what_remains_is_not_flagged(budgeted, request_ctx):
    _project, _person, requested = budgeted
    assert record_overrun(requested) is None  # 10,000 - 7,000 others = 3,000 left for 2,500


def test_a_request_past_what_remains_is_flagged_to_the_approver(make, login, client, budgeted):
    project, person, requested = budgeted
    requested.amount = Decimal("3500.00")
    db.session.commit()
    overrun = record_overrun(requested)
    assert (overrun.remaining, overrun.excess) == (Decimal("3000.00"), Decimal("500.00"))
    login(make.user(Role.SUPERVISOR, "Gori"))
    queue = client.get("/review/").get_data(as_text=True)
    assert "over budget" in queue and "Over budget: MBR-2024 has 3,000.00 GEL left of 10,000.00 GEL" in queue
    page = client.get(f"/assistance/{requested.id}/decision?decision=approved").get_data(as_text=True)
    assert "exceeds it by 500.00 GEL" in page
    # warn (the default): the approval goes through
    response = client.post(
        f"/assistance/{requested.id}/decision",
        data={"decision": "approved", "confirmed": "yes", "version": requested.version},
    )
    assert response.status_code == 302
    assert db.session.get(AssistanceRecord, requested.id).status == AssistanceStatus.APPROVED


def test_refuse_mode_blocks_the_approval_with_a_clear_message(app, make, login, client, budgeted):
    _project, _person, requested = budgeted
    requested.amount = Decimal("3500.00")
    db.session.commit()
    app.config["PROJECT_BUDGET_OVERRUN"] = "refuse"
    try:
        login(make.user(Role.SUPERVISOR, "Gori"))
        response = client.post(
            f"/assistance/{requested.id}/decision",
            data={"decision": "approved", "confirmed": "yes", "version": requested.version},
            follow_redirects=True,
        )
        text = response.get_data(as_text=True)
        assert "exceeds it by 500.00 GEL" in text and "It cannot be approved" in text
        assert db.session.get(AssistanceRecord, requested.id).status == AssistanceStatus.REQUESTED
        # rejecting is still possible
        response = client.post(
            f"/assistance/{requested.id}/decision",
            data={"decision": "rejected", "comment": "no money", "confirmed": "yes", "version": requested.version},
        )
        assert db.session.get(AssistanceRecord, requested.id).status == AssistanceStatus.REJECTED
    finally:
        app.config["PROJECT_BUDGET_OVERRUN"] = "warn"


def test_the_project_page_shows_the_budget(make, login, client, budgeted):
    project, _person, _requested = budgeted
    login(make.user(Role.MANAGER, None))
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    for figure in ("10,000.00 GEL", "5,500.00 GEL", "4,000.00 GEL", "500.00 GEL", "95%"):
        assert figure in page
    assert "Beridze" not in page  # money, no names


# --- bulk reassignment ---------------------------------------------------------------------------------


@pytest.fixture
def legacy(make):
    """Unassigned history: Gori grants in 2015 and 2019, a Tbilisi grant, a Gori medical record."""
    gori, tbilisi = make.returnee("Gori"), make.returnee("Tbilisi")
    records = [
        make.record(gori, "business_grant", on=date(2015, 3, 1), amount="100"),
        make.record(gori, "business_grant", on=date(2019, 3, 1), amount="200"),
        make.record(tbilisi, "business_grant", on=date(2015, 5, 1), amount="300"),
        make.record(gori, "medical_counselling", on=date(2015, 6, 1)),
    ]
    target = make.project(
        "AVR-2014", offices=["Gori"], types=["business_grant"], start=date(2014, 1, 1), end=date(2016, 12, 31)
    )
    return records, target


def test_reassignment_moves_only_the_records_the_target_may_pay_for(make, legacy, request_ctx):
    records, target = legacy
    admin = make.user(Role.ADMIN)
    criteria = ReassignFilter(project_id=unassigned().id)
    plan = plan_reassignment(admin, criteria, target)
    assert (plan.matching, len(plan.moving), plan.unfit_count) == (4, 1, 3)
    assert plan.moving == [records[0].id]
    reassign_records(admin, criteria, target, expected_count=1)
    db.session.commit()
    assert [db.session.get(AssistanceRecord, r.id).project.code for r in records] == [
        "AVR-2014",
        UNASSIGNED_CODE,
        UNASSIGNED_CODE,
        UNASSIGNED_CODE,
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.PROJECT_REASSIGN))
    assert entry.changes["record_ids"] == [records[0].id] and entry.changes["from"] == {UNASSIGNED_CODE: 1}
    assert db.session.get(AssistanceRecord, records[0].id).version == 2  # a form open on it is stale


def test_reassignment_filters_by_office_type_and_date_and_refuses_a_changed_preview(make, legacy, request_ctx):
    records, _target = legacy
    admin = make.user(Role.ADMIN)
    criteria = ReassignFilter(
        office_id=make.office("Gori").id,
        type_id=make.assistance_type("business_grant").id,
        date_from=date(2015, 1, 1),
        date_to=date(2019, 12, 31),
    )
    plan = plan_reassignment(admin, criteria, unassigned())
    assert (plan.matching, plan.already) == (2, 2)  # both already Unassigned
    with pytest.raises(ValidationFailed, match="changed since the preview"):
        reassign_records(admin, ReassignFilter(), _target, expected_count=5)
    assert db.session.scalar(select(func.count()).where(AssistanceRecord.project_id == _target.id)) == 0


def test_reassignment_on_the_page_previews_then_moves_once(make, login, client, legacy):
    records, target = legacy
    login(make.user(Role.ADMIN))
    form = {"office_id": 0, "type_id": 0, "project_id": unassigned().id, "target_id": target.id, "submit_key": "k" * 20}
    preview = client.post("/projects/reassign", data=form).get_data(as_text=True)
    assert "4 records match the filter." in preview and "1 record will move to AVR-2014" in preview
    assert db.session.get(AssistanceRecord, records[0].id).project.code == UNASSIGNED_CODE  # nothing yet
    confirm = {**form, "confirmed": "yes", "expected": 1, "submit_key": "c" * 20}
    first = client.post("/projects/reassign", data=confirm)
    again = client.post("/projects/reassign", data=confirm)  # the same submit sent twice
    assert first.status_code == again.status_code == 302
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == AuditAction.PROJECT_REASSIGN)) == 1
    assert db.session.get(AssistanceRecord, records[0].id).project.code == "AVR-2014"


# --- import and export ---------------------------------------------------------------------------------


def test_import_assigns_projects_from_csv(make, files, app_ctx):
    project = make.project("AVR-2014", offices=["Gori"])
    paths = files(
        [returnee_row("GE-1", return_project="avr-2014"), returnee_row("GE-2", return_project="")],
        [record_row("GE-1", project="AVR-2014"), record_row("GE-2")],
    )
    outcome = run_import(paths)
    assert outcome.ok, outcome.problems
    people = {p.external_id: p for p in db.session.scalars(select(Returnee))}
    assert people["GE-1"].return_project_id == project.id
    assert people["GE-2"].return_project.code == UNASSIGNED_CODE
    codes = sorted(r.project.code for r in db.session.scalars(select(AssistanceRecord)))
    assert codes == ["AVR-2014", UNASSIGNED_CODE]


def test_import_refuses_an_unknown_project_code_naming_the_row(make, files, app_ctx):
    paths = files(
        [returnee_row("GE-1"), returnee_row("GE-2", return_project="NOPE-1")],
        [record_row("GE-1"), record_row("GE-1", project="AVR-1999")],
    )
    outcome = run_import(paths)
    assert not outcome.ok
    problems = {(p.table, p.row, p.column, p.value) for p in outcome.problems}
    assert problems == {("returnees", 3, "return_project", "NOPE-1"), ("assistance", 3, "project", "AVR-1999")}
    assert "Unknown project code" in str(outcome.problems[0])
    assert db.session.scalar(select(func.count(Returnee.id))) == 0


def test_import_from_xlsx_with_projects_and_files_without_the_columns(make, tmp_path, app_ctx):
    from caseapp.spreadsheets import xlsx_bytes

    make.project("VET-2019")
    path = tmp_path / "legacy.xlsx"
    returnee = returnee_row("X-1", return_project="VET-2019")
    record = record_row("X-1", project="VET-2019")
    path.write_bytes(
        xlsx_bytes(
            [
                ("returnees", list(returnee), [list(returnee.values())]),
                ("assistance", list(record), [list(record.values())]),
            ]
        )
    )
    assert run_import({"workbook": path}).ok
    assert db.session.scalar(select(AssistanceRecord)).project.code == "VET-2019"
    # a file made before projects: no project columns at all
    old_returnee, old_record = returnee_row("X-2"), record_row("X-2")
    old = tmp_path / "old.xlsx"
    old.write_bytes(
        xlsx_bytes(
            [
                ("returnees", list(old_returnee), [list(old_returnee.values())]),
                ("assistance", list(old_record), [list(old_record.values())]),
            ]
        )
    )
    outcome = run_import({"workbook": old})
    assert outcome.ok, outcome.problems
    person = db.session.scalar(select(Returnee).where(Returnee.external_id == "X-2"))
    assert person.return_project.code == UNASSIGNED_CODE


def test_re_importing_a_returnee_changes_the_return_project_and_undo_restores_it(make, files, app_ctx):
    from caseapp.imports.models import ImportBatch
    from caseapp.imports.services import undo_batch

    project = make.project("AVR-2014")
    assert run_import(files([returnee_row("GE-1")], [], name="first")).ok
    outcome = run_import(files([returnee_row("GE-1", return_project="AVR-2014")], [], name="second"))
    assert outcome.ok and outcome.updates[0].changes == {"return_project": (UNASSIGNED_CODE, "AVR-2014")}
    person = db.session.scalar(select(Returnee))
    assert person.return_project_id == project.id
    latest = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    undo_batch(make.user(Role.ADMIN), latest)
    db.session.commit()
    assert db.session.scalar(select(Returnee)).return_project.code == UNASSIGNED_CODE


def test_exports_and_template_carry_the_project_columns(make, app_ctx):
    from caseapp.imports.exports import export_csv, template_csv

    project = make.project("AVR-2014")
    person = make.returnee("Gori", return_project_id=project.id)
    make.record(person, project=project)
    make.record(person)
    returnees = export_csv("returnees").splitlines()
    assert returnees[0].endswith(",return_project") and returnees[1].endswith(",AVR-2014")
    assistance = export_csv("assistance").splitlines()
    assert assistance[0].endswith(",project")
    assert sorted(line.rsplit(",", 1)[1] for line in assistance[1:]) == ["", "AVR-2014"]
    assert template_csv("assistance").splitlines()[0].endswith(",project")
    assert template_csv("returnees").splitlines()[0].endswith(",return_project")


# --- demo data -----------------------------------------------------------------------------------------


def test_demo_projects_have_budgets_and_records_committed_and_delivered(app_ctx):
    from caseapp.demo.data import seed_demo

    seed_demo(150, on=date(2026, 1, 15))
    db.session.commit()
    projects = [p for p in db.session.scalars(select(Project)) if not p.is_unassigned]
    assert len(projects) == 4
    assert all(p.budgets and p.donor and p.start_date for p in projects)
    assert len({p.start_date for p in projects}) >= 3  # different periods
    lines = [line for p in projects for line in budget_lines(p)]
    assert any(line.delivered > 0 for line in lines) and any(line.committed > 0 for line in lines)
    credited = db.session.scalar(select(func.count()).where(Returnee.return_project_id != unassigned().id))
    assert credited > 0


# --- the migration ---------------------------------------------------------------------------------------


def test_upgrading_puts_existing_records_and_returns_in_the_unassigned_project(other_app):
    from flask_migrate import downgrade, upgrade

    from tests.test_migration_data import seed_every_table

    with other_app.app_context():
        upgrade()
        seed_every_table()
        records = db.session.scalar(select(func.count(AssistanceRecord.id)))
        people = db.session.scalar(select(func.count(Returnee.id)))
        db.session.commit()
        downgrade(revision="0009")
        upgrade()
        none = db.session.scalar(select(Project.id).where(Project.code == UNASSIGNED_CODE))
        assert db.session.scalar(select(func.count()).where(AssistanceRecord.project_id == none)) == records
        assert db.session.scalar(select(func.count()).where(Returnee.return_project_id == none)) == people
        assert db.session.scalar(select(func.count(Project.id))) == 1


def test_the_warning_says_nothing_is_left_when_others_already_use_the_budget(budgeted, request_ctx):
    project, person, requested = budgeted
    from tests import factories

    factories.record(person, "business_grant", status="approved", amount="3000", project=project)
    message = record_overrun(requested).message
    assert message.startswith("Over budget: nothing is left of the 10,000.00 GEL of MBR-2024")
    assert "come to 10,000.00 GEL" in message and "2,500.00 GEL is not covered" in message
