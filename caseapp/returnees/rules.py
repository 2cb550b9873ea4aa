"""The rules a returnee record must satisfy: one set, used by the forms and by the spreadsheet import.

Each function takes already-parsed values and returns {field: message} for what is wrong."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from caseapp.names import person_keys
from caseapp.timeutil import today

PERSONAL_NUMBER_RE = re.compile(r"^\d{11}$")
#: digits with an optional leading +, and spaces, dashes, dots or brackets between them
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ().-]{4,22}[0-9]$")
NAME_MAX = 100
SEARCH_NAME_MAX = 202  # the length of Returnee.search_name


def normalise_name(first_name: str, last_name: str) -> str:
    """What name search and the duplicate warning compare against: the name's key "first last" in Latin
    letters, whatever the script and spelling (caseapp/names.py: "ნოდარ წერეთელი" -> "nodar tsereteli")."""
    return person_keys(first_name, last_name, SEARCH_NAME_MAX)[0]


def name_columns(first_name: str, last_name: str) -> dict[str, str]:
    """The returnee's search columns for this name; every write path (forms, import, undo, demo) sets
    them through this function."""
    forward, backward = person_keys(first_name, last_name, SEARCH_NAME_MAX)
    return {"search_name": forward, "search_name_reversed": backward}


def normalise_personal_number(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def normalise_phone(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def returnee_errors(
    *,
    first_name: str | None,
    last_name: str | None,
    sex,
    date_of_birth: date | None,
    return_date: date | None,
    personal_number: str | None,
    phone: str | None,
    returned_from: str | None,
    on: date | None = None,
) -> dict[str, object]:
    on = on or today()
    errors: dict[str, object] = {}
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not (value or "").strip():
            errors[field] = _l("Required.")
        elif len(value) > NAME_MAX:
            errors[field] = _l("At most %(n)d characters.", n=NAME_MAX)
    if not sex:
        errors["sex"] = _l("Required.")
    if not (returned_from or "").strip():
        errors["returned_from"] = _l("Required.")
    if date_of_birth is None:
        errors["date_of_birth"] = _l("Required.")
    elif date_of_birth > on:
        errors["date_of_birth"] = _l("The date of birth cannot be in the future.")
    if return_date is None:
        errors["return_date"] = _l("Required.")
    elif return_date > on:
        errors["return_date"] = _l("The return date cannot be in the future.")
    if date_of_birth and return_date and "date_of_birth" not in errors and date_of_birth >= return_date:
        errors["date_of_birth"] = _l("The date of birth must be before the return date.")
    if personal_number and not PERSONAL_NUMBER_RE.match(personal_number):
        errors["personal_number"] = _l("A personal number has exactly 11 digits.")
    if phone and (not PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        errors["phone"] = _l("A phone number has digits, optionally a leading + (e.g. +995 599 12 34 56).")
    return errors
