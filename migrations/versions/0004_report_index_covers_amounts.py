"""report index covers amounts: currency and amount added to ix_assistance_record_report, so that the
report's sums per currency read the index alone (the country-wide amounts query no longer reads the table)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:55:52.408399

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_record_report'))
        batch_op.create_index('ix_assistance_record_report', ['status', 'type_id', 'provided_on', 'returnee_id', 'currency', 'amount'], unique=False)


def downgrade():
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_record_report')
        batch_op.create_index(batch_op.f('ix_assistance_record_report'), ['status', 'type_id', 'provided_on', 'returnee_id'], unique=False)
