"""Retention and anonymisation: declared on the columns, found through the metadata, figures kept."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.assistance.models import ApprovalDecision, AssistanceStatus, Decision
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.services import record_change, record_event
from caseapp.auth.models import Role
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.consent.models import ConsentMethod, ConsentPurpose, ConsentRecord
from caseapp.extensions import db
from caseapp.plans.models import ReintegrationPlan
from caseapp.privacy.anonymise import (
    age_kept_birth_date,
    anonymise,
    linked_tables,
    unclassified_columns,
)
from caseapp.privacy.retention import DueReturnee, due_for_anonymisation, years_before
from caseapp.reports.counting import AgeBand, ReportFilters, build_report
from caseapp.reports.output import report_json
from caseapp.reports.presentation import PresentedReport
from caseapp.returnees.models import Returnee
from caseapp.review.models import CaseReview, ReviewOutcome
from caseapp.timeutil import age_on, today
from tests import factories
from tests.conftest import REFERENCE_TABLES

LONG_AGO = years_before(today(), 6)


def test_every_text_column_of_a_returnee_linked_table_says_whether_it_is_personal(app_ctx):
    assert unclassified_columns() == [], (
        "give these columns info={'personal': True} (names, numbers, phones, free text about a person) "
        "or info={'personal': False}: the anonymiser relies on it"
    )


def test_the_linked_tables_are_found_through_the_foreign_keys(app_ctx):
    found = set(linked_tables())
    assert {
        "returnee",
        "reintegration_case",
        "assistance_record",
        "approval_decision",
        "case_review",
        "consent_record",
        "returnee_vulnerability",
    } <= found
    assert not {"user_account", "field_office", "audit_entry", "assistance_type"} & found


def test_a_table_another_feature_adds_is_covered_and_must_be_classified(app_ctx):
    metadata = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table(
        "later_feature_note",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.ForeignKey("reintegration_case.id")),
        sa.Column("partner_note", sa.Text),
    )
    assert "later_feature_note" in linked_tables(metadata)
    assert unclassified_columns(metadata) == ["later_feature_note.partner_note"]


@given(born=st.dates(date(1900, 1, 1), date(2020, 12, 31)), gap=st.integers(1, 40000))
def test_the_birth_date_kept_gives_the_same_age_at_return(born, gap):
    returned = born + timedelta(days=gap)
    kept = age_kept_birth_date(born, returned)
    assert age_on(kept, returned) == age_on(born, returned)


def _closed_long_ago(make, **extra):
    person = make.returnee(
        "Gori",
        first_name="Tamuna",
        last_name="Gelashvili",
        personal_number="01001012345",
        phone="+995 599 11 22 33",
        external_id="OLD-77",
        date_of_birth=date(1980, 7, 9),
        return_date=years_before(LONG_AGO, 2),
        with_case=False,
        **extra,
    )
    case = Case(
        returnee=person,
        status=CaseStatus.CLOSED,
        opened_on=person.return_date,
        closed_on=LONG_AGO,
        closure_reason=ClosureReason.OTHER,
        closure_note="Tamuna moved to her sister in Batumi",
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(ReintegrationPlan(case_id=case.id, summary="Tamuna Gelashvili opens a bakery"))
    db.session.flush()
    record = make.record(
        person,
        "business_grant",
        on=person.return_date + timedelta(days=30),
        amount=Decimal("1200.00"),
        currency="GEL",
        commit=False,
    )
    record.case = case
    record.notes = "paid to Tamuna's account 01001012345"
    db.session.flush()
    db.session.add_all(
        [
            ApprovalDecision(
                record_id=record.id,
                decision=Decision.APPROVED,
                decided_by_name="Supervisor",
                comment="ok for Tamuna Gelashvili",
                amount=Decimal("1200.00"),
                currency="GEL",
            ),
            CaseReview(case=case, outcome=ReviewOutcome.FINE, comment="called +995 599 11 22 33"),
            ConsentRecord(
                returnee=person,
                purpose=ConsentPurpose.PHOTOS,
                given=False,
                decided_on=LONG_AGO,
                method=ConsentMethod.VERBAL,
                note="Tamuna's husband asked",
            ),
        ]
    )
    record_change(None, person, AuditAction.RETURNEE_CREATE)
    record_event(
        None,
        AuditAction.USER_UPDATE,
        entity_type="user",
        entity_id=1,
        label="staff",
        comment="looked up Tamuna Gelashvili for a colleague",
    )
    db.session.commit()
    return person


def _all_text(connection) -> str:
    """Every value of every table, as text."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in connection.execute(sa.select(table)):
            parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(parts)


def test_anonymise_removes_every_trace_of_the_person_and_logs_itself(make, runner):
    person = _closed_long_ago(make)
    kept = make.returnee("Gori", first_name="Keti", last_name="Open")  # an open case: kept
    person_id = person.id
    before = _all_text(db.session.connection())
    for trace in ("Gelashvili", "01001012345", "599 11 22 33", "OLD-77", "1980-07-09"):
        assert trace in before

    dry = runner.invoke(args=["anonymise", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"returnee #{person_id} (Gori)" in dry.output and "Would anonymise 1 " in dry.output
    assert "returnee.personal_number: 1" in dry.output
    assert "Gelashvili" not in dry.output
    db.session.expire_all()
    assert _all_text(db.session.connection()) == before  # the dry run changed nothing

    result = runner.invoke(args=["anonymise"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    after = _all_text(db.session.connection())
    for trace in ("Gelashvili", "Tamuna", "01001012345", "599 11 22 33", "OLD-77", "1980-07-09", "Batumi", "husband"):
        assert trace not in after, trace
    assert "Keti" in after  # someone else is untouched
    person = db.session.get(Returnee, person_id)
    assert person.anonymised_at is not None
    assert person.full_name == f"Anonymised person #{person_id}"
    assert age_on(person.date_of_birth, person.return_date) == age_on(date(1980, 7, 9), person.return_date)
    assert person.sex.value == "F" and person.field_office.name == "Gori"
    assert [r.amount for r in db.session.scalars(sa.select(ApprovalDecision))] == [Decimal("1200.00")]
    logged = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.RETURNEE_ANONYMISE)).all()
    assert [(e.entity_id, e.label) for e in logged] == [(person_id, f"Anonymised person #{person_id}")]
    # once done, the policy finds nobody left
    assert due_for_anonymisation() == [] and kept.anonymised_at is None


def test_the_policy_follows_configuration(app, make):
    person = _closed_long_ago(make)
    assert [d.returnee_id for d in due_for_anonymisation()] == [person.id]
    app.config["RETENTION_YEARS_AFTER_CLOSURE"] = 7
    try:
        assert due_for_anonymisation() == []
    finally:
        app.config["RETENTION_YEARS_AFTER_CLOSURE"] = 5


def test_an_anonymised_record_says_so_on_screen(make, login, client, runner):
    person = _closed_long_ago(make)
    assert runner.invoke(args=["anonymise"]).exit_code == 0
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get(f"/returnees/{person.id}")
    assert page.status_code == 200
    assert "This record was anonymised on" in page.text
    assert "removed (age at return: " in page.text
    assert f"Anonymised person #{person.id}" in page.text
    assert client.get(f"/returnees/{person.id}/edit").status_code == 302  # not edited back
    listing = client.get("/returnees/?status=closed")
    assert f"Anonymised person #{person.id}" in listing.text


# --- every figure is the same before and after -----------------------------------------------------------

START = date(2023, 11, 1)
days = st.integers(min_value=0, max_value=130).map(lambda n: START + timedelta(days=n))
people_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "office": st.sampled_from(["Gori", "Poti"]),
            "sex": st.sampled_from(["F", "M"]),
            # birthdays on and around the return dates' range, 29 February included: the age band's edges
            "born": st.sampled_from(
                [
                    date(1964, 2, 29),
                    date(1964, 1, 10),
                    date(2005, 12, 15),
                    date(2006, 2, 28),
                    date(1960, 2, 29),
                    date(1990, 1, 1),
                    date(2010, 3, 1),
                    date(1963, 12, 31),
                ]
            ),
            "returned": days,
            "disabled": st.booleans(),
            "anonymised": st.booleans(),
        }
    ),
    min_size=1,
    max_size=6,
)
records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "person": st.integers(min_value=0, max_value=5),
            "type": st.sampled_from(["business_counselling", "business_grant", "reception"]),
            "status": st.sampled_from([AssistanceStatus.DELIVERED] * 3 + list(AssistanceStatus)),
            "on": days,
            "amount": st.sampled_from([None, Decimal("10.00"), Decimal("1500.50")]),
        }
    ),
    max_size=12,
)
filters_strategy = st.fixed_dictionaries(
    {
        "period": st.tuples(days, days).map(sorted),
        "office": st.sampled_from([None, "Gori", "Poti"]),
        "sex": st.sampled_from(["", "F", "M"]),
        "age_band": st.sampled_from(["", *[band.value for band in AgeBand]]),
        "vulnerability": st.sampled_from(["", "disability"]),
    }
)


def _report(choice) -> str:
    office_id = factories.office(choice["office"]).id if choice["office"] else None
    filters = ReportFilters(
        *choice["period"],
        office_id=office_id,
        sex=choice["sex"],
        age_band=choice["age_band"],
        vulnerability=choice["vulnerability"],
    )
    return json.dumps(report_json(PresentedReport(build_report(filters))), sort_keys=True, default=str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=people_strategy, entries=records_strategy, choices=st.lists(filters_strategy, min_size=1, max_size=4))
def test_every_report_figure_is_the_same_after_anonymisation(make, people, entries, choices):
    if db.session.connection().dialect.name == "postgresql":
        # the audit is append-only (a trigger refuses DELETE): the test database cleans it as conftest does
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in REFERENCE_TABLES:
            db.session.execute(table.delete())
    db.session.commit()
    stored = []
    for p in people:
        person = make.returnee(
            p["office"],
            sex=p["sex"],
            date_of_birth=p["born"],
            return_date=p["returned"],
            vulnerabilities=["disability"] if p["disabled"] else [],
            commit=False,
            phone="+995 555 000 111",
            personal_number=None,
        )
        stored.append(person)
    db.session.flush()
    for entry in entries:
        person = stored[entry["person"] % len(stored)]
        make.record(
            person,
            entry["type"],
            on=entry["on"],
            status=entry["status"],
            amount=entry["amount"],
            currency="GEL" if entry["amount"] else None,
            commit=False,
        )
    db.session.commit()
    before = [_report(choice) for choice in choices]
    chosen = [
        DueReturnee(person.id, person.field_office_id, START)
        for person, p in zip(stored, people, strict=True)
        if p["anonymised"]
    ]
    anonymise(None, chosen, reason="test")
    db.session.commit()
    assert [_report(choice) for choice in choices] == before


def test_on_postgresql_the_scrub_passes_a_trigger_that_refuses_other_updates(make, runner):
    """The immutable change log (h16a) refuses UPDATE unless the transaction set caseapp.audit_scrub; the
    anonymiser sets it through allow_audit_scrub(), and nothing else gets through."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    person = _closed_long_ago(make)
    db.session.execute(
        sa.text("""
        CREATE OR REPLACE FUNCTION test_refuse_audit_update() RETURNS trigger AS $$
        BEGIN
          IF current_setting('caseapp.audit_scrub', true) IS DISTINCT FROM 'on' THEN
            RAISE EXCEPTION 'the change log cannot be changed';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    )
    db.session.execute(sa.text("DROP TRIGGER IF EXISTS test_refuse_audit_update ON audit_entry"))
    db.session.execute(
        sa.text(
            "CREATE TRIGGER test_refuse_audit_update BEFORE UPDATE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_audit_update()"
        )
    )
    db.session.commit()
    try:
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.text("UPDATE audit_entry SET label = 'x'"))
        db.session.rollback()
        assert runner.invoke(args=["anonymise"]).exit_code == 0
        db.session.expire_all()
        labels = db.session.scalars(sa.select(AuditEntry.label).where(AuditEntry.returnee_id == person.id)).all()
        assert labels and all(label == f"Anonymised person #{person.id}" for label in labels)
        with pytest.raises(sa.exc.DBAPIError):  # the setting was the transaction's own
            db.session.execute(sa.text("UPDATE audit_entry SET label = 'x'"))
        db.session.rollback()
    finally:
        db.session.execute(sa.text("DROP TRIGGER IF EXISTS test_refuse_audit_update ON audit_entry"))
        db.session.execute(sa.text("DROP FUNCTION IF EXISTS test_refuse_audit_update()"))
        db.session.commit()
