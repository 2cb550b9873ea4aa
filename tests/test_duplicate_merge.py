"""Merging two records of one person, and undoing it: what moves, what is kept, what is restored exactly."""

from datetime import date

import pytest
import sqlalchemy as sa

from caseapp.assistance.models import AssistanceRecord
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.auth.models import Role
from caseapp.cases.models import Case, CaseStatus
from caseapp.duplicates.models import DuplicateDecision, PairDecision, ReturneeMerge
from caseapp.duplicates.services import (
    KEPT,
    decide_pair,
    merge_returnees,
    referencing_columns,
    unmerge,
)
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.returnees.models import Returnee


def every_row():
    """The whole database but the change log and the merge bookkeeping, as comparable values."""
    skip = {"audit_entry", "returnee_merge", "duplicate_decision", "user_account", "login_session"}
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        ignore = {"version", "updated_at"}
        rows = db.session.execute(sa.select(table)).mappings().all()
        found[table.name] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items() if k not in ignore)) for row in rows
        )
    return found


def nodar_pair(make, *, second_case=False):
    latin = make.returnee(
        "Gori",
        first_name="Nodar",
        last_name="Tsereteli",
        date_of_birth=date(1985, 3, 7),
        personal_number="01001012345",
        phone="+995 599 11 22 33",
        external_id="HQ-1",
    )
    georgian = make.returnee(
        "Gori",
        first_name="ნოდარ",
        last_name="წერეთელი",
        date_of_birth=date(1985, 7, 3),
        with_case=second_case,
        phone="599 44 55 66",
        vulnerabilities=["disability"],
    )
    make.record(latin, "business_counselling", on=date(2024, 4, 1))
    if not second_case:
        db.session.add(
            Case(
                returnee=georgian,
                status=CaseStatus.CLOSED,
                opened_on=date(2023, 1, 1),
                closed_on=date(2023, 6, 1),
                closure_reason="lost_contact",
            )
        )
        db.session.commit()
    make.record(georgian, "reception", on=date(2024, 3, 2), amount="100")
    return latin, georgian


def test_every_reference_to_a_returnee_moves_or_is_kept_for_a_reason():
    references = {
        (fk.parent.table.name, fk.parent.name)
        for table in db.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == "returnee"
    }
    moved = {(t.name, c.name) for t, c in referencing_columns()}
    kept = {
        ref for ref in references if ref in KEPT or db.metadata.tables[ref[0]].c[ref[1]].info.get("merge") == "keep"
    }
    assert moved | kept == references and not moved & kept
    assert {("reintegration_case", "returnee_id"), ("assistance_record", "returnee_id")} <= moved


def test_merge_moves_cases_and_assistance_keeps_the_other_record_and_unmerge_restores_everything(make):
    admin = make.user(Role.ADMIN)
    latin, georgian = nodar_pair(make)
    before = every_row()
    merge = merge_returnees(
        admin,
        latin,
        georgian,
        {"first_name": "other", "last_name": "other", "vulnerabilities": "other", "phone": "other"},
    )
    db.session.commit()
    latin, georgian = db.session.get(Returnee, latin.id), db.session.get(Returnee, georgian.id)
    assert georgian.merged_into_id == latin.id and georgian.personal_number is None
    assert (latin.first_name, latin.last_name, latin.phone) == ("ნოდარ", "წერეთელი", "599 44 55 66")
    assert latin.search_name == "nodar tsereteli" and latin.personal_number == "01001012345"
    assert latin.date_of_birth == date(1985, 3, 7) and {v.value for v in latin.vulnerabilities} == {"disability"}
    assert {c.returnee_id for c in db.session.scalars(sa.select(Case))} == {latin.id}
    assert {r.returnee_id for r in db.session.scalars(sa.select(AssistanceRecord))} == {latin.id}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.RETURNEE_MERGE))
    assert entry.changes["merged_before"]["first_name"] == "ნოდარ"
    assert entry.changes["survivor_before"]["first_name"] == "Nodar"
    decision = db.session.scalar(sa.select(DuplicateDecision))
    assert decision.decision == PairDecision.SAME

    unmerge(admin, db.session.get(ReturneeMerge, merge.id))
    db.session.commit()
    assert every_row() == before


def test_two_open_cases_ask_which_stays_open_and_unmerge_reopens_it(make):
    admin = make.user(Role.ADMIN)
    latin, georgian = nodar_pair(make, second_case=True)
    kept_case, other_case = latin.current_case.id, georgian.current_case.id
    before = every_row()
    with pytest.raises(ValidationFailed) as refused:
        merge_returnees(admin, latin, georgian)
    assert "keep_open_case_id" in refused.value.errors
    db.session.rollback()
    merge = merge_returnees(admin, latin, georgian, keep_open_case_id=other_case)
    db.session.commit()
    assert db.session.get(Case, kept_case).status == CaseStatus.CLOSED
    assert db.session.get(Case, other_case).status == CaseStatus.OPEN
    unmerge(admin, db.session.get(ReturneeMerge, merge.id))
    db.session.commit()
    assert every_row() == before


def test_the_survivor_may_take_the_other_records_personal_number(make):
    admin = make.user(Role.ADMIN)
    first = make.returnee(first_name="Eka", personal_number=None)
    second = make.returnee(first_name="Eka", personal_number="01001099999", external_id="X-9", with_case=False)
    merge_returnees(admin, first, second, {"personal_number": "other", "external_id": "other"})
    db.session.commit()
    first = db.session.get(Returnee, first.id)
    assert (first.personal_number, first.external_id) == ("01001099999", "X-9")


def test_a_table_added_by_another_feature_moves_without_code_changes(make):
    admin = make.user(Role.ADMIN)
    visits = sa.Table(
        "throwaway_visit",
        db.metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("returnee_id", sa.ForeignKey("returnee.id"), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.UniqueConstraint("returnee_id", "purpose"),
    )
    try:
        visits.create(db.engine)
        first = make.returnee(first_name="Eka")
        second = make.returnee(first_name="Eka", with_case=False)
        db.session.execute(
            visits.insert(),
            [
                {"id": 1, "returnee_id": second.id, "purpose": "home"},
                {"id": 2, "returnee_id": second.id, "purpose": "consent"},
                {"id": 3, "returnee_id": first.id, "purpose": "consent"},
            ],
        )
        merge = merge_returnees(admin, first, second)
        db.session.commit()
        owners = dict(db.session.execute(sa.select(visits.c.id, visits.c.returnee_id)).all())
        # the consent row has a twin on the survivor (unique per purpose): it stays with the merged record
        assert owners == {1: first.id, 2: second.id, 3: first.id}
        unmerge(admin, db.session.get(ReturneeMerge, merge.id))
        db.session.commit()
        owners = dict(db.session.execute(sa.select(visits.c.id, visits.c.returnee_id)).all())
        assert owners == {1: second.id, 2: second.id, 3: first.id}
    finally:
        db.session.execute(visits.delete())
        db.session.commit()
        visits.drop(db.engine)
        db.metadata.remove(visits)


def test_supervisor_merges_own_office_only_and_records_of_two_offices_wait_for_an_admin(make):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    gori = make.returnee("Gori", first_name="Eka")
    tbilisi = make.returnee("Tbilisi", first_name="Eka", with_case=False)
    with pytest.raises(ValidationFailed):
        merge_returnees(supervisor, gori, tbilisi)


def test_not_the_same_is_remembered(make):
    supervisor = make.user(Role.SUPERVISOR, "Gori")
    a, b = make.returnee(first_name="Eka"), make.returnee(first_name="Eka", with_case=False)
    decide_pair(supervisor, b, a, PairDecision.NOT_SAME)
    db.session.commit()
    decision = db.session.scalar(sa.select(DuplicateDecision))
    assert (decision.first_id, decision.second_id, decision.decision) == (a.id, b.id, PairDecision.NOT_SAME)
