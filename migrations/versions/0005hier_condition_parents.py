"""condition hierarchy: is-a edges between conditions, each with its source

Revision ID: 0005hier
Revises: 0004dir
Create Date: 2026-12-02 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005hier"
down_revision: str | None = "0004dir"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "condition_parents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_parents_condition_id_conditions"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["conditions.id"], name=op.f("fk_condition_parents_parent_id_conditions")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_condition_parents_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_parents")),
    )
    with op.batch_alter_table("condition_parents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_condition_parents_condition_id"), ["condition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_condition_parents_parent_id"), ["parent_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("condition_parents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_parents_parent_id"))
        batch_op.drop_index(batch_op.f("ix_condition_parents_condition_id"))

    op.drop_table("condition_parents")
