"""Use cases for staff accounts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.audit.services import log_change
from caseapp.auth.models import Role, User
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (the caller must not say which part failed)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def create_user(actor, *, username: str, display_name: str, role: Role, password: str,
                field_office_id: int | None = None, active: bool = True) -> User:
    errors = _user_errors(username=username, role=role, field_office_id=field_office_id)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = _l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationFailed(errors)
    user = User(username=username.strip(), display_name=display_name.strip(), role=role,
                field_office_id=field_office_id if role.belongs_to_office else None, active=active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    log_change(actor, "user.create", "user", user.id,
               changes={"username": user.username, "role": role, "field_office_id": user.field_office_id})
    return user


def update_user(actor, user: User, *, display_name: str, role: Role, field_office_id: int | None,
                active: bool, password: str | None = None) -> User:
    errors = _user_errors(username=user.username, role=role, field_office_id=field_office_id, existing=user)
    if password and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if actor.id == user.id and (not active or role != Role.ADMIN):
        errors["role"] = _l("You cannot demote or deactivate your own account.")
    if errors:
        raise ValidationFailed(errors)
    before = {"display_name": user.display_name, "role": user.role.value,
              "field_office_id": user.field_office_id, "active": user.active}
    user.display_name = display_name.strip()
    user.role = role
    user.field_office_id = field_office_id if role.belongs_to_office else None
    user.active = active
    if password:
        user.set_password(password)
    after = {"display_name": user.display_name, "role": user.role.value,
             "field_office_id": user.field_office_id, "active": user.active}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if password:
        changes["password"] = ["***", "***"]
    log_change(actor, "user.update", "user", user.id, changes=changes)
    return user


def _user_errors(*, username: str, role: Role, field_office_id: int | None, existing: User | None = None):
    errors = {}
    clash = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if clash is not None and clash is not existing:
        errors["username"] = _l("This username is taken.")
    if role.belongs_to_office and not field_office_id:
        errors["field_office_id"] = _l("Caseworkers and supervisors belong to a field office.")
    return errors
