"""consent per purpose: consent_record (one decision of one person about one purpose, only ever added)
replaces returnee.consent_given / consent_date.

Up: every returnee whose single yes/no consent was "yes" gets one record: purpose "assistance" (the old
field was the consent to data processing for assistance and case management), given on its consent date
(the return date where none was kept), method "earlier_record". A "no" was never a recorded decision about
any purpose, so it becomes no record (the person shows in the consent gaps). The other purposes were never
asked: no record is invented for them.

Down: consent_given is "yes" exactly when the latest "assistance" decision is a consent; consent_date is
that decision's date. Decisions about the other purposes, methods and notes have no place in the older
schema and are dropped with the table.

Revision ID: h16b_01
Revises: h8_01
Create Date: 2026-11-25 15:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "h16b_01"
down_revision = "h8_01"
branch_labels = None
depends_on = None

returnee = sa.table(
    "returnee",
    sa.column("id", sa.Integer),
    sa.column("consent_given", sa.Boolean),
    sa.column("consent_date", sa.Date),
    sa.column("return_date", sa.Date),
    sa.column("created_at", sa.DateTime),
)
consent = sa.table(
    "consent_record",
    sa.column("id", sa.Integer),
    sa.column("returnee_id", sa.Integer),
    sa.column("purpose", sa.String),
    sa.column("given", sa.Boolean),
    sa.column("decided_on", sa.Date),
    sa.column("method", sa.String),
    sa.column("recorded_at", sa.DateTime),
    sa.column("recorded_by_name", sa.String),
    sa.column("note", sa.Text),
)


def upgrade():
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("returnee_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "assistance",
                "referral",
                "donor_sharing",
                "follow_up",
                "photos",
                name="consent_purpose",
                native_enum=False,
                create_constraint=True,
                length=21,
            ),
            nullable=False,
        ),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "signed_form",
                "verbal",
                "earlier_record",
                name="consent_method",
                native_enum=False,
                create_constraint=True,
                length=22,
            ),
            nullable=False,
        ),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=120), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_batch_id"], ["import_batch.id"], name=op.f("fk_consent_record_import_batch_id_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_consent_record_recorded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["returnee_id"], ["returnee.id"], name=op.f("fk_consent_record_returnee_id_returnee"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    op.create_index("ix_consent_record_import_batch_id", "consent_record", ["import_batch_id"], unique=False)
    op.create_index(
        "ix_consent_record_returnee_purpose", "consent_record", ["returnee_id", "purpose", "decided_on"], unique=False
    )
    op.execute(
        consent.insert().from_select(
            ["returnee_id", "purpose", "given", "decided_on", "method", "recorded_at", "recorded_by_name", "note"],
            sa.select(
                returnee.c.id,
                sa.literal("assistance"),
                sa.true(),
                sa.func.coalesce(returnee.c.consent_date, returnee.c.return_date),
                sa.literal("earlier_record"),
                returnee.c.created_at,
                sa.literal(""),
                sa.literal(""),
            ).where(returnee.c.consent_given == sa.true()),
        )
    )
    # SQLite 3.35+: ALTER TABLE DROP COLUMN in place (a rebuild of returnee would cascade to its cases)
    op.drop_column("returnee", "consent_date")
    op.drop_column("returnee", "consent_given")


def downgrade():
    op.add_column("returnee", sa.Column("consent_given", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("returnee", sa.Column("consent_date", sa.Date(), nullable=True))
    decision = consent.alias("decision")
    latest = (
        sa.select(decision.c.id)
        .where(decision.c.returnee_id == returnee.c.id, decision.c.purpose == "assistance")
        .order_by(decision.c.decided_on.desc(), decision.c.id.desc())
        .limit(1)
        .correlate(returnee)  # the returnee of the UPDATE, two levels up
        .scalar_subquery()
    )
    given = sa.select(consent.c.decided_on).where(consent.c.id == latest, consent.c.given == sa.true())
    op.execute(
        returnee.update().where(sa.exists(given)).values(consent_given=sa.true(), consent_date=given.scalar_subquery())
    )
    op.drop_index("ix_consent_record_returnee_purpose", table_name="consent_record")
    op.drop_index("ix_consent_record_import_batch_id", table_name="consent_record")
    op.drop_table("consent_record")
