"""Build the demo dataset. Every person here is invented; the random generator is seeded for repeatability."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from caseapp.assistance.models import (
    AssistanceRecord,
    AssistanceStatus,
    AssistanceType,
    Currency,
)
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.demo.audit import seed_demo_audit
from caseapp.demo.consent import seed_demo_consents
from caseapp.demo.cycle import seed_reintegration_cycle
from caseapp.demo.duplicates import PEOPLE as DUPLICATE_PEOPLE
from caseapp.demo.duplicates import seed_duplicates
from caseapp.demo.followup import seed_followup
from caseapp.demo.indicators import seed_demo_indicators
from caseapp.demo.projects import seed_demo_projects
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.plans.models import ReintegrationPlan
from caseapp.returnees.models import Returnee, ReturneeVulnerability, Sex, Vulnerability
from caseapp.returnees.rules import name_columns

PLAN_SUMMARY = "Reception on arrival; business counselling; grant if the plan is viable."

#: (username, display name, role, office or None, password) — printed by `make run` for a first login
DEMO_USERS = [
    ("admin", "Nino Admin", Role.ADMIN, None, "demo-admin-pass"),
    ("manager", "Giorgi Manager", Role.MANAGER, None, "demo-manager-pass"),
    ("supervisor.gori", "Tamar Beridze", Role.SUPERVISOR, "Gori", "demo-supervisor-pass"),
    ("caseworker.gori", "Levan Kapanadze", Role.CASEWORKER, "Gori", "demo-caseworker-pass"),
    ("caseworker2.gori", "Mariam Lomidze", Role.CASEWORKER, "Gori", "demo-caseworker-pass"),
    ("supervisor.tbilisi", "Irakli Gelashvili", Role.SUPERVISOR, "Tbilisi", "demo-supervisor-pass"),
    ("caseworker.tbilisi", "Eka Tsiklauri", Role.CASEWORKER, "Tbilisi", "demo-caseworker-pass"),
]

FEMALE_NAMES = ["Nino", "Tamar", "Mariam", "Ana", "Eka", "Salome", "Natia", "Ketevan", "Maia", "Lela",
                "ნინო", "თამარ", "მარიამ"]
MALE_NAMES = ["Giorgi", "Davit", "Levan", "Irakli", "Nika", "Luka", "Zurab", "Vakhtang", "Temur", "Otar",
              "გიორგი", "დავით", "ლევან"]
LAST_NAMES = ["Beridze", "Kapanadze", "Gelashvili", "Maisuradze", "Giorgadze", "Lomidze", "Tsiklauri",
              "Bolkvadze", "Nozadze", "Khutsishvili", "Abashidze", "Mchedlishvili", "ბერიძე", "კაპანაძე"]
COUNTRIES = ["Germany", "Greece", "France", "Belgium", "Austria", "Poland", "Sweden", "Netherlands", "Italy"]
PROVIDERS = ["IOM Georgia", "Business Support Centre", "Vocational College", "Regional Hospital", "NGO Partner"]

#: how often each type is given, and typical amounts (GEL) where it carries one
TYPE_WEIGHTS = {
    "reception": (1.0, (150, 400)),
    "business_counselling": (0.45, None),
    "business_grant": (0.15, (1500, 5000)),
    "voc_ed_counselling": (0.2, None),
    "voc_ed_grant": (0.07, (500, 1500)),
    "tools": (0.08, (300, 1200)),
    "temporary_housing": (0.1, (200, 600)),
    "accommodation": (0.05, (400, 1500)),
    "medical_counselling": (0.2, None),
    "medical_assistance": (0.1, (100, 2500)),
    "living_conditions": (0.06, (500, 3000)),
    "employment": (0.12, None),
    "training": (0.15, None),
    "livelihood_items": (0.1, (100, 800)),
}


def ensure_demo_users() -> list[User]:
    offices = {o.name: o for o in db.session.scalars(select(FieldOffice))}
    users = []
    for username, display_name, role, office, password in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=display_name, role=role,
                        field_office_id=offices[office].id if office else None)
            user.set_password(password)
            db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def seed_demo(count: int = 600, *, seed: int = 2026, on: date | None = None) -> int:
    """Create the demo users and `count` returnees with cases and assistance; returns the returnees made."""
    rng = random.Random(seed)
    on = on or date.today()
    ensure_demo_users()
    offices = list(db.session.scalars(select(FieldOffice).where(FieldOffice.active.is_(True)).order_by(FieldOffice.id)))
    types = {assistance_type.code: assistance_type for assistance_type in db.session.scalars(select(AssistanceType))}
    # Cases go to caseworkers, so that every request has a supervisor who may approve it (four eyes).
    staff_by_office: dict[int, list[User]] = {}
    for user in db.session.scalars(select(User).where(User.role == Role.CASEWORKER).order_by(User.id)):
        staff_by_office.setdefault(user.field_office_id, []).append(user)
    start = on - timedelta(days=3 * 365)
    made = 0
    # the demo duplicates (caseapp/demo/duplicates.py) are invented returnees too: part of `count`
    with_duplicates = count >= 50
    for n in range(count - len(DUPLICATE_PEOPLE) if with_duplicates else count):
        office = rng.choices(offices, weights=[3 if o.name in ("Tbilisi", "Gori") else 1 for o in offices])[0]
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        first = rng.choice(FEMALE_NAMES if sex == Sex.FEMALE else MALE_NAMES)
        last = rng.choice(LAST_NAMES)
        return_date = start + timedelta(days=rng.randrange((on - start).days))
        age = rng.choice([rng.randrange(3, 18), rng.randrange(18, 60), rng.randrange(18, 60), rng.randrange(60, 80)])
        born = return_date - timedelta(days=age * 365 + rng.randrange(365))
        staff = staff_by_office.get(office.id, [])
        worker = rng.choice(staff) if staff else None
        returnee = Returnee(
            first_name=first, last_name=last, **name_columns(first, last), sex=sex,
            date_of_birth=born, personal_number=f"{rng.randrange(10**10, 10**11):011d}" if rng.random() < 0.8 else None,
            phone=f"+995 5{rng.randrange(10, 99)} {rng.randrange(100000, 999999)}" if rng.random() < 0.7 else None,
            field_office_id=office.id, return_date=return_date, returned_from=rng.choice(COUNTRIES),
            external_id=f"DEMO-{n + 1:05d}",
            created_by_id=worker.id if worker else None, updated_by_id=worker.id if worker else None,
        )
        vulnerabilities = set()
        if age >= 60:
            vulnerabilities.add(Vulnerability.ELDERLY)
        if age < 18 and rng.random() < 0.2:
            vulnerabilities.add(Vulnerability.UNACCOMPANIED_MINOR)
        for code in (Vulnerability.DISABILITY, Vulnerability.CHRONIC_ILLNESS, Vulnerability.SINGLE_PARENT,
                     Vulnerability.TRAFFICKING_VICTIM):
            if rng.random() < 0.07:
                vulnerabilities.add(code)
        returnee.vulnerability_rows = [ReturneeVulnerability(code=v) for v in sorted(vulnerabilities)]
        closed = (on - return_date).days > 540 and rng.random() < 0.6
        plan_summary = PLAN_SUMMARY if rng.random() < 0.8 else ""
        case = Case(
            returnee=returnee, caseworker_id=worker.id if worker else None, opened_on=return_date,
            status=CaseStatus.CLOSED if closed else rng.choice([CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.MONITORING]),
        )
        if closed:
            case.closed_on = min(return_date + timedelta(days=rng.randrange(180, 540)), on)
            case.closure_reason = rng.choice([ClosureReason.REINTEGRATION_COMPLETED, ClosureReason.LOST_CONTACT,
                                              ClosureReason.RE_MIGRATED])
        returnee.created_at = returnee.updated_at = _moment(return_date)
        case.created_at = _moment(return_date)
        case.updated_at = _moment(case.closed_on or min(return_date + timedelta(days=rng.randrange(1, 400)), on))
        db.session.add(returnee)
        db.session.add(case)
        if plan_summary:
            db.session.add(ReintegrationPlan(case=case, summary=plan_summary, drafted_by_id=case.caseworker_id))
        _demo_assistance(rng, returnee, case, types, worker, on)
        made += 1
    db.session.flush()
    if with_duplicates:
        made += seed_duplicates(on)
    seed_demo_consents(seed, on)
    seed_demo_projects(on)
    seed_demo_indicators(on)
    seed_reintegration_cycle(on)
    seed_followup(rng, on)
    seed_demo_audit(on=on, seed=seed)
    return made


def _demo_assistance(rng, returnee, case, types, worker, on):
    window_end = min(returnee.return_date + timedelta(days=540), case.closed_on or on, on)
    span = max((window_end - returnee.return_date).days, 1)
    for code, (weight, amounts) in TYPE_WEIGHTS.items():
        assistance_type = types.get(code)
        if assistance_type is None or rng.random() > weight:
            continue
        sessions = rng.randint(1, 4) if code.endswith("counselling") else 1
        for _ in range(sessions):
            day = returnee.return_date if code == "reception" else returnee.return_date + timedelta(days=rng.randrange(span))
            recent = (on - day).days < 60
            status = AssistanceStatus.DELIVERED
            if recent and rng.random() < 0.4:
                status = AssistanceStatus.REQUESTED if assistance_type.needs_approval else AssistanceStatus.PLANNED
            elif rng.random() < 0.04:
                status = rng.choice([AssistanceStatus.CANCELLED, AssistanceStatus.REJECTED if assistance_type.needs_approval
                                     else AssistanceStatus.CANCELLED])
            amount = currency = None
            if amounts and assistance_type.carries_amount:
                amount = Decimal(rng.randrange(amounts[0], amounts[1]) * 10) / 10
                amount = amount.quantize(Decimal("0.01"))
                currency = Currency.GEL if rng.random() < 0.9 else Currency.EUR
            db.session.add(AssistanceRecord(
                returnee=returnee, case=case, assistance_type=assistance_type, provided_on=day, status=status,
                amount=amount, currency=currency, provider=rng.choice(PROVIDERS), notes="",
                recorded_by_id=worker.id if worker else None, updated_by_id=worker.id if worker else None,
                created_at=_moment(min(day, on)), updated_at=_moment(min(day, on)),
                requested_by_id=worker.id if worker and status == AssistanceStatus.REQUESTED else None,
            ))


def _moment(day: date) -> datetime:
    """A working-hours timestamp (UTC) on that day, for realistic 'registered' and 'last change' columns."""
    return datetime.combine(day, time(7, 30))


def has_returnees() -> bool:
    return bool(db.session.scalar(select(func.count(Returnee.id))))
