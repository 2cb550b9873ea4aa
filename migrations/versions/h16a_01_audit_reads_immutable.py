"""audit of reads and sign-ins, and an audit nobody edits: audit_entry gets the office it concerns, the
client's address and browser (and indexes on the office and the user, for the audit page's filters);
on PostgreSQL a trigger refuses UPDATE and DELETE of entries (TRUNCATE too), except UPDATE in a
transaction that ran `SET LOCAL caseapp.audit_scrub = 'on'` (anonymisation: audit.reads.allow_audit_scrub).

Existing entries keep every row; their office is filled in from the returnee they concern, else from the
acting user's office.

Revision ID: h16a_01
Revises: h16b_02
Create Date: 2026-11-25 15:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h16a_01"
down_revision = "h16b_02"
branch_labels = None
depends_on = None

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('caseapp.audit_scrub', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries cannot be changed or deleted (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field_office_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_address", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_entry_field_office_id"), ["field_office_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_user_id"), ["user_id"], unique=False)
    op.execute(
        "UPDATE audit_entry SET field_office_id = "
        "(SELECT r.field_office_id FROM returnee r WHERE r.id = audit_entry.returnee_id) "
        "WHERE returnee_id IS NOT NULL"
    )
    op.execute(
        "UPDATE audit_entry SET field_office_id = "
        "(SELECT u.field_office_id FROM user_account u WHERE u.id = audit_entry.user_id) "
        "WHERE field_office_id IS NULL AND user_id IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REFUSE_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_entry_immutable BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_immutable ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_refuse_change()")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_user_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_field_office_id"))
        batch_op.drop_column("user_agent")
        batch_op.drop_column("client_address")
        batch_op.drop_column("field_office_id")
