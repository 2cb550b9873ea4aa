"""Read-side queries for returnees, every one scoped to what the user may see."""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from sqlalchemy import Select, false, or_, select, union_all
from sqlalchemy.orm import aliased

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope, sees_personal_data
from caseapp.database import SEES_ROWS_BEING_IMPORTED
from caseapp.extensions import db
from caseapp.names import name_key, prefix_bounds
from caseapp.returnees.models import Returnee
from caseapp.returnees.rules import normalise_name


def not_merged():
    """The condition every list, search, export and figure puts on returnees: a record merged into another
    one (a duplicate of the same person, caseapp/duplicates) is kept for the unmerge, never shown or counted."""
    return Returnee.merged_into_id.is_(None)


def scoped_returnees(user: User) -> Select:
    """SELECT of the returnees this user may see by name: none for managers, one office for office staff;
    never a record merged into another one."""
    query = select(Returnee).where(not_merged())
    if not sees_personal_data(user):
        return query.where(false())
    scope = office_scope(user)
    if scope is not None:
        query = query.where(Returnee.field_office_id == scope)
    return query


def get_returnee_or_404(returnee_id: int, user: User) -> Returnee:
    """Load a returnee the user may see; anything else is 'not found', never 'forbidden' (no probing)."""
    returnee = db.session.scalar(scoped_returnees(user).where(Returnee.id == returnee_id))
    if returnee is None:
        survivor = merged_survivor(returnee_id)
        if survivor is not None and request.method == "GET" and request.view_args:
            visible = db.session.scalar(scoped_returnees(user).where(Returnee.id == survivor.id))
            if visible is not None:  # a merged record's page leads to the record it was merged into
                abort(redirect(url_for(request.endpoint, **{**request.view_args, "returnee_id": survivor.id})))
        abort(404)
    return returnee


def merged_survivor(returnee_id: int) -> Returnee | None:
    """The record a merged record was merged into (following later merges), or None if it was not merged."""
    returnee = db.session.get(Returnee, returnee_id)
    survivor, seen = None, set()
    while returnee is not None and returnee.merged_into_id is not None and returnee.id not in seen:
        seen.add(returnee.id)
        returnee = survivor = db.session.get(Returnee, returnee.merged_into_id)
    return survivor


def text_search_ids(text: str):
    """The ids of the returnees a typed search finds: the external id as typed (or in capitals), and the
    names that start with the text's name key in either order ("first last" or "last first"), whatever the
    script the name was typed in (caseapp/names.py). Each part is one index lookup or range scan
    (ix_returnee_name_birth, ix_returnee_name_reversed_birth); as an IN (...) list they stay the driving
    lookups even when the office filter is added (an OR beside it made SQLite scan the whole office)."""
    found = aliased(Returnee)
    parts = [select(found.id).where(found.external_id.in_({text, text.upper()}))]
    key = name_key(text)
    if key:  # a search of punctuation alone has no name key and finds no name
        low, high = prefix_bounds(key)
        parts += [
            select(found.id).where(found.search_name >= low, found.search_name < high),
            select(found.id).where(found.search_name_reversed >= low, found.search_name_reversed < high),
        ]
    return union_all(*parts)


def find_by_personal_number(personal_number: str) -> Returnee | None:
    # also a returnee of an import still being applied: the unique constraint would refuse the number anyway
    return db.session.scalar(select(Returnee).where(Returnee.personal_number == personal_number)
                             .execution_options(**SEES_ROWS_BEING_IMPORTED))


def find_same_name_and_birth(first_name: str, last_name: str, date_of_birth, exclude_id=None) -> list[Returnee]:
    """Returnees born the same day whose name has the same key, in either script and either order
    ("ნოდარ წერეთელი" finds "Nodar Tsereteli" and "Tsereteli Nodar"). All offices: the caller decides
    what the user is told about another office's record."""
    key = normalise_name(first_name, last_name)
    query = select(Returnee).where(
        or_(Returnee.search_name == key, Returnee.search_name_reversed == key),
        Returnee.date_of_birth == date_of_birth,
        not_merged(),
    )
    if exclude_id:
        query = query.where(Returnee.id != exclude_id)
    return list(db.session.scalars(query.limit(5)))
