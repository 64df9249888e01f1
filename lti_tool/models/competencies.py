"""The competency engine's tables: frameworks, rule sets, programmes and the projections.

Frameworks and rule sets are versioned documents, stored whole. Evidence, estimates and
trajectory points are projections of the statement log: rebuilt from it deterministically, they
carry no wall-clock columns, only times taken from the statements themselves.

``scope`` is the programme id the evidence was mapped for, or ``""`` for evidence mapped
outside any programme (direct alignment, globally scoped rules with fixed competencies).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base
from lti_tool.models.types import BigIntegerKey

FRAMEWORK_ID_LENGTH = 200
CODE_LENGTH = 100
PROGRAMME_ID_LENGTH = 100
KEY_LENGTH = 1000


class StoredFramework(Base):
    """One version of a competency framework, kept as Trellis JSON."""

    __tablename__ = "competency_frameworks"
    __table_args__ = (UniqueConstraint("framework_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), index=True)
    version: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(80), unique=True)
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    item_count: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    """The framework as Trellis JSON (``competency_models.framework_io``)."""
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FrameworkSettings(Base):
    """An administrator's settings of a framework, all its versions alike: its default method.

    A programme's own method (`Programme.method_config`) takes precedence over this one, and
    this one over the built-in default (docs/inference.md, "Which method an estimate uses").
    """

    __tablename__ = "competency_framework_settings"

    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), primary_key=True)
    method_config: Mapped[str | None] = mapped_column(Text)
    """Estimation method as JSON (``inference.method_from_config``); None when not set."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoredRuleSet(Base):
    """One version of a mapping rule set, kept as the text it was written in."""

    __tablename__ = "competency_rulesets"
    __table_args__ = (UniqueConstraint("ruleset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ruleset_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_target: Mapped[str | None] = mapped_column(String(KEY_LENGTH))
    format: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    """The version statements are mapped with; at most one version of a rule set is active."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Programme(Base):
    """A training programme (培训项目 / 班): courses, teachers, frameworks, rules and phases."""

    __tablename__ = "competency_programmes"

    id: Mapped[str] = mapped_column(String(PROGRAMME_ID_LENGTH), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """First moment of the training: before it is the pre phase."""
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """First moment after the training: from it on is the post phase."""
    method_config: Mapped[str | None] = mapped_column(Text)
    """Estimation method as JSON (``inference.method_from_config``); None for the default."""
    rollup_config: Mapped[str | None] = mapped_column(Text)
    """Roll-up rule as JSON (``{"rule": "mean"}``, ``{"rule": "all_at_least", "rank": 3}``)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProgrammeContext(Base):
    """A course that belongs to a programme: an LTI context or a course activity IRI.

    ``kind`` is ``"lti"`` (key ``<issuer>|<context id>``) or ``"course"`` (key: the course
    activity id statements carry, e.g. ``https://moodle.example/course/view.php?id=3``).
    """

    __tablename__ = "competency_programme_contexts"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("competency_programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    title: Mapped[str | None] = mapped_column(String(500))


class ProgrammeMember(Base):
    """A person in a programme, as a teacher or a trainer."""

    __tablename__ = "competency_programme_members"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("competency_programmes.id"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


class ProgrammeFramework(Base):
    """A framework a programme measures against (by framework id: the newest version)."""

    __tablename__ = "competency_programme_frameworks"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("competency_programmes.id"), primary_key=True
    )
    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), primary_key=True)


class ProgrammeRuleSet(Base):
    """A rule set a programme maps its statements with (its active version)."""

    __tablename__ = "competency_programme_rulesets"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("competency_programmes.id"), primary_key=True
    )
    ruleset_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), primary_key=True)


class ModuleBinding(Base):
    """A course module (or course, AU, rubric criterion) bound to a competency for ``$module``."""

    __tablename__ = "competency_module_bindings"
    __table_args__ = (UniqueConstraint("programme_id", "module_id", "framework_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("competency_programmes.id"), index=True)
    module_id: Mapped[str] = mapped_column(String(KEY_LENGTH))
    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))


class EvidenceRecord(Base):
    """One immutable piece of evidence with its provenance.

    Direct alignment has no rule set: ``ruleset_id`` and ``rule_id`` are ``""`` and
    ``ruleset_version`` 0. ``position`` is the item's place in the mapping engine's
    deterministic output for its statement, which makes re-mapping a statement idempotent.
    """

    __tablename__ = "competency_evidence"
    __table_args__ = (
        # Statement first: the same index finds a voided statement's evidence.
        UniqueConstraint("statement_id", "scope", "position"),
        Index("ix_competency_evidence_stream", "scope", "person_id", "framework_id", "code"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(PROGRAMME_ID_LENGTH))
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"))
    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH))
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    value: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    statement_id: Mapped[str] = mapped_column(String(36))
    statement_seq: Mapped[int] = mapped_column(BigInteger)
    ruleset_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH))
    ruleset_version: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH))
    position: Mapped[int] = mapped_column(Integer)


class EstimateRecord(Base):
    """The current estimate of one teacher's competency, in one scope."""

    __tablename__ = "competency_estimates"
    __table_args__ = (Index("ix_competency_estimates_person_id", "person_id"),)

    scope: Mapped[str] = mapped_column(String(PROGRAMME_ID_LENGTH), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("competency_frameworks.id"))
    """The framework version (its scale, its item) this estimate was computed with."""
    method: Mapped[str] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)
    interval_low: Mapped[float] = mapped_column(Float)
    interval_high: Mapped[float] = mapped_column(Float)
    level_rank: Mapped[int] = mapped_column(Integer)
    level_code: Mapped[str] = mapped_column(String(16))
    evidence_count: Mapped[int] = mapped_column(Integer)
    effective_sample_size: Mapped[float] = mapped_column(Float)
    raw_value: Mapped[float] = mapped_column(Float)
    participation_capped: Mapped[bool] = mapped_column(Boolean)
    latest_evidence_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrajectoryPointRecord(Base):
    """The estimate right after one piece of evidence: one point of a trajectory."""

    __tablename__ = "competency_trajectory_points"

    scope: Mapped[str] = mapped_column(String(PROGRAMME_ID_LENGTH), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(FRAMEWORK_ID_LENGTH), primary_key=True)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)
    interval_low: Mapped[float] = mapped_column(Float)
    interval_high: Mapped[float] = mapped_column(Float)
    level_rank: Mapped[int] = mapped_column(Integer)
    evidence_count: Mapped[int] = mapped_column(Integer)
    statement_id: Mapped[str] = mapped_column(String(36))
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("competency_frameworks.id"))
