"""Names the administrator gives to fixed choices (closure reasons, vulnerabilities).

The choices themselves are fixed in code (reports and rules depend on them), and their default names come
from the translation catalogue. An administrator may rename one in English, in Georgian or both: the
name then shows everywhere the choice's `label` is used. An empty name falls back to the default."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import LazyString
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.extensions import db
from caseapp.formats import forget_choice_labels
from caseapp.language import current_language
from caseapp.timeutil import utcnow


class VocabularyName(db.Model):
    __tablename__ = "vocabulary_name"
    __table_args__ = (sa.UniqueConstraint("kind", "code", name="uq_vocabulary_name_kind_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: which list: `closure_reason` or `vulnerability`
    kind: Mapped[str] = mapped_column(sa.String(32), info={"personal": False})
    #: the choice's fixed code (`lost_contact`)
    code: Mapped[str] = mapped_column(sa.String(64), info={"personal": False})
    #: the English name ("" = the default name)
    name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="", info={"personal": False})
    #: the Georgian name ("" = the default name)
    name_ka: Mapped[str] = mapped_column(sa.String(120), default="", server_default="", info={"personal": False})
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    #: the change log's name for these entries
    audit_entity = "vocabulary"

    def __repr__(self) -> str:
        return f"<VocabularyName {self.kind}:{self.code}>"

    @property
    def audit_label(self) -> str:
        """The change log's readable name of the entry (the choice's code, which never changes)."""
        return f"{self.kind.replace('_', ' ')}: {self.code}"


def custom_names() -> dict[tuple[str, str], tuple[str, str]]:
    """Every renamed choice, read once per request (or command): (kind, code) -> (name, name_ka)."""
    names = g.get("_vocabulary_names")
    if names is None:
        rows = db.session.execute(
            sa.select(VocabularyName.kind, VocabularyName.code, VocabularyName.name, VocabularyName.name_ka)
        )
        names = g._vocabulary_names = {(kind, code): (name, name_ka) for kind, code, name, name_ka in rows}
    return names


def forget_custom_names() -> None:
    """After a rename: the next label reads the names again."""
    if has_app_context():
        g.pop("_vocabulary_names", None)
    forget_choice_labels()


def custom_label(kind: str, code: str) -> str | None:
    """The administrator's name for a choice in the page's language, or None (then the default name)."""
    if not has_app_context():
        return None
    found = custom_names().get((kind, code))
    if found is None:
        return None
    name, name_ka = found
    return (name_ka if current_language() == "ka" else name) or None


def _resolve(kind: str, code: str, default) -> str:
    return custom_label(kind, code) or str(default)


def named_choice(kind: str, code: str, default) -> LazyString:
    """A choice's label, resolved when it is shown (so form choices built at import follow renames too)."""
    return LazyString(_resolve, kind, code, default)
