"""One spreadsheet row -> typed values, or the problems that stop it.

The rules are the forms' rules: `returnee_errors` (returnees/rules.py) and `assistance_errors`
(assistance/services.py). This module only turns text cells into the values those rules take and adds
what only a file can get wrong (an unknown column, an impossible date, an unknown code)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from caseapp.assistance.models import AssistanceStatus, AssistanceType, Currency
from caseapp.assistance.services import AssistanceInput, assistance_errors, parse_amount
from caseapp.imports.readers import SheetError
from caseapp.inputs import CONTROL_RE
from caseapp.returnees.models import Sex, Vulnerability
from caseapp.returnees.rules import normalise_personal_number, normalise_phone, returnee_errors

RETURNEE_COLUMNS = (
    "external_id", "first_name", "last_name", "sex", "date_of_birth", "personal_number", "phone",
    "field_office", "return_date", "returned_from", "vulnerabilities", "return_project",
)
ASSISTANCE_COLUMNS = ("returnee_external_id", "type", "date", "status", "amount", "currency", "provider", "notes",
                      "project")
COLUMNS = {"returnees": RETURNEE_COLUMNS, "assistance": ASSISTANCE_COLUMNS}
#: columns a file may leave out (files made before projects): the project codes. Present but empty: Unassigned;
#: left out: Unassigned for new rows, and an existing returnee keeps the project of its return.
OPTIONAL_COLUMNS = {"return_project", "project"}

#: lengths the database holds (the forms check them with Length validators)
EXTERNAL_ID_MAX = 64
RETURNED_FROM_MAX = 100
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
VULNERABILITY_CODES = {v.value for v in Vulnerability}
STATUS_CODES = {s.value for s in AssistanceStatus}
CURRENCY_CODES = {c.value for c in Currency}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one cell (or the whole file, row 0) stops the import."""

    table: str
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.table}, row {self.row}" if self.row else self.table
        column = f", column {self.column}" if self.column else ""
        value = f", value {self.value!r}" if self.value else ""
        where = f"{where}{column}{value}"
        return f"{where}: {self.message}" if where else self.message


@dataclass(slots=True)
class ReturneeRow:
    row: int
    external_id: str
    first_name: str
    last_name: str
    sex: str
    date_of_birth: date
    personal_number: str | None
    phone: str | None
    field_office_id: int
    return_date: date
    returned_from: str
    vulnerabilities: tuple[str, ...]
    #: the project credited with the return; None when the file has no return_project column
    return_project_id: int | None = None


@dataclass(slots=True)
class AssistanceRow:
    row: int
    returnee_external_id: str
    type_id: int
    provided_on: date
    status: str
    amount: Decimal | None
    currency: str | None
    provider: str
    notes: str
    #: the project that paid (the Unassigned project's id when the cell is empty or the column left out)
    project_id: int


@dataclass
class RowRules:
    """What the rows are checked against: the offices, the catalog, the projects, the importer's office,
    today."""

    office_ids: dict[str, int]  # case-folded office name -> id
    types: dict[str, AssistanceType]  # catalog code -> type
    scope_office_id: int | None
    today: date
    project_ids: dict[str, int] | None = None  # upper-cased project code -> id
    unassigned_project_id: int | None = None

    def project_id(self, table: str, row: int, column: str, cells: dict[str, str], problems: list) -> int | None:
        """The project a cell names (empty: Unassigned); None when the column is left out or the code is
        unknown (then a problem names the row)."""
        if column not in cells:
            return None
        code = cells[column].strip()
        if not code:
            return self.unassigned_project_id
        found = (self.project_ids or {}).get(code.upper())
        if found is None:
            problems.append(Problem(table, row, column, code, _(
                "Unknown project code. The codes are on the Projects page (flask --app caseapp projects list).")))
        return found


class Columns:
    """Where each expected column is in a file, after checking its header row."""

    def __init__(self, table: str, header: list[str]):
        self.table = table
        self.problems: list[Problem] = []
        expected = COLUMNS[table]
        self.position: dict[str, int] = {}
        #: columns without a name in the header row: they must stay empty
        self.unnamed: list[int] = []
        self.width = len(header)
        if not header:
            self.problems.append(Problem(table, 1, "", "", _(
                "The file is empty: its first row must name the columns (%(names)s).", names=", ".join(expected))))
            return
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            self.problems.append(Problem(table, 1, "", header[0][:200], _(
                "The columns are separated by semicolons or tabs. Save the file as 'CSV UTF-8 (Comma "
                "delimited)'.")))
            return
        for index, name in enumerate(header):
            key = column_key(name)
            if not key:
                self.unnamed.append(index)
            elif key in self.position:
                self.problems.append(Problem(table, 1, name, name, _("This column appears twice.")))
            elif key not in expected:
                self.problems.append(Problem(
                    table, 1, name, name,
                    _("Unknown column. The columns are: %(names)s.", names=", ".join(expected))))
            else:
                self.position[key] = index
        for name in expected:
            if name not in self.position and name not in OPTIONAL_COLUMNS:
                self.problems.append(Problem(table, 1, name, "", _("This column is missing.")))

    def cells(self, cells: list[str]) -> dict[str, str]:
        return {name: (cells[index] if index < len(cells) else "") for name, index in self.position.items()}

    def overflow(self, row: int, cells: list[str]) -> Problem | None:
        """A value in a column the header does not name (it would be lost without a word)."""
        for index in [*self.unnamed, *range(self.width, len(cells))]:
            if index < len(cells) and cells[index].strip():
                return Problem(self.table, row, f"#{index + 1}", cells[index],
                               _("A value in a column without a name in the header row."))
        return None


def column_key(name: str) -> str:
    """A header cell as the column it names: "External ID" and " external_id" are external_id."""
    return "_".join(name.casefold().split())


def _cell_problems(table: str, row: int, cells: dict[str, str], problems: list[Problem]) -> None:
    """What no column takes: control characters (a damaged file) and spreadsheet errors (#N/A)."""
    for column, text in cells.items():
        if isinstance(text, SheetError):
            problems.append(Problem(table, row, column, text, _(
                "The cell holds the spreadsheet error %(error)s: correct the formula or type the value.",
                error=text)))
        elif (found := CONTROL_RE.search(text)) is not None:
            problems.append(Problem(table, row, column, text, _(
                "The text holds an invisible control character (code %(code)d): remove it.",
                code=ord(found.group()))))


def _date(table, row, column, text, problems) -> date | None:
    text = text.strip()
    if not text:
        return None
    if not ISO_DATE_RE.match(text):
        problems.append(Problem(table, row, column, text, _("Not a date: write it as YYYY-MM-DD.")))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(table, row, column, text, _("This date does not exist.")))
        return None


def _rule_problems(table, row, errors: dict, cells: dict[str, str], columns_by_field: dict[str, str],
                   problems: list[Problem]) -> None:
    """Turn a rules function's {field: message} into problems, unless the cell already has one."""
    flagged = {p.column for p in problems}
    for field, message in errors.items():
        column = columns_by_field.get(field, field)
        if column not in flagged:
            problems.append(Problem(table, row, column, cells.get(column, ""), str(message)))


def read_returnee(row: int, cells: dict[str, str], rules: RowRules) -> tuple[ReturneeRow | None, list[Problem]]:
    table = "returnees"
    problems: list[Problem] = []
    _cell_problems(table, row, cells, problems)
    external_id = cells["external_id"].strip()
    if not external_id:
        problems.append(Problem(table, row, "external_id", "", _("Required.")))
    elif len(external_id) > EXTERNAL_ID_MAX:
        problems.append(Problem(table, row, "external_id", external_id,
                                _("At most %(n)d characters.", n=EXTERNAL_ID_MAX)))
    sex = cells["sex"].strip()
    if sex and sex not in (Sex.FEMALE.value, Sex.MALE.value):
        problems.append(Problem(table, row, "sex", sex, _("Write F or M.")))
        sex = ""
    date_of_birth = _date(table, row, "date_of_birth", cells["date_of_birth"], problems)
    return_date = _date(table, row, "return_date", cells["return_date"], problems)
    office_name = cells["field_office"].strip()
    office_id = rules.office_ids.get(office_name.casefold())
    if office_id is None:
        problems.append(Problem(table, row, "field_office", office_name,
                                _("Unknown field office.") if office_name else _("Required.")))
    elif rules.scope_office_id is not None and office_id != rules.scope_office_id:
        problems.append(Problem(table, row, "field_office", office_name,
                                _("You can import returnees of your own office only.")))
    returned_from = cells["returned_from"].strip()
    if len(returned_from) > RETURNED_FROM_MAX:
        problems.append(Problem(table, row, "returned_from", returned_from,
                                _("At most %(n)d characters.", n=RETURNED_FROM_MAX)))
    codes = tuple(sorted({code.strip() for code in cells["vulnerabilities"].split(";") if code.strip()}))
    unknown = [code for code in codes if code not in VULNERABILITY_CODES]
    if unknown:
        problems.append(Problem(table, row, "vulnerabilities", cells["vulnerabilities"],
                                _("Unknown vulnerability: %(codes)s. The codes are: %(known)s.",
                                  codes=", ".join(unknown), known=", ".join(sorted(VULNERABILITY_CODES)))))
    first_name, last_name = cells["first_name"].strip(), cells["last_name"].strip()
    personal_number = normalise_personal_number(cells["personal_number"])
    if personal_number and personal_number.isdigit() and len(personal_number) == 10:
        problems.append(Problem(table, row, "personal_number", personal_number, _(
            "A personal number has exactly 11 digits. This one has 10: the spreadsheet probably dropped its "
            "leading 0. Format the column as Text and type the number again.")))
    phone = normalise_phone(cells["phone"])
    return_project_id = rules.project_id(table, row, "return_project", cells, problems)
    errors = returnee_errors(
        first_name=first_name, last_name=last_name, sex=sex or None, date_of_birth=date_of_birth,
        return_date=return_date, personal_number=personal_number, phone=phone, returned_from=returned_from,
        on=rules.today,
    )
    _rule_problems(table, row, errors, cells, {}, problems)
    if problems:
        return None, problems
    return ReturneeRow(
        row=row, external_id=external_id, first_name=first_name, last_name=last_name, sex=sex,
        date_of_birth=date_of_birth, personal_number=personal_number, phone=phone, field_office_id=office_id,
        return_date=return_date, returned_from=returned_from, vulnerabilities=codes,
        return_project_id=return_project_id,
    ), []


ASSISTANCE_FIELD_COLUMNS = {"provided_on": "date", "type_id": "type"}


def read_assistance(row: int, cells: dict[str, str], rules: RowRules) -> tuple[AssistanceRow | None, list[Problem]]:
    table = "assistance"
    problems: list[Problem] = []
    _cell_problems(table, row, cells, problems)
    external_id = cells["returnee_external_id"].strip()
    if not external_id:
        problems.append(Problem(table, row, "returnee_external_id", "", _("Required.")))
    code = cells["type"].strip()
    assistance_type = rules.types.get(code)
    if assistance_type is None:
        problems.append(Problem(table, row, "type", code,
                                _("Unknown type of assistance.") if code else _("Required.")))
    provided_on = _date(table, row, "date", cells["date"], problems)
    status = cells["status"].strip()
    if status not in STATUS_CODES:
        problems.append(Problem(table, row, "status", status,
                                _("Unknown status. The statuses are: %(known)s.",
                                  known=", ".join(s.value for s in AssistanceStatus))))
    try:
        amount = parse_amount(cells["amount"])
    except ValueError:
        problems.append(Problem(table, row, "amount", cells["amount"],
                                _("Not a number: write the amount with a dot, e.g. 1500.50.")))
        amount = None
    currency = cells["currency"].strip() or None
    if currency is not None and currency not in CURRENCY_CODES:
        problems.append(Problem(table, row, "currency", currency,
                                _("Unknown currency. The currencies are: %(known)s.",
                                  known=", ".join(sorted(CURRENCY_CODES)))))
        currency = None
    provider, notes = cells["provider"], cells["notes"]
    project_id = rules.project_id(table, row, "project", cells, problems)
    if project_id is None and "project" not in cells:
        project_id = rules.unassigned_project_id
    if assistance_type is not None:
        errors = assistance_errors(AssistanceInput(
            assistance_type=assistance_type, provided_on=provided_on,
            status=AssistanceStatus(status) if status in STATUS_CODES else None,
            amount=amount, currency=Currency(currency) if currency else None, provider=provider, notes=notes,
        ), on=rules.today)
        _rule_problems(table, row, errors, cells, ASSISTANCE_FIELD_COLUMNS, problems)
        if currency is not None and amount is None and not assistance_type.carries_amount and not errors:
            problems.append(Problem(table, row, "currency", currency, _(
                "%(type)s does not carry an amount: leave the currency empty.", type=assistance_type.label)))
    if problems:
        return None, problems
    return AssistanceRow(
        row=row, returnee_external_id=external_id, type_id=assistance_type.id, provided_on=provided_on, status=status,
        amount=amount, currency=currency if amount is not None else None, provider=provider, notes=notes,
        project_id=project_id,
    ), []
