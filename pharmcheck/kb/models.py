"""The knowledge base's schema as SQLAlchemy 2.x typed models.

Alembic's environment takes ``Base.metadata`` from here; the migrations under
``migrations/versions`` must produce exactly this schema (a test runs
autogenerate against a migrated database and expects no difference).

The run-time check path does not import this module: it reads the built SQLite
file with the standard library (see :mod:`pharmcheck.kb.store`), because
SQLAlchemy's import alone costs more than a whole check may take.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _exactly_one(a: str, b: str) -> str:
    return f"({a} IS NULL) <> ({b} IS NULL)"


class Drug(Base):
    """A drug: canonical generic name, identifiers and its neutral parent structure."""

    __tablename__ = "drugs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    label: Mapped[str | None] = mapped_column(String(500))
    curated: Mapped[bool] = mapped_column(Boolean, default=False)
    drugbank_id: Mapped[str | None] = mapped_column(String(20))
    atc_codes: Mapped[str | None] = mapped_column(String(200))
    rxnorm_cui: Mapped[str | None] = mapped_column(String(20))
    mesh_id: Mapped[str | None] = mapped_column(String(20))
    smiles: Mapped[str | None] = mapped_column(Text)
    inchikey: Mapped[str | None] = mapped_column(String(27), index=True)
    structure_source: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(100))


class DrugName(Base):
    """A name that resolves to a drug; a combination product has one row per ingredient."""

    __tablename__ = "drug_names"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    lower_key: Mapped[str] = mapped_column(String(300), index=True)
    loose_key: Mapped[str] = mapped_column(String(300), index=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(300))
    __table_args__ = (
        CheckConstraint(
            "kind IN "
            "('generic','brand','synonym','salt','misspelling','abbreviation','combination')",
            name="kind",
        ),
    )


class Reference(Base):
    """A source behind one or more facts, with its kind."""

    __tablename__ = "references"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    citation: Mapped[str] = mapped_column(Text)
    pmid: Mapped[str | None] = mapped_column(String(20))
    doi: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    verified_via: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class DrugClass(Base):
    """A pharmacological, chemical or mechanistic class."""

    __tablename__ = "classes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    duplicate_therapy: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("kind IN ('pharmacological','chemical','mechanistic')", name="kind"),
    )


class ClassMembership(Base):
    """A drug's membership of a class, curated from a reference or inferred by structure."""

    __tablename__ = "class_memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    basis: Mapped[str] = mapped_column(String(10))
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("references.id"))
    source: Mapped[str] = mapped_column(String(200))
    __table_args__ = (CheckConstraint("basis IN ('curated','inferred')", name="basis"),)


class Condition(Base):
    """A clinical condition of the vocabulary (JME, renal impairment, pregnancy ...)."""

    __tablename__ = "conditions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))


class ConditionSynonym(Base):
    __tablename__ = "condition_synonyms"
    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id"), index=True)
    synonym: Mapped[str] = mapped_column(String(200))
    lower_key: Mapped[str] = mapped_column(String(200), index=True)


class ConditionCode(Base):
    """A code (ICD-10-CM, SNOMED CT) that names a condition of the vocabulary, with its source."""

    __tablename__ = "condition_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id"), index=True)
    system: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(Text)
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))
    __table_args__ = (CheckConstraint("system IN ('ICD-10-CM','SNOMED CT')", name="system"),)


class ConditionParent(Base):
    """An is-a edge of the condition hierarchy: a rule for the parent applies to the condition."""

    __tablename__ = "condition_parents"
    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("conditions.id"), index=True)
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("references.id"))


class ConfusedNamePair(Base):
    """Two drugs whose names a published list gives as look-alike or sound-alike."""

    __tablename__ = "confused_name_pairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    a_drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    b_drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    listed_as: Mapped[str] = mapped_column(Text)


class RiskAssertion(Base):
    """A myoclonus-risk assertion about a drug or a class."""

    __tablename__ = "risk_assertions"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"), index=True)
    grade: Mapped[str] = mapped_column(String(12))
    evidence: Mapped[str] = mapped_column(String(4))
    severity: Mapped[str] = mapped_column(String(16))
    dose_dependent: Mapped[str] = mapped_column(String(8))
    worsening_conditions: Mapped[str | None] = mapped_column(Text)
    mechanism: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("grade IN ('known','probable','possible','conditional')", name="grade"),
        CheckConstraint(_exactly_one("drug_id", "class_id"), name="subject"),
    )


class DrugProperty(Base):
    """One pharmacological property: ACB score, MME factor, serotonergic role ..."""

    __tablename__ = "drug_properties"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    property: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(30))
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))
    notes: Mapped[str | None] = mapped_column(Text)


class Indication(Base):
    """An indication a dose limit can be scoped to, the names it is written as, and the patient
    conditions it is inferred from for its subjects (a drug or ``class:x``)."""

    __tablename__ = "indications"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    synonyms: Mapped[str | None] = mapped_column(Text)
    inferred_from: Mapped[str | None] = mapped_column(Text)
    subjects: Mapped[str | None] = mapped_column(Text)
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("references.id"))
    notes: Mapped[str | None] = mapped_column(Text)


class DoseLimit(Base):
    """A maximum daily dose, scoped by route, formulation, indication and population."""

    __tablename__ = "dose_limits"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    route: Mapped[str | None] = mapped_column(String(30))
    formulation: Mapped[str | None] = mapped_column(String(30))
    indication: Mapped[str | None] = mapped_column(String(60))
    max_daily_dose: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    population: Mapped[str | None] = mapped_column(String(400))
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))
    notes: Mapped[str | None] = mapped_column(Text)


class RenalBand(Base):
    """A renal dose band by creatinine clearance (mL/min), dialysis included."""

    __tablename__ = "renal_bands"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
    dialysis: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(30))
    max_daily_dose: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    fraction: Mapped[str | None] = mapped_column(String(10))
    interval_hours: Mapped[float | None] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(20))
    band_text: Mapped[str] = mapped_column(Text)
    persistent: Mapped[bool] = mapped_column(Boolean, default=False)
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))


class HepaticCaution(Base):
    __tablename__ = "hepatic_cautions"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    impairment: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))


class ConditionRule(Base):
    """Paradoxical worsening, contraindication or caution of a drug or class in a condition."""

    __tablename__ = "condition_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"), index=True)
    condition_id: Mapped[int] = mapped_column(ForeignKey("conditions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(String(4))
    route: Mapped[str | None] = mapped_column(String(20))
    mechanism: Mapped[str | None] = mapped_column(Text)
    management: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("kind IN ('paradoxical','contraindication','caution')", name="kind"),
        CheckConstraint(_exactly_one("drug_id", "class_id"), name="subject"),
    )


class InteractionRule(Base):
    """An interaction between two participants, each a drug or a class."""

    __tablename__ = "interaction_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    a_drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id"))
    a_class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))
    b_drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id"))
    b_class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))
    severity: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(String(4))
    mechanism: Mapped[str] = mapped_column(Text)
    management: Mapped[str] = mapped_column(Text)
    affected: Mapped[str] = mapped_column(
        String(4)
    )  # the participant the interaction acts on: a, b or both
    effect: Mapped[str] = mapped_column(String(24))  # what it does to the affected participant
    __table_args__ = (
        CheckConstraint(_exactly_one("a_drug_id", "a_class_id"), name="a"),
        CheckConstraint(_exactly_one("b_drug_id", "b_class_id"), name="b"),
        CheckConstraint("affected IN ('a','b','both')", name="affected"),
        CheckConstraint(
            "effect IN ('level-raised','level-lowered','additive-neurotoxicity',"
            "'additive-toxicity','loss-of-effect')",
            name="effect",
        ),
    )


class Treatment(Base):
    """A myoclonus treatment with its tolerance and withdrawal profile."""

    __tablename__ = "treatments"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), index=True)
    myoclonus_types: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(60))
    tolerance: Mapped[bool | None] = mapped_column(Boolean)
    tolerance_days: Mapped[int | None] = mapped_column(Integer)
    tolerance_text: Mapped[str | None] = mapped_column(Text)
    withdrawal_risk: Mapped[str | None] = mapped_column(String(20))
    withdrawal_text: Mapped[str | None] = mapped_column(Text)


class StructurePattern(Base):
    """A class-defining substructure (SMARTS) with the reference behind it and its test drugs."""

    __tablename__ = "structure_patterns"
    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    smarts: Mapped[str] = mapped_column(Text)
    reference_id: Mapped[int] = mapped_column(ForeignKey("references.id"))
    positives: Mapped[str] = mapped_column(Text)
    negatives: Mapped[str | None] = mapped_column(Text)


class DrugFingerprint(Base):
    """A drug's Morgan fingerprint (radius 2, 2048 bits) for similarity search: its on-bits, as
    little-endian unsigned 16-bit integers (:func:`pharmcheck.kb.derived.pack_on_bits`)."""

    __tablename__ = "drug_fingerprints"
    id: Mapped[int] = mapped_column(primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), unique=True)
    morgan: Mapped[bytes] = mapped_column(LargeBinary)


def _fact_references(fact_table: str) -> Table:
    # Facts with several references link to them through a table of their own, so every
    # link is a real foreign key.
    return Table(
        f"{fact_table}_references",
        Base.metadata,
        Column("fact_id", ForeignKey(f"{fact_table}.id"), primary_key=True),
        Column("reference_id", ForeignKey("references.id"), primary_key=True),
    )


risk_assertion_references = _fact_references("risk_assertions")
condition_rule_references = _fact_references("condition_rules")
interaction_rule_references = _fact_references("interaction_rules")
treatment_references = _fact_references("treatments")
confused_name_pair_references = _fact_references("confused_name_pairs")

FACT_REFERENCE_TABLES = {
    "risk_assertions": risk_assertion_references,
    "condition_rules": condition_rule_references,
    "interaction_rules": interaction_rule_references,
    "treatments": treatment_references,
    "confused_name_pairs": confused_name_pair_references,
}


class NeverSuppress(Base):
    """A finding no site override may hide or lower: a rule on a drug (or class), with another
    drug, class or condition it concerns (names as the sources write them), and why."""

    __tablename__ = "never_suppress"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_code: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(500))  # a drug, or class:NAME
    other: Mapped[str | None] = mapped_column(String(500))  # a drug, class:NAME or condition:NAME
    reason: Mapped[str] = mapped_column(Text)
    ref_ids: Mapped[str] = mapped_column(Text)  # reference keys, ';'-separated


class KBMetadata(Base):
    """Key-value metadata: kb_version, built_at, schema_revision, pharmcheck_version."""

    __tablename__ = "kb_metadata"
    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class KBSource(Base):
    """An upstream source the KB was built from, with its version and licence."""

    __tablename__ = "kb_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    licence: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)


# --- site tables: local overrides, their audit trail and CDS Hooks feedback ----------------
# A KB rebuild replaces every table above and keeps these (SITE_TABLES; see pharmcheck.kb.build).
SITE_TABLES = ("site_overrides", "site_audit", "site_feedback")
# Times are ISO 8601 UTC text with a fixed width, so they order the same on every engine.


class SiteOverride(Base):
    """A local change to what a rule reports: suppress, set a severity, or add a note."""

    __tablename__ = "site_overrides"
    __table_args__ = (
        CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
        CheckConstraint("length(trim(author)) > 0", name="author_given"),
        CheckConstraint("action IN ('suppress', 'severity', 'note')", name="action_known"),
        CheckConstraint("state IN ('active', 'retired')", name="state_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    rule_code: Mapped[str | None] = mapped_column(String(20), index=True)
    drug: Mapped[str | None] = mapped_column(String(500))
    other_drug: Mapped[str | None] = mapped_column(String(500))
    drug_class: Mapped[str | None] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(200))  # NULL: site-wide
    severity: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)  # bumped by every change: no lost update
    kb_version: Mapped[str] = mapped_column(String(100))
    fact_digest: Mapped[str] = mapped_column(String(64))  # the facts it touched, at its last change
    created_at: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[str] = mapped_column(String(32))


class SiteAudit(Base):
    """Append-only: one row per override change, with the record before and after (JSON)."""

    __tablename__ = "site_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    override_id: Mapped[int] = mapped_column(Integer, index=True)
    change: Mapped[str] = mapped_column(String(20))  # create | change | retire
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    kb_version: Mapped[str] = mapped_column(String(100))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)


class SiteFeedback(Base):
    """A CDS Hooks feedback item: a card accepted or overridden, stored once however often sent."""

    __tablename__ = "site_feedback"
    __table_args__ = (
        CheckConstraint("outcome IN ('accepted', 'overridden')", name="outcome_known"),
        UniqueConstraint("service_id", "card_id", "outcome", "outcome_at", name="uq_feedback_once"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[str] = mapped_column(String(32), index=True)
    outcome_at: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[str] = mapped_column(String(200))
    card_id: Mapped[str] = mapped_column(String(200))
    rule_code: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    reason_system: Mapped[str | None] = mapped_column(String(300))
    reason_code: Mapped[str | None] = mapped_column(String(200))
    reason_display: Mapped[str | None] = mapped_column(Text)
    user_comment: Mapped[str | None] = mapped_column(Text)
    accepted_suggestions: Mapped[str | None] = mapped_column(Text)  # JSON list of suggestion ids
