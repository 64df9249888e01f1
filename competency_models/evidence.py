"""Evidence: one observation that a teacher showed (some degree of) one competency.

Evidence is what mapping rules make of xAPI statements and what inference turns into estimates.
Evidence rows are immutable and keep their provenance, so every estimate can be explained by the
statements behind it and rebuilt from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EvidenceError(ValueError):
    """Evidence that breaks an invariant (value outside [0, 1], naive time, bad weight)."""


class EvidenceKind(StrEnum):
    """Where evidence comes from; each kind carries a reliability weight."""

    OBSERVATION = "observation"
    """A trainer observed the teacher (lesson observation rubric, workshop performance)."""
    ARTEFACT = "artefact"
    """An assessed artefact: a lesson plan, a recorded lesson, a research report."""
    TEST = "test"
    """A scored test or quiz."""
    SELF_REPORT = "self_report"
    """The teacher's own rating of themselves."""
    PARTICIPATION = "participation"
    """Viewed, attended, launched: presence, not performance."""


DEFAULT_RELIABILITY: Mapping[EvidenceKind, float] = {
    EvidenceKind.OBSERVATION: 1.0,
    EvidenceKind.ARTEFACT: 0.9,
    EvidenceKind.TEST: 0.8,
    EvidenceKind.SELF_REPORT: 0.4,
    EvidenceKind.PARTICIPATION: 0.2,
}
"""How much one piece of evidence of each kind counts, before the rule's own weight."""

PARTICIPATION_MAX_RANK = 2
"""Participation alone never raises a level above the scale's second step."""


@dataclass(frozen=True, slots=True, order=True)
class CompetencyRef:
    """A competency within one version of one framework.

    Attributes:
        framework_id: the framework's stable id ("cn-moe-jyt0646-2022-teacher-digital-literacy").
        code: the item's code within that framework ("2.1.3").
    """

    framework_id: str
    code: str

    def __str__(self) -> str:
        return f"{self.framework_id}#{self.code}"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a piece of evidence came from.

    Attributes:
        statement_id: the xAPI statement the evidence was derived from.
        ruleset_id: the rule set that mapped it, or None for direct alignment.
        ruleset_version: that rule set's version, or None for direct alignment.
        rule_id: the rule within the set that matched, or None for direct alignment.
    """

    statement_id: str
    ruleset_id: str | None = None
    ruleset_version: int | None = None
    rule_id: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One immutable piece of evidence about one teacher and one competency.

    Attributes:
        person_id: the teacher the evidence is about (Trellis's person id).
        competency: the competency it speaks to.
        value: how strongly it shows the competency, in [0, 1].
        weight: the rule's weight for it, > 0 (multiplied by the kind's reliability).
        kind: where it came from.
        observed_at: when the teacher did it (the statement's timestamp), timezone-aware.
        provenance: the statement and rule behind it.
    """

    person_id: str
    competency: CompetencyRef
    value: float
    weight: float
    kind: EvidenceKind
    observed_at: datetime
    provenance: Provenance

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:
            raise EvidenceError(f"evidence value {self.value!r} is outside [0, 1]")
        if not self.weight > 0.0:
            raise EvidenceError(f"evidence weight {self.weight!r} must be positive")
        if self.observed_at.tzinfo is None or self.observed_at.utcoffset() is None:
            raise EvidenceError("evidence observed_at must be timezone-aware")

    def effective_weight(
        self, reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY
    ) -> float:
        """The weight inference gives this evidence: rule weight × the kind's reliability."""
        return self.weight * reliability[self.kind]

    def sort_key(self) -> tuple[datetime, str, str, str]:
        """A total order for deterministic replay: time, then statement, rule set, rule."""
        p = self.provenance
        return (self.observed_at, p.statement_id, p.ruleset_id or "", p.rule_id or "")
