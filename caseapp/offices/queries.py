"""Finding a field office by the name a person types: English or Georgian, any letter case, spaces trimmed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseapp.extensions import db
from caseapp.offices.models import FieldOffice


def name_key(name: str) -> str:
    """The form in which two spellings of one office name compare equal ("  gori " and "Gori")."""
    return " ".join(name.split()).casefold()


def office_ids_by_name(session: Session | None = None) -> dict[str, int]:
    """Every office under its English and its Georgian name (keys from `name_key`)."""
    found: dict[str, int] = {}
    for office in (session or db.session).scalars(select(FieldOffice)):
        for name in (office.name, office.name_ka):
            if name:
                found.setdefault(name_key(name), office.id)
    return found


def find_office(name: str, session: Session | None = None) -> FieldOffice | None:
    """The office named `name` in English or Georgian (`გორი` and `Gori` are the same office), or None."""
    office_id = office_ids_by_name(session).get(name_key(name))
    return (session or db.session).get(FieldOffice, office_id) if office_id is not None else None
