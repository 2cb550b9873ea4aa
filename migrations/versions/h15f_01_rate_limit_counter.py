"""rate_limit_counter: login attempts counted for every app server at once (caseapp/ratelimit.py).

Revision ID: h15f_01
Revises: h13b_01
Create Date: 2026-11-25 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "h15f_01"
down_revision = "h13b_01"
branch_labels = None
depends_on = None


def upgrade():
    # A new table (also on SQLite, where it stays empty: the counts live in each process there).
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counter")),
    )
    op.create_index(op.f("ix_rate_limit_counter_expires_at"), "rate_limit_counter", ["expires_at"], unique=False)


def downgrade():
    # The counts are short-lived (a minute or an hour): dropping them forgets attempts in the current window.
    op.drop_index(op.f("ix_rate_limit_counter_expires_at"), table_name="rate_limit_counter")
    op.drop_table("rate_limit_counter")
