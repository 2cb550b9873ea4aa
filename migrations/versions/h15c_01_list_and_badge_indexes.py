"""indexes for lists that stay flat and for the counts every page shows (no row changes):

- case_review (case_id, outcome, answered_at): the caseworker's "reviews waiting for your answer" badge
  (on every page) goes from the caseworker's own cases to one index probe each, covering, whatever the size
  of the office (an index led by (outcome, answered_at) instead reads every waiting review of the country:
  10.6 ms against 1.5 ms for a caseload of 150 at 100,000 returnees, bench/returnee_list.py's data);
- returnee (field_office_id) for the listed returnees (merged_into_id IS NULL): the returnee list's count
  reads this index alone;
- returnee (merged_into_id) becomes partial, for the merged records only: the full index held a NULL for
  every other record, and SQLite, without statistics, read the list through it and sorted every returnee
  for each page instead of walking the name index in the list's order (keyset pages, caseapp/keyset.py).

Revision ID: h15c_01
Revises: h15a_01
Create Date: 2026-11-25 18:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h15c_01"
down_revision = "h15a_01"
branch_labels = None
depends_on = None


def _partial(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    op.create_index("ix_case_review_awaiting", "case_review", ["case_id", "outcome", "answered_at"])
    op.create_index("ix_returnee_office_listed", "returnee", ["field_office_id"], **_partial("merged_into_id IS NULL"))
    op.drop_index("ix_returnee_merged_into_id", table_name="returnee")
    op.create_index(
        "ix_returnee_merged_into_id", "returnee", ["merged_into_id"], **_partial("merged_into_id IS NOT NULL")
    )


def downgrade():
    op.drop_index("ix_returnee_merged_into_id", table_name="returnee")
    op.create_index("ix_returnee_merged_into_id", "returnee", ["merged_into_id"])
    op.drop_index("ix_returnee_office_listed", table_name="returnee")
    op.drop_index("ix_case_review_awaiting", table_name="case_review")
