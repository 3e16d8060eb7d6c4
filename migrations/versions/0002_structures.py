"""structures: class SMARTS patterns and drug fingerprints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structure_patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("smarts", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Text(), nullable=False),
        sa.Column("negatives", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_structure_patterns_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_structure_patterns_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_patterns")),
    )
    with op.batch_alter_table("structure_patterns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_structure_patterns_class_id"), ["class_id"], unique=False
        )

    op.create_table(
        "drug_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("morgan", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_drug_fingerprints_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_fingerprints")),
        sa.UniqueConstraint("drug_id", name=op.f("uq_drug_fingerprints_drug_id")),
    )


def downgrade() -> None:
    op.drop_table("drug_fingerprints")
    with op.batch_alter_table("structure_patterns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_structure_patterns_class_id"))

    op.drop_table("structure_patterns")
