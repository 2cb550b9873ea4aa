"""Demo partners, referrals and monitoring visits (invented; seeded for repeatability): referrals in every
status, visits done, due this week and overdue, for a good share of the demo returnees."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case, CaseStatus
from caseapp.consent import ConsentPurpose, consent_missing
from caseapp.extensions import db
from caseapp.monitoring.models import MonitoringTrigger, MonitoringVisit, VisitMethod, VisitStatus
from caseapp.monitoring.services import schedule_visits
from caseapp.offices.models import FieldOffice
from caseapp.plans.models import PlanStatus, ReintegrationPlan
from caseapp.referrals.models import Partner, Referral, ReferralStatus
from caseapp.returnees.models import Returnee

ALL = "*"
#: name, Georgian name, services (assistance type codes), offices (names, or ALL), contact person, phone, address
DEMO_PARTNERS = [
    (
        "State Employment Support Agency",
        "სახელმწიფო დასაქმების ხელშეწყობის სააგენტო",
        ["employment", "training"],
        ALL,
        "Ketevan Abashidze",
        "+995 32 2 10 11 12",
        "Tbilisi, Tsereteli Ave. 144",
    ),
    (
        "Gori Vocational College",
        "გორის პროფესიული კოლეჯი",
        ["voc_ed_counselling", "training"],
        ["Gori"],
        "Davit Maisuradze",
        "+995 370 27 44 10",
        "Gori, Chavchavadze St. 53",
    ),
    (
        "Tbilisi Community College",
        "თბილისის სათემო კოლეჯი",
        ["voc_ed_counselling", "training"],
        ["Tbilisi"],
        "Nana Giorgadze",
        "+995 32 2 47 80 90",
        "Tbilisi, Kostava St. 21",
    ),
    (
        "Kutaisi Vocational Training Centre",
        "ქუთაისის პროფესიული მომზადების ცენტრი",
        ["training"],
        ["Kutaisi", "Poti"],
        "Zurab Bolkvadze",
        "+995 431 24 15 60",
        "Kutaisi, Rustaveli Ave. 8",
    ),
    (
        "Gori Regional Hospital",
        "გორის რეგიონული საავადმყოფო",
        ["medical_counselling", "medical_assistance"],
        ["Gori", "Akhaltsikhe"],
        "Dr. Lela Nozadze",
        "+995 370 27 30 03",
        "Gori, Tsabadze St. 12",
    ),
    (
        "Tbilisi Central Polyclinic",
        "თბილისის ცენტრალური პოლიკლინიკა",
        ["medical_counselling", "medical_assistance"],
        ["Tbilisi", "Telavi"],
        "Dr. Irakli Khutsishvili",
        "+995 32 2 95 12 00",
        "Tbilisi, Chavchavadze Ave. 33",
    ),
    (
        "Centre for Psychosocial Support",
        "ფსიქოსოციალური დახმარების ცენტრი",
        ["medical_counselling"],
        ALL,
        "Maia Mchedlishvili",
        "+995 32 2 38 40 41",
        "Tbilisi, Marjanishvili St. 5",
    ),
    (
        "Business Support Centre Shida Kartli",
        "შიდა ქართლის ბიზნესის მხარდაჭერის ცენტრი",
        ["business_counselling", "tools"],
        ["Gori"],
        "Temur Lomidze",
        "+995 370 22 11 44",
        "Gori, Stalin Ave. 16",
    ),
    (
        "Kakheti Farmers' Association",
        "კახეთის ფერმერთა ასოციაცია",
        ["livelihood_items", "business_counselling"],
        ["Telavi"],
        "Otar Tsiklauri",
        "+995 350 27 15 15",
        "Telavi, Erekle II St. 7",
    ),
    (
        "Women's Rights Centre Georgia",
        "ქალთა უფლებების ცენტრი",
        ["employment", "medical_counselling"],
        ALL,
        "Salome Beridze",
        "+995 32 2 99 41 41",
        "Tbilisi, Aghmashenebeli Ave. 61",
    ),
]

REASONS = [
    "Wants a job in construction; has worked as a welder abroad.",
    "Needs a check-up for a chronic condition.",
    "Asked for a course in hairdressing.",
    "Family stress since the return; agreed to talk to a psychologist.",
    "Plans a small bakery; needs help with the business plan.",
    "Looking for seasonal work in agriculture.",
]
OUTCOMES = {
    ReferralStatus.DECLINED: ["No places left in this year's course.", "Outside the partner's area."],
    ReferralStatus.COMPLETED: [
        "Finished the course with a certificate.",
        "Employed since last month.",
        "Treatment completed; follow-up at the polyclinic.",
    ],
    ReferralStatus.NOT_COMPLETED: ["Left the course after three weeks.", "Did not come to the appointments."],
}
FINDINGS = [
    "Business running; six regular customers.",
    "Works in the shop every day; income covers the rent.",
    "Attends the course; motivated.",
    "Health better; family supportive.",
    "Business closed in winter; plans to reopen in spring.",
    "Phone call: all well, no new needs.",
]


def seed_followup(rng: random.Random, on: date) -> tuple[int, int]:
    """Partners, referrals for about a third of the open cases, and the visits of every delivered grant (done,
    due and overdue). Returns (referrals, visits) made."""
    offices = {office.name: office for office in db.session.scalars(select(FieldOffice))}
    types = {t.code: t for t in db.session.scalars(select(AssistanceType))}
    partners = []
    for name, name_ka, services, covered, contact, phone, address in DEMO_PARTNERS:
        partner = db.session.scalar(select(Partner).where(Partner.name == name))
        if partner is None:
            partner = Partner(
                name=name, name_ka=name_ka, contact_person=contact, phone=phone, address=address, email="", notes=""
            )
            partner.services = [types[code] for code in services if code in types]
            partner.offices = (
                list(offices.values()) if covered == ALL else [offices[o] for o in covered if o in offices]
            )
            db.session.add(partner)
        partners.append(partner)
    db.session.flush()
    staff = {user.id: user for user in db.session.scalars(select(User).where(User.role == Role.CASEWORKER))}
    cases = db.session.scalars(select(Case).join(Returnee, Returnee.id == Case.returnee_id).order_by(Case.id)).all()
    referrals = 0
    for case in cases:
        returnee = case.returnee
        if rng.random() > 0.35 or consent_missing(returnee, ConsentPurpose.REFERRAL, on=returnee.return_date):
            continue
        offered = [p for p in partners if p.covers(returnee.field_office_id) and p.services]
        if not offered:
            continue
        partner = rng.choice(offered)
        last_day = min(case.closed_on or on, on)
        span = (last_day - returnee.return_date).days
        if span < 3:
            continue
        sent_on = returnee.return_date + timedelta(days=rng.randrange(span))
        referral = Referral(
            returnee=returnee,
            case=case,
            partner=partner,
            service=rng.choice(partner.services),
            sent_on=sent_on,
            reason=rng.choice(REASONS),
            outcome_note="",
            referred_by_id=case.caseworker_id,
            updated_by_id=case.caseworker_id,
        )
        age = (on - sent_on).days
        # Older referrals have come further round the loop; some recent ones wait (a few beyond the limit).
        if age > 10 and rng.random() < 0.85:
            answered = sent_on + timedelta(days=rng.randrange(1, min(age, 21)))
            if rng.random() < 0.2:
                referral.status, referral.answered_on = ReferralStatus.DECLINED, answered
                referral.outcome_note = rng.choice(OUTCOMES[ReferralStatus.DECLINED])
            else:
                referral.status, referral.answered_on = ReferralStatus.ACCEPTED, answered
                if (on - answered).days > 30 and rng.random() < 0.8:
                    final = ReferralStatus.COMPLETED if rng.random() < 0.75 else ReferralStatus.NOT_COMPLETED
                    referral.status = final
                    referral.closed_on = answered + timedelta(days=rng.randrange(14, min((on - answered).days, 120)))
                    referral.outcome_note = rng.choice(OUTCOMES[final])
        db.session.add(referral)
        referrals += 1
    db.session.flush()

    visits = 0
    grants = db.session.scalars(
        select(AssistanceRecord)
        .join(AssistanceType, AssistanceType.id == AssistanceRecord.type_id)
        .where(
            AssistanceRecord.status == AssistanceStatus.DELIVERED,
            AssistanceType.code.in_(("business_grant", "voc_ed_grant")),
        )
        .order_by(AssistanceRecord.id)
    ).all()
    for record in grants:
        if record.case is None:
            continue
        made = schedule_visits(
            None,
            record.case,
            MonitoringTrigger.GRANT_DELIVERED,
            record.provided_on,
            assistance_type_id=record.type_id,
            source_record_id=record.id,
        )
        for visit in made:
            _settle_visit(rng, visit, record, staff, on)
        visits += len(made)
    # Approved plans schedule their visits too (the same month as a grant's visit: one visit, not two).
    plans = db.session.scalars(
        select(ReintegrationPlan).where(ReintegrationPlan.status == PlanStatus.APPROVED).order_by(ReintegrationPlan.id)
    ).all()
    for plan in plans:
        made = schedule_visits(None, plan.case, MonitoringTrigger.PLAN_APPROVED, plan.approved_at.date())
        for visit in made:
            _settle_visit(rng, visit, None, staff, on)
        visits += len(made)
    # Follow-up visits agreed by hand with some returnees: due this week or in the coming weeks.
    for case in cases:
        if case.status != CaseStatus.CLOSED and case.opened_on < on - timedelta(days=30) and rng.random() < 0.12:
            due_on = on + timedelta(days=rng.randrange(0, 7) if rng.random() < 0.6 else rng.randrange(7, 40))
            db.session.add(
                MonitoringVisit(
                    returnee=case.returnee,
                    case=case,
                    due_on=due_on,
                    status=VisitStatus.SCHEDULED,
                    updated_by_id=case.caseworker_id,
                )
            )
            visits += 1
    db.session.flush()
    return referrals, visits


def _settle_visit(rng, visit: MonitoringVisit, record: AssistanceRecord | None, staff: dict, on: date) -> None:
    """Most visits whose day has passed were made; some are overdue; a few were moved or cancelled. A closed
    case's visits were all made or cancelled."""
    case = visit.case
    closed = case is not None and case.status == CaseStatus.CLOSED
    past = visit.due_on < on
    if not past and not closed:
        return
    if closed and case.closed_on and visit.due_on > case.closed_on:
        visit.status, visit.cancel_reason = VisitStatus.CANCELLED, "Case closed before the visit."
        return
    if not closed and rng.random() < 0.25:
        return  # overdue
    worker = staff.get(case.caseworker_id) if case else None
    visit.status = VisitStatus.DONE
    visit.done_on = min(visit.due_on + timedelta(days=rng.randrange(0, 10)), on)
    visit.method = VisitMethod.HOME_VISIT if rng.random() < 0.7 else VisitMethod.PHONE
    visit.visited_by_id = worker.id if worker else None
    visit.findings = rng.choice(FINDINGS)
    visit.next_steps = rng.choice(["Next visit as scheduled.", "Call in two weeks.", ""])
    if record is not None and record.assistance_type.code == "business_grant":
        visit.business_operating = rng.random() < 0.8
