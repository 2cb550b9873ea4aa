"""Read side of the duplicate finder: the records as matching.Person, the likely pairs a user may see, a pair
loaded with its access checked, and the matches of a person being registered or imported."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import or_, select

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.duplicates.matching import (
    MIN_SCORE,
    Match,
    Person,
    birth_dates_to_look_up,
    compare,
    find_matches,
    matches_for,
)
from caseapp.duplicates.models import DuplicateDecision, PairDecision, ReturneeMerge
from caseapp.duplicates.policies import can_find_duplicates
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import not_merged

PERSON_COLUMNS = (
    Returnee.id,
    Returnee.first_name,
    Returnee.last_name,
    Returnee.date_of_birth,
    Returnee.personal_number,
    Returnee.phone,
    Returnee.external_id,
    Returnee.field_office_id,
    Returnee.search_name,
    Returnee.search_name_reversed,
)


def person_of(returnee: Returnee) -> Person:
    return Person.of(
        returnee.id,
        returnee.first_name,
        returnee.last_name,
        returnee.date_of_birth,
        returnee.personal_number,
        returnee.phone,
        returnee.external_id,
        returnee.field_office_id,
    )


def all_people() -> list[Person]:
    """Every record that is not merged away, as the matching reads it (one query)."""
    rows = db.session.execute(select(*PERSON_COLUMNS).where(not_merged()).order_by(Returnee.id))
    return [_person(row) for row in rows]


def _person(row) -> Person:
    """A Person of a PERSON_COLUMNS row, with the name keys stored in the row (not computed again)."""
    return Person.of(*row[:8], keys=(row.search_name, row.search_name_reversed))


def decided_pairs() -> dict[tuple[int, int], PairDecision]:
    rows = db.session.execute(
        select(DuplicateDecision.first_id, DuplicateDecision.second_id, DuplicateDecision.decision)
    )
    return {(first, second): decision for first, second, decision in rows}


@dataclass
class Candidate:
    """A likely pair as a user sees it: `hidden` holds the id of a record of another office whose personal
    data the user may not see (a supervisor shown a pair that spans two offices)."""

    match: Match
    decision: PairDecision | None
    hidden: frozenset[int]
    office_names: dict[int, str]

    @property
    def first(self) -> Person:
        return self.match.first

    @property
    def second(self) -> Person:
        return self.match.second

    @property
    def cross_office(self) -> bool:
        return self.first.field_office_id != self.second.field_office_id


def scan(min_score: int = MIN_SCORE) -> list[tuple[Match, PairDecision | None]]:
    """Every likely pair not decided "not the same", best first, with its decision ("same" or None)."""
    decided = decided_pairs()
    skip = {pair for pair, decision in decided.items() if decision == PairDecision.NOT_SAME}
    return [(m, decided.get(m.ids)) for m in find_matches(all_people(), min_score, skip)]


def candidates_for(user: User, *, min_score: int = MIN_SCORE, office_id: int | None = None) -> list[Candidate]:
    """The likely pairs this user may see: an administrator all of them (or those touching `office_id`), a
    supervisor those with at least one record of their office; nobody else any."""
    if not can_find_duplicates(user):
        return []
    scope = office_scope(user)
    if scope is not None:
        office_id = scope
    offices = dict(db.session.execute(select(FieldOffice.id, FieldOffice.name)).all())
    found = []
    for found_match, decision in scan(min_score):
        office_ids = {found_match.first.field_office_id, found_match.second.field_office_id}
        if office_id is not None and office_id not in office_ids:
            continue
        hidden = frozenset(
            person.id
            for person in (found_match.first, found_match.second)
            if scope is not None and person.field_office_id != scope
        )
        found.append(Candidate(found_match, decision, hidden, offices))
    return found


def pair_or_404(user: User, first_id: int, second_id: int) -> tuple[Returnee, Returnee, frozenset[int]]:
    """Both records of a pair the user may look at (ordered by id), and the ids of those they see only as "a
    record of another office". Merged, unknown and out-of-scope pairs answer 404."""
    if first_id == second_id or not can_find_duplicates(user):
        abort(404)
    first_id, second_id = sorted((first_id, second_id))
    records = {
        r.id: r
        for r in db.session.scalars(select(Returnee).where(Returnee.id.in_((first_id, second_id)), not_merged()))
    }
    if len(records) != 2:
        abort(404)
    first, second = records[first_id], records[second_id]
    scope = office_scope(user)
    if scope is not None and scope not in (first.field_office_id, second.field_office_id):
        abort(404)
    hidden = frozenset(r.id for r in (first, second) if scope is not None and r.field_office_id != scope)
    return first, second, hidden


def next_candidate(user: User, after: tuple[int, int] | None) -> Candidate | None:
    """The pair after `after` in the user's list, best first (the first one when `after` is None): step
    through. A pair just decided "not the same" has left the list; the next is the one that followed it."""
    candidates = candidates_for(user)
    if not candidates or after is None:
        return candidates[0] if candidates else None
    records = {r.id: r for r in db.session.scalars(select(Returnee).where(Returnee.id.in_(after)))}
    if len(records) != 2:
        return candidates[0]
    score, _reasons = compare(person_of(records[after[0]]), person_of(records[after[1]]))
    position = (-score, *sorted(after))
    return next((c for c in candidates if (-c.match.score, *c.match.ids) > position), None)


def decision_of(first_id: int, second_id: int) -> DuplicateDecision | None:
    low, high = sorted((first_id, second_id))
    return db.session.scalar(
        select(DuplicateDecision).where(DuplicateDecision.first_id == low, DuplicateDecision.second_id == high)
    )


def merges_of(returnee: Returnee) -> list[ReturneeMerge]:
    """The merges into this record, latest first (the survivor's page lists them with an unmerge)."""
    return list(
        db.session.scalars(
            select(ReturneeMerge).where(ReturneeMerge.survivor_id == returnee.id).order_by(ReturneeMerge.id.desc())
        )
    )


def merged_ids_of(returnee_id: int) -> list[int]:
    """The records merged into this one (also through earlier merges), for its history."""
    found, frontier = [], [returnee_id]
    while frontier:
        ids = list(db.session.scalars(select(Returnee.id).where(Returnee.merged_into_id.in_(frontier))))
        found += ids
        frontier = ids
    return found


def matches_for_new(
    first_name: str,
    last_name: str,
    date_of_birth,
    *,
    personal_number: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
    exclude_id: int | None = None,
    session=None,
) -> list[tuple[Returnee, Match]]:
    """The existing records a person being registered (or imported) likely duplicates, best first: looked up
    by the dates of birth that match (equal, day/month swapped, a year off), the personal number and the
    phone, then scored by matching.py. All offices: the caller decides what the user is told."""
    session = session or db.session
    new = Person.of(None, first_name, last_name, date_of_birth, personal_number, phone, external_id)
    lookups = []
    dates = birth_dates_to_look_up(date_of_birth)
    if dates:
        lookups.append(Returnee.date_of_birth.in_(dates))
    if personal_number:
        lookups.append(Returnee.personal_number == personal_number)
    if phone:
        lookups.append(Returnee.phone == phone)
    if not lookups:
        return []
    query = select(Returnee).where(or_(*lookups), not_merged())
    if exclude_id is not None:
        query = query.where(Returnee.id != exclude_id)
    existing = {r.id: r for r in session.scalars(query.limit(500))}
    found = matches_for(new, [person_of(r) for r in existing.values()])
    return [(existing[m.second.id], m) for m in found]


def matches_for_rows(rows, session=None) -> dict[int, list[Match]]:
    """For rows of an import (objects with row, first_name, last_name, date_of_birth, personal_number, phone):
    {row number: [Match (second: the existing record)]} for the rows that likely duplicate one. One query
    per chunk of rows, through the birth-date index."""
    session = session or db.session
    rows = [r for r in rows if r.date_of_birth is not None]
    found: dict[int, list] = {}
    for start in range(0, len(rows), 300):
        chunk = rows[start : start + 300]
        dates = sorted({d for r in chunk for d in birth_dates_to_look_up(r.date_of_birth)})
        existing = [
            _person(row)
            for row in session.execute(select(*PERSON_COLUMNS).where(Returnee.date_of_birth.in_(dates), not_merged()))
        ]
        by_date: dict = {}
        for person in existing:
            by_date.setdefault(person.date_of_birth, []).append(person)
        for row in chunk:
            new = Person.of(None, row.first_name, row.last_name, row.date_of_birth, row.personal_number, row.phone)
            near = [p for d in birth_dates_to_look_up(row.date_of_birth) for p in by_date.get(d, [])]
            matches = matches_for(new, near)
            if matches:
                found[row.row] = matches
    return found


def registration_matches(values, exclude_id: int | None) -> list[tuple[Returnee, list[str]]]:
    """The registration form's duplicate check (returnees.services.MatchFinder): the existing records the
    person being registered or edited likely duplicates, with the reasons in words."""
    found = matches_for_new(
        values.first_name,
        values.last_name,
        values.date_of_birth,
        personal_number=values.personal_number,
        phone=values.phone,
        external_id=values.external_id,
        exclude_id=exclude_id,
    )
    return [(returnee, [str(reason.label) for reason in found_match.reasons]) for returnee, found_match in found]
