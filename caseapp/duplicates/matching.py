"""Whether two returnee records are likely the same person, and why. Plain functions: no Flask, no database.

Names are compared through their keys (caseapp/names.py, shared with search): the national romanisation of
Georgian, case, accents, apostrophes, hyphens and spaces folded, so "ნოდარ წერეთელი" and "Nodar Tsereteli"
have one key. Keys that differ a little ("Tsereteli" / "Tsertelli") are compared with rapidfuzz (Indel
ratio, 0-100), in both orders (first last / last first).

The score adds points for each piece of evidence, capped at 100:

    same personal number 60        different personal numbers -40 (two people, whatever the name)
    same external id 50            same phone 15
    same name (or across scripts) 40, in the other order 35, similar (ratio >= 90) 30, (>= 80) 20
    birth date equal 30, day and month swapped 20, year one off 15

A pair is proposed from MIN_SCORE (50): a same name with a date of birth that is equal, swapped or a year
off; a similar name with the same date of birth; a same personal number or external id alone.

Blocking: a full comparison of 100,000 records is 5 billion pairs. Each record gets a few keys
(`blocking_keys`): its personal number, phone and external id, and its date of birth with day and month in
order of size, in its own year and the next (so equal, swapped and one-year-off dates share a key), each
with the initial of the first name and with that of the last name. Only records that share a key are
compared; keys shared by more than MAX_BLOCK records (a placeholder phone, a
default date of birth) are skipped, since they say nothing about identity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from rapidfuzz.distance import Indel

from caseapp.enums import ChoiceEnum
from caseapp.names import name_key

MIN_SCORE = 50
#: a blocking key shared by more records than this is not used (it says nothing about identity)
MAX_BLOCK = 200
_GEORGIAN = re.compile("[\u10a0-\u10ff\u1c90-\u1cbf]")
_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[\W_]")


class Reason(ChoiceEnum):
    """One piece of evidence, for or against; shown to the user in words."""

    SAME_PERSONAL_NUMBER = "same_personal_number"
    DIFFERENT_PERSONAL_NUMBER = "different_personal_number"
    SAME_EXTERNAL_ID = "same_external_id"
    SAME_PHONE = "same_phone"
    SAME_NAME = "same_name"
    NAMES_ACROSS_SCRIPTS = "names_across_scripts"
    NAME_ORDER_SWAPPED = "name_order_swapped"
    SIMILAR_NAME = "similar_name"
    SAME_BIRTH_DATE = "same_birth_date"
    BIRTH_DAY_MONTH_SWAPPED = "birth_day_month_swapped"
    BIRTH_YEAR_ONE_OFF = "birth_year_one_off"

    @property
    def label(self):
        return {
            "same_personal_number": _l("same personal number"),
            "different_personal_number": _l("different personal numbers"),
            "same_external_id": _l("same external id"),
            "same_phone": _l("same phone number"),
            "same_name": _l("same name"),
            "names_across_scripts": _l("names match across scripts"),
            "name_order_swapped": _l("first and last name swapped"),
            "similar_name": _l("similar names"),
            "same_birth_date": _l("same date of birth"),
            "birth_day_month_swapped": _l("birth date day/month swapped"),
            "birth_year_one_off": _l("birth year one off"),
        }[self.value]


POINTS = {
    Reason.SAME_PERSONAL_NUMBER: 60,
    Reason.DIFFERENT_PERSONAL_NUMBER: -40,
    Reason.SAME_EXTERNAL_ID: 50,
    Reason.SAME_PHONE: 15,
    Reason.SAME_NAME: 40,
    Reason.NAMES_ACROSS_SCRIPTS: 40,
    Reason.NAME_ORDER_SWAPPED: 35,
    Reason.SAME_BIRTH_DATE: 30,
    Reason.BIRTH_DAY_MONTH_SWAPPED: 20,
    Reason.BIRTH_YEAR_ONE_OFF: 15,
}
#: (minimum rapidfuzz ratio, points) for names that are not equal
SIMILAR_NAME_POINTS = ((90, 30), (80, 20))


@dataclass(frozen=True)
class Person:
    """What the matching reads of a record (a returnee, a registration form, an import row)."""

    id: int | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    personal_number: str | None = None
    phone: str | None = None
    external_id: str | None = None
    field_office_id: int | None = None
    #: name_key(first) + " " + name_key(last), computed once
    forward: str = field(default="", compare=False)
    backward: str = field(default="", compare=False)

    @classmethod
    def of(
        cls,
        record_id,
        first_name,
        last_name,
        date_of_birth,
        personal_number=None,
        phone=None,
        external_id=None,
        field_office_id=None,
        keys: tuple[str, str] | None = None,
    ) -> Person:
        """`keys`: the name keys (first last, last first) when stored already (returnee.search_name ...)."""
        if keys is not None:
            return cls(
                record_id,
                first_name or "",
                last_name or "",
                date_of_birth,
                personal_number or None,
                phone or None,
                external_id or None,
                field_office_id,
                *keys,
            )
        first, last = name_key(first_name), name_key(last_name)
        return cls(
            record_id,
            first_name or "",
            last_name or "",
            date_of_birth,
            personal_number or None,
            phone or None,
            external_id or None,
            field_office_id,
            f"{first} {last}".strip(),
            f"{last} {first}".strip(),
        )

    @property
    def georgian_script(self) -> bool:
        return bool(_GEORGIAN.search(self.first_name + self.last_name))


@dataclass(frozen=True)
class Match:
    """A likely pair: `first` has the smaller id (when both have one)."""

    first: Person
    second: Person
    score: int
    reasons: tuple[Reason, ...]

    @property
    def ids(self) -> tuple[int | None, int | None]:
        return self.first.id, self.second.id


def phone_key(phone: str | None) -> str | None:
    """The last nine digits (a Georgian number without the country code): "+995 599 12 34 56" = "599123456"."""
    digits = _NOT_DIGIT.sub("", phone or "")
    return digits[-9:] if len(digits) >= 6 else None


def external_id_key(external_id: str | None) -> str | None:
    key = _NOT_ALNUM.sub("", external_id or "").casefold()
    return key or None


def name_evidence(a: Person, b: Person) -> tuple[Reason | None, int]:
    """How the two names agree: the reason and its points (None, 0 when they do not)."""
    if not a.forward or not b.forward:
        return None, 0
    if a.forward == b.forward:
        reason = Reason.NAMES_ACROSS_SCRIPTS if a.georgian_script != b.georgian_script else Reason.SAME_NAME
        return reason, POINTS[reason]
    if a.forward == b.backward:
        return Reason.NAME_ORDER_SWAPPED, POINTS[Reason.NAME_ORDER_SWAPPED]
    ratio = (
        max(Indel.normalized_similarity(a.forward, b.forward), Indel.normalized_similarity(a.forward, b.backward)) * 100
    )
    for minimum, points in SIMILAR_NAME_POINTS:
        if ratio >= minimum:
            return Reason.SIMILAR_NAME, points
    return None, 0


def birth_evidence(a: date | None, b: date | None) -> Reason | None:
    if a is None or b is None:
        return None
    if a == b:
        return Reason.SAME_BIRTH_DATE
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return Reason.BIRTH_DAY_MONTH_SWAPPED
    if abs(a.year - b.year) == 1 and a.month == b.month and a.day == b.day:
        return Reason.BIRTH_YEAR_ONE_OFF
    return None


def compare(a: Person, b: Person) -> tuple[int, tuple[Reason, ...]]:
    """The score (0-100) of the pair and its reasons, strongest first."""
    reasons: list[Reason] = []
    score = 0
    if a.personal_number and b.personal_number:
        reason = (
            Reason.SAME_PERSONAL_NUMBER
            if a.personal_number == b.personal_number
            else (Reason.DIFFERENT_PERSONAL_NUMBER)
        )
        reasons.append(reason)
        score += POINTS[reason]
    if external_id_key(a.external_id) and external_id_key(a.external_id) == external_id_key(b.external_id):
        reasons.append(Reason.SAME_EXTERNAL_ID)
        score += POINTS[Reason.SAME_EXTERNAL_ID]
    name_reason, points = name_evidence(a, b)
    if name_reason is not None:
        reasons.append(name_reason)
        score += points
    birth_reason = birth_evidence(a.date_of_birth, b.date_of_birth)
    if birth_reason is not None:
        reasons.append(birth_reason)
        score += POINTS[birth_reason]
    if phone_key(a.phone) and phone_key(a.phone) == phone_key(b.phone):
        reasons.append(Reason.SAME_PHONE)
        score += POINTS[Reason.SAME_PHONE]
    reasons.sort(key=lambda reason: -abs(POINTS.get(reason, points)))
    return max(0, min(100, score)), tuple(reasons)


def match(a: Person, b: Person, min_score: int = MIN_SCORE) -> Match | None:
    """The pair as a Match when its score reaches `min_score`."""
    score, reasons = compare(a, b)
    if score < min_score:
        return None
    if a.id is not None and b.id is not None and b.id < a.id:
        a, b = b, a
    return Match(a, b, score, reasons)


def birth_keys(born: date | None) -> list[str]:
    """Keys that equal, day/month-swapped and one-year-off dates of birth share."""
    if born is None:
        return []
    low, high = sorted((born.day, born.month))
    return [f"b{year}-{low}-{high}" for year in (born.year, born.year + 1)]


def blocking_keys(person: Person) -> list[str]:
    """The keys under which a record is compared with others (module docstring)."""
    # a date of birth alone never reaches MIN_SCORE: the names must be alike too, so a birth key is refined by
    # the initial of the first name and, separately, of the last name (a typo rarely hits both initials)
    initials = {person.forward[:1], person.backward[:1]} - {""}
    keys = [birth + initial for birth in birth_keys(person.date_of_birth) for initial in sorted(initials)]
    if person.personal_number:
        keys.append("p" + person.personal_number)
    if phone := phone_key(person.phone):
        keys.append("t" + phone)
    if external := external_id_key(person.external_id):
        keys.append("x" + external)
    return keys


def candidate_pairs(people: Iterable[Person]) -> Iterator[tuple[Person, Person]]:
    """Each pair of records that share a blocking key, once."""
    blocks: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        for key in blocking_keys(person):
            blocks[key].append(person)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
                if pair in seen:
                    continue
                seen.add(pair)
                yield a, b


def find_matches(people: Iterable[Person], min_score: int = MIN_SCORE, skip=frozenset()) -> list[Match]:
    """Every likely pair among the records, best first (score, then ids). `skip`: pairs (smaller id, larger
    id) already decided."""
    found = []
    for a, b in candidate_pairs(people):
        if (min(a.id, b.id), max(a.id, b.id)) in skip:
            continue
        result = match(a, b, min_score)
        if result is not None:
            found.append(result)
    found.sort(key=lambda m: (-m.score, m.first.id, m.second.id))
    return found


def matches_for(new: Person, existing: Iterable[Person], min_score: int = MIN_SCORE) -> list[Match]:
    """The existing records the new one (not saved yet, id None) likely duplicates, best first."""
    found = [m for person in existing if (m := match(new, person, min_score)) is not None]
    found.sort(key=lambda m: -m.score)
    return found


def birth_dates_to_look_up(born: date | None) -> list[date]:
    """The dates of birth an existing record may have to match `born`: equal, swapped, one year off."""
    if born is None:
        return []
    dates = {born}
    if born.day <= 12 and born.day != born.month:
        dates.add(date(born.year, born.day, born.month))
    for year in (born.year - 1, born.year + 1):
        try:
            dates.add(born.replace(year=year))
        except ValueError:  # 29 February
            pass
    return sorted(dates)
