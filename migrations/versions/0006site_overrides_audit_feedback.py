"""site tables: local overrides, their append-only audit trail, CDS Hooks feedback

Revision ID: 0006site
Revises: 0005hier
Create Date: 2026-12-02 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006site"
down_revision: str | None = "0005hier"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("rule_code", sa.String(length=20), nullable=True),
        sa.Column("drug", sa.String(length=200), nullable=True),
        sa.Column("other_drug", sa.String(length=200), nullable=True),
        sa.Column("drug_class", sa.String(length=200), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kb_version", sa.String(length=100), nullable=False),
        sa.Column("fact_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.CheckConstraint("length(trim(reason)) > 0", name=op.f("ck_site_overrides_reason_given")),
        sa.CheckConstraint("length(trim(author)) > 0", name=op.f("ck_site_overrides_author_given")),
        sa.CheckConstraint(
            "action IN ('suppress', 'severity', 'note')",
            name=op.f("ck_site_overrides_action_known"),
        ),
        sa.CheckConstraint(
            "state IN ('active', 'retired')", name=op.f("ck_site_overrides_state_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_overrides")),
    )
    with op.batch_alter_table("site_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_overrides_rule_code"), ["rule_code"])
    op.create_table(
        "site_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("override_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("kb_version", sa.String(length=100), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_audit")),
    )
    with op.batch_alter_table("site_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_audit_override_id"), ["override_id"])
    op.create_table(
        "site_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(length=32), nullable=False),
        sa.Column("outcome_at", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.String(length=200), nullable=False),
        sa.Column("card_id", sa.String(length=200), nullable=False),
        sa.Column("rule_code", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason_system", sa.String(length=300), nullable=True),
        sa.Column("reason_code", sa.String(length=200), nullable=True),
        sa.Column("reason_display", sa.Text(), nullable=True),
        sa.Column("user_comment", sa.Text(), nullable=True),
        sa.Column("accepted_suggestions", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('accepted', 'overridden')", name=op.f("ck_site_feedback_outcome_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_feedback")),
        sa.UniqueConstraint(
            "service_id", "card_id", "outcome", "outcome_at", name=op.f("uq_feedback_once")
        ),
    )
    with op.batch_alter_table("site_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_feedback_received_at"), ["received_at"])


def downgrade() -> None:
    op.drop_table("site_feedback")
    op.drop_table("site_audit")
    op.drop_table("site_overrides")
