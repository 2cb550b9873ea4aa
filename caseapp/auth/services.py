"""Logging in. (Creating and changing staff accounts is the administrators' part: admin/services.py.)"""
from __future__ import annotations

from sqlalchemy import func, select

from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.timeutil import utcnow


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (the caller must not say which part failed)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user
