"""Demo duplicates: a few believable pairs of records of one person, so the list of possible duplicates is
alive after `make run`; one pair decided "not the same", one merged (its page shows the unmerge).

- Gori: Nodar Tsereteli and ნოდარ წერეთელი (Georgian script, day and month swapped), both with an open case:
  the merge asks which stays open.
- Gori: Ketevan Abashidze and Ketevan Abashize (a typo), one of them imported with an external id.
- Tbilisi and Gori: Zurab Maisuradze, born a year apart: a pair of two offices (an administrator merges).
- Gori: two Davit Lomidze born the same day, decided "not the same person" (not proposed again).
- Telavi: Maia Nozadze and მაია ნოზაძე, merged by the administrator."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType, Currency
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.duplicates.models import PairDecision
from caseapp.duplicates.services import decide_pair, merge_returnees
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee, Sex
from caseapp.returnees.rules import name_columns

#: (office, first, last, sex, born, personal number, phone, external id, case status or None, days ago)
PEOPLE = [
    ("Gori", "Nodar", "Tsereteli", "M", date(1985, 3, 7), "01001012345", "+995 599 11 22 33", None, "active", 400),
    ("Gori", "ნოდარ", "წერეთელი", "M", date(1985, 7, 3), None, None, None, "open", 30),
    ("Gori", "Ketevan", "Abashidze", "F", date(1979, 11, 2), None, "+995 577 40 12 09", "HQ-2291", "closed", 700),
    ("Gori", "Ketevan", "Abashize", "F", date(1979, 11, 2), None, None, None, "monitoring", 200),
    ("Tbilisi", "Zurab", "Maisuradze", "M", date(1968, 5, 21), "12001034567", None, None, "active", 300),
    ("Gori", "Zurab", "Maisuradze", "M", date(1969, 5, 21), None, None, None, "open", 90),
    ("Gori", "Davit", "Lomidze", "M", date(1992, 4, 4), None, "+995 595 00 11 22", None, "active", 250),
    ("Gori", "Davit", "Lomidze", "M", date(1992, 4, 4), None, "+995 591 77 66 55", None, "open", 120),
    ("Telavi", "Maia", "Nozadze", "F", date(1975, 9, 12), "35001045678", None, None, "active", 500),
    ("Telavi", "მაია", "ნოზაძე", "F", date(1975, 12, 9), None, "+995 551 23 45 67", None, "closed", 800),
]


def seed_duplicates(on: date) -> int:
    """Add the demo pairs (PEOPLE), the decision and the merge; returns the records made."""
    offices = {office.name: office for office in db.session.scalars(select(FieldOffice))}
    types = {t.code: t for t in db.session.scalars(select(AssistanceType))}
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor.gori"))
    made = []
    for office, first, last, sex, born, number, phone, external_id, status, days_ago in PEOPLE:
        returned = on - timedelta(days=days_ago)
        person = Returnee(
            first_name=first,
            last_name=last,
            **name_columns(first, last),
            sex=Sex(sex),
            date_of_birth=born,
            personal_number=number,
            phone=phone,
            external_id=external_id,
            field_office_id=offices[office].id,
            return_date=returned,
            returned_from="Germany" if sex == "M" else "Greece",
        )
        person.created_at = person.updated_at = datetime.combine(returned, time(8, 0))
        db.session.add(person)
        case = Case(returnee=person, opened_on=returned, status=CaseStatus(status))
        if case.status == CaseStatus.CLOSED:
            case.closed_on = returned + timedelta(days=200)
            case.closure_reason = ClosureReason.REINTEGRATION_COMPLETED
        db.session.add(case)
        if "reception" in types:
            db.session.add(
                AssistanceRecord(
                    returnee=person,
                    case=case,
                    assistance_type=types["reception"],
                    provided_on=returned,
                    status=AssistanceStatus.DELIVERED,
                    amount=200,
                    currency=Currency.GEL,
                    provider="IOM Georgia",
                    notes="",
                )
            )
        made.append(person)
    db.session.flush()
    if supervisor is not None:
        decide_pair(supervisor, made[6], made[7], PairDecision.NOT_SAME)
    merge_returnees(admin, made[8], made[9], {"phone": "other"})
    db.session.flush()
    return len(made)
