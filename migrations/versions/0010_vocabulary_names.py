"""vocabulary names: the administrator's English and Georgian names for closure reasons and vulnerabilities

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 15:21:03.464087

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vocabulary_name',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), server_default='', nullable=False),
    sa.Column('name_ka', sa.String(length=120), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_name')),
    sa.UniqueConstraint('kind', 'code', name='uq_vocabulary_name_kind_code')
    )


def downgrade():
    op.drop_table('vocabulary_name')
