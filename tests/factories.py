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
from caseapp.consent.models import ConsentMethod, ConsentPurpose, ConsentRecord
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project, ProjectBudget
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
             caseworker: User | None = None, commit: bool = True, consents=tuple(ConsentPurpose),
             **extra) -> Returnee:
    n = next(_sequence)
    first_name = first_name or f"Nino{n}"
    person = Returnee(
        first_name=first_name, last_name=last_name, **name_columns(first_name, last_name),
        sex=Sex(sex), date_of_birth=date_of_birth, return_date=return_date, returned_from="Germany",
        field_office_id=office(office_name).id, **extra,
    )
    person.consent_records = [ConsentRecord(purpose=ConsentPurpose(p), given=True, decided_on=return_date,
                                            method=ConsentMethod.SIGNED_FORM) for p in consents]
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
           commit: bool = True, project: Project | None = None) -> AssistanceRecord:
    entry = AssistanceRecord(
        returnee=person, case=person.current_case, assistance_type=assistance_type(code), provided_on=on,
        status=AssistanceStatus(status), amount=Decimal(amount) if amount is not None else None,
        currency=Currency(currency) if currency else (Currency.GEL if amount is not None else None),
        provider="", notes="", recorded_by_id=recorded_by.id if recorded_by else None,
    )
    if project is not None:
        entry.project = project
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def project(code: str | None = None, *, offices=(), types=(), start: date = date(2024, 1, 1),
            end: date = date(2026, 12, 31), budgets: dict | None = None, active: bool = True,
            donor: str = "European Union", name: str | None = None) -> Project:
    """A project; `offices` are office names and `types` assistance type codes (none: all); `budgets` is
    {"EUR": "10000", ...}."""
    code = code or f"PRJ-{next(_sequence)}"
    funded = Project(code=code, name=name or f"Project {code}", donor=donor, start_date=start, end_date=end,
                     active=active)
    funded.offices = [office(name) for name in offices]
    funded.assistance_types = [assistance_type(t) for t in types]
    funded.budgets = [ProjectBudget(currency=Currency(c), amount=Decimal(str(a))) for c, a in (budgets or {}).items()]
    db.session.add(funded)
    db.session.commit()
    return funded
