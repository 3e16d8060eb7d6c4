"""condition codes (ICD-10-CM, SNOMED CT) and look-alike, sound-alike drug name pairs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "condition_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "system IN ('ICD-10-CM','SNOMED CT')", name=op.f("ck_condition_codes_system")
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_codes_condition_id_conditions"),
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_condition_codes_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_codes")),
    )
    with op.batch_alter_table("condition_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_condition_codes_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_condition_codes_condition_id"), ["condition_id"], unique=False
        )

    op.create_table(
        "confused_name_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("a_drug_id", sa.Integer(), nullable=False),
        sa.Column("b_drug_id", sa.Integer(), nullable=False),
        sa.Column("listed_as", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["a_drug_id"], ["drugs.id"], name=op.f("fk_confused_name_pairs_a_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["b_drug_id"], ["drugs.id"], name=op.f("fk_confused_name_pairs_b_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confused_name_pairs")),
    )
    with op.batch_alter_table("confused_name_pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_confused_name_pairs_a_drug_id"), ["a_drug_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_confused_name_pairs_b_drug_id"), ["b_drug_id"], unique=False
        )

    op.create_table(
        "confused_name_pairs_references",
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fact_id"],
            ["confused_name_pairs.id"],
            name=op.f("fk_confused_name_pairs_references_fact_id_confused_name_pairs"),
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_confused_name_pairs_references_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint(
            "fact_id", "reference_id", name=op.f("pk_confused_name_pairs_references")
        ),
    )


def downgrade() -> None:
    op.drop_table("confused_name_pairs_references")
    with op.batch_alter_table("confused_name_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_confused_name_pairs_b_drug_id"))
        batch_op.drop_index(batch_op.f("ix_confused_name_pairs_a_drug_id"))

    op.drop_table("confused_name_pairs")
    with op.batch_alter_table("condition_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_codes_condition_id"))
        batch_op.drop_index(batch_op.f("ix_condition_codes_code"))

    op.drop_table("condition_codes")
