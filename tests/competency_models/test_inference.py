"""Estimation methods against hand-computed values, the participation cap and the interval.

The arithmetic behind every expected value is in the table comments; docs/inference.md has the
formulas they follow.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from competency_models.evidence import (
    CompetencyRef,
    Evidence,
    EvidenceKind,
    Provenance,
)
from competency_models.inference import (
    ExponentialDecay,
    Highest,
    InferenceError,
    Latest,
    Mean,
    Method,
    NTimesMastery,
    WeightedRecentAverage,
    coefficients,
    estimate,
    estimate_all,
    group_evidence,
    method_from_config,
    normal_quantile,
    participation_cap,
    wilson_interval,
)
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE

COMPETENCY = CompetencyRef("test-framework", "1.1")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
OBS = EvidenceKind.OBSERVATION
PART = EvidenceKind.PARTICIPATION
BELOW_06 = math.nextafter(0.6, 0.0)


def ev(
    day: float,
    value: float,
    kind: EvidenceKind = OBS,
    weight: float = 1.0,
    *,
    person: str = "t1",
    competency: CompetencyRef = COMPETENCY,
) -> Evidence:
    """One piece of evidence ``day`` days after T0, its statement id derived from its time."""
    return Evidence(
        person_id=person,
        competency=competency,
        value=value,
        weight=weight,
        kind=kind,
        observed_at=T0 + timedelta(days=day),
        provenance=Provenance(f"stmt-{day:08.3f}-{kind}", "rules", 3, f"rule-{kind}"),
    )


RISING = [ev(0, 0.2), ev(1, 0.6), ev(2, 1.0)]
"""Three observations of weight 1, one a day: 0.2, 0.6, 1.0."""

METHOD_TABLE: list[tuple[str, Method, list[Evidence], float, float]] = [
    # (case, method, evidence, expected value, expected effective sample size)
    # mean: (0.2 + 0.6 + 1.0) / 3 = 0.6; n_eff = Σw = 3
    ("mean", Mean(), RISING, 0.6, 3.0),
    # mean weighted: (3·0.2 + 1·1.0) / (3 + 1) = 1.6 / 4 = 0.4; n_eff = 4
    ("mean-weighted", Mean(), [ev(0, 0.2, weight=3.0), ev(1, 1.0)], 0.4, 4.0),
    # mean by reliability: test 0.8·1.0 + self-report 0.4·0.0 over 0.8 + 0.4 = 0.8/1.2
    (
        "mean-reliability",
        Mean(),
        [ev(0, 1.0, EvidenceKind.TEST), ev(1, 0.0, EvidenceKind.SELF_REPORT)],
        0.8 / 1.2,
        1.2,
    ),
    # latest: the newest value, 1.0; n_eff = its weight 1
    ("latest", Latest(), RISING, 1.0, 1.0),
    # latest ignores older higher values: 0.3
    ("latest-drop", Latest(), [ev(0, 0.9), ev(1, 0.3)], 0.3, 1.0),
    # highest: 1.0 from one item of weight 1
    ("highest", Highest(), RISING, 1.0, 1.0),
    # highest with a tie: both 0.9 items share; n_eff = 1 + 2 = 3
    ("highest-tie", Highest(), [ev(0, 0.9), ev(1, 0.2), ev(2, 0.9, weight=2.0)], 0.9, 3.0),
    # exponential_decay(0.5): 0.2 → ½·0.2 + ½·0.6 = 0.4 → ½·0.4 + ½·1.0 = 0.7;
    # c = (¼, ¼, ½), n_eff = 1 / (1/16 + 1/16 + 1/4) = 1/0.375 = 8/3
    ("decay-0.5", ExponentialDecay(0.5), RISING, 0.7, 8.0 / 3.0),
    # exponential_decay(0.65) (Canvas's 65 %): 0.2 → 0.35·0.2 + 0.65·0.6 = 0.46
    # → 0.35·0.46 + 0.65·1.0 = 0.811; c = (0.35², 0.65·0.35, 0.65) = (0.1225, 0.2275, 0.65)
    # n_eff = 1 / (0.1225² + 0.2275² + 0.65²) = 1 / 0.49920 = 2.00321
    (
        "decay-0.65",
        ExponentialDecay(0.65),
        RISING,
        0.811,
        1.0 / (0.1225**2 + 0.2275**2 + 0.65**2),
    ),
    # exponential_decay(0.5) with weight 2: step = 1 − ½² = ¾ → ¼·0 + ¾·1 = 0.75;
    # c = (¼, ¾), n_eff = 1 / (1/16 + (9/16)/2) = 1 / (11/32) = 32/11
    ("decay-weight", ExponentialDecay(0.5), [ev(0, 0.0), ev(1, 1.0, weight=2.0)], 0.75, 32 / 11),
    # exponential_decay(1.0) is latest
    ("decay-1-is-latest", ExponentialDecay(1.0), RISING, 1.0, 1.0),
    # weighted_recent_average(window=2): (0.6 + 1.0) / 2 = 0.8; n_eff = 2
    ("window-2", WeightedRecentAverage(window=2), RISING, 0.8, 2.0),
    # weighted_recent_average(half_life=1 day): d = (¼, ½, 1);
    # (¼·0.2 + ½·0.6 + 1·1.0) / 1.75 = 1.35/1.75 = 0.771428…; n_eff = 1.75² / (1/16 + ¼ + 1)
    (
        "half-life-1d",
        WeightedRecentAverage(half_life=timedelta(days=1)),
        RISING,
        1.35 / 1.75,
        1.75**2 / 1.3125,
    ),
    # half-life 1 day and window 2: d = (½, 1) over 0.6, 1.0 → (0.3 + 1.0)/1.5 = 0.8667
    (
        "half-life-and-window",
        WeightedRecentAverage(half_life=timedelta(days=1), window=2),
        RISING,
        1.3 / 1.5,
        1.5**2 / 1.25,
    ),
    # n_times_mastery(2, 0.6): M = {0.6, 1.0}, |M| = 2 ≥ 2 → (0.6 + 1.0)/2 = 0.8; n_eff = 2
    ("mastery-shown", NTimesMastery(2, 0.6), RISING, 0.8, 2.0),
    # n_times_mastery(3, 0.6): |M| = 2 < 3 → mean 0.6 capped just below 0.6; n_eff = 3
    ("mastery-not-yet", NTimesMastery(3, 0.6), RISING, BELOW_06, 3.0),
    # n_times_mastery(3, 0.9) below the threshold: mean 0.6 is already below 0.9
    ("mastery-uncapped", NTimesMastery(3, 0.9), RISING, 0.6, 3.0),
]


@pytest.mark.parametrize(
    ("method", "evidence", "expected_value", "expected_n_eff"),
    [case[1:] for case in METHOD_TABLE],
    ids=[case[0] for case in METHOD_TABLE],
)
def test_method_matches_hand_computed_value_and_sample_size(
    method: Method, evidence: list[Evidence], expected_value: float, expected_n_eff: float
) -> None:
    """Each method gives its documented value and n_eff = 1 / Σ cᵢ²/wᵢ (docs/inference.md)."""
    result = estimate(evidence, method)
    assert result is not None
    assert result.value == pytest.approx(expected_value, abs=1e-12)
    assert result.effective_sample_size == pytest.approx(expected_n_eff, rel=1e-9)
    assert result.evidence_count == len(evidence)
    assert result.level == DEFAULT_SCALE.level_for(result.value)


@pytest.mark.parametrize(
    ("method", "evidence", "expected_value", "expected_n_eff"),
    [case[1:] for case in METHOD_TABLE],
    ids=[case[0] for case in METHOD_TABLE],
)
def test_coefficient_form_agrees_with_incremental_form(
    method: Method, evidence: list[Evidence], expected_value: float, expected_n_eff: float
) -> None:
    """The Σ cᵢxᵢ form used by explanations gives the same value and n_eff."""
    combined = coefficients(method, evidence, [item.effective_weight() for item in evidence])
    assert math.fsum(combined.coefficients) == pytest.approx(1.0)
    assert combined.value == pytest.approx(expected_value, abs=1e-12)
    assert combined.effective_sample_size == pytest.approx(expected_n_eff, rel=1e-9)


def test_mastery_not_yet_shown_reads_one_level_below_the_threshold() -> None:
    """n_times_mastery never claims mastery before it has been shown n times."""
    result = estimate(RISING, NTimesMastery(3, 0.6))
    assert result is not None
    assert result.level.rank == 2


def test_two_half_weight_items_move_exponential_decay_like_one_full_item() -> None:
    """Weights enter exponential_decay as an exponent: w=½ twice equals w=1 once."""
    halves = estimate(
        [ev(0, 0.0), ev(1, 1.0, weight=0.5), ev(2, 1.0, weight=0.5)], ExponentialDecay(0.3)
    )
    whole = estimate([ev(0, 0.0), ev(1, 1.0)], ExponentialDecay(0.3))
    assert halves is not None and whole is not None
    assert halves.value == pytest.approx(whole.value)  # both 0.3


def test_input_order_does_not_matter() -> None:
    """Evidence is read in sort-key order, whatever order the caller passes it in."""
    for method in (ExponentialDecay(0.4), Latest(), WeightedRecentAverage(window=2)):
        assert estimate(RISING, method) == estimate(list(reversed(RISING)), method)


def test_no_evidence_gives_no_estimate() -> None:
    """An empty evidence list has no estimate rather than a made-up zero."""
    assert estimate([], Mean()) is None


def test_mixed_teachers_are_rejected() -> None:
    """One estimate is about one teacher and one competency."""
    with pytest.raises(InferenceError):
        estimate([ev(0, 0.5), ev(1, 0.5, person="t2")], Mean())


# --- participation cap -----------------------------------------------------------------------


def test_participation_cap_is_just_below_the_third_level() -> None:
    """cap = scale.ceiling_below(PARTICIPATION_MAX_RANK + 1)."""
    assert participation_cap(DEFAULT_SCALE) == BELOW_06
    assert DIGCOMPEDU_SCALE.level_for(participation_cap(DIGCOMPEDU_SCALE)).code == "A2"


CAP_TABLE: list[tuple[str, list[Evidence], float, int, bool]] = [
    # (case, evidence, expected value, expected rank, capped?) — all with Mean()
    # participation only: raw 1.0, capped to just below 0.6 → level 2
    ("participation-only", [ev(0, 1.0, PART), ev(1, 1.0, PART)], BELOW_06, 2, True),
    # weak performance 0.5 + five attendances of 1.0 (w 0.2 each):
    # raw = (0.5·1 + 1.0·1.0)/2 = 0.75; perf = 0.5; bound = max(0.5, cap) = cap → level 2
    (
        "lifted-only-to-cap",
        [ev(0, 0.5)] + [ev(i, 1.0, PART) for i in range(1, 6)],
        BELOW_06,
        2,
        True,
    ),
    # strong performance 0.7 + five attendances: raw = (0.7 + 1.0)/2 = 0.85; perf 0.7 ≥ cap
    # → value 0.7, level 3, not 4
    ("not-past-performance", [ev(0, 0.7)] + [ev(i, 1.0, PART) for i in range(1, 6)], 0.7, 3, True),
    # participation that pulls down is left alone: raw = (0.9 + 0.2·0)/1.2 = 0.75 < perf 0.9
    ("pull-down-kept", [ev(0, 0.9), ev(1, 0.0, PART)], 0.75, 3, False),
    # weak participation lifts nothing: raw = (0.3 + 0.2·0.5)/1.2 = 0.3333
    ("below-cap-kept", [ev(0, 0.3), ev(1, 0.5, PART)], 0.4 / 1.2, 1, False),
]


@pytest.mark.parametrize(
    ("evidence", "expected_value", "expected_rank", "capped"),
    [case[1:] for case in CAP_TABLE],
    ids=[case[0] for case in CAP_TABLE],
)
def test_participation_cannot_lift_past_cap_or_past_performance(
    evidence: list[Evidence], expected_value: float, expected_rank: int, capped: bool
) -> None:
    """value = min(raw, cap) alone; min(raw, max(perf, cap)) with performance evidence."""
    result = estimate(evidence, Mean())
    assert result is not None
    assert result.value == pytest.approx(expected_value, abs=1e-12)
    assert result.level.rank == expected_rank
    assert result.participation_capped is capped


def test_capped_at_performance_reports_performance_sample_size() -> None:
    """When the value is what performance alone says, n_eff is that evidence's support."""
    result = estimate([ev(0, 0.7)] + [ev(i, 1.0, PART) for i in range(1, 6)], Mean())
    assert result is not None
    assert result.effective_sample_size == pytest.approx(1.0)


def test_participation_first_then_performance_uses_performance_only_state() -> None:
    """A stream that starts with participation still caps against performance evidence."""
    result = estimate([ev(0, 1.0, PART), ev(1, 0.7), ev(2, 1.0, PART)], Latest())
    assert result is not None
    assert result.value == 0.7  # latest is participation 1.0; performance says 0.7


# --- interval --------------------------------------------------------------------------------


def test_normal_quantile_matches_table_values() -> None:
    """z₀.₉₇₅ = 1.959963984540054, z₀.₉₉₅ = 2.5758293035489, z₀.₀₀₁ = −3.090232306167813."""
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, abs=1e-13)
    assert normal_quantile(0.995) == pytest.approx(2.5758293035489004, abs=1e-12)
    assert normal_quantile(0.001) == pytest.approx(-3.090232306167813, abs=1e-12)
    assert normal_quantile(0.5) == pytest.approx(0.0, abs=1e-15)


def test_single_observation_is_shown_with_wide_interval() -> None:
    """Wilson, p = 0.8, n = 1, z = 1.96: centre (0.8 + 1.9208)/4.8415 = 0.5619,
    half = (1.96/4.8415)·√(0.16 + 0.9604) = 0.4048·1.0585 = 0.4285 → [0.1335, 0.9905]."""
    result = estimate([ev(0, 0.8)], Mean())
    assert result is not None
    assert result.interval.low == pytest.approx(0.13346407220641343, abs=1e-12)
    assert result.interval.high == pytest.approx(0.9904655164199291, abs=1e-12)
    assert result.interval.width > 0.8


def test_interval_narrows_with_consistent_evidence() -> None:
    """Four observations of 0.8: Wilson n = 4 → [0.3368, 0.9692], narrower than n = 1."""
    low, high = wilson_interval(0.8, 4.0, normal_quantile(0.975))
    assert (low, high) == pytest.approx((0.336833592390912, 0.9692319057363294), abs=1e-12)
    result = estimate([ev(i, 0.8) for i in range(4)], Mean())
    assert result is not None
    assert (result.interval.low, result.interval.high) == pytest.approx((low, high))


def test_interval_of_no_information_is_the_whole_range() -> None:
    """n → 0 widens the Wilson interval to [0, 1]."""
    assert wilson_interval(0.3, 0.0, 1.96) == (0.0, 1.0)


def test_confidence_outside_unit_interval_is_rejected() -> None:
    """The coverage must be a probability strictly between 0 and 1."""
    with pytest.raises(InferenceError):
        estimate([ev(0, 0.5)], Mean(), confidence=1.0)


# --- configuration ---------------------------------------------------------------------------

CONFIG_TABLE: list[tuple[dict[str, object], Method, str]] = [
    ({"method": "mean"}, Mean(), "mean"),
    ({"method": "latest"}, Latest(), "latest"),
    ({"method": "highest"}, Highest(), "highest"),
    (
        {"method": "exponential_decay", "rate": 0.65},
        ExponentialDecay(0.65),
        "exponential_decay(rate=0.65)",
    ),
    (
        {"method": "weighted_recent_average", "half_life_days": 30, "window": 5},
        WeightedRecentAverage(half_life=timedelta(days=30), window=5),
        "weighted_recent_average(half_life_days=30.0, window=5)",
    ),
    (
        {"method": "n_times_mastery", "n": 3, "threshold": 0.6},
        NTimesMastery(3, 0.6),
        "n_times_mastery(n=3, threshold=0.6)",
    ),
]


@pytest.mark.parametrize(("config", "method", "described"), CONFIG_TABLE)
def test_method_from_config_builds_the_named_method(
    config: dict[str, object], method: Method, described: str
) -> None:
    """Stored per framework or programme as a plain mapping; described unambiguously."""
    assert method_from_config(config) == method
    assert method.describe() == described


@pytest.mark.parametrize(
    "config",
    [
        {"method": "decaying_average"},
        {"method": "exponential_decay", "rate": 0.0},
        {"method": "exponential_decay", "rate": "0.5"},
        {"method": "exponential_decay", "rate": 0.5, "extra": 1},
        {"method": "weighted_recent_average"},
        {"method": "weighted_recent_average", "window": 0},
        {"method": "n_times_mastery", "n": 0, "threshold": 0.6},
        {"method": "n_times_mastery", "n": 2, "threshold": 0.0},
        {"method": "exponential_decay", "rate": float("nan")},
        {"method": "weighted_recent_average", "half_life_days": float("nan")},
        {"method": "weighted_recent_average", "half_life_days": float("inf")},
        {"method": "weighted_recent_average", "half_life_days": 1e300},
        {"method": "weighted_recent_average", "half_life_days": 10**400},
        ["mean"],
        "mean",
        None,
    ],
)
def test_method_from_config_rejects_ambiguous_or_bad_configs(config: dict[str, object]) -> None:
    """Canvas's ambiguous names are not accepted; parameters are validated; whatever an
    administrator sends (a list, NaN, a half-life of 10³⁰⁰ days) is an InferenceError."""
    with pytest.raises(InferenceError):
        method_from_config(config)


# --- grouping --------------------------------------------------------------------------------


def test_estimate_all_groups_by_teacher_and_competency() -> None:
    """Each (teacher, competency) stream is estimated on its own, keys in sorted order."""
    other = CompetencyRef("test-framework", "1.2")
    evidence = [ev(0, 0.4, person="t2"), ev(0, 1.0), ev(1, 0.5, competency=other), ev(2, 0.0)]
    results = estimate_all(evidence, Mean())
    assert list(results) == [("t1", COMPETENCY), ("t1", other), ("t2", COMPETENCY)]
    assert results[("t1", COMPETENCY)].value == pytest.approx(0.5)
    assert results[("t2", COMPETENCY)].value == pytest.approx(0.4)
    assert [e.value for e in group_evidence(evidence)[("t1", COMPETENCY)]] == [1.0, 0.0]
