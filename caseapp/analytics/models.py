"""The two tables the report counts from. Both are derived data: database triggers (created by the migration
h15a_01) keep them equal to the base tables in the same transaction as every write, and
`flask --app caseapp analytics rebuild` computes them again from scratch (services.py).

- analytics_person: one row per returnee with what the filters ask of a person, computed once: office, sex,
  age band at the return date, vulnerabilities as a bit mask, the return day as the integer yyyymmdd, the
  project credited with the return, whether the record is merged into another one.
- analytics_assistance: delivered, requested and approved records, one row per returnee x type x status x
  day x project x currency (x import batch), with the number of records and the sum of their amounts in
  whole cents, and the person's attributes copied in, so that a figure never joins the returnee again.

Neither table has a foreign key: a merge (caseapp/duplicates), an anonymisation (caseapp/privacy) and a
deletion find a returnee's rows through the foreign keys, and these rows must move only through the
triggers. The import batch is 0 rather than NULL when there is none, so that it can be part of the key; the
rows of a batch being applied are hidden like the batch's other rows (caseapp/imports/visibility.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.extensions import db
from caseapp.returnees.models import Vulnerability

#: each vulnerability's bit in the masks (the migration's triggers spell the same numbers: a new
#: vulnerability needs a migration that gives it the next bit; tests/test_analytics.py checks them)
VULNERABILITY_BITS = {code: 1 << position for position, code in enumerate(Vulnerability)}
#: the statuses whose records are kept: delivered (received) and the pipeline
COUNTED_STATUSES = ("delivered", "requested", "approved")
#: "no import batch" and "no currency" in the key
NO_BATCH = 0
NO_CURRENCY = ""


class AnalyticsPerson(db.Model):
    """A returnee as the report filters and counts them."""

    __tablename__ = "analytics_person"
    __table_args__ = (
        # returned persons of a period, by office, sex and age band, by month and by project: read from the index
        sa.Index(
            "ix_analytics_person_return",
            "return_day",
            "merged",
            "field_office_id",
            "sex",
            "age_band",
            "return_project_id",
        ),
    )

    returnee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    field_office_id: Mapped[int]
    #: Sex value ("F", "M")
    sex: Mapped[str] = mapped_column(sa.String(1))
    #: AgeBand value at the return date ("0-17", "18-59", "60+")
    age_band: Mapped[str] = mapped_column(sa.String(5))
    #: sum of VULNERABILITY_BITS of the person's vulnerabilities
    vulnerabilities: Mapped[int]
    #: the return date as the integer yyyymmdd (its month is return_day / 100)
    return_day: Mapped[int]
    return_project_id: Mapped[int]
    #: merged into another record: never counted
    merged: Mapped[bool]
    #: the import batch that created the returnee (NO_BATCH: none)
    import_batch_id: Mapped[int] = mapped_column(default=NO_BATCH)

    def __repr__(self) -> str:
        return f"<AnalyticsPerson {self.returnee_id}>"


class AnalyticsAssistance(db.Model):
    """Records of one returnee, type, status, day, project, currency and import batch."""

    __tablename__ = "analytics_assistance"
    __table_args__ = (
        # Each persons figure is COUNT(DISTINCT returnee_id) grouped by the columns after the status, so each
        # disaggregation has an index in its group order (no sort) that holds every column it reads.
        sa.Index(
            "ix_analytics_assistance_person",
            "status",
            "field_office_id",
            "sex",
            "age_band",
            "returnee_id",
            "day",
            "events",
        ),
        sa.Index(
            "ix_analytics_assistance_type_person",
            "status",
            "type_id",
            "field_office_id",
            "sex",
            "age_band",
            "returnee_id",
            "day",
            "events",
        ),
        sa.Index("ix_analytics_assistance_month", "status", "month", "returnee_id", "day", "events"),
        sa.Index("ix_analytics_assistance_type_month", "status", "type_id", "month", "returnee_id", "day", "events"),
        sa.Index("ix_analytics_assistance_project", "status", "project_id", "returnee_id", "day", "events"),
        sa.Index(
            "ix_analytics_assistance_type_project", "status", "type_id", "project_id", "returnee_id", "day", "events"
        ),
        # amounts per type and currency; the pipeline's persons and events read it too
        sa.Index(
            "ix_analytics_assistance_amount", "status", "type_id", "currency", "day", "cents", "returnee_id", "events"
        ),
    )

    # the key, led by the person: the funnels look up a person's grants in it, the triggers their rows
    returnee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    type_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: AssistanceStatus value (delivered, requested or approved)
    status: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: the record's date (provided_on) as the integer yyyymmdd
    day: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: Currency value, NO_CURRENCY for records without an amount
    currency: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    #: the import batch that created the records (NO_BATCH: none)
    import_batch_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: day / 100: yyyymm
    month: Mapped[int]
    #: the number of records
    events: Mapped[int]
    #: the sum of their amounts in whole cents (0 without an amount)
    cents: Mapped[int] = mapped_column(sa.BigInteger)
    # the person's attributes (analytics_person), copied
    field_office_id: Mapped[int]
    sex: Mapped[str] = mapped_column(sa.String(1))
    age_band: Mapped[str] = mapped_column(sa.String(5))
    vulnerabilities: Mapped[int]

    def __repr__(self) -> str:
        return f"<AnalyticsAssistance {self.returnee_id} {self.type_id} {self.status} {self.day}>"
