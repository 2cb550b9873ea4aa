"""The analytics tables (caseapp/analytics) equal what the base tables say after every kind of write, in the
same transaction; the rebuild and the check. (Every other test is checked too: tests/conftest.py compares
the tables after each test, whatever it wrote.)"""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from caseapp.analytics.models import VULNERABILITY_BITS, AnalyticsAssistance, AnalyticsPerson
from caseapp.analytics.services import analytics_differences, rebuild_analytics
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.assistance.services import deliver_assistance
from caseapp.duplicates.services import merge_returnees, unmerge
from caseapp.extensions import db
from caseapp.privacy.anonymise import anonymise
from caseapp.privacy.retention import DueReturnee
from caseapp.reports.counting import ASSISTED, PERSONS, RETURNED, ReportFilters, build_report
from caseapp.returnees.models import Returnee, ReturneeVulnerability, Sex, Vulnerability
from tests import factories
from tests.test_imports import files  # noqa: F401

PERIOD = ReportFilters(date(2015, 1, 1), date(2030, 12, 31))


def exact() -> bool:
    db.session.commit()
    return not analytics_differences()


def persons_row(returnee_id: int) -> AnalyticsPerson:
    db.session.expire_all()
    return db.session.get(AnalyticsPerson, returnee_id)


def test_recording_editing_delivering_and_deleting_assistance_keep_the_tables_exact(make):
    person = make.returnee("Gori", with_case=False)
    grant = make.record(person, "business_grant", status=AssistanceStatus.APPROVED, amount=Decimal("100.10"),
                        currency="GEL", commit=False)  # fmt: skip
    make.record(person, "reception", on=date(2024, 4, 1), commit=False)
    make.record(person, "reception", on=date(2024, 4, 1), commit=False)  # the same row, two events
    assert exact()
    assert db.session.scalar(sa.select(AnalyticsAssistance.events).where(AnalyticsAssistance.type_id
                             == make.assistance_type("reception").id)) == 2  # fmt: skip
    deliver_assistance(None, grant, delivered_on=date(2024, 5, 2), paid=Decimal("99.99"))
    assert exact()
    assert build_report(PERIOD).amounts["business_grant"] == {"GEL": Decimal("99.99")}
    grant.provided_on, grant.project = date(2024, 6, 1), make.project("AVR-2024")
    assert exact()
    grant.status = AssistanceStatus.CANCELLED
    assert exact()
    assert build_report(PERIOD).total(PERSONS, "business_grant") == 0
    db.session.delete(db.session.get(AssistanceRecord, grant.id))
    assert exact()
    db.session.execute(sa.delete(AssistanceRecord.__table__))  # a Core bulk statement
    assert exact()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsAssistance)) == 0


def test_returnee_edits_and_vulnerabilities_move_the_persons_attributes(make):
    person = make.returnee("Gori", sex="F", date_of_birth=date(2000, 6, 1), return_date=date(2024, 5, 31),
                           with_case=False)  # fmt: skip
    make.record(person, "reception", on=date(2024, 6, 1))
    assert persons_row(person.id).age_band == "18-59"
    person = db.session.get(Returnee, person.id)
    person.field_office_id = make.office("Poti").id  # a transfer
    person.sex = Sex.MALE
    person.return_date = date(2018, 5, 31)  # 17 at the return
    assert exact()
    row = persons_row(person.id)
    assert (row.field_office_id, row.sex, row.age_band) == (make.office("Poti").id, "M", "0-17")
    fact = db.session.scalars(sa.select(AnalyticsAssistance)).one()
    assert (fact.field_office_id, fact.sex, fact.age_band) == (make.office("Poti").id, "M", "0-17")
    person = db.session.get(Returnee, person.id)
    person.date_of_birth = date(1950, 1, 1)
    person.vulnerability_rows.append(ReturneeVulnerability(code=Vulnerability.ELDERLY))
    assert exact()
    assert (
        db.session.scalars(sa.select(AnalyticsAssistance.vulnerabilities)).one()
        == VULNERABILITY_BITS[Vulnerability.ELDERLY]
    )
    assert (
        build_report(ReportFilters(date(2024, 1, 1), date(2024, 12, 31), vulnerability="elderly")).total(ASSISTED) == 1
    )
    db.session.execute(sa.delete(ReturneeVulnerability.__table__))
    assert exact()
    db.session.delete(db.session.get(Returnee, person.id))
    assert exact()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsPerson)) == 0


def test_merge_and_unmerge_keep_the_tables_exact(make):
    survivor = make.returnee("Gori", first_name="Nino", with_case=False)
    other = make.returnee("Poti", first_name="Nino", sex="M", with_case=False)
    make.record(other, "reception", on=date(2024, 4, 1))
    make.record(survivor, "reception", on=date(2024, 4, 1))
    merge = merge_returnees(None, survivor, other)
    assert exact()
    assert persons_row(other.id).merged
    assert build_report(PERIOD).total(RETURNED) == 1
    assert build_report(PERIOD).total(ASSISTED) == 1
    unmerge(None, db.session.get(type(merge), merge.id))
    assert exact()
    assert build_report(PERIOD).total(ASSISTED) == 2


def test_anonymisation_keeps_the_tables_exact(make):
    person = make.returnee("Gori", date_of_birth=date(1964, 2, 29), return_date=date(2024, 2, 28))
    make.record(person, "reception", on=date(2024, 4, 1))
    before = persons_row(person.id).age_band
    anonymise(None, [DueReturnee(person.id, person.field_office_id, date(2024, 2, 28))], reason="test")
    assert exact()
    assert persons_row(person.id).age_band == before


def test_import_apply_and_undo_keep_the_tables_exact(app_ctx, files):  # noqa: F811
    from caseapp.imports.services import undo_batch
    from tests.test_imports import record_row, returnee_row, run_import

    factories.office("Gori")
    paths = files(
        returnees=[returnee_row(f"X-{n}", vulnerabilities="elderly" if n else "") for n in range(3)],
        assistance=[record_row(f"X-{n}") for n in range(3)],
    )
    outcome = run_import(paths)
    assert outcome.ok
    assert exact()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsPerson)) == 3
    assert build_report(PERIOD).total(ASSISTED) == 3
    undo_batch(None, outcome.batch)
    assert exact()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsPerson)) == 0


def test_rebuild_gives_what_the_triggers_keep_and_the_check_finds_a_difference(make):
    person = make.returnee("Gori", vulnerabilities=["disability", "elderly"])
    make.record(person, "business_grant", amount=Decimal("10.05"), currency="EUR")
    make.record(person, "reception", status=AssistanceStatus.REQUESTED)
    kept = [tuple(row) for row in db.session.execute(sa.select(AnalyticsAssistance.__table__).order_by(
        *AnalyticsAssistance.__table__.primary_key.columns))]  # fmt: skip
    steps = []
    assert rebuild_analytics(lambda done, total: steps.append((done, total))) == (1, 2)
    assert steps[0] == (0, 1) and steps[-1] == (1, 1)
    rebuilt = [tuple(row) for row in db.session.execute(sa.select(AnalyticsAssistance.__table__).order_by(
        *AnalyticsAssistance.__table__.primary_key.columns))]  # fmt: skip
    assert rebuilt == kept
    assert exact()
    db.session.execute(sa.update(AnalyticsAssistance.__table__).values(events=5))
    db.session.commit()
    assert analytics_differences().missing_assistance == 2
    rebuild_analytics()
    assert exact()


def test_the_commands_rebuild_and_check(app, make, runner):
    make.record(make.returnee("Gori"), "reception")
    db.session.execute(sa.delete(AnalyticsPerson.__table__))
    db.session.commit()
    result = runner.invoke(args=["analytics", "check"])
    assert result.exit_code == 1, result.output
    result = runner.invoke(args=["analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 persons" in result.output
    result = runner.invoke(args=["analytics", "check"])
    assert result.exit_code == 0, result.output


def test_every_vulnerability_has_the_bit_the_migration_gives_it():
    path = next(Path(__file__).resolve().parents[1].glob("migrations/versions/h15a_01_*.py"))
    spec = importlib.util.spec_from_file_location("h15a_01", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert {code.value: bit for code, bit in VULNERABILITY_BITS.items()} == migration.BITS
    assert set(VULNERABILITY_BITS) == set(Vulnerability)


def test_the_triggers_exist(app_ctx):
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        query = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'analytics_%' AND NOT tgisinternal"
        expected = 3
    else:
        query = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'analytics_%'"
        expected = 9
    assert connection.execute(sa.text(query)).scalar() == expected


def test_a_bulk_move_of_records_to_another_project_keeps_the_tables_exact(make):
    from caseapp.auth.models import Role
    from caseapp.funding.reassignment import ReassignFilter, reassign_records
    from caseapp.projects.queries import unassigned_project

    person = make.returnee("Gori")
    make.record(person, "business_grant", on=date(2015, 2, 1), amount="100", currency="GEL")
    target = make.project("AVR-2014", offices=["Gori"], types=["business_grant"], start=date(2014, 1, 1),
                          end=date(2016, 12, 31))  # fmt: skip
    reassign_records(
        make.user(Role.ADMIN), ReassignFilter(project_id=unassigned_project().id), target, expected_count=1
    )
    assert exact()
    assert db.session.scalars(sa.select(AnalyticsAssistance.project_id)).one() == target.id


def test_a_bulk_load_suspends_the_triggers_and_rebuilds(make):
    from caseapp.analytics.services import analytics_triggers_suspended

    raw = db.engine.raw_connection()
    dialect = db.engine.dialect.name
    try:
        with analytics_triggers_suspended(raw, dialect):
            raw.cursor().execute(
                "INSERT INTO returnee (first_name, last_name, search_name, search_name_reversed, sex, date_of_birth,"
                " field_office_id, return_date, returned_from, created_at, updated_at, version, return_project_id)"
                " SELECT 'A', 'B', 'a b', 'b a', 'F', '1990-01-01', id, '2024-01-01', 'Germany', '2024-01-01',"
                " '2024-01-01', 1, (SELECT min(id) FROM project) FROM field_office"
            )
        raw.commit()
    finally:
        raw.close()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsPerson)) == 0
    assert analytics_differences().missing_persons > 0
    rebuild_analytics()
    assert exact()
    make.returnee("Gori")  # the triggers work again
    assert exact()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsPerson)) == db.session.scalar(
        sa.select(sa.func.count()).select_from(Returnee)
    )
