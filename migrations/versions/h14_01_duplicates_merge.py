"""duplicates: returnee.merged_into_id (a merged record is kept, never counted), an index on the birth date
(the duplicate finder's blocking lookup), duplicate_decision (pairs decided) and returnee_merge (merges
with what an unmerge restores)

Revision ID: h14_01
Revises: h12a_01
Create Date: 2026-11-25 15:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h14_01"
down_revision = "h12a_01"
branch_labels = None
depends_on = None


def upgrade():
    # No rebuild of returnee on SQLite (with foreign keys on, a rebuild would cascade into its cases): a plain
    # ALTER TABLE ADD COLUMN with its named reference, as PostgreSQL does it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE returnee ADD COLUMN merged_into_id INTEGER "
            "CONSTRAINT fk_returnee_merged_into_id_returnee REFERENCES returnee (id)"
        )
    else:
        op.add_column("returnee", sa.Column("merged_into_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_returnee_merged_into_id_returnee"), "returnee", "returnee", ["merged_into_id"], ["id"]
        )
    op.create_index(op.f("ix_returnee_merged_into_id"), "returnee", ["merged_into_id"], unique=False)
    op.create_index("ix_returnee_date_of_birth", "returnee", ["date_of_birth"], unique=False)

    op.create_table(
        "duplicate_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("same", "not_same", name="pair_decision", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_duplicate_decision_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["first_id"], ["returnee.id"], name=op.f("fk_duplicate_decision_first_id_returnee"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["second_id"], ["returnee.id"], name=op.f("fk_duplicate_decision_second_id_returnee"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_decision")),
        sa.UniqueConstraint("first_id", "second_id", name=op.f("uq_duplicate_decision_first_id")),
    )
    op.create_index(op.f("ix_duplicate_decision_second_id"), "duplicate_decision", ["second_id"], unique=False)

    op.create_table(
        "returnee_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("survivor_before", sa.JSON(), nullable=False),
        sa.Column("merged_before", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("closed_case", sa.JSON(), nullable=True),
        sa.Column("unmerged_at", sa.DateTime(), nullable=True),
        sa.Column("unmerged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_by_id"],
            ["user_account.id"],
            name=op.f("fk_returnee_merge_merged_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["merged_id"], ["returnee.id"], name=op.f("fk_returnee_merge_merged_id_returnee")),
        sa.ForeignKeyConstraint(["survivor_id"], ["returnee.id"], name=op.f("fk_returnee_merge_survivor_id_returnee")),
        sa.ForeignKeyConstraint(
            ["unmerged_by_id"],
            ["user_account.id"],
            name=op.f("fk_returnee_merge_unmerged_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returnee_merge")),
    )
    op.create_index(op.f("ix_returnee_merge_merged_id"), "returnee_merge", ["merged_id"], unique=False)
    op.create_index(op.f("ix_returnee_merge_survivor_id"), "returnee_merge", ["survivor_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_returnee_merge_survivor_id"), table_name="returnee_merge")
    op.drop_index(op.f("ix_returnee_merge_merged_id"), table_name="returnee_merge")
    op.drop_table("returnee_merge")
    op.drop_index(op.f("ix_duplicate_decision_second_id"), table_name="duplicate_decision")
    op.drop_table("duplicate_decision")
    op.drop_index("ix_returnee_date_of_birth", table_name="returnee")
    op.drop_index(op.f("ix_returnee_merged_into_id"), table_name="returnee")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("fk_returnee_merged_into_id_returnee"), "returnee", type_="foreignkey")
    # SQLite 3.35+ drops the column in place (no rebuild); a column with a REFERENCES clause can be dropped
    op.drop_column("returnee", "merged_into_id")
