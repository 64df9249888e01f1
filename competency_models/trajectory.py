"""Trajectories: how one teacher's estimate of one competency moved as evidence arrived.

A trajectory is the replay of the evidence in sort-key order, one point per piece of evidence
(each piece changes the estimate at least by its evidence count and effective sample size).
It can be cut by date range or by programme phase — before, during and after the training,
whose boundaries are parameters, never read from a clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from competency_models.evidence import (
    DEFAULT_RELIABILITY,
    CompetencyRef,
    Evidence,
    EvidenceKind,
)
from competency_models.inference import Estimate, Method, replay, sorted_evidence
from competency_models.scales import DEFAULT_SCALE, ProficiencyScale


class TrajectoryError(ValueError):
    """A trajectory request that cannot be honoured (bad phase boundaries, mixed streams)."""


class Phase(StrEnum):
    """Where a moment sits relative to a training programme."""

    PRE = "pre"
    """Before the training starts: the baseline."""
    DURING = "during"
    """From the start (inclusive) to the end (exclusive)."""
    POST = "post"
    """From the end (inclusive) on: the follow-up."""


@dataclass(frozen=True, slots=True)
class ProgrammePhases:
    """The boundaries of one programme's phases; each boundary belongs to the later phase.

    Attributes:
        starts_at: first moment of the training (timezone-aware).
        ends_at: first moment after the training (timezone-aware), not before ``starts_at``.
    """

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        for moment in (self.starts_at, self.ends_at):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise TrajectoryError("phase boundaries must be timezone-aware")
        if self.ends_at < self.starts_at:
            raise TrajectoryError("a programme cannot end before it starts")

    def phase_of(self, moment: datetime) -> Phase:
        """The phase ``moment`` falls in."""
        if moment < self.starts_at:
            return Phase.PRE
        if moment < self.ends_at:
            return Phase.DURING
        return Phase.POST


@dataclass(frozen=True, slots=True)
class TrajectoryPoint:
    """The estimate right after one piece of evidence was taken into account.

    Attributes:
        at: the evidence's ``observed_at``.
        estimate: the estimate from all evidence up to and including this one.
        caused_by: the evidence that produced this point (its provenance explains it).
    """

    at: datetime
    estimate: Estimate
    caused_by: Evidence


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One teacher's estimates of one competency over time, oldest first.

    Attributes:
        person_id: the teacher.
        competency: the competency.
        method: the method description (`Method.describe()`), for display and audit.
        points: one point per piece of evidence, in sort-key order.
    """

    person_id: str
    competency: CompetencyRef
    method: str
    points: tuple[TrajectoryPoint, ...]

    def between(self, start: datetime | None = None, end: datetime | None = None) -> Trajectory:
        """The points with ``start ≤ at < end`` (either bound may be open)."""
        times = [point.at for point in self.points]
        first = 0 if start is None else bisect.bisect_left(times, start)
        last = len(times) if end is None else bisect.bisect_left(times, end)
        return Trajectory(self.person_id, self.competency, self.method, self.points[first:last])

    def in_phase(self, phase: Phase, phases: ProgrammePhases) -> Trajectory:
        """The points whose evidence was observed in ``phase`` of the programme.

        The estimates are still cumulative (they include earlier phases' evidence); for
        estimates from one phase's evidence alone see `competency_models.prepost`.
        """
        if phase is Phase.PRE:
            return self.between(None, phases.starts_at)
        if phase is Phase.DURING:
            return self.between(phases.starts_at, phases.ends_at)
        return self.between(phases.ends_at, None)

    def as_of(self, moment: datetime) -> Estimate | None:
        """The estimate from the evidence observed up to and including ``moment``."""
        times = [point.at for point in self.points]
        index = bisect.bisect_right(times, moment)
        return self.points[index - 1].estimate if index else None

    @property
    def latest(self) -> Estimate | None:
        """The current estimate, or None for an empty trajectory."""
        return self.points[-1].estimate if self.points else None


def build_trajectory(
    evidence: Iterable[Evidence],
    method: Method,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY,
    confidence: float = 0.95,
    presorted: bool = False,
) -> Trajectory | None:
    """Replay one teacher's evidence about one competency into a trajectory.

    Returns None when there is no evidence (there is no teacher or competency to name).

    Raises:
        InferenceError: for mixed teachers/competencies or a bad confidence.
    """
    items = list(evidence) if presorted else sorted_evidence(evidence)
    if not items:
        return None
    points = tuple(
        TrajectoryPoint(item.observed_at, estimate, item)
        for item, estimate in replay(
            items, method, scale, reliability=reliability, confidence=confidence, presorted=True
        )
    )
    return Trajectory(items[0].person_id, items[0].competency, method.describe(), points)
