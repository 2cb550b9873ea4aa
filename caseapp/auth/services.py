"""Logging in. (Creating and changing staff accounts is the administrators' part: admin/services.py.)"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read
from caseapp.audit.services import record_change, record_event
from caseapp.auth.models import LoginThrottle, User
from caseapp.auth.passwords import check_dummy_password, password_problem
from caseapp.auth.sessions import end_sessions_of
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.timeutil import utcnow


@dataclass(frozen=True)
class LoginOutcome:
    """The user when the login succeeded; otherwise None, and whether the username is locked. The two
    failures are all a login form may tell: never whether the username exists."""

    user: User | None
    locked: bool = False


def username_key(username: str | None) -> str:
    return (username or "").strip().lower()[:64]


def find_user(username: str | None) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))


def authenticate(username: str, password: str, *, address: str = "") -> LoginOutcome:
    """Check a login. Every attempt computes exactly one password hash (the account's, or a dummy one for
    an unknown username), and unknown usernames are counted and locked like real ones, so that neither
    the answer nor its timing tells whether the username exists."""
    user = find_user(username)
    correct = user.check_password(password) if user is not None else check_dummy_password(password)
    throttle = db.session.get(LoginThrottle, username_key(username))
    now = utcnow()
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return LoginOutcome(None, locked=True)
    if correct and user.active:
        if throttle is not None:
            db.session.delete(throttle)
        user.last_login_at = now
        return LoginOutcome(user)
    _count_failure(throttle, username_key(username), user, address, now)
    return LoginOutcome(None)


def record_login(username: str, outcome: LoginOutcome) -> None:
    """The login in the audit: who logged in, or which username was tried and failed (locked or not; the
    account it names, if any, so that its failed logins can be found)."""
    if outcome.user is not None:
        record_read(outcome.user, AuditAction.LOGIN, outcome.user)
        return
    tried = (username or "").strip()[:64]
    account = find_user(username)
    record_read(
        None,
        AuditAction.LOGIN_FAILED,
        account,
        entity_type="user",
        label=tried,
        office_id=account.field_office_id if account is not None else None,
        details={"username": tried, **({"locked": True} if outcome.locked else {})},
        user_name=tried or "?",
    )


def _count_failure(throttle: LoginThrottle | None, key: str, user: User | None, address: str,
                   now: datetime) -> None:
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    if throttle is None:
        throttle = LoginThrottle(username_key=key, failures=0, window_started_at=now)
        db.session.add(throttle)
    elif throttle.locked_until is not None or now - throttle.window_started_at > window:
        # the lock has run out, or the earlier failures are too old to count: a new window
        throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    throttle.last_failure_at = now
    throttle.last_address = (address or "")[:45]
    if throttle.failures >= config["LOGIN_FAILURE_LIMIT"]:
        throttle.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        if user is not None:
            record_event(None, AuditAction.USER_LOCKED, entity_type=user.audit_entity, entity_id=user.id,
                         label=user.audit_label,
                         details={"failures": throttle.failures, "locked_until": throttle.locked_until,
                                  "address": throttle.last_address})
    # Unknown usernames leave rows too; the ones long past their window go.
    db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at < now - window - timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])),
        execution_options={"synchronize_session": "fetch"})


def login_throttle_of(user: User) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, username_key(user.username))


def unlock_user(actor: User, user: User) -> None:
    """Forget the user's failed logins and lift a lock (the administrator's decision, in the change log)."""
    throttle = login_throttle_of(user)
    if throttle is None:
        return
    record_event(actor, AuditAction.USER_UNLOCK, entity_type=user.audit_entity, entity_id=user.id,
                 label=user.audit_label,
                 details={"failures": throttle.failures, "locked_until": throttle.locked_until})
    db.session.delete(throttle)


def change_own_password(user: User, *, current_password: str, new_password: str) -> None:
    """The user replaces their password; all their sessions end (the caller opens a new one)."""
    errors = {}
    if not user.check_password(current_password or ""):
        errors["current_password"] = _l("This is not your current password.")
    problem = password_problem(new_password, username=user.username, display_name=user.display_name)
    if problem:
        errors["new_password"] = problem
    elif user.check_password(new_password):
        errors["new_password"] = _l("Choose a password different from the current one.")
    if errors:
        raise ValidationFailed(errors)
    user.set_password(new_password)
    user.must_change_password = False
    end_sessions_of(user)
    record_change(user, user, AuditAction.USER_PASSWORD, {}, details={"password": ["***", "***"]})
