"""dose scope: dose limits by formulation and indication, indications, renal bands by route,
fraction of the usual dose and dosing interval

Revision ID: 0003_dose
Revises: 0003
Create Date: 2026-12-02 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_dose"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("synonyms", sa.Text(), nullable=True),
        sa.Column("inferred_from", sa.Text(), nullable=True),
        sa.Column("subjects", sa.Text(), nullable=True),
        sa.Column("reference_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reference_id"], ["references.id"], name=op.f("fk_indications_reference_id_references")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indications")),
        sa.UniqueConstraint("name", name=op.f("uq_indications_name")),
    )
    with op.batch_alter_table("dose_limits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("formulation", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("indication", sa.String(length=60), nullable=True))
        batch_op.alter_column(
            "population",
            existing_type=sa.String(length=60),
            type_=sa.String(length=400),
            existing_nullable=True,
        )
    with op.batch_alter_table("renal_bands", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("fraction", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("interval_hours", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("renal_bands", schema=None) as batch_op:
        batch_op.drop_column("interval_hours")
        batch_op.drop_column("fraction")
        batch_op.drop_column("route")
    with op.batch_alter_table("dose_limits", schema=None) as batch_op:
        # population stays 400 wide: narrowing fails on PostgreSQL once a longer one is stored
        batch_op.drop_column("indication")
        batch_op.drop_column("formulation")
    op.drop_table("indications")
