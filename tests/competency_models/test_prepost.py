"""Pre/post evaluation: t quantiles, the paired comparison and the Wilcoxon check."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.inference import Mean, normal_cdf
from competency_models.prepost import (
    PrePostError,
    compare_cohort,
    compare_paired,
    phase_values,
    t_cdf,
    t_quantile,
    wilcoxon_signed_rank,
)
from competency_models.trajectory import ProgrammePhases

# Student t quantiles from standard tables (6 decimals).
T_TABLE = [
    (0.975, 1, 12.706205),
    (0.975, 2, 4.302653),
    (0.975, 3, 3.182446),
    (0.975, 4, 2.776445),
    (0.975, 5, 2.570582),
    (0.975, 10, 2.228139),
    (0.975, 20, 2.085963),
    (0.975, 30, 2.042272),
    (0.975, 120, 1.979930),
    (0.995, 1, 63.656741),
    (0.995, 3, 5.840909),
    (0.99, 10, 2.763769),
    (0.95, 20, 1.724718),
    (0.9, 1, 3.077684),
    (0.75, 4, 0.740697),
    (0.9995, 2, 31.599055),
]


@pytest.mark.parametrize(("p", "df", "expected"), T_TABLE)
def test_t_quantile_matches_table_values(p: float, df: int, expected: float) -> None:
    """The core computes t quantiles itself (no SciPy); accurate to the table's 6 decimals."""
    assert t_quantile(p, df) == pytest.approx(expected, abs=5e-7)
    assert t_quantile(1.0 - p, df) == pytest.approx(-expected, abs=5e-7)


def test_t_with_many_degrees_of_freedom_approaches_normal() -> None:
    """t₀.₉₇₅,₁₀₀₀₀₀ ≈ z₀.₉₇₅ = 1.959964."""
    assert t_quantile(0.975, 100_000) == pytest.approx(1.959964, abs=1e-4)


@given(st.floats(0.001, 0.999), st.floats(0.5, 200.0))
def test_t_quantile_inverts_t_cdf(p: float, df: float) -> None:
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_t_quantile_rejects_bad_arguments() -> None:
    for p, df in [(0.0, 3.0), (1.0, 3.0), (0.5, 0.0)]:
        with pytest.raises(PrePostError):
            t_quantile(p, df)


def test_paired_comparison_matches_hand_computation() -> None:
    """pre (.3, .4, .5), post (.5, .45, .7): d = (.2, .05, .2), d̄ = .15,
    s = √((.05² + .1² + .05²)/2) = √.0075 = .0866, s/√3 = .05,
    CI = .15 ± 4.302653·.05 = [−.0651, .3651], t = .15/.05 = 3,
    two-sided p (df 2) = 1 − 3/√(2 + 9) = .095466, d_z = .15/.0866 = 1.7321."""
    result = compare_paired({"a": 0.3, "b": 0.4, "c": 0.5}, {"a": 0.5, "b": 0.45, "c": 0.7})
    assert result.n_pairs == 3
    assert result.mean_change == pytest.approx(0.15)
    assert result.sd_change == pytest.approx(math.sqrt(0.0075))
    assert result.ci_low == pytest.approx(0.15 - 4.302653 * 0.05, abs=1e-6)
    assert result.ci_high == pytest.approx(0.15 + 4.302653 * 0.05, abs=1e-6)
    assert result.t_statistic == pytest.approx(3.0)
    assert result.t_p_value == pytest.approx(1 - 3 / math.sqrt(11), abs=1e-9)
    assert result.cohens_dz == pytest.approx(0.15 / math.sqrt(0.0075))
    assert (result.mean_pre, result.mean_post) == pytest.approx((0.4, 0.55))


def test_teachers_missing_a_side_are_reported_not_dropped() -> None:
    """d (no pre) and e (no post) are listed, and the notes say so."""
    result = compare_paired({"a": 0.3, "b": 0.4, "e": 0.2}, {"a": 0.5, "b": 0.6, "d": 0.9})
    assert result.n_pairs == 2
    assert result.missing_pre == ("d",)
    assert result.missing_post == ("e",)
    assert any("no pre value" in note for note in result.notes)
    assert any("no post value" in note for note in result.notes)


def test_one_pair_has_a_change_but_no_interval_test_or_effect_size() -> None:
    """n < 2: no spread, so the statistics that need one are None, with a note."""
    result = compare_paired({"a": 0.3}, {"a": 0.5})
    assert result.mean_change == pytest.approx(0.2)
    assert (result.sd_change, result.ci_low, result.t_statistic, result.cohens_dz) == (
        None,
        None,
        None,
        None,
    )
    assert result.wilcoxon is not None and result.wilcoxon.p_value == 1.0
    assert any("only one pair" in note for note in result.notes)


def test_no_pairs_reports_everyone_missing() -> None:
    result = compare_paired({"a": 0.3}, {"b": 0.5})
    assert result.n_pairs == 0
    assert result.mean_change is None and result.wilcoxon is None
    assert (result.missing_pre, result.missing_post) == (("b",), ("a",))


def test_identical_changes_have_zero_width_interval_and_undefined_effect_size() -> None:
    """Everyone gained exactly 0.1: s = 0, so t and d_z are undefined, not infinite."""
    result = compare_paired({"a": 0.2, "b": 0.4}, {"a": 0.3, "b": 0.5})
    assert result.sd_change == pytest.approx(0.0, abs=1e-15)
    assert result.ci_low == pytest.approx(result.ci_high)
    assert result.cohens_dz is None and result.t_statistic is None


def test_wilcoxon_exact_small_sample() -> None:
    """d = 1..8 with −4: W⁺ = 36 − 4 = 32; P(W⁺ ≥ 32) = P(W⁻ ≤ 4) = #{∅,1,2,3,4,12,13}/2⁸
    = 7/256, two-sided 14/256 = 0.0546875."""
    result = wilcoxon_signed_rank([1, 2, 3, -4, 5, 6, 7, 8])
    assert (result.statistic, result.method, result.n_nonzero) == (32.0, "exact", 8)
    assert result.p_value == pytest.approx(14 / 256)


def test_wilcoxon_exact_with_ties_and_zeros() -> None:
    """d = (1, 1, −1, 2, 0): the zero is dropped; ranks 2, 2, 2, 4; W⁺ = 8.
    Sign flips of {2,2,2,4}: W⁺ ≥ 8 for {2,2,4}×3 and {2,2,2,4} → 4/16; two-sided 0.5."""
    result = wilcoxon_signed_rank([1.0, 1.0, -1.0, 2.0, 0.0])
    assert (result.statistic, result.n_zero, result.n_nonzero) == (8.0, 1, 4)
    assert result.p_value == pytest.approx(0.5)


def test_wilcoxon_normal_approximation_for_large_n() -> None:
    """d = ±1..30, negatives 1..10: W⁺ = 465 − 55 = 410, μ = 30·31/4 = 232.5,
    σ² = 30·31·61/24 = 2363.75, z = (410 − 232.5 − 0.5)/√2363.75 = 3.6406."""
    result = wilcoxon_signed_rank([-i if i <= 10 else i for i in range(1, 31)])
    z = (410 - 232.5 - 0.5) / math.sqrt(2363.75)
    assert (result.statistic, result.method) == (410.0, "normal")
    assert result.p_value == pytest.approx(2 * (1 - normal_cdf(z)))


def test_wilcoxon_normal_approximation_corrects_for_ties() -> None:
    """15 magnitudes of 1 (rank 8, 5 positive) and 15 of 2 (rank 23, all positive):
    W⁺ = 5·8 + 15·23 = 385; σ² = 2363.75 − 2·(15³ − 15)/48 = 2363.75 − 140 = 2223.75."""
    differences = [1.0] * 5 + [-1.0] * 10 + [2.0] * 15
    result = wilcoxon_signed_rank(differences)
    z = (385 - 232.5 - 0.5) / math.sqrt(2223.75)
    assert result.statistic == 385.0
    assert result.p_value == pytest.approx(2 * (1 - normal_cdf(z)))


def test_wilcoxon_exact_and_normal_agree_near_the_switch() -> None:
    """At n = 25 the two p-values differ by less than 0.01."""
    differences = [i * (-1 if i % 3 == 0 else 1) for i in range(1, 26)]
    exact = wilcoxon_signed_rank(differences)
    normal = wilcoxon_signed_rank(differences, exact_max_n=0)
    assert exact.p_value is not None and normal.p_value is not None
    assert abs(exact.p_value - normal.p_value) < 0.01


COMPETENCY = CompetencyRef("test-framework", "5.1")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
PHASES = ProgrammePhases(T0 + timedelta(days=30), T0 + timedelta(days=60))


def ev(person: str, day: int, value: float) -> Evidence:
    return Evidence(
        person,
        COMPETENCY,
        value,
        1.0,
        EvidenceKind.OBSERVATION,
        T0 + timedelta(days=day),
        Provenance(f"{person}-{day}", "rules", 1, "r"),
    )


def test_phase_values_use_only_each_phases_evidence() -> None:
    """pre from days < 30, post from days ≥ 60; evidence during training informs neither."""
    evidence = [
        ev("a", 1, 0.2), ev("a", 10, 0.4), ev("a", 45, 1.0), ev("a", 70, 0.7),
        ev("b", 5, 0.5), ev("b", 40, 0.6),  # b has no post evidence
        ev("c", 80, 0.9),  # c has no pre evidence
    ]  # fmt: skip
    pre, post = phase_values(evidence, Mean(), PHASES)
    assert pre[COMPETENCY] == pytest.approx({"a": 0.3, "b": 0.5})
    assert post[COMPETENCY] == pytest.approx({"a": 0.7, "c": 0.9})
    result = compare_cohort(pre, post)[COMPETENCY]
    assert result.n_pairs == 1
    assert result.mean_change == pytest.approx(0.4)
    assert (result.missing_pre, result.missing_post) == (("c",), ("b",))


def test_bad_confidence_is_rejected() -> None:
    with pytest.raises(PrePostError):
        compare_paired({"a": 0.1}, {"a": 0.2}, confidence=0.0)


def test_cumulative_post_reads_all_evidence_for_teachers_with_post_evidence() -> None:
    """cumulative_post: a's post = mean(0.2, 0.4, 1.0, 0.7) = 0.575; b (no post) stays absent."""
    evidence = [
        ev("a", 1, 0.2), ev("a", 10, 0.4), ev("a", 45, 1.0), ev("a", 70, 0.7),
        ev("b", 5, 0.5), ev("b", 40, 0.6),
    ]  # fmt: skip
    pre, post = phase_values(evidence, Mean(), PHASES, cumulative_post=True)
    assert pre[COMPETENCY] == pytest.approx({"a": 0.3, "b": 0.5})
    assert post[COMPETENCY] == pytest.approx({"a": 0.575})
