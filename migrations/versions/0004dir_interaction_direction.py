"""interaction direction: which participant an interaction acts on, and how

Revision ID: 0004dir
Revises: 0003_dose
Create Date: 2026-12-02 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004dir"
down_revision: str | None = "0003_dose"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EFFECTS = (
    "effect IN ('level-raised','level-lowered','additive-neurotoxicity',"
    "'additive-toxicity','loss-of-effect')"
)


def upgrade() -> None:
    # A KB is rebuilt from db/ rather than migrated with data: existing rows get the least
    # specific reading (both participants, additive toxicity) until the next build.
    with op.batch_alter_table("interaction_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("affected", sa.String(length=4), nullable=False, server_default="both")
        )
        batch_op.add_column(
            sa.Column(
                "effect", sa.String(length=24), nullable=False, server_default="additive-toxicity"
            )
        )
    with op.batch_alter_table("interaction_rules", schema=None) as batch_op:
        batch_op.alter_column("affected", server_default=None)
        batch_op.alter_column("effect", server_default=None)
        batch_op.create_check_constraint(
            op.f("ck_interaction_rules_affected"), "affected IN ('a','b','both')"
        )
        batch_op.create_check_constraint(op.f("ck_interaction_rules_effect"), _EFFECTS)


def downgrade() -> None:
    with op.batch_alter_table("interaction_rules", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_interaction_rules_effect"), type_="check")
        batch_op.drop_constraint(op.f("ck_interaction_rules_affected"), type_="check")
        batch_op.drop_column("effect")
        batch_op.drop_column("affected")
