"""Properties every estimate keeps, checked with generated evidence (hypothesis).

Which methods are monotone, and why (docs/inference.md, "Properties"):

* `Mean`, `Highest`, `Latest`, `NTimesMastery`: adding evidence at or above the current value
  never lowers it, wherever in time the new item falls — each method's new raw value is at
  least ``min(old raw, x)``, and the participation cap preserves that.
* `ExponentialDecay` and `WeightedRecentAverage(half_life)`: the same holds when the new item is
  the newest (the new value is a convex combination of the old value and ``x``); a back-dated
  item can lower them, because it re-weights the items after it.
* `WeightedRecentAverage(window=...)`: not monotone — a new item can push a high item out of the
  window.
"""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from competency_models.evidence import CompetencyRef, Evidence, EvidenceKind, Provenance
from competency_models.inference import (
    TIME_ORDER_INDEPENDENT,
    ExponentialDecay,
    Highest,
    Latest,
    Mean,
    Method,
    NTimesMastery,
    WeightedRecentAverage,
    coefficients,
    estimate,
    estimate_all,
    participation_cap,
    replay_key,
)
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE, ProficiencyScale

COMPETENCY = CompetencyRef("test-framework", "2.1")
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TOLERANCE = 1e-9

METHODS: list[Method] = [
    Mean(),
    Latest(),
    Highest(),
    ExponentialDecay(0.65),
    ExponentialDecay(0.2),
    WeightedRecentAverage(half_life=timedelta(days=10)),
    WeightedRecentAverage(window=3),
    WeightedRecentAverage(half_life=timedelta(days=5), window=4),
    NTimesMastery(2, 0.6),
    NTimesMastery(3, 0.8),
]
MONOTONE_ANYWHERE = (Mean, Latest, Highest, NTimesMastery)
MONOTONE_WHEN_NEWEST = (
    *METHODS[:6],
    NTimesMastery(2, 0.6),
    NTimesMastery(3, 0.8),
)

values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
kinds = st.sampled_from(list(EvidenceKind))
methods = st.sampled_from(METHODS)
scales = st.sampled_from([DEFAULT_SCALE, DIGCOMPEDU_SCALE])


@st.composite
def evidence_lists(
    draw: st.DrawFn,
    min_size: int = 1,
    max_size: int = 12,
    kind: st.SearchStrategy[EvidenceKind] = kinds,
) -> list[Evidence]:
    """Evidence for one teacher and competency with distinct statement ids."""
    size = draw(st.integers(min_size, max_size))
    return [
        Evidence(
            person_id="t1",
            competency=COMPETENCY,
            value=draw(values),
            weight=draw(st.floats(min_value=0.1, max_value=5.0)),
            kind=draw(kind),
            observed_at=T0 + timedelta(hours=draw(st.integers(0, 24 * 90))),
            provenance=Provenance(f"stmt-{index:03d}", "rules", 1, "r"),
        )
        for index in range(size)
    ]


def item(value: float, at: datetime, kind: EvidenceKind, statement: str) -> Evidence:
    return Evidence("t1", COMPETENCY, value, 1.0, kind, at, Provenance(statement, "rules", 1, "r"))


@given(evidence_lists(), methods, scales)
def test_estimate_and_interval_stay_in_unit_range_and_contain_value(
    evidence: list[Evidence], method: Method, scale: ProficiencyScale
) -> None:
    """0 ≤ low ≤ value ≤ high ≤ 1, and the interval is never a point."""
    result = estimate(evidence, method, scale)
    assert result is not None
    assert 0.0 <= result.interval.low <= result.value <= result.interval.high <= 1.0
    assert result.interval.width > 0.0
    assert result.level == scale.level_for(result.value)


@given(evidence_lists(), methods, st.randoms(use_true_random=False))
def test_estimate_does_not_depend_on_input_order(
    evidence: list[Evidence], method: Method, rng: random.Random
) -> None:
    """Every method reads evidence in sort-key order: any permutation gives the same estimate."""
    shuffled = list(evidence)
    rng.shuffle(shuffled)
    assert estimate(shuffled, method) == estimate(evidence, method)


@given(evidence_lists(), methods)
def test_estimate_is_deterministic(evidence: list[Evidence], method: Method) -> None:
    """Same input, same output: no clock, no randomness, no hidden state."""
    assert estimate(evidence, method) == estimate(list(evidence), method)


@given(
    evidence_lists(min_size=2),
    st.sampled_from([m for m in METHODS if isinstance(m, TIME_ORDER_INDEPENDENT)]),
    st.randoms(use_true_random=False),
)
def test_time_order_independent_methods_ignore_when_evidence_happened(
    evidence: list[Evidence], method: Method, rng: random.Random
) -> None:
    """mean, highest, n_times_mastery depend only on the (value, weight, kind) multiset."""
    times = [e.observed_at for e in evidence]
    rng.shuffle(times)
    moved = [
        Evidence(e.person_id, e.competency, e.value, e.weight, e.kind, t, e.provenance)
        for e, t in zip(evidence, times, strict=True)
    ]
    before, after = estimate(evidence, method), estimate(moved, method)
    assert before is not None and after is not None
    assert math.isclose(before.value, after.value, abs_tol=TOLERANCE)


@given(evidence_lists(), st.sampled_from(MONOTONE_WHEN_NEWEST), kinds, st.floats(0.0, 1.0))
def test_newest_evidence_at_or_above_estimate_never_lowers_it(
    evidence: list[Evidence], method: Method, kind: EvidenceKind, headroom: float
) -> None:
    """Appending x ≥ value as the newest item: value' ≥ value (all but windowed averages)."""
    before = estimate(evidence, method)
    assert before is not None
    x = before.value + headroom * (1.0 - before.value)
    newest = max(e.observed_at for e in evidence) + timedelta(hours=1)
    after = estimate([*evidence, item(x, newest, kind, "stmt-new")], method)
    assert after is not None
    assert after.value >= before.value - TOLERANCE


@given(
    evidence_lists(),
    st.sampled_from([m for m in METHODS if isinstance(m, MONOTONE_ANYWHERE)]),
    kinds,
    st.floats(0.0, 1.0),
    st.integers(0, 24 * 90),
)
def test_evidence_at_or_above_estimate_never_lowers_it_even_back_dated(
    evidence: list[Evidence], method: Method, kind: EvidenceKind, headroom: float, hours: int
) -> None:
    """mean, latest, highest and n_times_mastery are monotone wherever the item falls in time."""
    before = estimate(evidence, method)
    assert before is not None
    x = before.value + headroom * (1.0 - before.value)
    after = estimate([*evidence, item(x, T0 + timedelta(hours=hours), kind, "stmt-new")], method)
    assert after is not None
    assert after.value >= before.value - TOLERANCE


def test_back_dated_evidence_can_lower_exponential_decay() -> None:
    """Counter-example recorded in docs/inference.md: [1, 0] → 0.5; insert 0.5 first → 0.375."""
    at = [T0 + timedelta(days=d) for d in range(3)]
    obs = EvidenceKind.OBSERVATION
    base = [item(1.0, at[1], obs, "b"), item(0.0, at[2], obs, "c")]
    before = estimate(base, ExponentialDecay(0.5))
    after = estimate([item(0.5, at[0], obs, "a"), *base], ExponentialDecay(0.5))
    assert before is not None and after is not None
    assert (before.value, after.value) == (0.5, 0.375)


def test_window_can_drop_a_high_item() -> None:
    """window=2: [1.0, 0.5] → 0.75; append 0.8 → [0.5, 0.8] → 0.65 although 0.8 ≥ 0.75."""
    at = [T0 + timedelta(days=d) for d in range(3)]
    obs = EvidenceKind.OBSERVATION
    two = [item(1.0, at[0], obs, "a"), item(0.5, at[1], obs, "b")]
    before = estimate(two, WeightedRecentAverage(window=2))
    after = estimate([*two, item(0.8, at[2], obs, "c")], WeightedRecentAverage(window=2))
    assert before is not None and after is not None
    assert (before.value, after.value) == (0.75, 0.65)


@given(
    methods,
    st.floats(0.0, 1.0),
    st.sampled_from([k for k in EvidenceKind if k is not EvidenceKind.PARTICIPATION]),
    st.integers(2, 15),
)
def test_interval_never_widens_as_consistent_evidence_grows(
    method: Method, value: float, kind: EvidenceKind, count: int
) -> None:
    """The same value observed again and again: the interval width never grows."""
    evidence = [item(value, T0 + timedelta(days=i), kind, f"s{i:02d}") for i in range(count)]
    widths = []
    for size in range(1, count + 1):
        result = estimate(evidence[:size], method)
        assert result is not None
        widths.append(result.interval.width)
    assert all(later <= earlier + TOLERANCE for earlier, later in itertools.pairwise(widths))


@given(st.floats(0.0, 1.0), st.integers(2, 15))
def test_interval_strictly_narrows_for_the_mean(value: float, count: int) -> None:
    """Under the mean every new consistent observation adds information."""
    evidence = [
        item(value, T0 + timedelta(days=i), EvidenceKind.OBSERVATION, f"s{i:02d}")
        for i in range(count)
    ]
    first, last = estimate(evidence[:1], Mean()), estimate(evidence, Mean())
    assert first is not None and last is not None
    assert last.interval.width < first.interval.width


@settings(max_examples=200)
@given(evidence_lists(kind=st.just(EvidenceKind.PARTICIPATION)), methods, scales)
def test_participation_alone_never_passes_the_second_level(
    evidence: list[Evidence], method: Method, scale: ProficiencyScale
) -> None:
    """PARTICIPATION_MAX_RANK: attendance and views alone read as level 2 at most."""
    result = estimate(evidence, method, scale)
    assert result is not None
    assert result.level.rank <= 2
    assert result.value <= participation_cap(scale)


@settings(max_examples=200)
@given(evidence_lists(min_size=2), methods, scales)
def test_participation_never_lifts_past_performance_beyond_the_cap(
    evidence: list[Evidence], method: Method, scale: ProficiencyScale
) -> None:
    """level(all) ≤ max(level(performance only), 2); value ≤ max(perf value, cap)."""
    performance = [e for e in evidence if e.kind is not EvidenceKind.PARTICIPATION]
    result = estimate(evidence, method, scale)
    assert result is not None
    if not performance:
        assert result.level.rank <= 2
        return
    perf = estimate(performance, method, scale)
    assert perf is not None
    assert result.value <= max(perf.raw_value, participation_cap(scale))
    assert result.level.rank <= max(perf.level.rank, 2)


@given(evidence_lists(), methods)
def test_coefficients_sum_to_one_and_reproduce_the_raw_value(
    evidence: list[Evidence], method: Method
) -> None:
    """Every method is Σ cᵢxᵢ with cᵢ ≥ 0, Σcᵢ = 1 — the basis of explanations."""
    ordered = sorted(evidence, key=Evidence.sort_key)
    combined = coefficients(method, ordered, [e.effective_weight() for e in ordered])
    result = estimate(evidence, method)
    assert result is not None
    assert all(c >= 0.0 for c in combined.coefficients)
    assert math.isclose(math.fsum(combined.coefficients), 1.0, abs_tol=TOLERANCE)
    assert math.isclose(combined.value, result.raw_value, abs_tol=TOLERANCE)


@given(
    st.lists(st.tuples(values, st.sampled_from([1, 2]), kinds), min_size=2, max_size=8),
    methods,
    st.randoms(use_true_random=False),
)
def test_items_with_equal_sort_keys_still_give_an_order_independent_estimate(
    rows: list[tuple[float, int, EvidenceKind]], method: Method, rng: random.Random
) -> None:
    """One statement mapped by two rule set versions shares a sort_key; replay_key breaks ties."""
    evidence = [
        Evidence(
            "t1", COMPETENCY, value, 1.0, kind, T0, Provenance("stmt-same", "rules", version, "r")
        )
        for value, version, kind in rows
    ]
    shuffled = list(evidence)
    rng.shuffle(shuffled)
    assert estimate(shuffled, method) == estimate(evidence, method)


@given(evidence_lists())
def test_replay_key_extends_sort_key(evidence: list[Evidence]) -> None:
    """Reading order is sort_key order first: replay_key only breaks its ties."""
    assert [replay_key(e)[:4] for e in evidence] == [e.sort_key() for e in evidence]


@given(
    st.lists(
        st.tuples(st.sampled_from(["t1", "t2", "t3"]), st.sampled_from(["1.1", "1.2"]), values),
        min_size=1,
        max_size=20,
    ),
    methods,
    st.randoms(use_true_random=False),
)
def test_whole_rebuild_is_a_pure_function_of_its_input(
    rows: list[tuple[str, str, float]], method: Method, rng: random.Random
) -> None:
    """estimate_all over many teachers: same evidence in any order → identical estimates."""
    evidence = [
        Evidence(
            person,
            CompetencyRef("test-framework", code),
            value,
            1.0,
            EvidenceKind.OBSERVATION,
            T0 + timedelta(hours=index),
            Provenance(f"stmt-{index:03d}", "rules", 1, "r"),
        )
        for index, (person, code, value) in enumerate(rows)
    ]
    shuffled = list(evidence)
    rng.shuffle(shuffled)
    assert estimate_all(shuffled, method) == estimate_all(evidence, method)
    assert list(estimate_all(shuffled, method)) == sorted(estimate_all(evidence, method))
