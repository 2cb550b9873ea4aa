"""A believable audit history for the demo: over the last weeks, each office's staff log in on working days
from their office's network, open the files of their office's returnees, search, open edit forms, log out;
supervisors drill into report figures and export the report; the administrator exports data; a few logins
fail (a typo, a forgotten password, once a lock). Registrations and assistance of that period are in the
log as the changes they were. Every entry is invented, like the rest of the demo data."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select

from caseapp.assistance.models import AssistanceRecord
from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.services import snapshot
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee

#: how far back the demo audit goes
DAYS = 42
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
]
SEARCH_WORDS = ["Beridze", "Kapanadze", "Nino", "Giorgi", "Lomidze", "ბერიძე", "Maisuradze", "DEMO-00"]


def seed_demo_audit(*, on: date, seed: int = 2026) -> int:
    """Write the demo audit history ending on `on`; returns how many entries were written."""
    rng = random.Random(seed + 16)
    staff = list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)))
    offices = {office.id: office for office in db.session.scalars(select(FieldOffice))}
    files: dict[int, list[tuple[int, str]]] = {}
    for returnee_id, office_id, first, last in db.session.execute(
        select(Returnee.id, Returnee.field_office_id, Returnee.first_name, Returnee.last_name)
    ):
        files.setdefault(office_id, []).append((returnee_id, f"{first} {last}"))
    browser = {user.id: BROWSERS[user.id % len(BROWSERS)] for user in staff}
    entries: list[dict] = []

    def add(user, action, at, *, request_id=None, office_id=None, **columns):
        entries.append(
            {
                "created_at": at,
                "user_id": user.id if user else None,
                "user_name": user.username if user else columns.pop("user_name"),
                "action": action,
                "request_id": request_id or uuid.UUID(int=rng.getrandbits(128)).hex,
                "field_office_id": office_id if office_id is not None else (user.field_office_id if user else None),
                "client_address": _address(user.field_office_id if user else None, rng),
                "user_agent": browser.get(user.id) if user else BROWSERS[0],
                "entity_version": None,
                "comment": None,
                "returnee_id": None,
                "entity_id": None,
                "label": None,
                "changes": {},
                **columns,
            }
        )

    for days_ago in range(DAYS, 0, -1):
        day = on - timedelta(days=days_ago)
        if day.weekday() >= 5:
            continue
        for user in staff:
            if rng.random() < 0.1 or (user.role == Role.ADMIN and rng.random() < 0.6):
                continue  # a day off, or an administrator with nothing to do that day
            at = _at(day, 5, rng)  # 9:00 in Tbilisi
            if rng.random() < 0.05:
                add(
                    None,
                    AuditAction.LOGIN_FAILED,
                    at,
                    user_name=user.username,
                    entity_type="user",
                    entity_id=user.id,
                    label=user.username,
                    office_id=user.field_office_id,
                    changes={"username": user.username},
                )
                at += timedelta(seconds=rng.randrange(10, 60))
            add(user, AuditAction.LOGIN, at, entity_type="user", entity_id=user.id, label=user.username)
            own = files.get(user.field_office_id, []) if user.role in (Role.CASEWORKER, Role.SUPERVISOR) else []
            for _ in range(rng.randrange(3, 11) if own else 0):
                at += timedelta(minutes=rng.randrange(5, 40))
                returnee_id, name = rng.choice(own)
                if rng.random() < 0.35:
                    word = rng.choice(SEARCH_WORDS)
                    found = sum(word.casefold() in file_name.casefold() for _, file_name in own)
                    add(
                        user,
                        AuditAction.SEARCH,
                        at,
                        entity_type="list",
                        label="returnees",
                        changes={"list": "returnees", "asked": {"q": word}, "found": found},
                    )
                    at += timedelta(seconds=rng.randrange(5, 60))
                add(
                    user,
                    AuditAction.RETURNEE_VIEW,
                    at,
                    entity_type="returnee",
                    entity_id=returnee_id,
                    returnee_id=returnee_id,
                    label=name,
                )
                if rng.random() < 0.15:
                    at += timedelta(minutes=rng.randrange(1, 5))
                    add(
                        user,
                        AuditAction.RETURNEE_EDIT_FORM,
                        at,
                        entity_type="returnee",
                        entity_id=returnee_id,
                        returnee_id=returnee_id,
                        label=name,
                    )
            if user.role in (Role.SUPERVISOR, Role.MANAGER) and day.weekday() == 4:  # Friday: the weekly figures
                at += timedelta(minutes=rng.randrange(10, 60))
                start = (day - timedelta(days=90)).isoformat()
                report_filters = {"from": start, "to": day.isoformat()}
                if user.field_office_id:
                    report_filters["office"] = str(user.field_office_id)
                if user.role == Role.SUPERVISOR and own:
                    add(
                        user,
                        AuditAction.DRILLDOWN,
                        at,
                        entity_type="report_figure",
                        label="persons",
                        changes={
                            "figure": {"measure": "persons", "type": "business_grant", "status": "delivered"},
                            "report_filters": report_filters,
                            "people": rng.randrange(2, 15),
                        },
                    )
                    at += timedelta(minutes=rng.randrange(1, 10))
                office = offices.get(user.field_office_id)
                add(
                    user,
                    AuditAction.EXPORT,
                    at,
                    entity_type="file",
                    label=f"report_{start}_{day.isoformat()}.xlsx",
                    changes={
                        "file": f"report_{start}_{day.isoformat()}.xlsx",
                        "rows": rng.randrange(300, 420),
                        "offices": [office.label] if office else "all",
                        "report_filters": report_filters,
                    },
                )
            if user.role == Role.ADMIN and day.day <= 7 and day.weekday() == 0:  # first Monday: the monthly export
                at += timedelta(minutes=rng.randrange(10, 60))
                add(
                    user,
                    AuditAction.EXPORT,
                    at,
                    entity_type="file",
                    label="caseapp-export.xlsx",
                    changes={
                        "file": "caseapp-export.xlsx",
                        "rows": 3 * sum(map(len, files.values())),
                        "offices": "all",
                    },
                )
            add(user, AuditAction.LOGOUT, _at(day, 13, rng), entity_type="user", entity_id=user.id, label=user.username)
    entries += _changes_of_the_period(on - timedelta(days=DAYS), on, rng, staff)
    entries.sort(key=lambda values: values["created_at"])
    if entries:
        db.session.execute(insert(AuditEntry), entries)
    return len(entries)


def _changes_of_the_period(start: date, end: date, rng: random.Random, staff: list[User]) -> list[dict]:
    """The registrations and assistance recorded in the period, as the change log holds them."""
    by_id = {user.id: user for user in staff}
    changes = []
    for returnee in db.session.scalars(
        select(Returnee).where(Returnee.return_date >= start, Returnee.return_date < end)
    ):
        user = by_id.get(returnee.created_by_id)
        if user is not None:  # (offices without demo staff have no one to name)
            changes.append(_creation(user, AuditAction.RETURNEE_CREATE, returnee, returnee.created_at, rng))
    for record in db.session.scalars(
        select(AssistanceRecord).where(AssistanceRecord.provided_on >= start, AssistanceRecord.provided_on < end)
    ):
        user = by_id.get(record.recorded_by_id)
        if user is not None:
            changes.append(_creation(user, AuditAction.ASSISTANCE_CREATE, record, record.created_at, rng))
    return changes


def _creation(user, action, instance, at: datetime, rng: random.Random) -> dict:
    return {
        "created_at": at + timedelta(minutes=rng.randrange(0, 300)),
        "user_id": user.id if user else None,
        "user_name": user.username if user else "system",
        "action": action,
        "entity_type": instance.audit_entity,
        "entity_id": instance.id,
        "label": instance.audit_label[:200],
        "returnee_id": instance.audit_returnee_id,
        "entity_version": instance.version,
        "changes": snapshot(instance),
        "comment": None,
        "request_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "field_office_id": instance.audit_office_id,
        "client_address": _address(user.field_office_id if user else None, rng),
        "user_agent": BROWSERS[(user.id if user else 0) % len(BROWSERS)],
    }


def _at(day: date, hour_utc: int, rng: random.Random) -> datetime:
    return datetime.combine(day, time(hour_utc)) + timedelta(minutes=rng.randrange(0, 50), seconds=rng.randrange(60))


def _address(office_id: int | None, rng: random.Random) -> str:
    """Each office its own network (the demo's invented addresses); head office staff the 10.0.0.x one."""
    return f"10.{office_id or 0}.0.{rng.randrange(20, 60)}"
