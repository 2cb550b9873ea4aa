"""audit entry label and request id: the record's readable label (kept when the record is gone) and the id
of the request that made the change. The action column keeps its VARCHAR(64) (its values are now an enum
checked in Python, without a CHECK constraint, so new actions need no migration).

Existing entries keep every row; their label is filled in from the records that still exist.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: the label of existing entries, per entity type, from the record when it still exists (portable SQL)
LABELS = {
    "returnee": "SELECT r.first_name || ' ' || r.last_name FROM returnee r WHERE r.id = audit_entry.entity_id",
    "case": (
        "SELECT r.first_name || ' ' || r.last_name || ', case ' || CAST(c.id AS VARCHAR(20))"
        " FROM reintegration_case c JOIN returnee r ON r.id = c.returnee_id WHERE c.id = audit_entry.entity_id"
    ),
    "assistance": (
        "SELECT t.code || ' of ' || r.first_name || ' ' || r.last_name FROM assistance_record a"
        " JOIN assistance_type t ON t.id = a.type_id JOIN returnee r ON r.id = a.returnee_id"
        " WHERE a.id = audit_entry.entity_id"
    ),
    "user": "SELECT u.username FROM user_account u WHERE u.id = audit_entry.entity_id",
    "office": "SELECT o.name FROM field_office o WHERE o.id = audit_entry.entity_id",
    "assistance_type": "SELECT t.name FROM assistance_type t WHERE t.id = audit_entry.entity_id",
    "import_batch": (
        "SELECT 'batch ' || CAST(b.id AS VARCHAR(20)) FROM import_batch b WHERE b.id = audit_entry.entity_id"
    ),
}


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_entry_request_id"), ["request_id"], unique=False)
    for entity_type, label in LABELS.items():
        op.execute(
            sa.text(
                # the label expressions are this file's constants (LABELS); the entity type is bound
                f"UPDATE audit_entry SET label = SUBSTR(({label}), 1, 200) WHERE entity_type = :entity_type"  # nosec B608
            ).bindparams(entity_type=entity_type)
        )


def downgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_request_id"))
        batch_op.drop_column("request_id")
        batch_op.drop_column("label")
