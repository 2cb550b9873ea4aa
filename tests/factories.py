"""Test data: small functions that build valid records directly (fast, no HTTP)."""
from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from caseapp.assistance.models import (
    AssistanceRecord,
    AssistanceStatus,
    AssistanceType,
    Currency,
)
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case, CaseStatus
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee, ReturneeVulnerability, Sex
from caseapp.returnees.rules import name_columns

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def office(name: str) -> FieldOffice:
    return db.session.scalar(select(FieldOffice).where(FieldOffice.name == name))


def assistance_type(code: str) -> AssistanceType:
    return db.session.scalar(select(AssistanceType).where(AssistanceType.code == code))


def user(role: Role | str = Role.CASEWORKER, office_name: str | None = "Gori", *, username: str | None = None,
         password: str = PASSWORD, active: bool = True, display_name: str | None = None) -> User:
    role = Role(role)
    n = next(_sequence)
    account = User(
        username=username or f"{role.value}{n}",
        display_name=display_name or f"{role.value.title()} {n}",
        role=role,
        field_office_id=office(office_name).id if role.belongs_to_office and office_name else None,
        active=active,
    )
    account.set_password(password)
    db.session.add(account)
    db.session.commit()
    return account


def returnee(office_name: str = "Gori", *, first_name: str | None = None, last_name: str = "Beridze",
             sex: Sex | str = Sex.FEMALE, date_of_birth: date = date(1985, 5, 17),
             return_date: date = date(2024, 3, 1), vulnerabilities=(), with_case: bool = True,
             caseworker: User | None = None, commit: bool = True, **extra) -> Returnee:
    n = next(_sequence)
    first_name = first_name or f"Nino{n}"
    person = Returnee(
        first_name=first_name, last_name=last_name, **name_columns(first_name, last_name),
        sex=Sex(sex), date_of_birth=date_of_birth, return_date=return_date, returned_from="Germany",
        field_office_id=office(office_name).id, consent_given=True, consent_date=return_date, **extra,
    )
    person.vulnerability_rows = [ReturneeVulnerability(code=v) for v in vulnerabilities]
    db.session.add(person)
    if with_case:
        db.session.add(Case(returnee=person, status=CaseStatus.OPEN, opened_on=return_date,
                            caseworker_id=caseworker.id if caseworker else None))
    if commit:
        db.session.commit()
    return person


def record(person: Returnee, code: str = "business_counselling", *, on: date = date(2024, 4, 1),
           status: AssistanceStatus | str = AssistanceStatus.DELIVERED, amount: str | Decimal | None = None,
           currency: Currency | str | None = None, recorded_by: User | None = None,
           commit: bool = True) -> AssistanceRecord:
    entry = AssistanceRecord(
        returnee=person, case=person.current_case, assistance_type=assistance_type(code), provided_on=on,
        status=AssistanceStatus(status), amount=Decimal(amount) if amount is not None else None,
        currency=Currency(currency) if currency else (Currency.GEL if amount is not None else None),
        provider="", notes="", recorded_by_id=recorded_by.id if recorded_by else None,
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry
