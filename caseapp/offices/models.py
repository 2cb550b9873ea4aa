from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.extensions import db
from caseapp.language import BilingualName
from caseapp.timeutil import utcnow


class FieldOffice(BilingualName, db.Model):
    __tablename__ = "field_office"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the English name (also the name the command line, imports and exports match)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: the Georgian name shown on Georgian pages (the English one when empty)
    name_ka: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    #: inactive offices keep their history but take no new returnees or staff
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    #: the change log's name for offices (audit.services.record_change; audit sits above offices)
    audit_entity = "office"

    def __repr__(self) -> str:
        return f"<FieldOffice {self.id} {self.name}>"

    def __str__(self) -> str:
        return self.label
