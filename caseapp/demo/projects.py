"""Demo projects: four believable projects over different periods, offices and donors, with budgets, and
every demo record and return credited to the project that fits it (the rest stay Unassigned). The budgets
are set from what the records spend, so the budget pages show committed and delivered money; the
micro-business project's pending requests go past what remains, so its approver sees the warning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy import select

from caseapp.assistance.budget import budget_lines
from caseapp.assistance.models import AssistanceRecord, AssistanceType
from caseapp.enums import Currency
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project, ProjectBudget
from caseapp.projects.queries import unassigned_project
from caseapp.projects.rules import fitting_projects
from caseapp.returnees.models import Returnee


@dataclass(frozen=True)
class DemoProject:
    code: str
    name: str
    name_ka: str
    donor: str
    #: days from the demo's "today" (negative: in the past)
    starts: int
    ends: int
    offices: tuple[str, ...]
    types: tuple[str, ...]
    #: the budget as a multiple of what the records spend (below 1: over budget once requests are counted)
    headroom: float


DEMO_PROJECTS = [
    DemoProject("AVRR-EU", "Assisted voluntary return and reintegration", "ნებაყოფლობითი დაბრუნება და რეინტეგრაცია",
                "European Union", -3 * 365, 365, (), ("reception", "temporary_housing", "accommodation",
                                                      "livelihood_items", "living_conditions"), 1.35),
    DemoProject("MBR-DE", "Micro-business reintegration", "მიკრობიზნესის მხარდაჭერა რეინტეგრაციისთვის",
                "German Federal Foreign Office", -2 * 365, 180, ("Gori", "Tbilisi", "Kutaisi"),
                ("business_counselling", "business_grant", "tools"), 0.97),
    DemoProject("VET-CH", "Vocational education and employment", "პროფესიული განათლება და დასაქმება",
                "Swiss Agency for Development and Cooperation", -540, 540, ("Tbilisi", "Gori", "Telavi", "Kutaisi"),
                ("voc_ed_counselling", "voc_ed_grant", "training", "employment"), 1.6),
    DemoProject("MED-US", "Medical assistance to vulnerable returnees", "სამედიცინო დახმარება მოწყვლად დაბრუნებულებს",
                "USAID", -3 * 365, -200, (), ("medical_counselling", "medical_assistance"), 1.2),
]  # fmt: skip


def seed_demo_projects(on: date) -> list[Project]:
    """Create the demo projects (once) and credit the demo records and returns to them."""
    existing = set(db.session.scalars(select(Project.code)))
    offices = {office.name: office for office in db.session.scalars(select(FieldOffice))}
    types = {t.code: t for t in db.session.scalars(select(AssistanceType))}
    made = []
    for spec in DEMO_PROJECTS:
        start = on + timedelta(days=spec.starts)
        code = f"{spec.code}-{start.year}"
        if code in existing:
            continue
        project = Project(
            code=code, name=spec.name, name_ka=spec.name_ka, donor=spec.donor, start_date=start,
            end_date=on + timedelta(days=spec.ends), active=spec.ends > 0,
            offices=[offices[name] for name in spec.offices if name in offices],
            assistance_types=[types[c] for c in spec.types if c in types],
        )  # fmt: skip
        db.session.add(project)
        made.append((spec, project))
    if not made:
        return []
    db.session.flush()
    _credit_records([project for _spec, project in made])
    for spec, project in made:
        _set_budget(project, spec)
    return [project for _spec, project in made]


def _credit_records(projects: list[Project]) -> None:
    """Each Unassigned demo record goes to the first project that may pay for it (a closed project keeps
    what it paid before it closed); each return with a reception goes to the return project."""
    unassigned = unassigned_project()
    rows = db.session.execute(
        select(AssistanceRecord, Returnee.field_office_id)
        .join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
        .where(AssistanceRecord.project_id == unassigned.id)
    ).all()  # fmt: skip
    reopened = []
    for project in projects:  # the records of a closed project were made while it ran
        if not project.active:
            project.active = True
            reopened.append(project)
    for record, office_id in rows:
        fitting = fitting_projects(projects, office_id=office_id, type_id=record.type_id, on=record.provided_on)
        if fitting:
            record.project = fitting[0]
            if record.assistance_type.code == "reception" and record.returnee_id % 10 < 7:
                record.returnee.return_project = fitting[0]  # the others came home on their own
    for project in reopened:
        project.active = False
    db.session.flush()


def _set_budget(project: Project, spec: DemoProject) -> None:
    """A budget of `headroom` times what the project's records spend, in round thousands."""
    for line in budget_lines(project):
        spent = line.committed + line.delivered
        if spent <= 0:
            continue
        # tight budgets are tight where requests wait; money already paid stays within the budget
        headroom = spec.headroom if line.committed > 0 else max(spec.headroom, 1.25)
        rounding = ROUND_CEILING if headroom >= 1 else ROUND_FLOOR
        amount = (spent * Decimal(str(headroom)) / 1000).quantize(Decimal(1), rounding=rounding) * 1000
        project.budgets.append(ProjectBudget(currency=line.currency, amount=amount))
    if not project.budgets:
        project.budgets.append(ProjectBudget(currency=Currency.GEL, amount=Decimal("100000")))
    db.session.flush()
