"""The rules of projects, as plain functions: what a valid project is, and which projects may pay for an
assistance record (active on its date, operating in the returnee's office, funding its type)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from caseapp.enums import Currency
from caseapp.projects.models import UNASSIGNED_CODE, Project

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
BUDGET_MAX = Decimal("999999999999.99")


@dataclass
class ProjectInput:
    """What an admin gives for a project (the form and the command line alike). Offices and types are
    ids; an empty list of offices means every office, an empty list of types every type."""

    code: str
    name: str
    donor: str
    start_date: date | None
    end_date: date | None
    name_ka: str = ""
    office_ids: list[int] = field(default_factory=list)
    type_ids: list[int] = field(default_factory=list)
    #: {currency: amount}; a currency left out has no budget
    budgets: dict[Currency, Decimal] = field(default_factory=dict)
    active: bool = True


def parse_budget_amount(text: str | Decimal | None) -> Decimal:
    """A budget amount ("250000", "250000.50"); ValueError with the message for anything else."""
    if isinstance(text, Decimal):
        value = text
    else:
        try:
            value = Decimal(str(text or "").strip().replace(" ", "").replace(",", ""))
        except InvalidOperation:
            raise ValueError(_l("Not a number: %(text)s.", text=text)) from None
    if not value.is_finite() or value < 0:
        raise ValueError(_l("A budget is a number of 0 or more."))
    if value > BUDGET_MAX or value != value.quantize(Decimal("0.01")):
        raise ValueError(_l("At most two decimals and twelve digits before the point."))
    return value.quantize(Decimal("0.01"))


def parse_currency(text: str) -> Currency:
    try:
        return Currency((text or "").strip().upper())
    except ValueError:
        raise ValueError(
            _l("Unknown currency %(text)s: use %(choices)s.", text=text, choices=", ".join(c.value for c in Currency))
        ) from None


def project_errors(values: ProjectInput) -> dict[str, object]:
    """What is wrong with a project's details (uniqueness of the code is checked against the database by
    the service)."""
    errors: dict[str, object] = {}
    code = (values.code or "").strip()
    if not code:
        errors["code"] = _l("Required.")
    elif not CODE_RE.match(code):
        errors["code"] = _l("Letters, digits and . _ / - only, at most 40 (e.g. AVR-2014).")
    elif code.upper() == UNASSIGNED_CODE:
        errors["code"] = _l("This code is reserved for records no project pays for.")
    if not (values.name or "").strip():
        errors["name"] = _l("Required.")
    elif len(values.name.strip()) > 200:
        errors["name"] = _l("At most %(n)d characters.", n=200)
    if len((values.name_ka or "").strip()) > 200:
        errors["name_ka"] = _l("At most %(n)d characters.", n=200)
    if not (values.donor or "").strip():
        errors["donor"] = _l("Required.")
    elif len(values.donor.strip()) > 200:
        errors["donor"] = _l("At most %(n)d characters.", n=200)
    if values.start_date is None:
        errors["start_date"] = _l("Required.")
    if values.end_date is None:
        errors["end_date"] = _l("Required.")
    elif values.start_date is not None and values.end_date < values.start_date:
        errors["end_date"] = _l("The end cannot be before the start.")
    for currency, amount in values.budgets.items():
        try:
            parse_budget_amount(amount)
        except ValueError as problem:
            errors[f"budget_{Currency(currency).value.lower()}"] = str(problem)
    return errors


# --- who may pay for a record ------------------------------------------------------------------------


def runs_on(project: Project, on: date) -> bool:
    """Whether the project is within its period on this day (the Unassigned project has none)."""
    return (project.start_date is None or project.start_date <= on) and (
        project.end_date is None or on <= project.end_date
    )


def operates_in(project: Project, office_id: int) -> bool:
    """No office listed: the project operates country-wide."""
    return not project.offices or any(office.id == office_id for office in project.offices)


def funds_type(project: Project, type_id: int) -> bool:
    """No type listed: the project may fund every type."""
    return not project.assistance_types or any(t.id == type_id for t in project.assistance_types)


def project_refusal(project: Project, *, office_id: int, type_id: int, on: date | None) -> str | None:
    """Why this project cannot pay for a record of this type, in this office, on this date; None if it can.
    The Unassigned project is never a project that fits (it is what no project fitting leaves)."""
    if project.is_unassigned:
        return _l("Unassigned is not a project.")
    if not project.active:
        return _l("%(code)s is closed (not active).", code=project.code)
    if on is not None and not runs_on(project, on):
        return _l(
            "%(code)s runs from %(start)s to %(end)s.",
            code=project.code,
            start=project.start_date.isoformat() if project.start_date else "…",
            end=project.end_date.isoformat() if project.end_date else "…",
        )
    if not operates_in(project, office_id):
        return _l("%(code)s does not operate in this office.", code=project.code)
    if not funds_type(project, type_id):
        return _l("%(code)s does not fund this type of assistance.", code=project.code)
    return None


def fitting_projects(projects: Iterable[Project], *, office_id: int, type_id: int, on: date | None) -> list[Project]:
    return [p for p in projects if project_refusal(p, office_id=office_id, type_id=type_id, on=on) is None]


def choose_project(
    chosen: Project | None,
    candidates: Iterable[Project],
    unassigned: Project,
    *,
    office_id: int,
    type_id: int,
    on: date | None,
    keep: Project | None = None,
) -> Project:
    """The project that pays for a record, or ValidationFailed-style ValueError with the message.

    - nothing chosen: the one project that fits; Unassigned when none fits; several fit: choose one;
    - Unassigned chosen: only when no project fits;
    - a project chosen: it must fit (the record's current project, `keep`, may stay as it is)."""
    fitting = fitting_projects(candidates, office_id=office_id, type_id=type_id, on=on)
    if chosen is not None and keep is not None and chosen.id == keep.id:
        return chosen
    if chosen is None:
        if len(fitting) == 1:
            return fitting[0]
        if not fitting:
            return unassigned
        raise ValueError(_l("Several projects pay for this: choose one."))
    if chosen.is_unassigned:
        if fitting:
            raise ValueError(
                _l("%(codes)s pays for this: choose it.", codes=", ".join(p.code for p in fitting))
                if len(fitting) == 1
                else _l(
                    "Several projects pay for this: choose one (%(codes)s).", codes=", ".join(p.code for p in fitting)
                )
            )
        return chosen
    refusal = project_refusal(chosen, office_id=office_id, type_id=type_id, on=on)
    if refusal is not None:
        raise ValueError(refusal)
    return chosen


def return_project_refusal(project: Project, *, office_id: int, on: date | None) -> str | None:
    """Why a returnee's return (in this office, on this date) cannot be credited to this project; None if
    it can. Unassigned always can (a return no project assisted)."""
    if project.is_unassigned:
        return None
    if on is not None and not runs_on(project, on):
        return _l(
            "%(code)s runs from %(start)s to %(end)s.",
            code=project.code,
            start=project.start_date.isoformat() if project.start_date else "…",
            end=project.end_date.isoformat() if project.end_date else "…",
        )
    if not operates_in(project, office_id):
        return _l("%(code)s does not operate in this office.", code=project.code)
    return None
