"""returnee.anonymised_at: when the personal data were removed under the retention policy (NULL: never).

Revision ID: h16b_02
Revises: h16b_01
Create Date: 2026-11-25 15:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "h16b_02"
down_revision = "h16b_01"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("returnee", sa.Column("anonymised_at", sa.DateTime(), nullable=True))


def downgrade():
    # The values are dropped (the older schema cannot say a record was anonymised; the data stay removed).
    op.drop_column("returnee", "anonymised_at")  # SQLite 3.35+: in place, no rebuild
