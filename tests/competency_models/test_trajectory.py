"""Trajectories: one point per piece of evidence, cut by date range and programme phase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.inference import ExponentialDecay, Mean, estimate
from competency_models.trajectory import (
    Phase,
    ProgrammePhases,
    TrajectoryError,
    build_trajectory,
)

COMPETENCY = CompetencyRef("test-framework", "3.2")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
PHASES = ProgrammePhases(starts_at=T0 + timedelta(days=10), ends_at=T0 + timedelta(days=20))


def ev(day: int, value: float, kind: EvidenceKind = EvidenceKind.OBSERVATION) -> Evidence:
    return Evidence(
        "t1",
        COMPETENCY,
        value,
        1.0,
        kind,
        T0 + timedelta(days=day),
        Provenance(f"stmt-{day:03d}", "rules", 2, "r7"),
    )


# Days 0 and 5 are pre, 10 (the start, inclusive) and 15 during, 20 (the end) and 25 post.
EVIDENCE = [ev(25, 0.9), ev(0, 0.2), ev(10, 0.5), ev(5, 0.4), ev(20, 0.8), ev(15, 0.6)]


def test_trajectory_has_one_point_per_evidence_in_time_order() -> None:
    """Every piece of evidence changes the estimate (at least its count): one point each."""
    trajectory = build_trajectory(EVIDENCE, Mean())
    assert trajectory is not None
    assert [p.caused_by.provenance.statement_id for p in trajectory.points] == [
        "stmt-000",
        "stmt-005",
        "stmt-010",
        "stmt-015",
        "stmt-020",
        "stmt-025",
    ]
    assert [p.estimate.evidence_count for p in trajectory.points] == [1, 2, 3, 4, 5, 6]
    # Running mean: 0.2, 0.3, 0.3667, 0.425, 0.5, 0.5667
    assert [round(p.estimate.value, 4) for p in trajectory.points] == [
        0.2,
        0.3,
        0.3667,
        0.425,
        0.5,
        0.5667,
    ]
    assert trajectory.method == "mean"
    assert trajectory.latest == estimate(EVIDENCE, Mean())


def test_between_keeps_points_in_half_open_range() -> None:
    """start ≤ at < end."""
    trajectory = build_trajectory(EVIDENCE, Mean())
    assert trajectory is not None
    cut = trajectory.between(T0 + timedelta(days=5), T0 + timedelta(days=15))
    assert [p.at.day for p in cut.points] == [6, 11]  # 1 March + 5 days, + 10 days
    assert trajectory.between().points == trajectory.points


@pytest.mark.parametrize(
    ("phase", "days"),
    [(Phase.PRE, [0, 5]), (Phase.DURING, [10, 15]), (Phase.POST, [20, 25])],
)
def test_in_phase_uses_boundaries_that_belong_to_the_later_phase(
    phase: Phase, days: list[int]
) -> None:
    """pre < starts_at ≤ during < ends_at ≤ post."""
    trajectory = build_trajectory(EVIDENCE, Mean())
    assert trajectory is not None
    points = trajectory.in_phase(phase, PHASES).points
    assert [(p.at - T0).days for p in points] == days
    assert all(PHASES.phase_of(p.at) is phase for p in points)


def test_as_of_gives_the_estimate_from_evidence_up_to_that_moment() -> None:
    """The estimate as of the start of training is the baseline from pre evidence."""
    trajectory = build_trajectory(EVIDENCE, Mean())
    assert trajectory is not None
    assert trajectory.as_of(T0 - timedelta(seconds=1)) is None
    baseline = trajectory.as_of(PHASES.starts_at - timedelta(microseconds=1))
    assert baseline == estimate([ev(0, 0.2), ev(5, 0.4)], Mean())
    assert trajectory.as_of(PHASES.starts_at) == trajectory.points[2].estimate


def test_empty_evidence_has_no_trajectory() -> None:
    """Nothing to replay, nothing to name."""
    assert build_trajectory([], Mean()) is None


def test_phases_reject_naive_or_reversed_boundaries() -> None:
    """Boundaries are timezone-aware and in order."""
    with pytest.raises(TrajectoryError):
        ProgrammePhases(T0, T0 - timedelta(days=1))
    with pytest.raises(TrajectoryError):
        ProgrammePhases(datetime(2026, 1, 1), datetime(2026, 2, 1))


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.floats(0.0, 1.0)),
        min_size=1,
        max_size=10,
        unique_by=lambda t: t[0],
    )
)
def test_each_point_equals_the_estimate_of_the_evidence_so_far(
    rows: list[tuple[int, float]],
) -> None:
    """Point k is exactly estimate(first k items in sort-key order): the replay is honest."""
    evidence = [ev(day, value) for day, value in rows]
    method = ExponentialDecay(0.4)
    trajectory = build_trajectory(evidence, method)
    assert trajectory is not None
    ordered = sorted(evidence, key=Evidence.sort_key)
    for size, point in enumerate(trajectory.points, start=1):
        assert point.estimate == estimate(ordered[:size], method)
