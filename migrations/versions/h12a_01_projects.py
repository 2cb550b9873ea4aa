"""projects: who pays. project (code, names, donor, period, active), project_budget (one amount per
currency), project_office and project_assistance_type (where it operates, what it may fund);
assistance_record.project_id (who paid, indexed for reports and budgets) and returnee.return_project_id
(who is credited with the return). Every existing record and returnee goes to the "Unassigned" project
created here; downgrading drops the projects and keeps every record and returnee.

Revision ID: h12a_01
Revises: 0009
Create Date: 2026-11-25 15:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h12a_01"
down_revision = "0009"
branch_labels = None
depends_on = None

UNASSIGNED_CODE = "UNASSIGNED"
CURRENCY = sa.Enum("GEL", "EUR", "USD", name="currency", native_enum=False, create_constraint=True, length=11)


def upgrade():
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_ka", sa.String(length=200), server_default="", nullable=False),
        sa.Column("donor", sa.String(length=200), server_default="", nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name=op.f("ck_project_period_in_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("code", name=op.f("uq_project_code")),
    )
    op.create_table(
        "project_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_project_budget_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_budget_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_budget")),
        sa.UniqueConstraint("project_id", "currency", name=op.f("uq_project_budget_project_id")),
    )
    op.create_table(
        "project_office",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("field_office_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_office_id"],
            ["field_office.id"],
            name=op.f("fk_project_office_field_office_id_field_office"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_office_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", "field_office_id", name=op.f("pk_project_office")),
    )
    op.create_index(op.f("ix_project_office_field_office_id"), "project_office", ["field_office_id"], unique=False)
    op.create_table(
        "project_assistance_type",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_assistance_type_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["assistance_type.id"],
            name=op.f("fk_project_assistance_type_type_id_assistance_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "type_id", name=op.f("pk_project_assistance_type")),
    )
    op.create_index(op.f("ix_project_assistance_type_type_id"), "project_assistance_type", ["type_id"], unique=False)

    connection = op.get_bind()
    project = sa.table(
        "project",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("name_ka", sa.String),
        sa.column("donor", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
        sa.column("version", sa.Integer),
    )
    now = sa.func.current_timestamp()
    connection.execute(
        project.insert().values(
            code=UNASSIGNED_CODE,
            name="Unassigned (no project)",
            name_ka="პროექტის გარეშე",
            donor="",
            active=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
    )
    unassigned = connection.scalar(sa.select(project.c.id).where(project.c.code == UNASSIGNED_CODE))

    # The columns are added empty, filled with the Unassigned project, then made required (a table rebuild
    # on SQLite, run with foreign keys off by env.py, so nothing cascades).
    op.add_column("assistance_record", sa.Column("project_id", sa.Integer(), nullable=True))
    op.add_column("returnee", sa.Column("return_project_id", sa.Integer(), nullable=True))
    connection.execute(sa.text("UPDATE assistance_record SET project_id = :id"), {"id": unassigned})
    connection.execute(sa.text("UPDATE returnee SET return_project_id = :id"), {"id": unassigned})
    with op.batch_alter_table("assistance_record", schema=None) as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_assistance_record_project_id_project"), "project", ["project_id"], ["id"]
        )
        batch_op.create_index(
            "ix_assistance_record_project",
            ["project_id", "status", "type_id", "provided_on", "returnee_id", "currency", "amount"],
            unique=False,
        )
    with op.batch_alter_table("returnee", schema=None) as batch_op:
        batch_op.alter_column("return_project_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_returnee_return_project_id_project"), "project", ["return_project_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_returnee_return_project_id"), ["return_project_id"], unique=False)


def downgrade():
    with op.batch_alter_table("returnee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returnee_return_project_id"))
        batch_op.drop_constraint(batch_op.f("fk_returnee_return_project_id_project"), type_="foreignkey")
        batch_op.drop_column("return_project_id")
    with op.batch_alter_table("assistance_record", schema=None) as batch_op:
        batch_op.drop_index("ix_assistance_record_project")
        batch_op.drop_constraint(batch_op.f("fk_assistance_record_project_id_project"), type_="foreignkey")
        batch_op.drop_column("project_id")
    op.drop_index(op.f("ix_project_assistance_type_type_id"), table_name="project_assistance_type")
    op.drop_table("project_assistance_type")
    op.drop_index(op.f("ix_project_office_field_office_id"), table_name="project_office")
    op.drop_table("project_office")
    op.drop_table("project_budget")
    op.drop_table("project")
