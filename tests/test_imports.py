"""Spreadsheet import: the command, the rules, all-or-nothing, batches and undo."""
from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.audit.models import AuditEntry
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.extensions import db
from caseapp.imports.models import BatchStatus, ImportBatch
from caseapp.imports.readers import sources_for
from caseapp.imports.services import import_files, undo_batch, undo_blockers
from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS
from caseapp.returnees.models import Returnee

RECENT = (date.today() - timedelta(days=30)).isoformat()


def returnee_row(external_id, **values):
    row = {"external_id": external_id, "first_name": "Nino", "last_name": "Beridze", "sex": "F",
           "date_of_birth": "1985-05-17", "personal_number": "", "phone": "", "field_office": "Gori",
           "return_date": "2019-03-01", "returned_from": "Germany", "vulnerabilities": ""}
    row.update(values)
    return row


def record_row(external_id, type_code="business_counselling", **values):
    row = {"returnee_external_id": external_id, "type": type_code, "date": "2019-04-01", "status": "delivered",
           "amount": "", "currency": "", "provider": "", "notes": ""}
    row.update(values)
    return row


def write_csv(path: Path, columns, rows, *, bom=False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    """files(returnees=[...], assistance=[...]) -> {"returnees": path, "assistance": path}"""

    def make_files(returnees=(), assistance=(), name="legacy"):
        return {
            "returnees": write_csv(tmp_path / f"{name}-returnees.csv", RETURNEE_COLUMNS, returnees),
            "assistance": write_csv(tmp_path / f"{name}-assistance.csv", ASSISTANCE_COLUMNS, assistance),
        }

    return make_files


def run_import(paths, *, actor=None, dry_run=False):
    outcome = import_files(actor, sources_for(**paths), dry_run=dry_run)
    if outcome.ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    return outcome


def cli(runner, paths, *extra):
    arguments = ["import-data"]
    for table, path in paths.items():
        arguments += [f"--{table}", str(path)]
    return runner.invoke(args=arguments + list(extra))


def table_counts():
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Returnee, Case, AssistanceRecord, ImportBatch)}


def delivered_per_type():
    """The report's figures counted by hand: delivered records and distinct persons per type."""
    from caseapp.assistance.models import AssistanceType

    rows = db.session.execute(
        select(AssistanceType.code, func.count(AssistanceRecord.id),
               func.count(func.distinct(AssistanceRecord.returnee_id)),
               func.coalesce(func.sum(AssistanceRecord.amount), 0))
        .join(AssistanceType).where(AssistanceRecord.status == AssistanceStatus.DELIVERED)
        .group_by(AssistanceType.code))
    return {code: (records, persons, Decimal(str(total)).quantize(Decimal("0.01")))
            for code, records, persons, total in rows}


# --- the command --------------------------------------------------------------------------------------

def test_clean_files_import_by_command_and_figures_equal_a_count_of_the_file(app_ctx, runner, files):
    people = [returnee_row(f"GE-{n:04d}", first_name=f"Nino{n}", field_office=("Gori", "Poti")[n % 2])
              for n in range(60)]
    records = [record_row(f"GE-{n:04d}", "business_grant", amount="1500.50", currency="GEL")
               for n in range(0, 60, 3)]
    records += [record_row(f"GE-{n:04d}", "training", status="planned", date=RECENT) for n in range(0, 60, 4)]
    result = cli(runner, files(people, records))
    assert result.exit_code == 0, result.output
    assert "batch" in result.output
    assert table_counts() == {"returnee": 60, "reintegration_case": 60, "assistance_record": 35, "import_batch": 1}
    assert delivered_per_type() == {"business_grant": (20, 20, Decimal("30010.00"))}
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.returnees_created, batch.records_created, batch.cases_created) == (60, 35, 60)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "import.apply")) == 1


def test_file_with_four_mistakes_is_refused_whole_with_every_mistake_named(app_ctx, runner, files, make):
    make.returnee("Gori")
    before = table_counts()
    people = [returnee_row("GE-1"), returnee_row("GE-2", date_of_birth="2015-02-30")]
    records = [
        record_row("GE-1", "free_money"),
        record_row("GE-99999"),
        record_row("GE-1", "business_grant", amount="-20.00", currency="GEL"),
    ]
    result = cli(runner, files(people, records))
    assert result.exit_code == 1, (result.output, result.exception)
    output = result.stderr
    assert "returnees, row 3, column date_of_birth, value '2015-02-30': This date does not exist." in output
    assert "assistance, row 2, column type, value 'free_money': Unknown type of assistance." in output
    assert "assistance, row 3, column returnee_external_id, value 'GE-99999': Unknown returnee" in output
    assert "assistance, row 4, column amount, value '-20.00': The amount cannot be negative." in output
    assert "Refused: 4 problems. Nothing was written." in output
    assert table_counts() == before


@pytest.mark.parametrize("people, records, column, message", [
    ([returnee_row("A"), returnee_row("A")], [], "external_id", "Duplicate external id: row 2"),
    ([returnee_row("A", field_office="Batumi")], [], "field_office", "Unknown field office."),
    ([returnee_row("A", sex="X")], [], "sex", "Write F or M."),
    ([returnee_row("A", personal_number="123")], [], "personal_number", "exactly 11 digits"),
    ([returnee_row("A", vulnerabilities="elderly;rich")], [], "vulnerabilities", "Unknown vulnerability: rich"),
    ([returnee_row("A", return_date="01/03/2019")], [], "return_date", "YYYY-MM-DD"),
    ([returnee_row("A")], [record_row("A", "business_grant", amount="100")], "currency",
     "Choose the currency of the amount."),
    ([returnee_row("A")], [record_row("A", "training", amount="100", currency="GEL")], "amount",
     "does not carry an amount"),
    ([returnee_row("A")], [record_row("A", amount="12,50", type_code="tools", currency="GEL")], "amount",
     "with a dot"),
    ([returnee_row("A")], [record_row("A", status="paid")], "status", "Unknown status"),
    ([returnee_row("A")], [record_row("A", date="2999-01-01")], "date", "cannot be dated in the future"),
])
def test_each_rule_is_named_with_its_column(app_ctx, files, people, records, column, message):
    outcome = run_import(files(people, records))
    assert not outcome.ok
    assert [p.column for p in outcome.problems] == [column]
    assert message in outcome.problems[0].message
    assert table_counts()["returnee"] == 0


def test_unknown_and_missing_columns_are_errors(app_ctx, tmp_path):
    path = tmp_path / "returnees.csv"
    path.write_text("external_id,first_name,nickname\nA,Nino,Nini\n", encoding="utf-8")
    assistance = write_csv(tmp_path / "a.csv", ASSISTANCE_COLUMNS, [record_row("A")] * 3)
    outcome = run_import({"returnees": path, "assistance": assistance})
    columns = {p.column: p.message for p in outcome.problems}
    assert "Unknown column" in columns["nickname"]
    assert columns["last_name"] == "This column is missing."
    assert "returnee_external_id" not in columns  # not one "unknown returnee" per row of the other table


def test_a_file_that_is_not_utf8_is_named(app_ctx, tmp_path):
    path = tmp_path / "returnees.csv"
    path.write_bytes(",".join(RETURNEE_COLUMNS).encode() + "\nA,Nino,\u10d1\n".encode("utf-16"))
    outcome = run_import({"returnees": path})
    assert "not UTF-8" in outcome.problems[0].message


def test_dry_run_checks_everything_and_writes_nothing(app_ctx, runner, files):
    result = cli(runner, files([returnee_row("GE-1")], [record_row("GE-1")]), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written. Would import: 1 returnees created" in result.output
    assert table_counts() == {"returnee": 0, "reintegration_case": 0, "assistance_record": 0, "import_batch": 0}


def test_the_command_imports_a_workbook_as_a_supervisor_and_refuses_a_caseworker(app_ctx, runner, make, tmp_path):
    from caseapp.imports.exports import template_workbook

    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook())
    caseworker, supervisor = make.user("caseworker", "Gori"), make.user("supervisor", "Gori")
    refused = runner.invoke(args=["import-data", "--workbook", str(path), "--user", caseworker.username])
    assert refused.exit_code == 2 and table_counts()["import_batch"] == 0
    result = runner.invoke(args=["import-data", "--workbook", str(path), "--user", supervisor.username])
    assert result.exit_code == 0, result.stderr
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.created_by_name, batch.field_office_id) == (supervisor.username, supervisor.field_office_id)
    assert batch.returnees_file == batch.assistance_file == str(path)


def test_dry_run_of_a_wrong_file_exits_non_zero(app_ctx, runner, files):
    result = cli(runner, files([returnee_row("GE-1", sex="")], []), "--dry-run")
    assert result.exit_code == 1


def test_text_is_stored_exactly_from_a_csv_with_bom_quotes_and_line_breaks(app_ctx, tmp_path):
    notes = 'Paid "in cash", twice;\nsecond line, with a comma'
    paths = {
        "returnees": write_csv(tmp_path / "r.csv", RETURNEE_COLUMNS, [
            returnee_row("ka-1", first_name="ნინო", last_name="O'Brien-ბერიძე", returned_from="=Germany")],
            bom=True),
        "assistance": write_csv(tmp_path / "a.csv", ASSISTANCE_COLUMNS, [
            record_row("ka-1", notes=notes, provider="@IOM +995")], bom=True),
    }
    assert run_import(paths).ok
    person = db.session.scalar(select(Returnee))
    assert (person.first_name, person.last_name, person.returned_from) == ("ნინო", "O'Brien-ბერიძე", "=Germany")
    record = db.session.scalar(select(AssistanceRecord))
    assert (record.notes, record.provider) == (notes, "@IOM +995")


def test_a_workbook_with_two_sheets_imports(app_ctx, tmp_path):
    from caseapp.spreadsheets import xlsx_bytes

    path = tmp_path / "legacy.xlsx"
    path.write_bytes(xlsx_bytes([
        ("returnees", RETURNEE_COLUMNS, [list(returnee_row("X-1", phone="+995 599 123456").values())]),
        ("assistance", ASSISTANCE_COLUMNS, [list(record_row("X-1", "tools", amount=Decimal("99.90"),
                                                            currency="USD").values())]),
    ]))
    outcome = run_import({"workbook": path})
    assert outcome.ok, outcome.problems
    record = db.session.scalar(select(AssistanceRecord))
    assert (record.amount, record.currency.value) == (Decimal("99.90"), "USD")


# --- batches --------------------------------------------------------------------------------------------

def test_importing_the_same_file_again_is_refused_naming_the_earlier_batch(app_ctx, runner, files):
    paths = files([returnee_row("GE-1")], [record_row("GE-1")])
    assert cli(runner, paths).exit_code == 0
    first = db.session.scalar(select(ImportBatch))
    result = cli(runner, paths)
    assert result.exit_code == 1
    assert f"This file was imported already: batch {first.id} of" in result.stderr
    assert table_counts()["assistance_record"] == 1


def test_an_undone_file_may_be_imported_again(app_ctx, files):
    paths = files([returnee_row("GE-1")], [])
    batch = run_import(paths).batch
    undo_batch(None, batch)
    db.session.commit()
    assert run_import(paths).ok


def test_an_existing_external_id_is_updated_not_duplicated_and_the_preview_shows_it(app_ctx, files, make):
    make.returnee("Gori", first_name="Old", external_id="GE-1")
    outcome = run_import(files([returnee_row("GE-1", first_name="New", vulnerabilities="elderly")]),
                         dry_run=True)
    assert outcome.counts["returnees_updated"] == 1 and outcome.counts["returnees_created"] == 0
    assert outcome.updates[0].changes["first_name"] == ("Old", "New")
    assert run_import(files([returnee_row("GE-1", first_name="New", vulnerabilities="elderly")], name="b")).ok
    person = db.session.scalar(select(Returnee))
    assert table_counts()["returnee"] == 1
    assert (person.first_name, person.vulnerabilities, person.version) == ("New", {"elderly"}, 2)
    assert len(person.cases) == 1  # the existing case keeps the history, no second case


def test_cases_are_closed_as_imported_history_when_all_assistance_is_older_than_a_year(app_ctx, files):
    people = [returnee_row("OLD"), returnee_row("RECENT"), returnee_row("NEVER", return_date=RECENT)]
    records = [record_row("OLD", date="2019-04-01"), record_row("RECENT", date="2019-04-01"),
               record_row("RECENT", date=RECENT)]
    outcome = run_import(files(people, records))
    assert outcome.counts["cases_closed"] == 1
    cases = {case.returnee.external_id: case for case in db.session.scalars(select(Case))}
    assert cases["OLD"].status == CaseStatus.CLOSED
    assert cases["OLD"].closure_reason == ClosureReason.IMPORTED_HISTORY
    assert cases["OLD"].closed_on == date(2019, 4, 1)
    assert cases["RECENT"].status == CaseStatus.OPEN and cases["NEVER"].status == CaseStatus.OPEN
    record = db.session.scalar(select(AssistanceRecord).where(AssistanceRecord.provided_on == date(2019, 4, 1))
                               .limit(1))
    assert record.case_id == record.returnee.cases[0].id


def test_undo_removes_exactly_that_batch(app_ctx, files, make):
    earlier = make.returnee("Gori", external_id="KEEP")
    make.record(earlier)
    first = run_import(files([returnee_row("B1")], [record_row("B1"), record_row("KEEP")], name="one")).batch
    second = run_import(files([returnee_row("B2")], [record_row("B2"), record_row("KEEP")], name="two")).batch
    before_second = table_counts()
    undo_batch(None, first)
    db.session.commit()
    assert db.session.scalars(select(Returnee.external_id).order_by(Returnee.external_id)).all() == ["B2", "KEEP"]
    assert table_counts()["assistance_record"] == before_second["assistance_record"] - 2
    assert {r.import_batch_id for r in db.session.scalars(select(AssistanceRecord))} == {None, second.id}
    assert db.session.get(ImportBatch, first.id).status == BatchStatus.UNDONE


def test_undo_puts_back_the_values_a_batch_overwrote(app_ctx, files, make):
    person = make.returnee("Gori", first_name="Old", external_id="GE-1", vulnerabilities=["disability"])
    batch = run_import(files([returnee_row("GE-1", first_name="New")])).batch
    undo_batch(None, batch)
    db.session.commit()
    db.session.refresh(person)
    assert (person.first_name, person.vulnerabilities, person.version) == ("Old", {"disability"}, 1)


def test_undo_is_refused_when_caseworkers_added_work_to_imported_returnees(app_ctx, files, make):
    batch = run_import(files([returnee_row("GE-1")])).batch
    imported = db.session.scalar(select(Returnee))
    make.record(imported)
    assert "1 assistance records were added since for returnees it created." in undo_blockers(batch)
    with pytest.raises(Exception):
        undo_batch(None, batch)
    db.session.rollback()
    assert table_counts()["returnee"] == 1


def test_a_supervisor_imports_rows_of_their_own_office_only(app_ctx, files, make):
    supervisor = make.user("supervisor", "Gori")
    make.returnee("Tbilisi", external_id="TB-1")
    outcome = run_import(files([returnee_row("GO-1"), returnee_row("TB-2", field_office="Tbilisi")],
                               [record_row("TB-1")]), actor=supervisor)
    assert [(p.row, p.column) for p in outcome.problems] == [(3, "field_office"), (2, "returnee_external_id")]
