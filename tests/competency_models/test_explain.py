"""Explanations: each item's share and contribution, with provenance, summing to the estimate."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.explain import AdjustmentReason, explain
from competency_models.inference import (
    ExponentialDecay,
    Highest,
    Latest,
    Mean,
    Method,
    NTimesMastery,
    WeightedRecentAverage,
    participation_cap,
)
from competency_models.scales import DEFAULT_SCALE

COMPETENCY = CompetencyRef("test-framework", "4.1")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
OBS = EvidenceKind.OBSERVATION
PART = EvidenceKind.PARTICIPATION


def ev(day: int, value: float, kind: EvidenceKind = OBS, weight: float = 1.0) -> Evidence:
    return Evidence(
        "t1",
        COMPETENCY,
        value,
        weight,
        kind,
        T0 + timedelta(days=day),
        Provenance(f"stmt-{day:03d}", "cn-rules", 4, f"rule-{day}"),
    )


RISING = [ev(0, 0.2), ev(1, 0.6), ev(2, 1.0)]

SHARE_TABLE: list[tuple[str, Method, list[float]]] = [
    # mean: each of three equal weights carries ⅓
    ("mean", Mean(), [1 / 3, 1 / 3, 1 / 3]),
    # latest: only the newest counts
    ("latest", Latest(), [0.0, 0.0, 1.0]),
    # highest: only the 1.0 counts
    ("highest", Highest(), [0.0, 0.0, 1.0]),
    # exponential_decay(0.5): c₃ = ½, c₂ = ½·½ = ¼, c₁ = (1 − ½)·(1 − ½) = ¼
    ("decay", ExponentialDecay(0.5), [0.25, 0.25, 0.5]),
    # window 2: the oldest is outside the window
    ("window", WeightedRecentAverage(window=2), [0.0, 0.5, 0.5]),
    # half-life 1 day: (¼, ½, 1)/1.75
    ("half-life", WeightedRecentAverage(half_life=timedelta(days=1)), [1 / 7, 2 / 7, 4 / 7]),
    # n_times_mastery(2, 0.6) shown: the 0.2 is below the threshold and counts 0
    ("mastery", NTimesMastery(2, 0.6), [0.0, 0.5, 0.5]),
]


@pytest.mark.parametrize(
    ("method", "shares"), [c[1:] for c in SHARE_TABLE], ids=[c[0] for c in SHARE_TABLE]
)
def test_shares_follow_each_methods_coefficients(method: Method, shares: list[float]) -> None:
    """share = cᵢ, contribution = cᵢ·xᵢ; Σ contribution = value when no cap applies."""
    explanation = explain(RISING, method)
    assert explanation is not None
    assert [i.share for i in explanation.items] == pytest.approx(shares)
    assert [i.contribution for i in explanation.items] == pytest.approx(
        [s * e.value for s, e in zip(shares, RISING, strict=True)]
    )
    assert math.fsum(i.contribution for i in explanation.items) == pytest.approx(
        explanation.estimate.value
    )
    assert explanation.adjustments == ()


def test_items_carry_provenance_and_uncounted_items_are_listed() -> None:
    """A reader sees every statement, rule set, version and rule, including ignored ones."""
    explanation = explain(RISING, Latest())
    assert explanation is not None
    first = explanation.items[0]
    assert first.provenance == Provenance("stmt-000", "cn-rules", 4, "rule-0")
    assert not first.counted
    assert [i.provenance.statement_id for i in explanation.counted_items] == ["stmt-002"]


def test_mastery_not_yet_shown_appears_as_an_adjustment() -> None:
    """n_times_mastery(3, 0.6): mean 0.6 then lowered to just below the threshold."""
    explanation = explain(RISING, NTimesMastery(3, 0.6))
    assert explanation is not None
    assert explanation.linear_value == pytest.approx(0.6)
    (adjustment,) = explanation.adjustments
    assert adjustment.reason is AdjustmentReason.MASTERY_NOT_YET_SHOWN_N_TIMES
    assert adjustment.amount == pytest.approx(math.nextafter(0.6, 0.0) - 0.6, abs=1e-15)


def test_participation_cap_appears_as_an_adjustment() -> None:
    """0.5 observed + five attendances (w 0.2): linear 0.75, capped to just below 0.6."""
    evidence = [ev(0, 0.5)] + [ev(i, 1.0, PART) for i in range(1, 6)]
    explanation = explain(evidence, Mean())
    assert explanation is not None
    assert explanation.linear_value == pytest.approx(0.75)
    (adjustment,) = explanation.adjustments
    assert adjustment.reason is AdjustmentReason.PARTICIPATION_CAP
    assert explanation.estimate.value == participation_cap(DEFAULT_SCALE)
    assert [i.effective_weight for i in explanation.items] == pytest.approx([1.0] + [0.2] * 5)


def test_no_evidence_has_no_explanation() -> None:
    assert explain([], Mean()) is None


METHODS: list[Method] = [
    Mean(),
    Latest(),
    Highest(),
    ExponentialDecay(0.65),
    WeightedRecentAverage(half_life=timedelta(days=7), window=4),
    NTimesMastery(2, 0.7),
]


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.floats(0.0, 1.0), st.sampled_from(list(EvidenceKind))),
        min_size=1,
        max_size=10,
        unique_by=lambda t: t[0],
    ),
    st.sampled_from(METHODS),
)
def test_contributions_plus_adjustments_equal_the_estimate(
    rows: list[tuple[int, float, EvidenceKind]], method: Method
) -> None:
    """Σ shares = 1 and Σ contributions + Σ adjustments = estimate.value, for every method."""
    explanation = explain([ev(day, value, kind) for day, value, kind in rows], method)
    assert explanation is not None
    assert math.isclose(math.fsum(i.share for i in explanation.items), 1.0, abs_tol=1e-9)
    total = math.fsum(i.contribution for i in explanation.items) + math.fsum(
        a.amount for a in explanation.adjustments
    )
    assert math.isclose(total, explanation.estimate.value, abs_tol=1e-9)
    assert all(a.amount < 0.0 for a in explanation.adjustments)
