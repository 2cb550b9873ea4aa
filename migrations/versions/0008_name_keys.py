"""name keys across scripts: returnee.search_name becomes the name's key in Latin letters ("first last",
caseapp/names.py) and search_name_reversed ("last first") is added, both indexed with the birth date and
compared byte by byte (collation "C" on PostgreSQL), so that a name search is an index range scan and
"კაპანაძე" finds "Kapanadze". Every existing returnee's keys are computed here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 12:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY_LENGTH = 202
CHUNK = 2000


def _key(text):
    """The name key of caseapp/names.py (the keys must be the ones the running code computes; should the
    rules of name_key change, a new migration recomputes every key)."""
    from caseapp.names import name_key

    return name_key(text)


def _rewrite(compute):
    """Set the name columns of every returnee through `compute(first, last) -> dict`, chunk by chunk."""
    connection = op.get_bind()
    returnee = sa.table('returnee', sa.column('id', sa.Integer), sa.column('first_name', sa.String),
                        sa.column('last_name', sa.String), sa.column('search_name', sa.String),
                        sa.column('search_name_reversed', sa.String))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(returnee.c.id, returnee.c.first_name, returnee.c.last_name)
            .where(returnee.c.id > last_id).order_by(returnee.c.id).limit(CHUNK)).all()
        if not rows:
            break
        values = [{"_id": row.id, **compute(row.first_name, row.last_name)} for row in rows]
        names = [name for name in values[0] if name != "_id"]
        connection.execute(
            returnee.update().where(returnee.c.id == sa.bindparam("_id"))
            .values({name: sa.bindparam("v_" + name) for name in names}),
            [{"_id": v["_id"], **{"v_" + name: v[name] for name in names}} for v in values])
        last_id = rows[-1].id


def _keys(first_name, last_name):
    first, last = _key(first_name), _key(last_name)
    return {"search_name": f"{first} {last}".strip()[:KEY_LENGTH],
            "search_name_reversed": f"{last} {first}".strip()[:KEY_LENGTH]}


def upgrade():
    # No table rebuild on SQLite (a rebuild of returnee with foreign keys on would cascade to its cases):
    # the column is added with a default, filled, and indexed, all by plain ALTER/CREATE statements.
    if op.get_bind().dialect.name == 'postgresql':
        op.add_column('returnee', sa.Column('search_name_reversed', sa.String(length=KEY_LENGTH), nullable=True))
        _rewrite(_keys)
        op.alter_column('returnee', 'search_name', type_=sa.String(length=KEY_LENGTH, collation='C'),
                        existing_nullable=False)
        op.alter_column('returnee', 'search_name_reversed', type_=sa.String(length=KEY_LENGTH, collation='C'),
                        nullable=False)
    else:
        op.add_column('returnee', sa.Column('search_name_reversed', sa.String(length=KEY_LENGTH), nullable=False,
                                            server_default=''))
        _rewrite(_keys)
    op.create_index('ix_returnee_name_reversed_birth', 'returnee', ['search_name_reversed', 'date_of_birth'],
                    unique=False)


def downgrade():
    op.drop_index('ix_returnee_name_reversed_birth', table_name='returnee')
    op.drop_column('returnee', 'search_name_reversed')  # SQLite 3.35+: ALTER TABLE DROP COLUMN, no rebuild
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('returnee', 'search_name', type_=sa.String(length=KEY_LENGTH), existing_nullable=False)
    # search_name keeps the keys: a downgrade changes no value of a column it keeps (tests/test_migration_data.py).
    # The older code compares it with the case-folded name typed, which finds the Latin names as before.
