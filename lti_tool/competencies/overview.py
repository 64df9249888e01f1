"""What the LTI pages show, as plain read models.

The teacher's page lists their own current estimates and recent evidence; the trainer's page
lists the course roster with each teacher's last activity and evidence count. The queries that
fill these live in ``lti_tool.competencies.queries``; the pages only render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EstimateRow:
    """One current estimate of one competency for one teacher."""

    framework_id: str
    framework_title_zh: str
    framework_title_en: str
    code: str
    title_zh: str
    title_en: str
    value: float
    """The estimate, 0–1."""
    interval_low: float
    interval_high: float
    level_rank: int
    level_code: str
    level_label_zh: str
    level_label_en: str
    evidence_count: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One piece of evidence, newest first on the page."""

    observed_at: datetime
    framework_id: str
    code: str
    title_zh: str
    title_en: str
    value: float
    kind: str
    """An ``EvidenceKind`` value: observation, artefact, test, self_report, participation."""
    statement_id: str
    activity_name: str | None
    """The statement object's name (its first language), if it has one."""


@dataclass(frozen=True, slots=True)
class TeacherOverview:
    """Everything the teacher's own page shows."""

    person_id: str
    display_name: str | None
    estimates: tuple[EstimateRow, ...]
    recent_evidence: tuple[EvidenceRow, ...]


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One teacher on the trainer's roster page."""

    person_id: str
    last_activity_at: datetime | None
    """The newest statement timestamp of this teacher, None if they have none."""
    statement_count: int
    evidence_count: int
