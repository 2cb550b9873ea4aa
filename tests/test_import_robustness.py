"""What field offices' real files and real timing do to the import: found in the audit of issue 5."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord
from caseapp.extensions import db
from caseapp.imports import services
from caseapp.imports.models import ImportBatch
from caseapp.imports.readers import sources_for
from caseapp.imports.services import import_files, undo_batch, undo_blockers
from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS
from caseapp.returnees.models import Returnee
from caseapp.review.models import CaseReview, ReviewOutcome
from tests.test_imports import files, record_row, returnee_row, run_import, table_counts, write_csv  # noqa: F401 (files: fixture)

# --- two imports at the same time ------------------------------------------------------------------------

def test_two_imports_of_the_same_file_at_once_apply_only_once(app, make, tmp_path, monkeypatch):
    """A double-clicked "Import now", or two clerks with the same file: the grants must not count twice."""
    make.returnee("Gori", external_id="GE-1")
    path = write_csv(tmp_path / "grants.csv", ASSISTANCE_COLUMNS,
                     [record_row("GE-1", "business_grant", amount="1500.00", currency="GEL")])
    arrived = [threading.Event(), threading.Event()]
    original = services._ImportRun._refuse_repeated_files

    def meet_the_other_run(run, earlier):  # both runs have read "no earlier batch" before either commits
        me = int(threading.current_thread().name)
        arrived[me].set()
        arrived[1 - me].wait(1.5)
        return original(run, earlier)

    monkeypatch.setattr(services._ImportRun, "_refuse_repeated_files", meet_the_other_run)
    outcomes, errors = [None, None], []

    def run(me):
        try:
            with app.app_context():
                outcome = import_files(None, sources_for(assistance=path))
                db.session.commit() if outcome.ok else db.session.rollback()
                outcomes[me] = outcome
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,), name=str(n)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    refused = next(outcome for outcome in outcomes if not outcome.ok)
    assert refused.problems and refused.problems[0].row == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AssistanceRecord)) == 1
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1


def test_a_row_the_database_refuses_after_the_checks_is_a_problem_and_nothing_is_written(
        app_ctx, make, files, monkeypatch):
    """E.g. a caseworker registers the same personal number while the import runs: no 500, nothing half-written."""
    make.returnee("Gori", personal_number="01001012345")
    monkeypatch.setattr(services._ImportRun, "_personal_number_owners", lambda run, numbers: {})
    before = table_counts()
    outcome = run_import(files([returnee_row("GE-1"), returnee_row("GE-2", personal_number="01001012345")],
                               [record_row("GE-1")]))
    assert not outcome.ok
    assert "at the same time" in outcome.problems[0].message
    assert table_counts() == before


# --- what a file may hold ----------------------------------------------------------------------------------

@pytest.mark.parametrize("table, column", [("returnees", "returned_from"), ("assistance", "notes")])
def test_a_nul_character_is_named_not_a_crash(app_ctx, files, table, column):
    """PostgreSQL cannot store NUL: a damaged or mis-encoded file used to end in a server error."""
    people = [returnee_row("GE-1", **({column: "Ger\x00many"} if table == "returnees" else {}))]
    records = [record_row("GE-1", **({column: "paid\x00"} if table == "assistance" else {}))]
    outcome = run_import(files(people, records))
    assert [(p.table, p.row, p.column) for p in outcome.problems] == [(table, 2, column)]
    assert "control character" in outcome.problems[0].message
    assert table_counts()["returnee"] == 0


def test_trailing_empty_columns_and_blank_rows_of_a_spreadsheet_csv_are_ignored(app_ctx, tmp_path):
    """Excel writes ",,," after the last column when cells further right were once formatted."""
    header = ",".join(RETURNEE_COLUMNS)
    row = "GE-1,Nino,Beridze,F,1985-05-17,,,Gori,2019-03-01,Germany,"
    path = tmp_path / "returnees.csv"
    path.write_text(f"{header},,\r\n{row},,\r\n , ,\r\n,,,,,,,,,,,,\r\n", encoding="utf-8")
    outcome = run_import({"returnees": path})
    assert outcome.ok, [str(p) for p in outcome.problems]
    assert outcome.counts["returnees_created"] == 1


def test_a_value_under_a_column_without_a_name_is_refused(app_ctx, tmp_path):
    header = ",".join(RETURNEE_COLUMNS)
    path = tmp_path / "returnees.csv"
    path.write_text(f"{header},\nGE-1,Nino,Beridze,F,1985-05-17,,,Gori,2019-03-01,Germany,,lost note\n",
                    encoding="utf-8")
    outcome = run_import({"returnees": path})
    assert [(p.row, p.value) for p in outcome.problems] == [(2, "lost note")]


# --- undo ------------------------------------------------------------------------------------------------

def test_undo_is_refused_when_a_supervisor_reviewed_a_case_the_batch_opened(app_ctx, files, make):
    """Deleting the case would silently delete the supervisor's review with it."""
    batch = run_import(files([returnee_row("GE-1", return_date=services.today().isoformat())])).batch
    case = db.session.scalar(select(Returnee)).cases[0]
    db.session.add(CaseReview(case=case, reviewer_id=make.user("supervisor", "Gori").id,
                              outcome=ReviewOutcome.FINE, comment=""))
    db.session.commit()
    assert "1 case reviews were made since on cases it opened." in undo_blockers(batch)
    with pytest.raises(Exception):
        undo_batch(None, batch)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CaseReview)) == 1


def test_undo_is_refused_when_records_were_filed_under_a_case_the_batch_opened_for_an_older_returnee(
        app_ctx, files, make):
    """The batch gave a caseless returnee a case; a caseworker's later record must not lose its case."""
    person = make.returnee("Gori", external_id="OLD-1", with_case=False)
    batch = run_import(files([returnee_row("OLD-1")], [record_row("OLD-1", date=services.today().isoformat())])).batch
    db.session.refresh(person)
    assert len(person.cases) == 1
    make.record(person)
    assert "1 assistance records were added since under cases it opened." in undo_blockers(batch)


# --- spreadsheets as offices save them -------------------------------------------------------------------

def _workbook(path, sheets):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_workbook_with_capitalised_sheets_headers_and_typed_cells_imports(app_ctx, tmp_path):
    from datetime import date, datetime

    header = [name.replace("_", " ").title() for name in RETURNEE_COLUMNS]  # "External Id", "Date Of Birth"
    path = _workbook(tmp_path / "legacy.xlsx", [
        ("Returnees", [header, ["GE-1", "ნინო", "O'Brien", "F", datetime(1985, 5, 17), "01001012345",
                                995599123456, "Gori", date(2019, 3, 1), "Germany", None]]),
        ("Assistance ", [list(ASSISTANCE_COLUMNS),
                         ["GE-1", "business_grant", datetime(2019, 4, 1), "delivered", 1500.0, "GEL", None, None]]),
    ])
    outcome = run_import({"workbook": path})
    assert outcome.ok, [str(p) for p in outcome.problems]
    person = db.session.scalar(select(Returnee))
    assert (person.personal_number, person.phone, person.last_name) == ("01001012345", "995599123456", "O'Brien")
    assert str(db.session.scalar(select(AssistanceRecord.amount))) == "1500.00"


def test_a_spreadsheet_error_cell_is_refused_not_imported_as_text(app_ctx, tmp_path):
    path = _workbook(tmp_path / "legacy.xlsx", [
        ("returnees", [list(RETURNEE_COLUMNS), list(returnee_row("GE-1").values())]),
        ("assistance", [list(ASSISTANCE_COLUMNS), list(record_row("GE-1", notes="#N/A").values())]),
    ])
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["assistance"]["H2"].data_type = "e"  # as Excel saves a broken formula's cached result
    book.save(path)
    outcome = run_import({"workbook": path})
    assert [(p.table, p.row, p.column, p.value) for p in outcome.problems] == [("assistance", 2, "notes", "#N/A")]
    assert "spreadsheet error" in outcome.problems[0].message


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty"),
    (";".join(RETURNEE_COLUMNS).encode() + b"\nGE-1;Nino\n", "separated by semicolons"),
    ("\t".join(RETURNEE_COLUMNS).encode() + b"\nGE-1\tNino\n", "separated by semicolons or tabs"),
])
def test_an_empty_or_semicolon_csv_gets_one_clear_problem(app_ctx, tmp_path, content, message):
    path = tmp_path / "returnees.csv"
    path.write_bytes(content)
    outcome = run_import({"returnees": path})
    assert len(outcome.problems) == 1 and message in outcome.problems[0].message


def test_a_header_named_twice_after_spelling_is_named(app_ctx, tmp_path):
    path = tmp_path / "returnees.csv"
    path.write_text(",".join(RETURNEE_COLUMNS) + ",External ID\n", encoding="utf-8")
    outcome = run_import({"returnees": path})
    assert [(p.column, p.message) for p in outcome.problems] == [("External ID", "This column appears twice.")]


def test_a_currency_on_assistance_without_an_amount_is_named_not_dropped(app_ctx, files):
    """A "GEL" under training (no amount) was silently thrown away: the clerk meant something by it."""
    outcome = run_import(files([returnee_row("GE-1")], [record_row("GE-1", "training", currency="GEL")]))
    assert [(p.row, p.column, p.value) for p in outcome.problems] == [(2, "currency", "GEL")]


def test_a_personal_number_that_lost_its_leading_zero_says_so(app_ctx, tmp_path):
    path = _workbook(tmp_path / "legacy.xlsx", [
        ("returnees", [list(RETURNEE_COLUMNS), list(returnee_row("GE-1", personal_number=1001012345).values())]),
        ("assistance", [list(ASSISTANCE_COLUMNS)]),
    ])
    outcome = run_import({"workbook": path})
    assert [(p.column, p.value) for p in outcome.problems] == [("personal_number", "1001012345")]
    assert "leading 0" in outcome.problems[0].message


def test_a_file_that_is_not_a_workbook_is_named_once_in_words_a_clerk_reads(app_ctx, tmp_path):
    path = tmp_path / "legacy.xlsx"
    path.write_bytes(b"external_id,first_name\n")  # a CSV renamed .xlsx
    outcome = run_import({"workbook": path})
    assert len(outcome.problems) == 1
    assert "not an Excel workbook" in outcome.problems[0].message


def test_a_supervisor_is_not_told_the_external_id_of_another_offices_returnee(app_ctx, files, make):
    make.returnee("Tbilisi", external_id="TB-SECRET", personal_number="01001012345")
    outcome = run_import(files([returnee_row("GO-1", personal_number="01001012345")]),
                         actor=make.user("supervisor", "Gori"))
    assert [p.column for p in outcome.problems] == ["personal_number"]
    assert "another office" in outcome.problems[0].message and "TB-SECRET" not in outcome.problems[0].message


def test_a_workbook_imported_again_is_named_once(app_ctx, tmp_path):
    path = _workbook(tmp_path / "legacy.xlsx", [
        ("returnees", [list(RETURNEE_COLUMNS), list(returnee_row("GE-1").values())]),
        ("assistance", [list(ASSISTANCE_COLUMNS), list(record_row("GE-1").values())]),
    ])
    assert run_import({"workbook": path}).ok
    outcome = run_import({"workbook": path})
    assert len(outcome.problems) == 1 and "imported already" in outcome.problems[0].message


def test_a_workbook_given_by_command_without_its_xlsx_ending_is_read_as_a_workbook(app_ctx, runner, tmp_path):
    path = _workbook(tmp_path / "legacy.xlsx", [
        ("returnees", [list(RETURNEE_COLUMNS), list(returnee_row("GE-1").values())]),
        ("assistance", [list(ASSISTANCE_COLUMNS)]),
    ])
    renamed = path.rename(tmp_path / "legacy-2019")  # as saved from a mail attachment
    result = runner.invoke(args=["import-data", "--workbook", str(renamed)])
    assert result.exit_code == 0, result.stderr


def test_an_undo_while_an_import_runs_is_refused_on_postgresql(app, app_ctx, files):
    """Undo deletes what an import running at the same time may be adding records to."""
    import sqlalchemy as sa

    from caseapp.errors import ValidationFailed

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock serialises them")
    batch = run_import(files([returnee_row("GE-1")])).batch
    with db.engine.connect() as other:  # the running import
        assert other.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(services.IMPORT_LOCK_KEY)))
        with pytest.raises(ValidationFailed, match="Another import or undo is running"):
            undo_batch(None, batch)
        db.session.rollback()
        other.rollback()
    undo_batch(None, batch)
    db.session.commit()
    assert table_counts()["returnee"] == 0
