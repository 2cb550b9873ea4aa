from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from caseapp.enums import ChoiceEnum, enum_column_type
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice
from caseapp.timeutil import utcnow


class Role(ChoiceEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self):
        return {
            "caseworker": _l("Caseworker"),
            "supervisor": _l("Supervisor"),
            "manager": _l("Manager / M&E"),
            "admin": _l("Administrator"),
        }[self.value]

    @property
    def belongs_to_office(self) -> bool:
        """Caseworkers and supervisors work for one field office; managers and admins country-wide."""
        return self in (Role.CASEWORKER, Role.SUPERVISOR)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "role NOT IN ('caseworker', 'supervisor') OR field_office_id IS NOT NULL",
            name="office_staff_have_office",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    #: a scrypt hash (werkzeug; method in PASSWORD_HASH_METHOD); the clear password is never stored or logged
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role, "role"))
    field_office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("field_office.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: set when an administrator chose the password: the user must pick their own before anything else
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: the language of this user's pages (`ka` or `en`); empty: the browser's language
    locale: Mapped[str | None] = mapped_column(sa.String(8))

    field_office: Mapped[FieldOffice | None] = relationship(lazy="joined")

    #: the change log's name for users (audit.services.record_change)
    audit_entity = "user"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"

    @property
    def audit_label(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.display_name

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def access_stamp(self) -> str:
        """What a login session was opened for: it changes with the password, role, office and active flag,
        so that any such change ends the sessions opened before it, whichever code made the change."""
        parts = f"{self.password_hash}|{self.role.value}|{self.field_office_id}|{self.active}"
        return hashlib.sha256(parts.encode()).hexdigest()


class LoginSession(db.Model):
    """One login on one browser. The cookie holds a random token; only its SHA-256 is stored here, so the
    table read by another person gives no working cookie. A session ends at logout, on any change of the
    account's password, role, office or activity, after SESSION_IDLE_MINUTES without a request and
    SESSION_LIFETIME_HOURS after the login."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the token in the browser's cookie
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the account's User.access_stamp at login; a different stamp now means the session has ended
    access_stamp: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    #: browser and address at login, shown to the user on their sessions page
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} user={self.user_id} ended={self.ended_at}>"


class LoginThrottle(db.Model):
    """Recent wrong passwords per username, typed or not: unknown usernames are counted and locked
    exactly like real ones, so that the answers never tell which usernames exist."""

    __tablename__ = "login_throttle"

    #: the username as typed, stripped and lower-cased (at most 64 characters, like usernames)
    username_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: logins for this username are refused until then, even with the right password
    locked_until: Mapped[datetime | None]
    last_address: Mapped[str] = mapped_column(sa.String(45), default="")

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.username_key} {self.failures} locked_until={self.locked_until}>"
