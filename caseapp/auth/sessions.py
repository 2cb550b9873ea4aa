"""Server-side login sessions: the browser holds a random token, the database says whether it still
opens the account. A record in a table (not process memory) works on SQLite and across several app
servers sharing a PostgreSQL database, and ending a session takes effect on the very next request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, flash, g, redirect, request, session
from flask_babel import gettext as _
from flask_login import login_user
from flask_login.utils import login_url
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from caseapp import database
from caseapp.auth.models import LoginSession, User
from caseapp.extensions import db
from caseapp.timeutil import utcnow

#: endpoints that answer without a login; everything else requires one
PUBLIC_ENDPOINTS = {"auth.login", "language.switch", "static", "bootstrap.static", "healthz"}
#: the key of the token in Flask's (signed) session cookie
SESSION_KEY = "login_session"
STATIC_ENDPOINTS = {"static", "bootstrap.static"}
#: last_seen_at is written at most this often per session (a write per request would be wasted)
TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def absolute_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"])


def start_session(user: User) -> tuple[str, LoginSession]:
    """Open a new session for the user on this browser; return the token for the cookie and the record.

    Also forgets the user's sessions that have ended, so the table holds little more than live ones."""
    now = utcnow()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            or_(
                LoginSession.ended_at.is_not(None),
                LoginSession.created_at < now - absolute_lifetime(),
                LoginSession.last_seen_at < now - idle_timeout(),
            ),
        ),
        execution_options={"synchronize_session": "fetch"},
    )
    token = secrets.token_urlsafe(32)
    record = LoginSession(
        user_id=user.id,
        token_hash=_hash(token),
        access_stamp=user.access_stamp,
        created_at=now,
        last_seen_at=now,
        user_agent=(request.user_agent.string or "")[:255],
        ip_address=(request.remote_addr or "")[:45],
    )
    db.session.add(record)
    db.session.flush()
    return token, record


def ended(record: LoginSession, now: datetime | None = None) -> bool:
    """Whether the session no longer opens the account (ended, idle too long, too old, account changed)."""
    now = now or utcnow()
    user = record.user
    return (
        record.ended_at is not None
        or now - record.last_seen_at > idle_timeout()
        or now - record.created_at > absolute_lifetime()
        or user is None
        or not user.active
        or record.access_stamp != user.access_stamp
    )


def live_session(token: str | None) -> LoginSession | None:
    """The session this token opens, or None; a live one is marked as seen now."""
    if not token or not isinstance(token, str):
        return None
    record = db.session.scalar(
        select(LoginSession).options(joinedload(LoginSession.user)).where(LoginSession.token_hash == _hash(token))
    )
    now = utcnow()
    if record is None or ended(record, now):
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        _touch(record, now)
    return record


def _touch(record: LoginSession, now: datetime) -> None:
    if database.may_write():
        # A request that writes holds the write lock already: the change goes with its transaction.
        record.last_seen_at = now
        return
    # A reading request must not take SQLite's write lock halfway through (see database.py): a short
    # transaction of its own, on its own connection, writes the time.
    token = database.set_request_may_write(True)
    try:
        with db.engine.begin() as connection:
            connection.execute(update(LoginSession).where(LoginSession.id == record.id).values(last_seen_at=now))
    finally:
        database.reset_request_may_write(token)
    db.session.expire(record, ["last_seen_at"])


def end_session(record: LoginSession) -> None:
    if record.ended_at is None:
        record.ended_at = utcnow()


def end_sessions_of(user: User, *, keep: LoginSession | None = None) -> int:
    """End every open session of the user (but `keep`); returns how many were open."""
    query = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    return db.session.execute(
        query.values(ended_at=utcnow()), execution_options={"synchronize_session": "fetch"}
    ).rowcount


def open_sessions(user: User) -> list[LoginSession]:
    """The user's sessions that still open the account, most recently seen first."""
    records = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    )
    now = utcnow()
    return [record for record in records if not ended(record, now)]


def sign_in(user: User) -> LoginSession:
    """Log the user in on this browser with a new session: new token, new cookie contents (and so a new
    CSRF token); whatever the browser's session held before is dropped (no session fixation)."""
    session.clear()
    token, record = start_session(user)
    login_user(user)
    session[SESSION_KEY] = token
    g.login_session = record
    return record


def sign_out() -> None:
    """End this browser's session (in the database: a copied cookie no longer works) and clear the cookie."""
    from flask_login import logout_user

    record = g.pop("login_session", None)
    if record is not None:
        end_session(record)
    logout_user()
    session.clear()


def check_login_session():
    """Before every request (and before the CSRF check): find the login session the cookie names.

    A cookie whose session has ended is emptied, CSRF token included, and the browser is sent to the
    login page; the user loader then only accepts the account of a live session (see auth/views.py)."""
    if request.endpoint in STATIC_ENDPOINTS:
        return None  # no query for stylesheets and scripts
    token = session.get(SESSION_KEY)
    record = live_session(token) if token is not None else None
    if record is not None:
        g.login_session = record
        return None
    if token is None and "_user_id" not in session:
        return None  # never logged in on this browser
    session.clear()
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    flash(_("Your session has ended. Please log in again."), "info")
    return redirect(login_url("auth.login", request.url if request.method == "GET" else None))
