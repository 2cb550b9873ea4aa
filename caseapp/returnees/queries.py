"""Read-side queries for returnees, every one scoped to what the user may see."""
from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, select

from caseapp.auth.models import User
from caseapp.auth.policies import office_scope, sees_personal_data
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.returnees.rules import normalise_name


def scoped_returnees(user: User) -> Select:
    """SELECT of the returnees this user may see by name: none for managers, one office for office staff."""
    query = select(Returnee)
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
        abort(404)
    return returnee


def find_by_personal_number(personal_number: str) -> Returnee | None:
    return db.session.scalar(select(Returnee).where(Returnee.personal_number == personal_number))


def find_same_name_and_birth(first_name: str, last_name: str, date_of_birth, exclude_id=None) -> list[Returnee]:
    query = select(Returnee).where(
        Returnee.search_name == normalise_name(first_name, last_name),
        Returnee.date_of_birth == date_of_birth,
    )
    if exclude_id:
        query = query.where(Returnee.id != exclude_id)
    return list(db.session.scalars(query.limit(5)))
