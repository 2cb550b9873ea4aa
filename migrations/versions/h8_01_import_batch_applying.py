"""import batches that are being applied or failed: import_batch.status takes 'applying' and 'failed'

Revision ID: h8_01
Revises: 0010
Create Date: 2026-11-25 15:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h8_01"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD = sa.Enum("applied", "undone", name="import_batch_status", native_enum=False, create_constraint=True, length=15)
NEW = sa.Enum(
    "applied",
    "undone",
    "applying",
    "failed",
    name="import_batch_status",
    native_enum=False,
    create_constraint=True,
    length=16,
)
CHECK = "ck_import_batch_import_batch_status"


def _change(old, new, values):
    if op.get_bind().dialect.name == "sqlite":
        # the table is rebuilt (foreign keys are off around migrations, see env.py); the new type brings its CHECK
        with op.batch_alter_table("import_batch", schema=None, recreate="always") as batch_op:
            batch_op.alter_column("status", existing_type=old, type_=new, existing_nullable=False)
        return
    # op.f: the name is final (the naming convention would prefix it again)
    op.drop_constraint(op.f(CHECK), "import_batch", type_="check")
    op.alter_column(
        "import_batch",
        "status",
        existing_type=sa.String(length=old.length),
        type_=sa.String(length=new.length),
        existing_nullable=False,
    )
    op.create_check_constraint(op.f(CHECK), "import_batch", sa.column("status").in_(values))


def upgrade():
    _change(OLD, NEW, NEW.enums)


def downgrade():
    # A batch being applied or failed has nothing visible: it is kept as undone (every row stays).
    op.execute("UPDATE import_batch SET status = 'undone' WHERE status IN ('applying', 'failed')")
    _change(NEW, OLD, OLD.enums)
