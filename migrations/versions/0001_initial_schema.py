"""initial knowledge-base schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 04:14:55.231336
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("duplicate_therapy", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('pharmacological','chemical','mechanistic')", name=op.f("ck_classes_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
        sa.UniqueConstraint("name", name=op.f("uq_classes_name")),
    )
    op.create_table(
        "conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditions")),
        sa.UniqueConstraint("name", name=op.f("uq_conditions_name")),
    )
    op.create_table(
        "drugs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=True),
        sa.Column("curated", sa.Boolean(), nullable=False),
        sa.Column("drugbank_id", sa.String(length=20), nullable=True),
        sa.Column("atc_codes", sa.String(length=200), nullable=True),
        sa.Column("rxnorm_cui", sa.String(length=20), nullable=True),
        sa.Column("mesh_id", sa.String(length=20), nullable=True),
        sa.Column("smiles", sa.Text(), nullable=True),
        sa.Column("inchikey", sa.String(length=27), nullable=True),
        sa.Column("structure_source", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drugs")),
        sa.UniqueConstraint("name", name=op.f("uq_drugs_name")),
    )
    with op.batch_alter_table("drugs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drugs_inchikey"), ["inchikey"], unique=False)

    op.create_table(
        "kb_metadata",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kb_metadata")),
    )
    op.create_table(
        "kb_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("licence", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_sources")),
    )
    op.create_table(
        "references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref_id", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("pmid", sa.String(length=20), nullable=True),
        sa.Column("doi", sa.String(length=200), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("verified_via", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_references")),
        sa.UniqueConstraint("ref_id", name=op.f("uq_references_ref_id")),
    )
    op.create_table(
        "class_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "basis IN ('curated','inferred')", name=op.f("ck_class_memberships_basis")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_class_memberships_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_class_memberships_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_class_memberships_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_memberships")),
    )
    with op.batch_alter_table("class_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_class_memberships_class_id"), ["class_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_class_memberships_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "condition_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.String(length=4), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=True),
        sa.Column("mechanism", sa.Text(), nullable=True),
        sa.Column("management", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('paradoxical','contraindication','caution')",
            name=op.f("ck_condition_rules_kind"),
        ),
        sa.CheckConstraint(
            "(drug_id IS NULL) <> (class_id IS NULL)", name=op.f("ck_condition_rules_subject")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_condition_rules_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_rules_condition_id_conditions"),
        ),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_condition_rules_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_rules")),
    )
    with op.batch_alter_table("condition_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_condition_rules_class_id"), ["class_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_condition_rules_condition_id"), ["condition_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_condition_rules_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "condition_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column("synonym", sa.String(length=200), nullable=False),
        sa.Column("lower_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_synonyms_condition_id_conditions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_synonyms")),
    )
    with op.batch_alter_table("condition_synonyms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_condition_synonyms_condition_id"), ["condition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_condition_synonyms_lower_key"), ["lower_key"], unique=False
        )

    op.create_table(
        "dose_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=30), nullable=True),
        sa.Column("max_daily_dose", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("population", sa.String(length=60), nullable=True),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_dose_limits_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"], ["references.id"], name=op.f("fk_dose_limits_reference_id_references")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dose_limits")),
    )
    with op.batch_alter_table("dose_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dose_limits_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "drug_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("lower_key", sa.String(length=300), nullable=False),
        sa.Column("loose_key", sa.String(length=300), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.CheckConstraint(
            "kind IN "
            "('generic','brand','synonym','salt','misspelling','abbreviation','combination')",
            name=op.f("ck_drug_names_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_drug_names_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_names")),
    )
    with op.batch_alter_table("drug_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drug_names_drug_id"), ["drug_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drug_names_loose_key"), ["loose_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_drug_names_lower_key"), ["lower_key"], unique=False)

    op.create_table(
        "drug_properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("property", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=True),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_drug_properties_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_drug_properties_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_properties")),
    )
    with op.batch_alter_table("drug_properties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drug_properties_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "hepatic_cautions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("impairment", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_hepatic_cautions_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_hepatic_cautions_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hepatic_cautions")),
    )
    with op.batch_alter_table("hepatic_cautions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hepatic_cautions_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "interaction_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("a_drug_id", sa.Integer(), nullable=True),
        sa.Column("a_class_id", sa.Integer(), nullable=True),
        sa.Column("b_drug_id", sa.Integer(), nullable=True),
        sa.Column("b_class_id", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.String(length=4), nullable=False),
        sa.Column("mechanism", sa.Text(), nullable=False),
        sa.Column("management", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(a_drug_id IS NULL) <> (a_class_id IS NULL)", name=op.f("ck_interaction_rules_a")
        ),
        sa.CheckConstraint(
            "(b_drug_id IS NULL) <> (b_class_id IS NULL)", name=op.f("ck_interaction_rules_b")
        ),
        sa.ForeignKeyConstraint(
            ["a_class_id"], ["classes.id"], name=op.f("fk_interaction_rules_a_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["a_drug_id"], ["drugs.id"], name=op.f("fk_interaction_rules_a_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["b_class_id"], ["classes.id"], name=op.f("fk_interaction_rules_b_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["b_drug_id"], ["drugs.id"], name=op.f("fk_interaction_rules_b_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction_rules")),
    )
    op.create_table(
        "renal_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("dialysis", sa.String(length=20), nullable=True),
        sa.Column("max_daily_dose", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("band_text", sa.Text(), nullable=False),
        sa.Column("persistent", sa.Boolean(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_renal_bands_drug_id_drugs")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"], ["references.id"], name=op.f("fk_renal_bands_reference_id_references")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renal_bands")),
    )
    with op.batch_alter_table("renal_bands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renal_bands_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "risk_assertions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("grade", sa.String(length=12), nullable=False),
        sa.Column("evidence", sa.String(length=4), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("dose_dependent", sa.String(length=8), nullable=False),
        sa.Column("worsening_conditions", sa.Text(), nullable=True),
        sa.Column("mechanism", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "grade IN ('known','probable','possible','conditional')",
            name=op.f("ck_risk_assertions_grade"),
        ),
        sa.CheckConstraint(
            "(drug_id IS NULL) <> (class_id IS NULL)", name=op.f("ck_risk_assertions_subject")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_risk_assertions_class_id_classes")
        ),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_risk_assertions_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assertions")),
    )
    with op.batch_alter_table("risk_assertions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assertions_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_assertions_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("myoclonus_types", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.Column("tolerance", sa.Boolean(), nullable=True),
        sa.Column("tolerance_days", sa.Integer(), nullable=True),
        sa.Column("tolerance_text", sa.Text(), nullable=True),
        sa.Column("withdrawal_risk", sa.String(length=20), nullable=True),
        sa.Column("withdrawal_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["drug_id"], ["drugs.id"], name=op.f("fk_treatments_drug_id_drugs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatments")),
    )
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatments_drug_id"), ["drug_id"], unique=False)

    op.create_table(
        "condition_rules_references",
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fact_id"],
            ["condition_rules.id"],
            name=op.f("fk_condition_rules_references_fact_id_condition_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_condition_rules_references_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint(
            "fact_id", "reference_id", name=op.f("pk_condition_rules_references")
        ),
    )
    op.create_table(
        "interaction_rules_references",
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fact_id"],
            ["interaction_rules.id"],
            name=op.f("fk_interaction_rules_references_fact_id_interaction_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_interaction_rules_references_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint(
            "fact_id", "reference_id", name=op.f("pk_interaction_rules_references")
        ),
    )
    op.create_table(
        "risk_assertions_references",
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fact_id"],
            ["risk_assertions.id"],
            name=op.f("fk_risk_assertions_references_fact_id_risk_assertions"),
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_risk_assertions_references_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint(
            "fact_id", "reference_id", name=op.f("pk_risk_assertions_references")
        ),
    )
    op.create_table(
        "treatments_references",
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["treatments.id"], name=op.f("fk_treatments_references_fact_id_treatments")
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["references.id"],
            name=op.f("fk_treatments_references_reference_id_references"),
        ),
        sa.PrimaryKeyConstraint("fact_id", "reference_id", name=op.f("pk_treatments_references")),
    )


def downgrade() -> None:
    op.drop_table("treatments_references")
    op.drop_table("risk_assertions_references")
    op.drop_table("interaction_rules_references")
    op.drop_table("condition_rules_references")
    with op.batch_alter_table("treatments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatments_drug_id"))

    op.drop_table("treatments")
    with op.batch_alter_table("risk_assertions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assertions_drug_id"))
        batch_op.drop_index(batch_op.f("ix_risk_assertions_class_id"))

    op.drop_table("risk_assertions")
    with op.batch_alter_table("renal_bands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renal_bands_drug_id"))

    op.drop_table("renal_bands")
    op.drop_table("interaction_rules")
    with op.batch_alter_table("hepatic_cautions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hepatic_cautions_drug_id"))

    op.drop_table("hepatic_cautions")
    with op.batch_alter_table("drug_properties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drug_properties_drug_id"))

    op.drop_table("drug_properties")
    with op.batch_alter_table("drug_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drug_names_lower_key"))
        batch_op.drop_index(batch_op.f("ix_drug_names_loose_key"))
        batch_op.drop_index(batch_op.f("ix_drug_names_drug_id"))

    op.drop_table("drug_names")
    with op.batch_alter_table("dose_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dose_limits_drug_id"))

    op.drop_table("dose_limits")
    with op.batch_alter_table("condition_synonyms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_synonyms_lower_key"))
        batch_op.drop_index(batch_op.f("ix_condition_synonyms_condition_id"))

    op.drop_table("condition_synonyms")
    with op.batch_alter_table("condition_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_rules_drug_id"))
        batch_op.drop_index(batch_op.f("ix_condition_rules_condition_id"))
        batch_op.drop_index(batch_op.f("ix_condition_rules_class_id"))

    op.drop_table("condition_rules")
    with op.batch_alter_table("class_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_memberships_drug_id"))
        batch_op.drop_index(batch_op.f("ix_class_memberships_class_id"))

    op.drop_table("class_memberships")
    op.drop_table("references")
    op.drop_table("kb_sources")
    op.drop_table("kb_metadata")
    with op.batch_alter_table("drugs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drugs_inchikey"))

    op.drop_table("drugs")
    op.drop_table("conditions")
    op.drop_table("classes")
