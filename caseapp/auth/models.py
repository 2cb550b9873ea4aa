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
    #: the language of this user's pages (`ka` or `en`); empty: the browser's language
    locale: Mapped[str | None] = mapped_column(sa.String(8))

    field_office: Mapped[FieldOffice | None] = relationship(lazy="joined")

    #: the change log's name for users (audit.services.record_change; audit sits above auth)
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
    def session_fingerprint(self) -> str:
        """Part of the login session: it changes with the password, so a new password ends old sessions."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        return f"{self.id}:{self.session_fingerprint}"
