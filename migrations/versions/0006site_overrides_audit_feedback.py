"""site tables: the never-suppress list, local overrides, their append-only audit trail, CDS
Hooks feedback; wider
drug names and name sources (PostgreSQL enforces varchar lengths that SQLite ignores)

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
    with op.batch_alter_table("drugs", schema=None) as batch_op:
        batch_op.alter_column("name", type_=sa.String(length=500), existing_nullable=False)
        batch_op.alter_column("label", type_=sa.String(length=500), existing_nullable=True)
    with op.batch_alter_table("drug_names", schema=None) as batch_op:
        batch_op.alter_column("source", type_=sa.String(length=300), existing_nullable=False)
    op.create_table(
        "never_suppress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_code", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("other", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ref_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_never_suppress")),
    )
    op.create_table(
        "site_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("rule_code", sa.String(length=20), nullable=True),
        sa.Column("drug", sa.String(length=500), nullable=True),
        sa.Column("other_drug", sa.String(length=500), nullable=True),
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
    _append_only("site_audit")
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


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself (dropping it still works)."""
    message = f"{table} is append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def downgrade() -> None:
    op.drop_table("site_feedback")
    op.drop_table("site_audit")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION site_audit_append_only()")
    op.drop_table("site_overrides")
    op.drop_table("never_suppress")
    # The wider drug columns stay: narrowing them would fail on a KB holding a long name, and
    # 0005hier reads wider columns unchanged.
