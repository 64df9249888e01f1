"""Pre/post evaluation: did a cohort's competency change between before and after training?

For each competency the cohort's teachers give pairs ``(pre, post)``; the differences
``dᵢ = postᵢ − preᵢ`` are analysed as paired data:

* mean change ``d̄`` with a two-sided t confidence interval ``d̄ ± t₁₋α/₂,ₙ₋₁ · s/√n``
  and the paired t test ``t = d̄ / (s/√n)``;
* effect size Cohen's ``d_z = d̄ / s`` (the standardised mean difference of paired data);
* the Wilcoxon signed-rank test as a non-parametric check: zero differences dropped
  (Wilcoxon's convention), average ranks for ties, exact permutation distribution for up to
  `WILCOXON_EXACT_MAX_N` non-zero differences (ties handled exactly by counting on doubled
  ranks), otherwise the normal approximation with tie correction and continuity correction.

Teachers lacking a pre or a post value are listed, never silently dropped; with fewer than two
pairs the statistics that need a spread are None and ``notes`` says why. The t and normal
quantiles are computed here (no SciPy): the t distribution through the regularised incomplete
beta function, inverted by bisection.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from competency_models.evidence import DEFAULT_RELIABILITY, CompetencyRef, Evidence, EvidenceKind
from competency_models.inference import (
    InferenceError,
    Method,
    estimate,
    group_evidence,
    normal_cdf,
)
from competency_models.scales import DEFAULT_SCALE, ProficiencyScale
from competency_models.trajectory import Phase, ProgrammePhases

WILCOXON_EXACT_MAX_N = 25
"""Up to this many non-zero differences the Wilcoxon p-value is exact."""


class PrePostError(ValueError):
    """A pre/post request that cannot be honoured (bad confidence, bad values)."""


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """``I_x(a, b)`` for a, b > 0 and 0 ≤ x ≤ 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t cumulative distribution function with ``df > 0`` degrees of freedom."""
    if df <= 0.0:
        raise PrePostError(f"degrees of freedom must be positive, got {df!r}")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile: the ``t`` with ``t_cdf(t, df) = p``, to about 1e-12.

    Raises:
        PrePostError: unless 0 < p < 1 and df > 0.
    """
    if not 0.0 < p < 1.0:
        raise PrePostError(f"t quantile needs 0 < p < 1, got {p!r}")
    if df <= 0.0:
        raise PrePostError(f"degrees of freedom must be positive, got {df!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    high = 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
        if high > 1e300:  # pragma: no cover - p rounds to 1
            return math.inf
    low = 0.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * max(1.0, high):
            break
    return (low + high) / 2.0


# --------------------------------------------------------------------------------------------
# Wilcoxon signed-rank
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WilcoxonResult:
    """The Wilcoxon signed-rank test of the differences.

    Attributes:
        statistic: ``W⁺``, the sum of the ranks of the positive differences.
        n_nonzero: how many differences were ranked (zeros are dropped).
        n_zero: how many zero differences were dropped.
        p_value: two-sided p-value, or None when nothing is left to rank.
        method: "exact" or "normal".
    """

    statistic: float
    n_nonzero: int
    n_zero: int
    p_value: float | None
    method: str


def _average_ranks(magnitudes: list[float]) -> tuple[list[float], list[int]]:
    order = sorted(range(len(magnitudes)), key=magnitudes.__getitem__)
    ranks = [0.0] * len(magnitudes)
    tie_sizes: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and magnitudes[order[end + 1]] == magnitudes[order[start]]:
            end += 1
        rank = (start + end) / 2.0 + 1.0
        for position in range(start, end + 1):
            ranks[order[position]] = rank
        tie_sizes.append(end - start + 1)
        start = end + 1
    return ranks, tie_sizes


def wilcoxon_signed_rank(
    differences: Iterable[float], *, exact_max_n: int = WILCOXON_EXACT_MAX_N
) -> WilcoxonResult:
    """Two-sided Wilcoxon signed-rank test that the differences are centred on 0.

    Args:
        differences: the paired differences ``post − pre``.
        exact_max_n: up to this many non-zero differences, use the exact distribution.
    """
    values = list(differences)
    nonzero = [d for d in values if d != 0.0]
    n = len(nonzero)
    zeros = len(values) - n
    if n == 0:
        return WilcoxonResult(0.0, 0, zeros, None, "exact")
    ranks, tie_sizes = _average_ranks([abs(d) for d in nonzero])
    w_plus = sum(rank for rank, d in zip(ranks, nonzero, strict=True) if d > 0)
    if n <= exact_max_n:
        # Under H0 each rank's sign is ±1 with probability ½: count subsets by doubled rank sum.
        doubled = [round(2 * rank) for rank in ranks]
        counts = [0] * (sum(doubled) + 1)
        counts[0] = 1
        reach = 0
        for r in doubled:
            for total in range(reach, -1, -1):
                if counts[total]:
                    counts[total + r] += counts[total]
            reach += r
        observed = round(2 * w_plus)
        below = sum(counts[: observed + 1])
        above = sum(counts[observed:])
        p = min(1.0, 2.0 * min(below, above) / 2**n)
        return WilcoxonResult(w_plus, n, zeros, p, "exact")
    mean = n * (n + 1) / 4.0
    variance = n * (n + 1) * (2 * n + 1) / 24.0 - sum(t**3 - t for t in tie_sizes) / 48.0
    if variance <= 0.0:  # pragma: no cover - impossible with n > 0 non-zero magnitudes
        return WilcoxonResult(w_plus, n, zeros, None, "normal")
    deviation = max(0.0, abs(w_plus - mean) - 0.5)  # continuity correction
    z = deviation / math.sqrt(variance)
    p = min(1.0, 2.0 * (1.0 - normal_cdf(z)))
    return WilcoxonResult(w_plus, n, zeros, p, "normal")


# --------------------------------------------------------------------------------------------
# Paired comparison
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairedComparison:
    """Pre vs post for one competency across a cohort.

    Attributes:
        n_pairs: teachers with both values.
        mean_pre: mean of the paired pre values (None without pairs).
        mean_post: mean of the paired post values (None without pairs).
        mean_change: ``d̄`` (None without pairs).
        sd_change: sample standard deviation ``s`` of the differences (None if n < 2).
        ci_low: lower bound of the t interval for the mean change (None if n < 2).
        ci_high: upper bound (None if n < 2).
        confidence: nominal coverage of the interval.
        t_statistic: ``d̄ / (s/√n)`` (None if n < 2 or s = 0).
        t_p_value: two-sided p-value of the paired t test (None if n < 2 or s = 0).
        cohens_dz: ``d̄ / s`` (None if n < 2 or s = 0).
        wilcoxon: the signed-rank check (None without pairs).
        missing_pre: teachers with a post value but no pre value, sorted.
        missing_post: teachers with a pre value but no post value, sorted.
        notes: plain-language caveats (small n, zero spread, missing values).
    """

    n_pairs: int
    mean_pre: float | None
    mean_post: float | None
    mean_change: float | None
    sd_change: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    t_statistic: float | None
    t_p_value: float | None
    cohens_dz: float | None
    wilcoxon: WilcoxonResult | None
    missing_pre: tuple[str, ...]
    missing_post: tuple[str, ...]
    notes: tuple[str, ...]


def compare_paired(
    pre: Mapping[str, float],
    post: Mapping[str, float],
    *,
    confidence: float = 0.95,
    exact_max_n: int = WILCOXON_EXACT_MAX_N,
) -> PairedComparison:
    """Compare one competency's pre and post values across a cohort.

    Args:
        pre: teacher id → pre value.
        post: teacher id → post value.
        confidence: coverage of the mean-change interval, in (0, 1).
        exact_max_n: largest number of non-zero differences for the exact Wilcoxon test.

    Raises:
        PrePostError: for a confidence outside (0, 1) or a non-finite value.
    """
    if not 0.0 < confidence < 1.0:
        raise PrePostError(f"confidence {confidence!r} must be in (0, 1)")
    for side in (pre, post):
        for teacher, value in side.items():
            if not math.isfinite(value):
                raise PrePostError(f"value {value!r} for {teacher!r} is not finite")
    paired = sorted(set(pre) & set(post))
    missing_pre = tuple(sorted(set(post) - set(pre)))
    missing_post = tuple(sorted(set(pre) - set(post)))
    notes: list[str] = []
    if missing_pre:
        notes.append(f"{len(missing_pre)} teacher(s) have no pre value and are not paired")
    if missing_post:
        notes.append(f"{len(missing_post)} teacher(s) have no post value and are not paired")
    n = len(paired)
    differences = [post[teacher] - pre[teacher] for teacher in paired]
    mean_pre = math.fsum(pre[t] for t in paired) / n if n else None
    mean_post = math.fsum(post[t] for t in paired) / n if n else None
    mean_change = math.fsum(differences) / n if n else None
    sd = ci_low = ci_high = t_stat = t_p = dz = None
    if n == 0:
        notes.append("no teacher has both a pre and a post value")
    elif n == 1:
        notes.append("only one pair: no spread, so no interval, test or effect size")
    else:
        assert mean_change is not None
        sd = math.sqrt(math.fsum((d - mean_change) ** 2 for d in differences) / (n - 1))
        half = t_quantile(0.5 + confidence / 2.0, n - 1) * sd / math.sqrt(n)
        ci_low, ci_high = mean_change - half, mean_change + half
        if sd > 0.0:
            t_stat = mean_change / (sd / math.sqrt(n))
            t_p = min(1.0, 2.0 * (1.0 - t_cdf(abs(t_stat), n - 1)))
            dz = mean_change / sd
        else:
            notes.append("every teacher changed by the same amount: t and d_z are undefined")
        if n < 10:
            notes.append(f"only {n} pairs: treat the interval and tests as rough")
    return PairedComparison(
        n_pairs=n,
        mean_pre=mean_pre,
        mean_post=mean_post,
        mean_change=mean_change,
        sd_change=sd,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        t_statistic=t_stat,
        t_p_value=t_p,
        cohens_dz=dz,
        wilcoxon=wilcoxon_signed_rank(differences, exact_max_n=exact_max_n) if n else None,
        missing_pre=missing_pre,
        missing_post=missing_post,
        notes=tuple(notes),
    )


def phase_values(
    evidence: Iterable[Evidence],
    method: Method,
    phases: ProgrammePhases,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY,
    cumulative_post: bool = False,
) -> tuple[dict[CompetencyRef, dict[str, float]], dict[CompetencyRef, dict[str, float]]]:
    """Pre and post estimate values per competency and teacher.

    The pre value uses only evidence observed before the training. By default the post value
    uses only evidence observed after it, so the two values are separate measurements rather
    than one record read twice, and evidence from during the training informs neither. With
    ``cumulative_post`` the post value is the estimate from all evidence (pre, during and post)
    as long as the teacher has post-phase evidence — what a forgetting method such as
    `ExponentialDecay` is meant for; with `Mean` it dilutes the change, so it is not the default.

    Returns:
        ``(pre, post)``: competency → teacher → estimate value; a teacher without evidence in
        a phase is absent from that side (and so reported by `compare_paired`).
    """
    pre: dict[CompetencyRef, dict[str, float]] = {}
    post: dict[CompetencyRef, dict[str, float]] = {}
    for (person, competency), items in group_evidence(evidence).items():
        phase_of = [phases.phase_of(item.observed_at) for item in items]
        before = [item for item, phase in zip(items, phase_of, strict=True) if phase is Phase.PRE]
        after = [item for item, phase in zip(items, phase_of, strict=True) if phase is Phase.POST]
        if after and cumulative_post:
            after = items
        for selected, target in ((before, pre), (after, post)):
            if not selected:
                continue
            result = estimate(selected, method, scale, reliability=reliability, presorted=True)
            if result is None:  # pragma: no cover - selected is non-empty
                raise InferenceError("no estimate from non-empty evidence")
            target.setdefault(competency, {})[person] = result.value
    return pre, post


def compare_cohort(
    pre: Mapping[CompetencyRef, Mapping[str, float]],
    post: Mapping[CompetencyRef, Mapping[str, float]],
    *,
    confidence: float = 0.95,
    exact_max_n: int = WILCOXON_EXACT_MAX_N,
) -> dict[CompetencyRef, PairedComparison]:
    """`compare_paired` for every competency on either side, in sorted order."""
    return {
        competency: compare_paired(
            pre.get(competency, {}),
            post.get(competency, {}),
            confidence=confidence,
            exact_max_n=exact_max_n,
        )
        for competency in sorted(set(pre) | set(post))
    }
