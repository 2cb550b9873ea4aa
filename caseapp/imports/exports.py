"""Export returnees, cases and assistance in the import format (an export re-imports into a fresh
database with the same figures), and the example template. Files are made by caseapp.spreadsheets, which
makes every cell formula-safe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord, AssistanceType
from caseapp.cases.models import Case
from caseapp.consent.models import ConsentMethod, ConsentRecord
from caseapp.extensions import db
from caseapp.imports.validation import ASSISTANCE_COLUMNS, RETURNEE_COLUMNS
from caseapp.offices.models import FieldOffice
from caseapp.offices.queries import find_office
from caseapp.projects.models import UNASSIGNED_CODE, Project
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from caseapp.returnees.queries import not_merged
from caseapp.spreadsheets import RowTally, csv_text, xlsx_bytes

#: the cases sheet is for reading only: an import derives cases itself (and ignores this sheet)
CASE_COLUMNS = ("returnee_external_id", "status", "opened_on", "closed_on", "closure_reason")
TABLE_COLUMNS = {"returnees": RETURNEE_COLUMNS, "assistance": ASSISTANCE_COLUMNS, "cases": CASE_COLUMNS}
BATCH = 5000


def exported_external_id(returnee_id: int, external_id: str | None) -> str:
    """Returnees registered in the app have no external id; the export names them by their database id."""
    return external_id or f"CASEAPP-{returnee_id}"


def _project_cell(code: str) -> str:
    """A project as the import format writes it: its code; empty for Unassigned."""
    return "" if code == UNASSIGNED_CODE else code


def _in_office(query, office_id: int | None):
    query = query.where(not_merged())  # a record merged into another one is not exported
    return query if office_id is None else query.where(Returnee.field_office_id == office_id)


def _consent_states(office_id: int | None) -> dict[int, tuple[list[str], list[str], object, str]]:
    """Per returnee: the purposes consented to and withdrawn (the latest decision of each counts), the date
    of the latest of those decisions and its method: the file carries the state, the app keeps the history."""
    latest: dict[int, dict[str, ConsentRecord]] = {}
    query = _in_office(
        select(ConsentRecord).join(Returnee, Returnee.id == ConsentRecord.returnee_id)
        .order_by(ConsentRecord.decided_on, ConsentRecord.id), office_id)
    for record in db.session.scalars(query.execution_options(yield_per=BATCH)):
        latest.setdefault(record.returnee_id, {})[record.purpose.value] = record
    states = {}
    for returnee_id, by_purpose in latest.items():
        last = max(by_purpose.values(), key=lambda r: (r.decided_on, r.id))
        method = last.method.value if last.method != ConsentMethod.EARLIER_RECORD else ConsentMethod.SIGNED_FORM.value
        states[returnee_id] = (sorted(p for p, r in by_purpose.items() if r.given),
                               sorted(p for p, r in by_purpose.items() if not r.given), last.decided_on, method)
    return states


def returnee_rows(office_id: int | None = None) -> Iterator[list]:
    consents = _consent_states(office_id)
    vulnerabilities: dict[int, list[str]] = {}
    for returnee_id, code in db.session.execute(
        _in_office(
            select(ReturneeVulnerability.returnee_id, ReturneeVulnerability.code).join(
                Returnee, Returnee.id == ReturneeVulnerability.returnee_id
            ),
            office_id,
        )
    ):
        vulnerabilities.setdefault(returnee_id, []).append(code.value)
    query = _in_office(
        select(
            Returnee.id,
            Returnee.external_id,
            Returnee.first_name,
            Returnee.last_name,
            Returnee.sex,
            Returnee.date_of_birth,
            Returnee.personal_number,
            Returnee.phone,
            FieldOffice.name,
            Returnee.return_date,
            Returnee.returned_from,
            Project.code.label("project_code"),
        )
        .join(FieldOffice, FieldOffice.id == Returnee.field_office_id)
        .join(Project, Project.id == Returnee.return_project_id)
        .order_by(Returnee.id),
        office_id,
    )
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield [exported_external_id(row.id, row.external_id), row.first_name, row.last_name, row.sex,
               row.date_of_birth, row.personal_number, row.phone, row.name, row.return_date, row.returned_from,
               ";".join(sorted(vulnerabilities.get(row.id, []))), *_consent_cells(consents.get(row.id)),
               _project_cell(row.project_code)]


def _consent_cells(state) -> list:
    if state is None:
        return ["", "", "", ""]
    given, withdrawn, decided_on, method = state
    return [";".join(given), ";".join(withdrawn), decided_on, method]


def assistance_rows(office_id: int | None = None) -> Iterator[list]:
    query = _in_office(
        select(
            Returnee.id,
            Returnee.external_id,
            AssistanceType.code,
            AssistanceRecord.provided_on,
            AssistanceRecord.status,
            AssistanceRecord.amount,
            AssistanceRecord.currency,
            AssistanceRecord.provider,
            AssistanceRecord.notes,
            Project.code.label("project_code"),
        )
        .join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
        .join(Project, Project.id == AssistanceRecord.project_id)
        .join(AssistanceType, AssistanceType.id == AssistanceRecord.type_id)
        .order_by(AssistanceRecord.id),
        office_id,
    )
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield [
            exported_external_id(row.id, row.external_id),
            row.code,
            row.provided_on,
            row.status,
            row.amount,
            row.currency,
            row.provider,
            row.notes,
            _project_cell(row.project_code),
        ]


def case_rows(office_id: int | None = None) -> Iterator[list]:
    query = _in_office(
        select(Returnee.id, Returnee.external_id, Case.status, Case.opened_on, Case.closed_on, Case.closure_reason)
        .join(Returnee, Returnee.id == Case.returnee_id)
        .order_by(Case.id),
        office_id,
    )
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield [
            exported_external_id(row.id, row.external_id),
            row.status,
            row.opened_on,
            row.closed_on,
            row.closure_reason,
        ]


TABLE_ROWS = {"returnees": returnee_rows, "assistance": assistance_rows, "cases": case_rows}


def export_csv(table: str, office_id: int | None = None, *, tally: RowTally | None = None) -> str:
    return csv_text(TABLE_COLUMNS[table], TABLE_ROWS[table](office_id), tally=tally)


def count_rows(office_id: int | None = None) -> int:
    """The data rows an export holds (returnees, assistance records, cases): the total of its progress bar."""
    total = 0
    for query in (
        select(func.count()).select_from(Returnee),
        select(func.count()).select_from(AssistanceRecord).join(Returnee, Returnee.id == AssistanceRecord.returnee_id),
        select(func.count()).select_from(Case).join(Returnee, Returnee.id == Case.returnee_id),
    ):
        total += db.session.scalar(_in_office(query, office_id))
    return total


def export_workbook(office_id: int | None = None, *, tally: RowTally | None = None) -> bytes:
    return xlsx_bytes(
        [(table, TABLE_COLUMNS[table], TABLE_ROWS[table](office_id)) for table in TABLE_ROWS], tally=tally
    )


def write_export(destination: Path, *, office_name: str | None = None, tally: RowTally | None = None) -> list[Path]:
    office_id = None
    if office_name:
        found = find_office(office_name)
        office_id = found.id if found else None
        if office_id is None:
            raise LookupError(f"No field office named {office_name!r}.")
    destination = Path(destination)
    if destination.suffix.lower() == ".xlsx":
        destination.write_bytes(export_workbook(office_id, tally=tally))
        return [destination]
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLE_ROWS:
        path = destination / f"{table}.csv"
        path.write_text(export_csv(table, office_id, tally=tally), encoding="utf-8", newline="")
        written.append(path)
    return written


#: the downloadable example: every column, a few realistic rows (invented people). The project columns are
#: empty (Unassigned): a project code must exist in the database the file goes into
TEMPLATE_ROWS = {
    "returnees": [
        ["GORI-2019-0001", "ნინო", "ბერიძე", "F", "1987-04-12", "01001012345", "+995 599 12 34 56", "Gori",
         "2019-06-03", "Germany", "single_parent", "assistance;referral;follow_up", "photos", "2019-06-03",
         "signed_form", ""],
        ["GORI-2019-0002", "Giorgi", "O'Neill-Kapanadze", "M", "1979-11-30", "", "", "Gori", "2019-07-15",
         "Greece", "disability;chronic_illness", "assistance", "", "2019-07-15", "verbal", ""],
    ],
    "assistance": [
        ["GORI-2019-0001", "reception", "2019-06-03", "delivered", "250.00", "GEL", "IOM Georgia", "", ""],
        [
            "GORI-2019-0001",
            "business_grant",
            "2019-09-20",
            "delivered",
            "3500.00",
            "GEL",
            "Business Support Centre",
            'Bakery equipment, "oven" and mixer;\nsecond instalment paid 2019-10-01',
            "",
        ],
        ["GORI-2019-0002", "medical_counselling", "2019-08-02", "delivered", "", "", "Regional Hospital", "", ""],
    ],
}


def template_workbook() -> bytes:
    return xlsx_bytes([(table, TABLE_COLUMNS[table], rows) for table, rows in TEMPLATE_ROWS.items()])


def template_csv(table: str) -> str:
    return csv_text(TABLE_COLUMNS[table], TEMPLATE_ROWS[table])
