"""Everything held about one returnee, as one workbook, for a data-subject request.

The first sheet names the personal data in words; then one sheet per table holding rows of the person,
found through the metadata like the anonymiser's (caseapp/privacy/anonymise.py), so a table another feature
adds is in the file without a change here; last, the change log about the person: who opened, changed,
exported or was shown their record, when, and from where (every column the change log has)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask_babel import gettext as _

from caseapp.audit.models import AuditEntry
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.privacy.anonymise import ROOT, linked_tables, rows_of
from caseapp.returnees.models import Returnee
from caseapp.spreadsheets import xlsx_bytes


def _cell(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def personal_data_rows(returnee: Returnee) -> list[list]:
    return [
        [_("Returnee number"), returnee.id],
        [_("First name"), returnee.first_name],
        [_("Last name"), returnee.last_name],
        [_("Sex"), str(returnee.sex.label)],
        [_("Date of birth"), returnee.date_of_birth],
        [_("Personal number"), returnee.personal_number or ""],
        [_("Phone"), returnee.phone or ""],
        [_("Field office"), str(returnee.field_office.label)],
        [_("Return date"), returnee.return_date],
        [_("Returned from (country)"), returnee.returned_from],
        [_("Vulnerabilities"), ", ".join(sorted(str(v.label) for v in returnee.vulnerabilities))],
        [_("External id"), returnee.external_id or ""],
        [_("Registered"), returnee.created_at],
        [_("Anonymised"), returnee.anonymised_at or ""],
    ]


def table_sheets(returnee: Returnee) -> list[tuple[str, list[str], list[list]]]:
    """One sheet per table holding rows of this person (the returnee table itself included)."""
    links = linked_tables()
    sheets = []
    for name in links:
        table = db.metadata.tables[name]
        rows = db.session.execute(sa.select(table).where(rows_of(name, [returnee.id], links))).all()
        if rows or name == ROOT:
            sheets.append((name, [column.name for column in table.columns], [[_cell(v) for v in row] for row in rows]))
    return sheets


def access_sheet(returnee: Returnee) -> tuple[str, list[str], list[list]]:
    """Every change-log entry about this person, oldest first, with its sentence in words."""
    entries = list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                sa.or_(
                    AuditEntry.returnee_id == returnee.id,
                    sa.and_(AuditEntry.entity_type == ROOT, AuditEntry.entity_id == returnee.id),
                )
            )
            .order_by(AuditEntry.id)
        )
    )
    columns = [column.name for column in AuditEntry.__table__.columns]
    described = describe(entries)
    rows = []
    for entry, words in zip(entries, described, strict=True):
        changes = "; ".join(
            f"{change.label}: {change.new}" if change.old is None else f"{change.label}: {change.old} → {change.new}"
            for change in words.changes
        )
        rows.append(
            [words.who, words.action, words.record, changes, *[_cell(getattr(entry, name)) for name in columns]]
        )
    return "access and changes", [_("Who"), _("What"), _("Record"), _("Changes"), *columns], rows


def subject_data_workbook(returnee: Returnee) -> tuple[bytes, dict[str, int]]:
    """The workbook and its row count per sheet (the change log records the counts, not the data)."""
    sheets = [("personal data", [_("Field"), _("Value")], personal_data_rows(returnee))]
    sheets += table_sheets(returnee)
    sheets.append(access_sheet(returnee))
    counts = {title: len(rows) for title, _header, rows in sheets}
    return xlsx_bytes(sheets), counts
